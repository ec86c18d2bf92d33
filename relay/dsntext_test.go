package relay

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
)

// dsnOf returns the parsed DSN the relay wrote about message id, the first
// with action (failed or delayed).
func dsnOf(t *testing.T, h *harness, id, action string) *dsn.Parsed {
	t.Helper()
	var dsnID string
	h.runUntil("a "+action+" DSN", func() bool {
		for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}}) {
			if p := payload(t, e); p["action"] == action {
				dsnID = p["dsn_message"].(string)
				return true
			}
		}
		return false
	})
	m, err := h.r.Message(context.Background(), dsnID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := dsn.Parse(m.Data)
	if err != nil || len(p.Report.Recipients) != 1 {
		t.Fatalf("parsing the DSN: %v, %+v\n%s", err, p, m.Data)
	}
	return p
}

func checkText(t *testing.T, what, text string, want, notWant []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s: the DSN's text lacks %q:\n%s", what, w, text)
		}
	}
	for _, w := range notWant {
		if strings.Contains(text, w) {
			t.Errorf("%s: the DSN's text holds %q:\n%s", what, w, text)
		}
	}
}

// TestSuppressedDSNText: the DSN about a recipient the relay's own
// suppression list stopped says that nothing was sent and why, and what to
// do, not that a receiving system refused the message; and it has no
// Last-Attempt-Date, since no attempt was made (RFC 3464 2.3.7).
func TestSuppressedDSNText(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h := newHarness(t, testConfig(mta.addr), Options{})
	if err := h.r.Suppress(context.Background(), "gone@r.test", "complained"); err != nil {
		t.Fatal(err)
	}
	id := h.enqueue("a@s.test", "gone@r.test")
	p := dsnOf(t, h, id, dsn.ActionFailed)
	checkText(t, "suppressed", p.Explanation,
		[]string{"reason: not sent: the address is on the relay's suppression list", "nothing was sent", "suppression list", "what to do: ", "relaylab suppress remove"},
		[]string{"refused the message", "receiving system", "receiving server refused"})
	if rc := p.Report.Recipients[0]; !rc.LastAttempt.IsZero() {
		t.Errorf("Last-Attempt-Date %v for a recipient no attempt was made for, want none", rc.LastAttempt)
	}
}

// TestDelayAndFailureDSNText: a delay warning after a server's 451 says
// the server turned the message away for now and that it is retried, not
// that it was refused by policy for good; the failure after a 550 says the
// server refused it, with what to do; both carry the date of their
// attempt. A recipient whose domain does not exist is told nothing was
// sent, with no Last-Attempt-Date.
func TestDelayAndFailureDSNText(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			switch {
			case strings.HasPrefix(to, "slow@"):
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Deferred on request: try again later"}
			case strings.HasPrefix(to, "gone@"):
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
			}
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.DSN.DelayWarning = dur(2 * time.Minute)
	h := newHarness(t, cfg, Options{})

	slow := h.enqueue("a@s.test", "slow@r.test")
	p := dsnOf(t, h, slow, dsn.ActionDelayed)
	checkText(t, "delayed", p.Explanation,
		[]string{"said: 451 4.7.1 Deferred on request", "turned the message away for now", "tries again", "retrying until: ", "what to do: nothing"},
		[]string{"refused the message by policy", "permanent"})
	if p.Report.Recipients[0].LastAttempt.IsZero() {
		t.Error("delay warning without Last-Attempt-Date, after an attempt")
	}

	gone := h.enqueue("a@s.test", "gone@r.test")
	p = dsnOf(t, h, gone, dsn.ActionFailed)
	checkText(t, "failed", p.Explanation,
		[]string{"said: 550 5.1.1 No such user here", "the receiving server refused the message: the address does not exist", "what to do: check the address"}, nil)
	if p.Report.Recipients[0].LastAttempt.IsZero() {
		t.Error("failure DSN without Last-Attempt-Date, after an attempt")
	}
}

// TestNoSuchDomainDSNText: the DSN about a recipient whose domain does not
// exist, or has no mail server, says that nothing was sent and to check
// the domain, and has no Last-Attempt-Date: no server was tried.
func TestNoSuchDomainDSNText(t *testing.T) {
	t.Parallel()
	home := startMTA(t, nil)
	h, d := mxHarness(t, nil, homeRoute(home.addr))
	d.mu.Lock()
	d.to[home.addr] = home.addr
	d.mu.Unlock()
	for _, rcpt := range []string{"u@nosuch.mx.test", "u@noaddr.mx.test"} {
		id := h.enqueue("a@s.test", rcpt)
		p := dsnOf(t, h, id, dsn.ActionFailed)
		checkText(t, rcpt, p.Explanation,
			[]string{"reason: ", "nothing was sent", "what to do: check the part of the address after the @"},
			[]string{"refused", "could not be reached or did not answer"})
		if rc := p.Report.Recipients[0]; !rc.LastAttempt.IsZero() {
			t.Errorf("%s: Last-Attempt-Date %v, want none: no server was tried", rcpt, rc.LastAttempt)
		}
	}
}
