package sink

import (
	"bytes"
	"context"
	"fmt"
	"net"
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
	tries     int
}

func newBouncer(s *Sink) *bouncer { return &bouncer{s: s, timers: map[int64]clock.Timer{}} }

// schedule records one bounce per recipient of message id and arms them.
func (b *bouncer) schedule(c *conn, sess *session, id int64, raw []byte, bo *Bounce) error {
	due := b.s.clock.Now().Add(bo.After)
	var pend []pendingBounce
	err := b.s.store.Write(b.s.hardCtx, func(tx *store.Tx) error {
		pend = pend[:0]
		for _, r := range sess.rcpts {
			res, err := tx.Exec(`INSERT INTO sink_bounces (message, due_ns, sender, recipient, reply) VALUES (?, ?, ?, ?, ?)`,
				id, due.UnixNano(), sess.from, r.addr, bo.Reply.String())
			if err != nil {
				return err
			}
			bid, _ := res.LastInsertId()
			pend = append(pend, pendingBounce{id: bid, message: id, due: due, sender: sess.from, recipient: r.addr, reply: bo.Reply.String()})
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.notef('*', fmt.Sprintf("accepted; a bounce follows in %s", bo.After))
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
	rows, err := b.s.store.DB().QueryContext(ctx, `SELECT id, message, due_ns, sender, recipient, reply FROM sink_bounces WHERE sent_ns = 0 AND error = ''`)
	if err != nil {
		b.s.log.Error("sink: reading pending bounces failed", "err", err)
		return
	}
	var pend []pendingBounce
	for rows.Next() {
		var p pendingBounce
		var due int64
		if rows.Scan(&p.id, &p.message, &due, &p.sender, &p.recipient, &p.reply) == nil {
			p.due = time.Unix(0, due)
			pend = append(pend, p)
		}
	}
	rows.Close()
	for _, p := range pend {
		b.arm(p)
	}
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
// minute later, up to maxBounceTries.
func (b *bouncer) send(p pendingBounce) {
	s := b.s
	err := b.deliver(p)
	now := s.clock.Now()
	if err != nil {
		p.tries++
		s.log.Warn("sink: sending a bounce failed", "bounce", p.id, "to", p.sender, "try", p.tries, "err", err)
		if p.tries < maxBounceTries && p.sender != "" {
			p.due = now.Add(time.Minute)
			b.arm(p)
			return
		}
	}
	errText := ""
	if err != nil {
		errText = err.Error()
	}
	werr := s.store.Write(context.Background(), func(tx *store.Tx) error {
		sent := int64(0)
		if err == nil {
			sent = now.UnixNano()
		}
		if _, err := tx.Exec(`UPDATE sink_bounces SET sent_ns = ?, error = ? WHERE id = ?`, sent, errText, p.id); err != nil {
			return err
		}
		_, err := tx.Append(events.Event{Time: now, Kind: events.SinkBounce, Recipient: p.recipient}.WithPayload(map[string]any{
			"bounce": p.id, "message": p.message, "to": p.sender, "recipient": p.recipient, "reply": p.reply, "relay": s.cfg.Bounce.Relay, "error": errText,
		}))
		return err
	})
	if werr != nil {
		s.log.Error("sink: recording a bounce failed", "bounce", p.id, "err", werr)
	}
}

func (b *bouncer) deliver(p pendingBounce) error {
	s := b.s
	if p.sender == "" {
		// RFC 5321 4.5.5: never bounce a message with a null reverse path.
		return fmt.Errorf("the message had a null sender (MAIL FROM:<>), so no bounce is sent")
	}
	if s.cfg.Bounce.Relay == "" {
		return fmt.Errorf("no sink.bounce.relay is configured to send the bounce to")
	}
	m, err := MessageByID(s.hardCtx, s.store.DB(), p.message)
	if err != nil {
		return err
	}
	rep, err := ParseReply(p.reply)
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
	action, status := dsn.ActionFailed, rep.Enhanced
	if rep.Code < 500 {
		action = dsn.ActionDelayed
	}
	if status == "" {
		status = fmt.Sprintf("%d.0.0", rep.Code/100)
	}
	now := s.clock.Now()
	msg, err := dsn.Build(dsn.BuildOptions{
		To: p.sender, MessageID: fmt.Sprintf("sink-bounce-%d@%s", p.id, host), Date: now, Original: m.Raw,
	}, dsn.Report{
		ReportingMTA: host, ArrivalDate: m.Time,
		Recipients: []dsn.Recipient{{FinalRecipient: p.recipient, Action: action, Status: status, RemoteMTA: host, DiagnosticCode: rep.String(), LastAttempt: now}},
	})
	if err != nil {
		return fmt.Errorf("building the DSN: %w", err)
	}
	ctx, cancel := context.WithTimeout(s.hardCtx, time.Minute)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", s.cfg.Bounce.Relay)
	if err != nil {
		return fmt.Errorf("connecting to the bounce relay %s: %w", s.cfg.Bounce.Relay, err)
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
		return fmt.Errorf("sending the DSN to %s: %w", s.cfg.Bounce.Relay, err)
	}
	return c.Quit()
}
