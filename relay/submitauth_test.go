package relay

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/testutil"
)

// authOnClock runs a failing AUTH and moves the virtual clock from timer
// to timer until it is answered; it returns the reply and how far the
// clock moved.
func authOnClock(t *testing.T, h *harness, c *smtp.Client, user, pass string) (error, time.Duration) {
	t.Helper()
	start := h.v.Now()
	done := make(chan error, 1)
	go func() { done <- c.Auth(sasl.NewPlainClient("", user, pass)) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-done:
			return err, h.v.Now().Sub(start)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("AUTH never answered")
		}
		if !h.v.AdvanceToNext() {
			time.Sleep(time.Millisecond)
		}
	}
}

// TestAuthFailuresLimited: each failed AUTH from an address waits longer
// (on the relay's clock) before its 535, the third on a connection is
// answered 421 4.7.0 and the connection closes, and each failure is
// logged with the client's address and the user, never the password.
// Before, 1000 wrong passwords on one connection got 1000 immediate 535s
// and no log line.
func TestAuthFailuresLimited(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	var logs testutil.SyncBuffer
	h := newHarness(t, submitConfig(mta.addr), Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	addr := h.r.Addr().String()
	c := dialSubmission(t, addr, true)
	for i, want := range []struct {
		code    int
		atLeast time.Duration
	}{{535, 0}, {535, authDelayStep}, {421, 2 * authDelayStep}} {
		err, waited := authOnClock(t, h, c, "alice", "wrong-pw-"+string(rune('a'+i)))
		if smtpCode(err) != want.code {
			t.Fatalf("failure %d: %v; want %d", i+1, err, want.code)
		}
		if waited < want.atLeast {
			t.Errorf("failure %d answered after %v of the clock; want at least %v", i+1, waited, want.atLeast)
		}
		if want.code == 421 && !strings.Contains(err.Error(), "Too many failed authentications: 3") {
			t.Errorf("421 says %q; want it to say why", err)
		}
	}
	if err := c.Noop(); err == nil {
		t.Error("the connection is still open after the 421")
	}
	// Another connection from the address starts where the last left off.
	c2 := dialSubmission(t, addr, true)
	if err, waited := authOnClock(t, h, c2, "mallory", "x"); smtpCode(err) != 535 || waited < 3*authDelayStep {
		t.Errorf("next connection's first failure: %v after %v; want 535 after at least %v", err, waited, 3*authDelayStep)
	}
	out := logs.String()
	if strings.Count(out, "failed AUTH") != 4 || !strings.Contains(out, "user=alice") || !strings.Contains(out, "user=mallory") ||
		!strings.Contains(out, "client=127.0.0.1:") {
		t.Errorf("log does not name each failure's client and user:\n%s", out)
	}
	if strings.Contains(out, "wrong-pw") {
		t.Errorf("log holds a password:\n%s", out)
	}
}

// TestAuthNotOfferedSaysWhy: AUTH on a relay without relay.users is
// answered 502 5.5.1 with why and what to do; it got go-smtp's "502 5.7.0
// Authentication not supported" (walk N: an application set up for AUTH,
// as many are for Mailpit's accept-any AUTH, could not tell what to change).
func TestAuthNotOfferedSaysWhy(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.Users = nil
	h := newHarness(t, cfg, Options{})
	c := dialSubmission(t, h.r.Addr().String(), true)
	err := c.Auth(sasl.NewPlainClient("", "alice", "pw"))
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 502 || se.EnhancedCode != (smtp.EnhancedCode{5, 5, 1}) || !strings.Contains(err.Error(), "relay.users is empty") ||
		!strings.Contains(err.Error(), "without AUTH") {
		t.Errorf("AUTH: %v, want 502 5.5.1 saying relay.users is empty and who sends without AUTH", err)
	}
}
