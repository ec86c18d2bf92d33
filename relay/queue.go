package relay

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/mailaddr"
	"github.com/relaylab/relaylab/internal/store"
)

// Recipient states.
const (
	StateQueued     = "queued"
	StateInflight   = "inflight"
	StateDeferred   = "deferred"
	StateDelivered  = "delivered"
	StateBounced    = "bounced"
	StateExpired    = "expired"
	StateSuppressed = "suppressed"
)

// Submission is a message to enqueue.
type Submission struct {
	// From is the envelope sender; "" is the null reverse path.
	From       string
	Recipients []Recipient
	// Data is the whole message, headers and body, lines ending in CRLF.
	Data []byte
	// EnvID and Ret are the RFC 3461 MAIL parameters ENVID and RET
	// (FULL or HDRS).
	EnvID string
	Ret   string
	// AuthUser and Client say who submitted it, for the record.
	AuthUser string
	Client   string

	isDSN bool
	// dsnFor is, for a DSN the relay wrote, the id of the message it
	// reports on.
	dsnFor string
	// bounceFor is, for a DSN another MTA (or relaylab's sink) wrote about
	// a message of this relay's, that message's id: it is recorded as
	// bounced, and the DSN is relayed on to its sender.
	bounceFor string
	// notes are the relay's notes on the message (queuedNotes), found
	// before the write that queues it, for its relay.queued events.
	notes []string
}

// Recipient is one envelope recipient with its RFC 3461 RCPT parameters.
type Recipient struct {
	Address string
	// Notify is NEVER or some of SUCCESS, FAILURE, DELAY; empty is the
	// default (FAILURE and DELAY, RFC 3461 5.1).
	Notify []string
	// ORCPT is the original recipient address.
	ORCPT string
}

// ErrNotFound is returned for an unknown message id.
var ErrNotFound = errors.New("relay: no such message in the queue")

// ErrNotWaiting is returned by Delete for a message none of whose
// recipients is still waiting: its history is kept.
var ErrNotWaiting = errors.New("not waiting")

// ErrInvalidSubmission marks an Enqueue refused for what was submitted
// (no recipient, an address no SMTP path can carry, several From fields
// in a message the relay would sign: FromFieldsError), as against one the
// store refused; errors.Is finds it, and the text is the reason alone.
var ErrInvalidSubmission = errors.New("invalid submission")

type invalidSubmission struct{ error }

func (e invalidSubmission) Unwrap() error        { return e.error }
func (e invalidSubmission) Is(target error) bool { return target == ErrInvalidSubmission }

// ErrInFlight is returned by Delete for a message with a recipient that
// a relay is attempting now: deleting it would not stop the attempt, and
// the attempt's outcome (a delivery, a bounce) would go unrecorded.
var ErrInFlight = errors.New("in flight")

// newID returns a fresh message id.
func newID() string {
	var b [10]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// insertMessage writes s to the queue inside tx and appends its events;
// recipients already suppressed are recorded as such and never sent.
func (r *Relay) insertMessage(tx *store.Tx, id string, s Submission, now time.Time) error {
	life := r.policy.Lifetime(s.isDSN)
	expires := int64(0)
	if life > 0 {
		expires = now.Add(life).UnixNano()
	}
	if _, err := tx.Exec(`INSERT INTO relay_messages (id, sender, envid, ret, is_dsn, dsn_for, auth_user, client, size, data, created_ns, expires_ns)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, s.From, s.EnvID, s.Ret, s.isDSN, s.dsnFor, s.AuthUser, s.Client, len(s.Data), s.Data, now.UnixNano(), expires); err != nil {
		return fmt.Errorf("relay: queue message: %w", err)
	}
	subject, msgID := subjectOf(s.Data), messageIDOf(s.Data)
	notes := s.notes
	if s.isDSN {
		// A DSN the relay writes is queued within the write that
		// finishes its recipients (notifyTx), not through queueMessage;
		// one that returns the whole message may carry its long line.
		notes = r.queuedNotes(s.From, s.Data)
	}
	// Suppressed recipients are found when they are claimed, in one query
	// per batch, rather than here, on the path of every 250.
	for _, rc := range s.Recipients {
		notify := strings.ToUpper(strings.Join(rc.Notify, ","))
		var warnFrom any // NULL: never a delay warning (wantsDelayWarning)
		if !s.isDSN && s.From != "" && (notify == "" || strings.Contains(notify, "DELAY")) {
			warnFrom = now.UnixNano()
		}
		if _, err := tx.Exec(`INSERT INTO relay_recipients (message_id, address, orcpt, notify, state, due_ns, updated_ns, warn_from_ns)
			VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)`, id, rc.Address, rc.ORCPT, notify, now.UnixNano(), now.UnixNano(), warnFrom); err != nil {
			return fmt.Errorf("relay: queue recipient: %w", err)
		}
		if _, err := tx.Append(events.Event{Kind: events.RelayQueued, Message: id, Recipient: rc.Address}.WithPayload(withNotes(withBounceFor(withDSNFor(map[string]any{
			"sender": s.From, "size": len(s.Data), "envid": s.EnvID, "ret": s.Ret, "notify": notify,
			"orcpt": rc.ORCPT, "client": s.Client, "auth_user": s.AuthUser, "dsn": s.isDSN, "recipients": len(s.Recipients),
			"subject": subject, "message_id": msgID,
		}, s.dsnFor), s.bounceFor), notes))); err != nil {
			return err
		}
	}
	return nil
}

// Enqueue queues a message and returns its id once it is durable. The
// message gets a Received field that names the queue id, "from local (Go
// API)", or "(HTTP API)" when Client is "http", as the web API sets it.
func (r *Relay) Enqueue(ctx context.Context, s Submission) (string, error) {
	id, err := r.enqueue(ctx, s)
	if err != nil {
		return "", err
	}
	r.kick()
	return id, nil
}

// EnqueueAll queues messages in order as Enqueue does and wakes the
// scheduler once, when all that could be queued are durable, so that it
// claims them in one pass and plans their jobs together. A replay submits
// what is due at one instant this way: queued one by one, the first could
// be claimed and tried before the next is queued, and whether a 421 it
// met holds the others back would depend on the goroutines' timing. On an
// error it returns the ids of the messages queued before it.
func (r *Relay) EnqueueAll(ctx context.Context, subs []Submission) ([]string, error) {
	ids := make([]string, 0, len(subs))
	defer func() {
		if len(ids) > 0 {
			r.kick()
		}
	}()
	for i, s := range subs {
		id, err := r.enqueue(ctx, s)
		if err != nil {
			return ids, fmt.Errorf("message %d of %d: %w", i+1, len(subs), err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// enqueue is Enqueue without waking the scheduler.
func (r *Relay) enqueue(ctx context.Context, s Submission) (string, error) {
	if len(s.Recipients) == 0 {
		return "", invalidSubmission{errors.New("relay: a message needs at least one recipient")}
	}
	if err := checkEnvelope(s); err != nil {
		return "", invalidSubmission{err}
	}
	// As the submission listener refuses it at the dot, before a DSN
	// it carries is recorded.
	if err := r.checkFromFields(s.From, s.Data, s.Client); err != nil {
		return "", err
	}
	id := newID()
	if s.From == "" && dsn.IsReport(s.Data) {
		// A late bounce handed over in the process (relaylab serve's
		// sink) is recorded against the message it reports on, as one
		// that comes in through the submission port is, then queued on
		// as id.
		var refused *dsnRefusal
		about, err := r.receiveDSNAs(ctx, nil, s.Data, id, true)
		if err != nil && !errors.As(err, &refused) {
			return "", fmt.Errorf("relay: recording the DSN this message carries: %w", err)
		}
		s.bounceFor = about
	}
	var rcpts []string
	for _, rc := range s.Recipients {
		rcpts = append(rcpts, rc.Address)
	}
	// The same trace as a submission over SMTP (RFC 5321 4.4): a bounce
	// that returns the headers, with neither VERP nor ENVID, finds the
	// message by the queue id in it, as it does for SMTP submissions.
	trace := receivedField(traceInfo{local: localVia(s.Client), hostname: r.cfg.Hostname, id: id, rcpts: rcpts, now: r.clock.Now()})
	s.Data = append(trace, withMessageID(s.Data, id, r.cfg.Hostname, r.clock.Now())...)
	if err := r.queueMessage(ctx, id, s); err != nil {
		return "", err
	}
	return id, nil
}

// checkEnvelope refuses what the submission listener refuses (go-smtp
// for ENVID, the session for the rest), so that Enqueue cannot queue what
// no SMTP path or DSN can carry: a control character in an address or an
// ORCPT, an address literal that is no address (RFC 5321 4.1.3), an ENVID
// that is not printable ASCII, an ENVID or ORCPT longer on the wire than
// RFC 3461 4.2 and 4.4 allow (100 and 500 characters). The relay's own client
// would send such an ENVID or ORCPT in valid xtext (+0D), but the DSN
// that reports on it could not be written, and the recipient would be
// stuck.
func checkEnvelope(s Submission) error {
	if unsendable(s.From) {
		return fmt.Errorf("relay: sender %q has a control character, which SMTP cannot carry even quoted", s.From)
	}
	if why := mailaddr.LiteralFault(s.From); why != "" {
		return fmt.Errorf("relay: sender %q: %s", s.From, why)
	}
	for i := 0; i < len(s.EnvID); i++ {
		if c := s.EnvID[i]; c < ' ' || c > '~' {
			return fmt.Errorf("relay: ENVID %q has the byte %#02x; RFC 3461 4.4 allows printable ASCII only, since a DSN carries it in its Original-Envelope-Id field", s.EnvID, c)
		}
	}
	if n := len(dsn.Xtext(s.EnvID)); n > dsn.MaxEnvID {
		return fmt.Errorf("relay: ENVID %q is %d characters long in xtext, as MAIL carries it; RFC 3461 4.4 allows at most %d, and the next hop would refuse the message for it", s.EnvID, n, dsn.MaxEnvID)
	}
	for _, rc := range s.Recipients {
		if !strings.Contains(rc.Address, "@") {
			return fmt.Errorf("relay: recipient %q is not an address (local@domain)", rc.Address)
		}
		if unsendable(rc.Address) {
			return fmt.Errorf("relay: recipient %q has a control character, which SMTP cannot carry even quoted", rc.Address)
		}
		if why := mailaddr.LiteralFault(rc.Address); why != "" {
			return fmt.Errorf("relay: recipient %q: %s", rc.Address, why)
		}
		if unsendable(rc.ORCPT) {
			return fmt.Errorf("relay: the ORCPT %q of recipient %s has a control character, which a DSN's Original-Recipient field cannot carry (RFC 3461 4.2)", rc.ORCPT, rc.Address)
		}
		if n := len(dsn.ORCPTParam(rc.ORCPT)); rc.ORCPT != "" && n > dsn.MaxORCPT {
			return fmt.Errorf("relay: the ORCPT of recipient %s is %d characters long in xtext, as RCPT carries it; RFC 3461 4.2 allows at most %d, and the next hop would refuse the message for it", rc.Address, n, dsn.MaxORCPT)
		}
	}
	return nil
}

// enqueueAs is Enqueue with the message id chosen by the caller (the
// submission listener names it in the Received field it adds).
func (r *Relay) enqueueAs(ctx context.Context, id string, s Submission) (string, error) {
	if err := r.queueMessage(ctx, id, s); err != nil {
		return "", err
	}
	r.kick()
	return id, nil
}

// queueMessage writes a message and its recipients to the queue; it
// returns once they are durable.
func (r *Relay) queueMessage(ctx context.Context, id string, s Submission) error {
	// Read before the write: the store's one writer need not wait while
	// a large message is scanned.
	s.notes = r.queuedNotes(s.From, s.Data)
	now := r.clock.Now()
	return r.store.Write(ctx, func(tx *store.Tx) error { return r.insertMessage(tx, id, s, now) })
}

// claimed is a recipient taken from the queue for an attempt.
type claimed struct {
	id       int64
	msgID    string
	address  string
	orcpt    string
	notify   string
	attempts int // failed attempts before this one
	warned   bool
	sender   string
	dsnFor   string // the message a DSN reports on; "" for any other
	// was is the row as it waited before the claim: a stop that comes
	// before the recipient's attempt puts it back so (putBack).
	was queuePlace
}

// queuePlace is a recipient's place in the queue: its state (queued or
// deferred), due time and last change, in nanoseconds.
type queuePlace struct {
	state        string
	due, updated int64
}

// suppressedWhy selects why the suppression list entry s (of a LEFT JOIN)
// stops a recipient, and since when: "" and 0 when there is none.
const suppressedWhy = `COALESCE(s.reason || CASE s.source
					WHEN 'manual' THEN CASE WHEN s.reason = 'added by hand' THEN '' ELSE ' (added by hand)' END
					WHEN 'soft-bounces' THEN ''
					WHEN 'dsn' THEN ' (' || s.category || ', from a bounce message)'
					ELSE ' (' || s.category || ', from a ' || s.source || ')' END, ''), COALESCE(s.created_ns, 0)`

// claim marks up to n due recipients in flight and returns them, the
// earliest due first; of those due at one time, the ones a shaping hold
// kept back (hold set) before the others, then in queue order: at a
// rest's end the mail it held goes before the recipient whose 421 began
// it, which could otherwise start a new rest ahead of them every time.
func (r *Relay) claim(ctx context.Context, now time.Time, n int) ([]claimed, error) {
	var (
		out     []claimed
		dsns    bool                        // DSNs about suppressed recipients, due now
		done    []suppressedRcpt            // suppressed now, for the log
		waiting map[string][]suppressedRcpt // suppressed recipients of messages with others claimed, by message
	)
	err := r.store.Write(ctx, func(tx *store.Tx) error {
		out, dsns, done, waiting = out[:0], false, nil, nil
		rows, err := tx.Query(`SELECT r.id, r.message_id, r.address, r.orcpt, r.notify, r.attempts, r.warned, m.sender, m.dsn_for,
				r.state, r.due_ns, r.updated_ns, `+suppressedWhy+`
			FROM relay_recipients r JOIN relay_messages m ON m.id = r.message_id
			LEFT JOIN relay_suppressions s ON s.address = lower(trim(r.address))
			WHERE r.due_ns IS NOT NULL AND r.due_ns <= ? AND r.state != 'held' ORDER BY r.due_ns, r.hold = '', r.id LIMIT ?`, now.UnixNano(), n)
		if err != nil {
			return err
		}
		var (
			sups  []string
			since []int64
		)
		for rows.Next() {
			var c claimed
			var sup string
			var ns int64
			if err := rows.Scan(&c.id, &c.msgID, &c.address, &c.orcpt, &c.notify, &c.attempts, &c.warned, &c.sender, &c.dsnFor,
				&c.was.state, &c.was.due, &c.was.updated, &sup, &ns); err != nil {
				rows.Close()
				return err
			}
			out = append(out, c)
			sups, since = append(sups, sup), append(since, ns)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, c := range out {
			// An IDN in U-labels: the list keeps its domain in A-labels
			// (normAddr), which SQLite's lower() does not make.
			if a := normAddr(c.address); sups[i] == "" && a != strings.ToLower(strings.TrimSpace(c.address)) {
				err := tx.QueryRow(`SELECT `+suppressedWhy+` FROM relay_suppressions s WHERE s.address = ?`, a).Scan(&sups[i], &since[i])
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return err
				}
			}
		}
		var (
			kept []claimed
			sup  []suppressedRcpt
		)
		for i, c := range out {
			if sups[i] != "" && !r.cfg.Suppression.Disabled {
				sup = append(sup, suppressedRcpt{c: c, why: sups[i], since: time.Unix(0, since[i])})
				continue
			}
			if _, err := tx.Exec(`UPDATE relay_recipients SET state = 'inflight', due_ns = NULL, updated_ns = ? WHERE id = ?`,
				now.UnixNano(), c.id); err != nil {
				return err
			}
			kept = append(kept, c)
		}
		out = kept
		var sending map[string]bool // messages with a recipient to send
		if len(sup) > 0 {
			sending = make(map[string]bool, len(out))
			for _, c := range out {
				sending[c.msgID] = true
			}
		}
		var (
			failed = map[string][]dsnEntry{} // suppressed now, by message, for their DSNs
			msgs   []string
		)
		for _, s := range sup {
			if sending[s.c.msgID] {
				// The message's other recipients are sent now: the last
				// of their jobs writes this one's outcome, and one DSN
				// for it and their failures (record). Until then it is
				// in flight, as they are.
				if _, err := tx.Exec(`UPDATE relay_recipients SET state = 'inflight', due_ns = NULL, updated_ns = ? WHERE id = ?`,
					now.UnixNano(), s.c.id); err != nil {
					return err
				}
				if waiting == nil {
					waiting = map[string][]suppressedRcpt{}
				}
				waiting[s.c.msgID] = append(waiting[s.c.msgID], s)
				continue
			}
			if err := r.finishTx(tx, s.c, StateSuppressed, now, suppressedEvent(s.c, s.why), outcome{}); err != nil {
				return err
			}
			// The sender heard 250 when the relay took the message:
			// like any failure after that, this one gets a DSN.
			if failed[s.c.msgID] == nil {
				msgs = append(msgs, s.c.msgID)
			}
			failed[s.c.msgID] = append(failed[s.c.msgID], s.entry())
			done = append(done, s)
		}
		dsns = len(msgs) > 0
		for _, id := range msgs {
			msg, err := loadMessageTx(tx, id)
			if err != nil {
				return err
			}
			if err := r.notifyTx(tx, msg, failed[id], false, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.logSuppressed(done, nil)
	r.startRounds(out, waiting)
	if dsns {
		r.kick() // the scheduler looks again, as after a job's DSNs
	}
	return out, nil
}

// startRounds opens a round (record) for each message of which the claim
// took more than one recipient to send, or one and others the
// suppression list stopped (sup, by message): so that their failures go
// to the sender in one DSN. A message's only recipient needs none.
func (r *Relay) startRounds(out []claimed, sup map[string][]suppressedRcpt) {
	ids := make(map[string][]int64, len(out))
	for _, c := range out {
		ids[c.msgID] = append(ids[c.msgID], c.id)
	}
	for id, rcpts := range ids {
		if len(rcpts) > 1 || len(sup[id]) > 0 {
			r.batch.startRound(rcpts, sup[id])
		}
	}
}

// suppressedRcpt is a claimed recipient whose address is on the
// suppression list: why, the list's reason, since when.
type suppressedRcpt struct {
	c     claimed
	why   string
	since time.Time
}

// entry is s's part of the failure DSN.
func (s suppressedRcpt) entry() dsnEntry {
	return dsnEntry{c: s.c, o: outcome{reply: suppressedReply(s.why, s.since)}, suppressed: true}
}

// suppressedEvent is the relay.suppressed event of recipient c, whose
// address is on the list for why.
func suppressedEvent(c claimed, why string) events.Event {
	pl := withDSNFor(map[string]any{
		"reason": "the address is on the suppression list: " + why,
		"advice": "remove it with `relaylab suppress remove` (or Remove beside it under Suppression list at the foot of the web UI's Queue page) if it should receive mail again",
	}, c.dsnFor)
	lostDSN(pl, c)
	return events.Event{Kind: events.RelaySuppressed}.WithPayload(pl)
}

// logSuppressed logs, as logOutcomes logs the other outcomes, each
// recipient of ss that the suppression list stopped, once written (but
// those in gone, deleted by hand meanwhile): the recipient, the message,
// and since when and why the address is on the list.
func (r *Relay) logSuppressed(ss []suppressedRcpt, gone map[int64]bool) {
	for _, s := range ss {
		if gone[s.c.id] {
			continue
		}
		args := []any{"to", s.c.address, "id", s.c.msgID}
		if s.c.dsnFor != "" {
			args = append(args, "dsn_for", s.c.dsnFor)
		}
		args = append(args, "reason", "on the suppression list since "+s.since.UTC().Format(time.RFC3339)+": "+s.why)
		r.log.Info("relay: suppressed", args...)
		if s.c.dsnFor != "" {
			r.warnLostDSN(s.c, StateSuppressed, "reason", "its recipient is on the suppression list: "+s.why)
		}
	}
}

// suppressedReply is the relay's own failure, for the DSN, of a recipient
// it does not send to because the address is on the suppression list
// (why: the list's reason). RFC 3463 5.7.1: delivery not authorized, the
// relay's own policy refusing it.
func suppressedReply(why string, since time.Time) Reply {
	return Reply{Enhanced: "5.7.1", Local: true,
		Text: fmt.Sprintf("not sent: the address is on the relay's suppression list (since %s): %s", since.UTC().Format(time.RFC3339), why)}
}

// nextDue returns when the earliest waiting recipient is due.
func (r *Relay) nextDue(ctx context.Context) (time.Time, bool, error) {
	var ns sql.NullInt64
	// A recipient held by hand is due at heldDue: never. The first row in
	// the index's order, rather than MIN with a filter, which SQLite may
	// compute over the whole range.
	err := r.store.DB().QueryRowContext(ctx, `SELECT due_ns FROM relay_recipients INDEXED BY relay_recipients_due
		WHERE due_ns IS NOT NULL AND due_ns < ? AND state != 'held' ORDER BY due_ns LIMIT 1`, heldDue).Scan(&ns)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil || !ns.Valid {
		return time.Time{}, false, err
	}
	return time.Unix(0, ns.Int64), true, nil
}

// recover puts recipients left in flight by a crash back in the queue: an
// attempt that may or may not have reached the server is made again
// (at-least-once).
//
// Each gets a relay.recovered event, so that its timeline, the report and
// the message page say why the recipient may hold two copies: the log's
// one line for them all told no message of it.
func (r *Relay) recoverInflight(ctx context.Context) (int64, error) {
	var n int64
	now := r.clock.Now()
	err := r.store.Write(ctx, func(tx *store.Tx) error {
		n = 0
		type left struct {
			msg, addr string
			attempts  int
		}
		var all []left
		// The literal lets SQLite use the partial index on in-flight rows.
		rows, err := tx.Query(`SELECT message_id, address, attempts FROM relay_recipients WHERE state = 'inflight' ORDER BY id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var l left
			if err := rows.Scan(&l.msg, &l.addr, &l.attempts); err != nil {
				rows.Close()
				return err
			}
			all = append(all, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		res, err := tx.Exec(`UPDATE relay_recipients SET state = 'queued', due_ns = ?, updated_ns = ? WHERE state = 'inflight'`,
			now.UnixNano(), now.UnixNano())
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		for _, l := range all {
			if _, err := tx.Append(events.Event{Kind: events.RelayRecovered, Time: now, Message: l.msg, Recipient: l.addr}.WithPayload(map[string]any{
				"attempts": l.attempts,
				"reason":   "the recipient was in flight when the relay last stopped (a crash, or a stop past --shutdown-grace): the attempt under way was cut off, and whether the server took the message is not known",
				"advice":   "nothing; it is sent again now (at-least-once), so the recipient may get it twice: a server that had taken it before the stop keeps that copy",
			})); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// withDSNFor adds dsn_for, the message a DSN reports on, to the payload
// of an event about that DSN, so that a reader of the log (the web feed)
// can tell a DSN's delivery from any other message's without looking up
// its relay.queued event. Other messages' payloads are left as they are.
func withDSNFor(pl map[string]any, dsnFor string) map[string]any {
	if dsnFor != "" {
		pl["dsn_for"] = dsnFor
	}
	return pl
}

// withBounceFor adds bounce_for, the message of this relay's that a DSN
// from elsewhere reports on, to a relay.queued payload.
func withBounceFor(pl map[string]any, bounceFor string) map[string]any {
	if bounceFor != "" {
		pl["bounce_for"] = bounceFor
	}
	return pl
}

// withNotes adds notes, the relay's notes on a message (queuedNotes),
// to its relay.queued payloads: the web's message page and queue show
// show them.
func withNotes(pl map[string]any, notes []string) map[string]any {
	if len(notes) > 0 {
		pl["notes"] = notes
	}
	return pl
}

// QueuedNotes returns the relay's notes on message id, as its
// relay.queued events carry them (a line too long for some next hops in
// a message it signs, queuedNotes); none for a message queued without,
// or before relaylab kept them. Every recipient's event carries the
// same notes, so the first is read.
func (r *Relay) QueuedNotes(ctx context.Context, id string) ([]string, error) {
	var raw sql.NullString
	err := r.store.DB().QueryRowContext(ctx, `SELECT json_extract(payload, '$.notes') FROM events INDEXED BY events_message
		WHERE message = ? AND message != '' AND kind = ? ORDER BY id LIMIT 1`, id, events.RelayQueued).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !raw.Valid {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var notes []string
	if err := json.Unmarshal([]byte(raw.String), &notes); err != nil {
		return nil, fmt.Errorf("relay: the notes of message %s's relay.queued event: %w", id, err)
	}
	return notes, nil
}

// messageRow is what a delivery needs of a message.
type messageRow struct {
	id, sender, envid, ret string
	isDSN                  bool
	created, expires       time.Time
	data                   []byte
}

func (r *Relay) loadMessage(ctx context.Context, id string) (messageRow, error) {
	return scanMessageRow(id, r.store.DB().QueryRowContext(ctx, messageRowSQL, id))
}

// loadMessageTx is loadMessage within a write.
func loadMessageTx(tx *store.Tx, id string) (messageRow, error) {
	return scanMessageRow(id, tx.QueryRow(messageRowSQL, id))
}

const messageRowSQL = `SELECT sender, envid, ret, is_dsn, created_ns, expires_ns, data FROM relay_messages WHERE id = ?`

func scanMessageRow(id string, row scanner) (messageRow, error) {
	m := messageRow{id: id}
	var created, expires int64
	err := row.Scan(&m.sender, &m.envid, &m.ret, &m.isDSN, &created, &expires, &m.data)
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	m.created = time.Unix(0, created)
	if expires > 0 {
		m.expires = time.Unix(0, expires)
	}
	return m, err
}
