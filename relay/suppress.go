package relay

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/mailaddr"
	"github.com/relaylab/relaylab/internal/store"
)

// Suppression is an address the relay no longer sends to.
type Suppression struct {
	Address  string    `json:"address"`
	Category string    `json:"category"`
	Reason   string    `json:"reason"`
	Source   string    `json:"source"` // bounce, soft-bounces, dsn, manual
	Created  time.Time `json:"since"`  // named as in the web API's Suppression
}

// normAddr is the suppression list's spelling of address a: lower case,
// and its domain in A-labels, so that an entry for ok@xn--bcher-kva.test
// stops ok@bücher.test and the other way round.
func normAddr(a string) string { return mailaddr.Key(strings.TrimSpace(a)) }

func (r *Relay) suppressTx(tx *store.Tx, addr, category, reason, source string, now time.Time) error {
	_, err := tx.Exec(`INSERT INTO relay_suppressions (address, category, reason, source, created_ns) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(address) DO UPDATE SET category = excluded.category, reason = excluded.reason, source = excluded.source`,
		normAddr(addr), category, reason, source, now.UnixNano())
	return err
}

// Soft bounces are the receiving side's temporary refusals of a
// recipient, as a sender's list hygiene counts them: an address that
// keeps getting them is likely dead. The categories of a refusal that
// count: recipientSoft from any server (a smarthost passes on what the
// recipient's side said, or judges the recipient itself); serverSoft only
// from the recipient domain's own MX host (an mx path), since from a
// smarthost they describe the smarthost, the relay's own path.
var (
	recipientSoft = map[string]bool{"mailbox-full": true, "greylisted": true, "invalid-recipient": true, "mailbox-disabled": true}
	serverSoft    = map[string]bool{"service-unavailable": true, "message-too-big": true, "routing": true, "unclassified": true}
)

// softBounce reports whether an expiry after n attempts, whose last run
// ended in res, counts toward suppression.soft_bounces. server is the
// last reply a server gave the recipient, when res is a hold of the
// relay's own shaping (lastServerReply). Only a server's refusal of this
// recipient or its message (RCPT TO, DATA, the final dot) counts; the
// relay's own or its path's failures say nothing about the address: a
// recipient never tried (a hold of the relay's shaping, a resting
// destination), refused credentials, TLS or AUTH the path needs,
// connections that failed (the relay's network cannot be told from the
// receiver's), DNS lookups that failed, and refusals of the sender
// (rate limits, reputation, policy, SPF/DKIM/DMARC).
func (r *Relay) softBounce(n int, res result, server *outcome) (counted string, ok bool) {
	if n == 0 {
		return "", false
	}
	rep, v, pathName := res.reply, res.verdict, res.path
	if rep.Stage == "shaping" {
		if server == nil {
			return "", false
		}
		rep, v, pathName = server.reply, r.classify.Classify(server.reply), server.path
	}
	if rep.Code == 0 || rep.Local {
		return "", false
	}
	switch rep.Stage {
	case "rcpt", "data", "dot":
	default:
		return "", false
	}
	p := r.paths[pathName]
	if !recipientSoft[v.Category] && !(serverSoft[v.Category] && p != nil && p.cfg.Type == "mx") {
		return "", false
	}
	// What counted, for the suppression's reason: a user who trusts or
	// undoes the entry sees which refusal it rests on.
	return strings.ReplaceAll(rep.String(), "\n", " ") + " (" + v.Category + ")", true
}

// softBounceTx counts a soft bounce (an expiry that softBounce counts) and suppresses the address
// at the configured count. When it suppresses, it returns why, for the
// event. The count is of expiries in a row: a delivery ends it
// (resetSoftTx), and so do relaylab prune and store.keep once the last
// expiry it counted is older than their cutoff (store.Prune); the address
// then counts from 1 again. The relay keeps no copy in memory: a prune
// takes effect at the next expiry.
func (r *Relay) softBounceTx(tx *store.Tx, addr, counted string, now time.Time) (string, error) {
	limit := r.cfg.Suppression.SoftBounces
	if limit <= 0 || r.cfg.Suppression.Disabled {
		return "", nil
	}
	a := normAddr(addr)
	if _, err := tx.Exec(`INSERT INTO relay_soft_bounces (address, count, updated_ns) VALUES (?, 1, ?)
		ON CONFLICT(address) DO UPDATE SET count = count + 1, updated_ns = excluded.updated_ns`, a, now.UnixNano()); err != nil {
		return "", err
	}
	var n int
	if err := tx.QueryRow(`SELECT count FROM relay_soft_bounces WHERE address = ?`, a).Scan(&n); err != nil {
		return "", err
	}
	if n < limit {
		return "", nil
	}
	reason := fmt.Sprintf("%d deliveries expired in a row, each after the receiving side's refusals; the last: %s", n, counted)
	if n == 1 {
		reason = "1 delivery expired after the receiving side's refusals: " + counted // suppression.soft_bounces: 1
	}
	if err := r.suppressTx(tx, a, "soft-bounces", reason, "soft-bounces", now); err != nil {
		return "", err
	}
	return fmt.Sprintf("the address is now on the suppression list: %s (suppression.soft_bounces is %d)", reason, limit), nil
}

// bounceSuppressionReason says why a bounce put an address on the
// suppression list, for the event.
func bounceSuppressionReason(category string, rep Reply) string {
	return fmt.Sprintf("the address is now on the suppression list: a hard bounce (%s): %s", category, rep)
}

func (r *Relay) resetSoftTx(tx *store.Tx, addr string) error {
	if r.cfg.Suppression.SoftBounces <= 0 {
		return nil
	}
	_, err := tx.Exec(`DELETE FROM relay_soft_bounces WHERE address = ?`, normAddr(addr))
	return err
}

// Suppressions lists the suppression list, newest first.
func (r *Relay) Suppressions(ctx context.Context) ([]Suppression, error) {
	return ReadSuppressions(ctx, r.store.DB())
}

// ReadSuppressions lists the suppression list of the store db, newest
// first, without a Relay: relaylab expect reads a serve's store, whose
// relay it does not run.
func ReadSuppressions(ctx context.Context, db *sql.DB) ([]Suppression, error) {
	rows, err := db.QueryContext(ctx, `SELECT address, category, reason, source, created_ns FROM relay_suppressions ORDER BY created_ns DESC, address`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Suppression
	for rows.Next() {
		var s Suppression
		var ns int64
		if err := rows.Scan(&s.Address, &s.Category, &s.Reason, &s.Source, &ns); err != nil {
			return nil, err
		}
		s.Created = time.Unix(0, ns).UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}

// Suppress adds addr to the suppression list by hand. An address the
// submission listener refuses as a recipient is refused here too, for
// the same reason (suppressFault): no message can be sent to it, so its
// entry would never match.
func (r *Relay) Suppress(ctx context.Context, addr, reason string) error {
	if !strings.Contains(addr, "@") {
		return fmt.Errorf("relay: %q is not an address (local@domain)", addr)
	}
	if why := suppressFault(addr); why != "" {
		return fmt.Errorf("relay: %q cannot be a recipient: %s; the submission listener refuses it at RCPT TO (553 5.1.3), so no message goes to it and an entry for it would never match: check the address", addr, why)
	}
	if reason == "" {
		reason = "added by hand"
	}
	now := r.clock.Now()
	return r.store.Write(ctx, func(tx *store.Tx) error {
		return r.suppressTx(tx, addr, "manual", reason, "manual", now)
	})
}

// Unsuppress removes addr from the suppression list; it reports whether
// the address was on it.
func (r *Relay) Unsuppress(ctx context.Context, addr string) (bool, error) {
	var n int64
	err := r.store.Write(ctx, func(tx *store.Tx) error {
		// Also the address as given in lower case: an IDN's entry from a
		// relaylab that kept its domain in U-labels.
		a, given := normAddr(addr), strings.ToLower(strings.TrimSpace(addr))
		res, err := tx.Exec(`DELETE FROM relay_suppressions WHERE address IN (?, ?)`, a, given)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		_, err = tx.Exec(`DELETE FROM relay_soft_bounces WHERE address IN (?, ?)`, a, given)
		return err
	})
	return n > 0, err
}

// ClearSuppressions empties the suppression list, and the soft bounces
// counted toward it, for a clean slate: a test run against a store that
// earlier runs used meets no entry they left. It returns how many
// addresses were on the list.
func (r *Relay) ClearSuppressions(ctx context.Context) (int, error) {
	var n int64
	err := r.store.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`DELETE FROM relay_suppressions`)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		_, err = tx.Exec(`DELETE FROM relay_soft_bounces`)
		return err
	})
	return int(n), err
}

// suppressFault says why addr, local@domain, is no recipient the
// submission listener takes (session.Rcpt, recipientDomain): a control
// character, an address literal that is no address (RFC 5321 4.1.3), or
// a domain that is no host name (RFC 5321 4.1.2: each label starts and
// ends with a letter or digit); "" when it is one.
func suppressFault(addr string) string {
	a := strings.TrimSpace(addr)
	if unsendable(a) {
		return "it has a control character, which SMTP cannot carry even quoted"
	}
	if why := mailaddr.LiteralFault(a); why != "" {
		return why
	}
	domain := mailaddr.WithoutRootDot(a[strings.LastIndexByte(a, '@')+1:])
	if strings.HasPrefix(domain, "[") {
		return ""
	}
	if why := domainFault(domain); why != "" {
		return "the domain " + oneLineASCII(echoed(domain)) + " is not a host name: " + why + " (RFC 5321 4.1.2)"
	}
	return ""
}
