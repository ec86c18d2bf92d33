package sink

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// bouncer sends asynchronous bounces: DSNs (RFC 3464) for messages the
// sink accepted, sent later over SMTP to the configured relay. Pending
// bounces are in the store, so a restart does not lose them.
type bouncer struct {
	s       *Sink
	mu      sync.Mutex
	timers  map[int64]clock.Timer
	stopped bool
	wg      sync.WaitGroup
	parked  []pendingBounce // due while the sink awaits its relay
}

// maxBounceTries is how often a bounce is tried, a minute apart.
const maxBounceTries = 5

type pendingBounce struct {
	id        int64
	message   int64
	due       time.Time
	sender    string
	recipient string
	reply     string
	notify    string // the recipient's NOTIFY, "FAILURE,DELAY"; "" when not given
	orcpt     string // the recipient's ORCPT, "rfc822;alice@example.com"
	tries     int
}

func newBouncer(s *Sink) *bouncer { return &bouncer{s: s, timers: map[int64]clock.Timer{}} }

// schedule records one DSN per recipient in rcpts of message id, with the
// reply it reports (a failure or delay for a bounce, the 250 for a
// delivered DSN), and arms them.
func (b *bouncer) schedule(sess *session, rcpts []rcptState, id int64, after time.Duration, reply Reply) error {
	due := b.s.clock.Now().Add(after)
	var pend []pendingBounce
	err := b.s.store.Write(b.s.hardCtx, func(tx *store.Tx) error {
		pend = pend[:0]
		for _, r := range rcpts {
			p := pendingBounce{message: id, due: due, sender: sess.from, recipient: r.addr, reply: reply.String(),
				notify: strings.Join(r.dsn.Notify, ","), orcpt: r.dsn.ORCPT}
			res, err := tx.Exec(`INSERT INTO sink_bounces (message, due_ns, sender, recipient, reply, notify, orcpt) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				id, due.UnixNano(), p.sender, p.recipient, p.reply, p.notify, p.orcpt)
			if err != nil {
				return err
			}
			p.id, _ = res.LastInsertId()
			pend = append(pend, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range pend {
		b.arm(p)
	}
	return nil
}

func (b *bouncer) arm(p pendingBounce) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return
	}
	b.wg.Add(1)
	b.timers[p.id] = b.s.clock.AfterFunc(p.due.Sub(b.s.clock.Now()), func() {
		defer b.wg.Done()
		b.mu.Lock()
		delete(b.timers, p.id)
		stopped := b.stopped
		b.mu.Unlock()
		if !stopped {
			b.send(p)
		}
	})
}

// start re-arms the bounces a previous run left pending.
func (b *bouncer) start(ctx context.Context) {
	rows, err := b.s.store.DB().QueryContext(ctx, `SELECT id, message, due_ns, sender, recipient, reply, notify, orcpt, tries FROM sink_bounces WHERE `+store.PendingBounceSQL)
	if err != nil {
		b.s.log.Error("sink: reading pending bounces failed", "err", err)
		return
	}
	var pend []pendingBounce
	for rows.Next() {
		var p pendingBounce
		var due int64
		if rows.Scan(&p.id, &p.message, &due, &p.sender, &p.recipient, &p.reply, &p.notify, &p.orcpt, &p.tries) == nil {
			p.due = time.Unix(0, due)
			pend = append(pend, p)
		}
	}
	rows.Close()
	for _, p := range pend {
		b.arm(p)
	}
}

// park keeps p until SetBounceRelay, while the sink awaits its relay
// (Options.AwaitBounceRelay); it says whether it did.
func (b *bouncer) park(p pendingBounce) bool {
	if !b.s.awaitingRelay.Load() {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.s.awaitingRelay.Load() { // release ran meanwhile
		return false
	}
	b.s.log.Info("sink: a bounce is due; it waits for the relay's address", "bounce", p.id, "to", p.sender)
	b.parked = append(b.parked, p)
	return true
}

// release ends the wait for the relay and sends the bounces that waited:
// they are due already, and a timer set for now waits for the next tick
// of a virtual clock.
func (b *bouncer) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.s.awaitingRelay.Store(false)
	if !b.stopped {
		for _, p := range b.parked {
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				b.send(p)
			}()
		}
	}
	b.parked = nil
}

func (b *bouncer) stop() {
	b.mu.Lock()
	b.stopped = true
	for id, t := range b.timers {
		if t.Stop() {
			b.wg.Done()
		}
		delete(b.timers, id)
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// send builds the DSN and hands it to the relay; a failure is retried a
// minute later, up to maxBounceTries. A DSN the recipient's NOTIFY did not
// ask for is not sent, and the record says why.
func (b *bouncer) send(p pendingBounce) {
	s := b.s
	rep, err := ParseReply(p.reply)
	if err != nil {
		b.finish(p, "", "", err)
		return
	}
	action, _ := dsnAction(rep)
	if p.sender == "" {
		// Not a failure to send: no DSN was ever due (as with NOTIFY=NEVER).
		why := "the message had a null sender (MAIL FROM:<>): no DSN is sent to it, as it is itself a DSN or another notification (RFC 5321 4.5.5, RFC 3464 2)"
		s.log.Info("sink: no DSN sent: the message had a null sender", "bounce", p.id, "recipient", p.recipient, "message", p.message)
		b.finish(p, action, why, nil)
		return
	}
	if why := p.unwanted(action); why != "" {
		s.log.Info("sink: no DSN sent: the recipient's NOTIFY rules it out", "bounce", p.id, "recipient", p.recipient, "why", why)
		b.finish(p, action, why, nil)
		return
	}
	if b.park(p) {
		return
	}
	err = b.deliver(p, rep)
	if err == nil {
		s.log.Info("sink: DSN sent", "bounce", p.id, "action", action, "to", p.sender, "recipient", p.recipient, "message", p.message, "relay", s.BounceRelay())
	}
	if err != nil {
		p.tries++
		s.log.Warn("sink: sending a bounce failed", "bounce", p.id, "to", p.sender, "try", p.tries, "err", err)
		refused := refusedForGood(err, s.BounceRelay())
		if refused != nil {
			err = refused // trying again gets the same answer
		} else if p.tries < maxBounceTries {
			p.due = s.clock.Now().Add(time.Minute)
			b.failedTry(p, err)
			b.arm(p)
			return
		}
		b.giveUp(p, err, refused != nil)
	}
	b.finish(p, action, "", err)
}

// giveUp logs, apart from the warning of each try, that bounce p will not
// be tried again after the failure err (forGood: the relay's 5xx, which
// err explains): the sender never learns that its message failed, and a
// test waiting for the DSN would wait in vain.
func (b *bouncer) giveUp(p pendingBounce, err error, forGood bool) {
	s := b.s
	relay := s.BounceRelay()
	how := fmt.Sprintf("after %d tries a minute apart", p.tries)
	fix := fmt.Sprintf("check that the relay at %s (sink.bounce.relay) is up and takes mail from the sink, then send the message again; the bounce's record keeps the error", relay)
	switch {
	case forGood:
		how = fmt.Sprintf("after try %d, which the relay refused for good", p.tries)
		fix = "see the error for what the relay wants, then send the message again; the bounce's record keeps the error"
	case relay == "" && s.bounceSubmit.Load() == nil:
		fix = "set sink.bounce.relay to the address of a relay that takes the sink's bounces, then send the message again; the bounce's record keeps the error"
	}
	s.log.Error(fmt.Sprintf("sink: giving up on the bounce for <%s> %s: the sender <%s> is not told that its message failed; %s", p.recipient, how, p.sender, fix),
		"bounce", p.id, "to", p.sender, "recipient", p.recipient, "message", p.message, "tries", p.tries, "relay", relay, "err", err)
}

// failedTry records a failed try of p, which is tried again at p.due:
// the store says how many failed and why the last did, so that what
// reads it (expect, reports) can tell a bounce that cannot get out from
// one not yet due, and a restart goes on counting.
func (b *bouncer) failedTry(p pendingBounce, err error) {
	werr := b.s.store.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE sink_bounces SET due_ns = ?, tries = ?, last_error = ? WHERE id = ?`, p.due.UnixNano(), p.tries, err.Error(), p.id)
		return err
	})
	if werr != nil {
		b.s.log.Error("sink: recording a failed try of a bounce failed", "bounce", p.id, "err", werr)
	}
}

// refusedForGood explains err when it is the relay's permanent (5xx)
// refusal of the DSN, which no later try changes; nil otherwise.
func refusedForGood(err error, relay string) error {
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code < 500 || se.Code > 599 {
		return nil
	}
	fix := "check what the relay wants, or point sink.bounce.relay at a server that takes the sink's bounces"
	switch {
	case se.EnhancedCode[0] == 5 && se.EnhancedCode[1] == 7: // 5.7.x: security or policy
		fix = "it does not take mail from the sink: let the sink's address in (for relaylab's relay, relay.allowed_networks), or point sink.bounce.relay at a server that does"
	case se.EnhancedCode[0] == 5 && se.EnhancedCode[1] == 1: // 5.1.x: the address (RFC 3463 3.2)
		fix = "the relay is fine: it refused the DSN's recipient, the message's own sender, whose address takes no mail; give the messages your test sends a sender address that can receive (the DSN is the sender's news), or expect no DSN for such a sender"
	}
	reply := fmt.Sprint(se.Code)
	if e := se.EnhancedCode; e[0] > 0 {
		reply += fmt.Sprintf(" %d.%d.%d", e[0], e[1], e[2])
	}
	return fmt.Errorf("the bounce relay %s refused the DSN for good with %s %s (a permanent reply), so it is not tried again; %s", relay, reply, se.Message, fix)
}

// unwanted says why NOTIFY rules out a DSN with action, or "".
func (p pendingBounce) unwanted(action string) string {
	var notify []string
	if p.notify != "" {
		notify = strings.Split(p.notify, ",")
	}
	if notifyWants(notify, action) {
		return ""
	}
	if containsFold(notify, "NEVER") {
		return "the recipient was given NOTIFY=NEVER: no DSN of any kind (RFC 3461 4.1)"
	}
	word := map[string]string{dsn.ActionFailed: "FAILURE", dsn.ActionDelayed: "DELAY", dsn.ActionDelivered: "SUCCESS"}[action]
	if len(notify) == 0 {
		return "the recipient was given no NOTIFY, and a " + action + " DSN is sent only for NOTIFY=" + word + " (RFC 3461 4.1)"
	}
	return "the recipient was given NOTIFY=" + p.notify + ", without " + word + ": no " + action + " DSN (RFC 3461 4.1)"
}

// finish records what became of bounce p: sent (err nil, skipped ""),
// not sent because NOTIFY ruled it out (skipped), or failed (err).
func (b *bouncer) finish(p pendingBounce, action, skipped string, err error) {
	s := b.s
	now := s.clock.Now()
	errText := ""
	if err != nil {
		errText = err.Error()
	}
	werr := s.store.Write(context.Background(), func(tx *store.Tx) error {
		sent := int64(0)
		if err == nil && skipped == "" {
			sent = now.UnixNano()
		}
		if _, err := tx.Exec(`UPDATE sink_bounces SET sent_ns = ?, error = ?, skipped = ?, tries = ? WHERE id = ?`, sent, errText, skipped, p.tries, p.id); err != nil {
			return err
		}
		payload := map[string]any{
			"bounce": p.id, "message": p.message, "to": p.sender, "recipient": p.recipient, "reply": p.reply, "relay": s.BounceRelay(), "error": errText,
			"action": action, "sent": err == nil && skipped == "",
		}
		if skipped != "" {
			payload["skipped"] = skipped
		}
		if p.notify != "" {
			payload["notify"] = p.notify
		}
		if p.orcpt != "" {
			payload["orcpt"] = p.orcpt
		}
		_, err := tx.Append(events.Event{Time: now, Kind: events.SinkBounce, Recipient: p.recipient}.WithPayload(payload))
		return err
	})
	if werr != nil {
		s.log.Error("sink: recording a bounce failed", "bounce", p.id, "err", werr)
	}
}

// dsnAction is the DSN action and status for the reply a DSN reports:
// delivered for a 2xx, delayed for a 4xx, failed for a 5xx (RFC 3464
// 2.3.3, 2.3.4).
func dsnAction(rep Reply) (action, status string) {
	action, status = dsn.ActionFailed, rep.Enhanced
	switch {
	case rep.Code < 300:
		action = dsn.ActionDelivered
	case rep.Code < 500:
		action = dsn.ActionDelayed
	}
	if status == "" {
		status = fmt.Sprintf("%d.0.0", rep.Code/100)
	}
	return action, status
}

func (b *bouncer) deliver(p pendingBounce, rep Reply) error {
	s := b.s
	if p.sender == "" {
		// RFC 5321 4.5.5: never bounce a message with a null reverse path.
		return fmt.Errorf("the message had a null sender (MAIL FROM:<>), so no bounce is sent")
	}
	relay := s.BounceRelay() // once: SetBounceRelay may change it meanwhile
	submit := s.bounceSubmit.Load()
	if relay == "" && submit == nil {
		return fmt.Errorf("no sink.bounce.relay is configured to send the bounce to")
	}
	m, err := MessageByID(s.hardCtx, s.store.DB(), p.message)
	if err != nil {
		return err
	}
	host := s.cfg.Bounce.ReportingMTA
	if host == "" {
		if l := s.listenerNamed(m.Listener); l != nil {
			host = l.cfg.Hostname
		} else {
			host = s.cfg.Listeners[0].Hostname
		}
	}
	action, status := dsnAction(rep)
	// RFC 3461 4.3: RET=FULL returns the whole message in a DSN that
	// reports a failure; anything else (RET=HDRS, no RET, a delay or a
	// delivery) returns the header only.
	ret := dsn.ReturnHeaders
	if m.Ret == "FULL" && action == dsn.ActionFailed {
		ret = dsn.ReturnFull
	}
	now := s.clock.Now()
	msg, err := dsn.Build(dsn.BuildOptions{
		To: p.sender, MessageID: s.dsnMessageID(p.id, host), Date: now, Original: m.Raw, Return: ret,
	}, dsn.Report{
		// RFC 3461 6.3 (RFC 3464 2.2.1, 2.3.1): ENVID and ORCPT come back
		// as Original-Envelope-Id and Original-Recipient, so the sender
		// can match the DSN to what it sent.
		ReportingMTA: host, ArrivalDate: m.Time, EnvelopeID: m.EnvID,
		// RFC 3464 2.3.5: no Remote-MTA. The status is the sink's own,
		// the final MTA's, which no remote MTA reported to it.
		Recipients: []dsn.Recipient{{OriginalRecipient: p.orcpt, FinalRecipient: p.recipient, Action: action, Status: status,
			DiagnosticCode: rep.String(), LastAttempt: now}},
	})
	if err != nil {
		return fmt.Errorf("building the DSN: %w", err)
	}
	ctx, cancel := context.WithTimeout(s.hardCtx, time.Minute)
	defer cancel()
	if submit != nil {
		if err := submit.submit(ctx, p.sender, msg); err != nil {
			return fmt.Errorf("handing the DSN to %s: %w", submit.name, err)
		}
		return nil
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", relay)
	if err != nil {
		return fmt.Errorf("connecting to the bounce relay %s: %w", relay, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	c := smtp.NewClient(nc)
	defer c.Close()
	if err := c.Hello(host); err != nil {
		return err
	}
	// RFC 3464 2 and RFC 5321 4.5.5: a DSN goes out with a null reverse path.
	if err := c.SendMail("", []string{p.sender}, bytes.NewReader(msg)); err != nil {
		return fmt.Errorf("sending the DSN to %s: %w", relay, err)
	}
	return c.Quit()
}

// dsnMessageID is the Message-ID of bounce id's DSN, sent by host. The
// bounce id alone repeats from store to store (each counts from 1), and
// receivers drop a message whose Message-ID they have seen (RFC 5322
// 3.6.4: it is unique to its message), so it carries the sink's runTag: the
// same for each try of one bounce in a run, another in another store or
// after a restart.
func (s *Sink) dsnMessageID(id int64, host string) string {
	return fmt.Sprintf("sink-bounce-%d.%s@%s", id, s.runTag, host)
}

// newRunTag is 60 random bits in lower-case base32 (12 characters).
func newRunTag() string {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))[:12]
}
