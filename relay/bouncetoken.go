package relay

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/store"
)

// Anyone who can connect may send a DSN to the bounce address (remote
// MTAs must), and a failed one marks its recipient bounced and puts the
// address on the relay-wide suppression list. What it is matched by must
// therefore be something only a party to the delivery can know. The queue
// id is not: it is in the relay's Received field and the Message-ID it
// adds, which every recipient and anyone they forward the message to
// reads; nor is the ENVID, which the sender chooses (often a campaign or
// order number) and which every next hop is given. The VERP return path
// carries, besides the queue id, a MAC under a key only the relay holds,
// bound to the recipient domain of the transaction, so a forger needs the
// return path of a delivery to that domain: its receiving MTA, and its
// recipients (Return-Path), who may report on their own domain only.

// bounceKey signs VERP tags. made is when it was made: mail queued before
// went out with the bare queue id as its tag, which stays good for it.
type bounceKey struct {
	key  []byte
	made time.Time
}

// bounceKeyName is the key's row in relay_keys.
const bounceKeyName = "verp"

// loadBounceKey reads the store's key, or makes one and keeps it in the
// store when it has none (now is its time of making), so that a copy of
// the store carries it. A store open read-only (relaylab queue list on
// another user's store), or one too old to hold keys, gets a key for
// this process alone: such a process sends no mail.
func loadBounceKey(ctx context.Context, st *store.Store, now time.Time) (bounceKey, error) {
	k, found, err := readBounceKey(ctx, st.DB())
	if found || err != nil {
		return k, err
	}
	k = bounceKey{key: make([]byte, 32), made: now}
	rand.Read(k.key)
	if st.ReadMode() != store.ReadWrite {
		return k, nil
	}
	err = st.Write(ctx, func(tx *store.Tx) error {
		// OR IGNORE: of two processes starting on one store, the second
		// takes the first one's key.
		if _, err := tx.Exec(`INSERT OR IGNORE INTO relay_keys(name, made_ns, key) VALUES (?, ?, ?)`,
			bounceKeyName, now.UnixNano(), k.key); err != nil {
			return err
		}
		var ns int64
		if err := tx.QueryRow(`SELECT made_ns, key FROM relay_keys WHERE name = ?`, bounceKeyName).Scan(&ns, &k.key); err != nil {
			return err
		}
		k.made = time.Unix(0, ns)
		return nil
	})
	if err != nil {
		return bounceKey{}, fmt.Errorf("keeping the key that signs return paths in the store: %w", err)
	}
	return k, nil
}

// readBounceKey reads the key kept in db; found is false when there is
// none, or no table for one (a store opened read-only before its
// migration to keys).
func readBounceKey(ctx context.Context, db *sql.DB) (k bounceKey, found bool, err error) {
	var ns int64
	err = db.QueryRowContext(ctx, `SELECT made_ns, key FROM relay_keys WHERE name = ?`, bounceKeyName).Scan(&ns, &k.key)
	switch {
	case errors.Is(err, sql.ErrNoRows), err != nil && strings.Contains(err.Error(), "no such table"):
		return bounceKey{}, false, nil
	case err != nil:
		return bounceKey{}, false, fmt.Errorf("reading the key that signs return paths: %w", err)
	case len(k.key) < 16:
		return bounceKey{}, false, fmt.Errorf("the key that signs return paths (relay_keys, %q) is damaged: %d bytes", bounceKeyName, len(k.key))
	}
	k.made = time.Unix(0, ns)
	return k, true, nil
}

// macLen is the bytes of the MAC a tag carries: 80 bits, as many as the
// queue id's, which no one can guess over SMTP.
const macLen = 10

var tagEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// mac is the MAC of message id's return path for a transaction to
// recipient domain (lower case).
func (k bounceKey) mac(id, domain string) string {
	h := hmac.New(sha256.New, k.key)
	h.Write([]byte("verp\x00" + id + "\x00" + strings.ToLower(domain)))
	return strings.ToLower(tagEncoding.EncodeToString(h.Sum(nil)[:macLen]))
}

// tag is the VERP tag for message id in a transaction to recipient
// domain: the queue id, a dot and the MAC ("id.mac"; a queue id has no
// dot).
func (k bounceKey) tag(id, domain string) string {
	return id + "." + k.mac(id, domain)
}

// returnPath is the VERP return path of message id for a transaction to
// the recipients rcpts: bounce with the tag added. The MAC is bound to
// their domain, or to none when they are of several.
func (k bounceKey) returnPath(bounce, id string, rcpts []string) string {
	domain := ""
	for i, r := range rcpts {
		d := strings.ToLower(domainOf(r))
		if i > 0 && d != domain {
			domain = ""
			break
		}
		domain = d
	}
	return dsn.VERPAddress(bounce, k.tag(id, domain))
}

// splitTag reads a VERP tag: the queue id, and the MAC ("" for a bare
// queue id).
func splitTag(tag string) (id, mac string) {
	id, mac, _ = strings.Cut(tag, ".")
	return id, strings.ToLower(mac)
}

// vouches reports whether mac is the MAC of message id for a transaction
// to recipient address rcpt: bound to its domain, or to none.
func (k bounceKey) vouches(id, mac, rcpt string) bool {
	if mac == "" {
		return false
	}
	for _, d := range []string{domainOf(rcpt), ""} {
		if hmac.Equal([]byte(mac), []byte(k.mac(id, d))) {
			return true
		}
	}
	return false
}

// bounceMatch is how an incoming DSN was matched to message id.
type bounceMatch struct {
	id   string
	mac  string // the VERP tag's MAC; "" when it had none
	verp bool   // by a VERP tag (with or without a MAC)
	// trusted: the DSN came from a client that may submit (AUTH, or
	// allowed_networks) or through Enqueue, so ENVID and Received
	// fields are taken as they are.
	trusted bool
	legacy  bool // a bare tag of mail queued before the key was made
	key     bounceKey
}

// errUntrustedMatch: a DSN from a client outside that names its message
// other than by a VERP tag with its MAC.
var errUntrustedMatch = errors.New("untrusted match")

// matchBounce finds the message an incoming DSN p reports on, from the
// addresses to it came to: by a VERP tag, else (for a trusted client
// only) by its ENVID, else by the relay's Received field in the returned
// headers. It returns "" when nothing matches; a *dsnRefusal when a
// client outside gave no tag the relay can check.
func matchBounce(tx *store.Tx, k bounceKey, to []string, p *dsn.Parsed, hostname string, trusted bool) (bounceMatch, error) {
	m := bounceMatch{trusted: trusted, key: k}
	for _, a := range to {
		if tag, ok := dsn.VERPTag(a); ok {
			m.id, m.mac = splitTag(tag)
			m.verp = true
		}
	}
	if m.verp {
		if m.mac == "" && !trusted {
			// A bare queue id: only mail queued before the key existed
			// went out so.
			var created int64
			err := tx.QueryRow(`SELECT created_ns FROM relay_messages WHERE id = ?`, m.id).Scan(&created)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return m, err
			}
			if err == nil && time.Unix(0, created).Before(k.made) {
				m.legacy = true
			} else {
				return m, refuseDSN("Not a delivery status notification this relay can check: its return path carries the queue id without the relay's signature, which every return path since %s has; a DSN must come back to the return path the message was sent with", k.made.UTC().Format(time.RFC3339))
			}
		}
		if !trusted && !m.legacy {
			// One refusal for a queue id the relay never had and a
			// signature that is not its own: no oracle for either.
			ok, err := k.signsAny(tx, m.id, m.mac)
			if err != nil || !ok {
				return m, cmp.Or(err, refuseDSN("Not a delivery status notification this relay can check: the signature in its return path is not one this relay wrote"))
			}
		}
		return m, nil
	}
	if !trusted {
		return m, &dsnRefusal{err: errUntrustedMatch, reason: "Not a delivery status notification this relay can check: from a client that may not submit, a DSN is taken only at the signed return path the message was sent with (bounces+ID.SIGNATURE@), not by its ENVID or Received field, which others can know"}
	}
	if envid := p.EnvelopeID(); envid != "" {
		// The ENVID is stored decoded, as RFC 3461 4.4 has DSNs carry
		// it; some MTAs write it still in xtext (id+2Bx for id+x).
		if err := tx.QueryRow(`SELECT id FROM relay_messages WHERE envid IN (?, ?) AND is_dsn = 0 ORDER BY created_ns DESC LIMIT 1`,
			envid, dsn.DecodeXtextLenient(envid)).Scan(&m.id); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return m, err
		}
	}
	if m.id == "" {
		// The returned headers hold the Received field our submission
		// listener wrote, with the queue id: how a bounce from an MTA
		// that kept neither VERP nor ENVID (Postfix without either)
		// still finds its message.
		m.id = receivedID(p.Original, hostname)
	}
	return m, nil
}

// vouchesFor reports whether the match may report on recipient address
// rcpt of its message: always for a trusted client or a bare tag of old
// mail, else when the tag's MAC is for rcpt's domain (or for none).
func (m bounceMatch) vouchesFor(rcpt string) bool {
	return m.trusted || m.legacy || m.key.vouches(m.id, m.mac, rcpt)
}

// signsAny reports whether mac is the MAC of message id for one of its
// recipients' domains, or for none.
func (k bounceKey) signsAny(tx *store.Tx, id, mac string) (bool, error) {
	rows, err := tx.Query(`SELECT address FROM relay_recipients WHERE message_id = ?`, id)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var addr string
		if err := rows.Scan(&addr); err != nil {
			return false, err
		}
		if k.vouches(id, mac, addr) {
			return true, nil
		}
	}
	return false, rows.Err()
}
