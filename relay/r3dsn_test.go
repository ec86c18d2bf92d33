package relay

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
)

// r3DSNs returns the DSNs the relay wrote about message id, by their own
// message id, with the action of each (from the relay.dsn events).
func r3DSNs(t *testing.T, h *harness, id string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}}) {
		p := payload(t, e)
		m, a := p["dsn_message"].(string), p["action"].(string)
		if prev, ok := out[m]; ok && prev != a {
			t.Errorf("DSN %s is both %s and %s", m, prev, a)
		}
		out[m] = a
	}
	return out
}

// r3Parse parses the DSN with queue id dsnID.
func r3Parse(t *testing.T, h *harness, dsnID string) *dsn.Parsed {
	t.Helper()
	m, err := h.r.Message(context.Background(), dsnID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := dsn.Parse(m.Data)
	if err != nil {
		t.Fatalf("parsing the DSN: %v\n%s", err, m.Data)
	}
	return p
}

// TestR3OneDSNPerMessage: a message whose recipients fail at once at
// different domains (a null MX, an NXDOMAIN, a domain with no mail host,
// a 550 from a server) and on the suppression list gets one failure DSN
// listing each of them, in the order they were given, each with its own
// Status and Diagnostic-Code, as Postfix sends one bounce per message;
// it was one DSN per domain (job). A recipient with NOTIFY=NEVER is left
// out, the one delivered is not in it, and the message's ENVID is.
func TestR3OneDSNPerMessage(t *testing.T) {
	t.Parallel()
	mx1 := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			if strings.HasPrefix(to, "gone@") {
				return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
			}
			return nil
		}
	})
	home := startMTA(t, nil)
	h, d := mxHarness(t, map[string]*fakeMTA{"192.0.2.1": mx1}, homeRoute(home.addr))
	d.mu.Lock()
	d.to[home.addr] = home.addr
	d.mu.Unlock()
	ctx := context.Background()
	if err := h.r.Suppress(ctx, "sup@shared-b.mx.test", "complained"); err != nil {
		t.Fatal(err)
	}
	sub := Submission{From: "a@s.test", EnvID: "env-r3", Data: []byte("From: a@s.test\r\nSubject: r3\r\n\r\nHello.\r\n")}
	rcpts := []string{"u@nullmx.mx.test", "ok@shared-a.mx.test", "u@nosuch.mx.test", "sup@shared-b.mx.test", "never@nosuch.mx.test", "u@noaddr.mx.test", "gone@multi.mx.test"}
	for _, a := range rcpts {
		rc := Recipient{Address: a}
		if strings.HasPrefix(a, "never@") {
			rc.Notify = []string{"NEVER"}
		}
		sub.Recipients = append(sub.Recipients, rc)
	}
	id, err := h.r.Enqueue(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	h.runUntil("every outcome", h.done(id, len(rcpts)))
	h.settle()
	dsns := r3DSNs(t, h, id)
	if len(dsns) != 1 {
		t.Fatalf("%d DSNs %v, want one for the message", len(dsns), dsns)
	}
	for dsnID, action := range dsns {
		if action != dsn.ActionFailed {
			t.Fatalf("DSN %s is %s, want failed", dsnID, action)
		}
		p := r3Parse(t, h, dsnID)
		if p.EnvelopeID() != "env-r3" {
			t.Errorf("Original-Envelope-Id %q, want env-r3", p.EnvelopeID())
		}
		want := []struct{ rcpt, status, diag string }{
			{"u@nullmx.mx.test", "5.1.10", "X-Relaylab;"},
			{"u@nosuch.mx.test", "5.1.2", "X-Relaylab;"},
			{"sup@shared-b.mx.test", "5.7.1", "X-Relaylab; not sent: the address is on the relay's suppression list"},
			{"u@noaddr.mx.test", "5.4.4", "X-Relaylab;"},
			{"gone@multi.mx.test", "5.1.1", "550 5.1.1 no such user"},
		}
		got := p.Report.Recipients
		if len(got) != len(want) {
			var names []string
			for _, rc := range got {
				names = append(names, rc.FinalRecipient)
			}
			t.Fatalf("the DSN lists %v, want %d recipients", names, len(want))
		}
		for i, w := range want {
			rc := got[i]
			if !strings.HasSuffix(rc.FinalRecipient, w.rcpt) || rc.Action != dsn.ActionFailed || rc.Status != w.status || !strings.HasPrefix(rc.DiagnosticCode, w.diag) {
				t.Errorf("recipient %d: %s %s %s %q, want %s failed %s %q...", i, rc.FinalRecipient, rc.Action, rc.Status, rc.DiagnosticCode, w.rcpt, w.status, w.diag)
			}
		}
	}
	// Each recipient reported has its relay.dsn event, naming that DSN.
	n := 0
	for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}}) {
		n++
		if e.Recipient == "never@nosuch.mx.test" || e.Recipient == "ok@shared-a.mx.test" {
			t.Errorf("relay.dsn for %s", e.Recipient)
		}
	}
	if n != 5 {
		t.Errorf("%d relay.dsn events, want 5", n)
	}
	st := map[string]string{}
	m, err := h.r.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range m.Recipients {
		st[rc.Address] = rc.State
	}
	if st["ok@shared-a.mx.test"] != StateDelivered || st["sup@shared-b.mx.test"] != StateSuppressed || st["never@nosuch.mx.test"] != StateBounced || st["gone@multi.mx.test"] != StateBounced {
		t.Errorf("states %v", st)
	}
}

// TestR3OneDelayWarningPerMessage: the delay warnings of one message's
// recipients deferred at one time at different domains go in one
// "delayed" DSN, apart from its failure DSN (Postfix sends them apart).
func TestR3OneDelayWarningPerMessage(t *testing.T) {
	t.Parallel()
	home := startMTA(t, nil)
	h, d := mxHarness(t, nil, homeRoute(home.addr), func(c *Config) { c.DSN.DelayWarning = dur(time.Minute) })
	d.mu.Lock()
	d.to[home.addr] = home.addr
	d.mu.Unlock()
	id := h.enqueue("a@s.test", "a@broken.mx.test", "b@refused.mx.test", "c@nosuch.mx.test")
	h.runUntil("a delay warning", func() bool {
		for _, a := range r3DSNs(t, h, id) {
			if a == dsn.ActionDelayed {
				return true
			}
		}
		return false
	})
	h.settle()
	dsns := r3DSNs(t, h, id)
	var failed, delayed []string
	for m, a := range dsns {
		if a == dsn.ActionFailed {
			failed = append(failed, m)
		} else {
			delayed = append(delayed, m)
		}
	}
	if len(failed) != 1 || len(delayed) != 1 {
		t.Fatalf("DSNs %v, want one failed and one delayed", dsns)
	}
	if rs := r3Parse(t, h, failed[0]).Report.Recipients; len(rs) != 1 || !strings.HasSuffix(rs[0].FinalRecipient, "c@nosuch.mx.test") {
		t.Errorf("the failure DSN lists %+v, want c@nosuch.mx.test alone", rs)
	}
	rs := r3Parse(t, h, delayed[0]).Report.Recipients
	if len(rs) != 2 || !strings.HasSuffix(rs[0].FinalRecipient, "a@broken.mx.test") || !strings.HasSuffix(rs[1].FinalRecipient, "b@refused.mx.test") {
		t.Fatalf("the delay warning lists %+v, want a@broken and b@refused", rs)
	}
	for _, rc := range rs {
		if rc.Action != dsn.ActionDelayed || rc.Status != "4.4.3" || rc.WillRetryUntil.IsZero() {
			t.Errorf("%s: %s %s until %v, want delayed 4.4.3 with Will-Retry-Until", rc.FinalRecipient, rc.Action, rc.Status, rc.WillRetryUntil)
		}
	}
}

// TestR3FailureWaitsForItsRound: a recipient that fails while another
// recipient of its message is still being tried stays in flight, with no
// DSN, until that attempt ends; then one DSN reports both. Kept in
// flight, it is tried again after a crash rather than losing its DSN.
func TestR3FailureWaitsForItsRound(t *testing.T) {
	t.Parallel()
	reached, release := make(chan struct{}), make(chan struct{})
	mx1 := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			close(reached)
			<-release
			return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
		}
	})
	home := startMTA(t, nil)
	h, d := mxHarness(t, map[string]*fakeMTA{"192.0.2.1": mx1}, homeRoute(home.addr))
	d.mu.Lock()
	d.to[home.addr] = home.addr
	d.mu.Unlock()
	id := h.enqueue("a@s.test", "gone@shared-a.mx.test", "u@nosuch.mx.test")
	<-reached
	// The NXDOMAIN's job ends at once, handing its failure over.
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.r.batch.rmu.Lock()
		left := -1
		for _, rd := range h.r.batch.rounds {
			left = rd.left
		}
		h.r.batch.rmu.Unlock()
		if left == 1 {
			break
		}
		if time.Now().After(deadline) {
			close(release)
			t.Fatalf("the round has %d jobs left, want 1", left)
		}
		time.Sleep(time.Millisecond)
	}
	m, err := h.r.Message(context.Background(), id)
	if err != nil {
		close(release)
		t.Fatal(err)
	}
	for _, rc := range m.Recipients {
		if rc.State != StateInflight {
			t.Errorf("%s is %s while the other recipient's attempt runs, want inflight", rc.Address, rc.State)
		}
	}
	if n := len(r3DSNs(t, h, id)); n != 0 {
		t.Errorf("%d DSNs before the round ended", n)
	}
	close(release)
	h.runUntil("both bounced", h.done(id, 2))
	h.settle()
	dsns := r3DSNs(t, h, id)
	if len(dsns) != 1 {
		t.Fatalf("DSNs %v, want one", dsns)
	}
	for m := range dsns {
		if rs := r3Parse(t, h, m).Report.Recipients; len(rs) != 2 {
			t.Errorf("the DSN lists %d recipients, want 2", len(rs))
		}
	}
}

// TestR3HandedOverFailureShowsItsAttempt: a failure handed to its round
// keeps its final state and DSN for the round's end, but its attempt (the
// server's 550) is written at once, so that the feed, the timeline and the
// events show it while the message's slower job still runs; it was
// invisible until then (walk V1).
func TestR3HandedOverFailureShowsItsAttempt(t *testing.T) {
	t.Parallel()
	reached, release := make(chan struct{}), make(chan struct{})
	slow := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			close(reached)
			<-release
			return nil
		}
	})
	refusing := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error { return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user") }
	})
	h, _ := mxHarness(t, map[string]*fakeMTA{"192.0.2.1": slow, "192.0.2.4": refusing})
	id := h.enqueue("a@s.test", "slow@shared-a.mx.test", "gone@implicit.mx.test")
	<-reached
	deadline := time.Now().Add(30 * time.Second) // bounds a hang, measures nothing
	for {
		evs := h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})
		if len(evs) == 1 && evs[0].Recipient == "gone@implicit.mx.test" {
			if p := payload(t, evs[0]); !strings.Contains(fmt.Sprint(p["reply"]), "no such user") {
				t.Errorf("attempt %v, want the 550", p)
			}
			break
		}
		if time.Now().After(deadline) {
			close(release)
			t.Fatalf("attempts while the round runs: %v; want the 550 to gone@implicit.mx.test", evs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	m, err := h.r.Message(context.Background(), id)
	if err != nil {
		close(release)
		t.Fatal(err)
	}
	for _, rc := range m.Recipients {
		if rc.State != StateInflight {
			t.Errorf("%s is %s before the round ends, want inflight", rc.Address, rc.State)
		}
		if rc.Address == "gone@implicit.mx.test" && (rc.Attempts != 1 || rc.Reply.Code != 550) {
			t.Errorf("%s in the queue: %d attempts, reply %+v; want its attempt and the 550 shown at once", rc.Address, rc.Attempts, rc.Reply)
		}
	}
	close(release)
	h.runUntil("the round's end", h.done(id, 2))
	h.settle()
	if n := len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})); n != 2 {
		t.Errorf("%d attempt events, want 2 (the 550's once)", n)
	}
	if dsns := r3DSNs(t, h, id); len(dsns) != 1 {
		t.Errorf("DSNs %v, want one", dsns)
	}
}
