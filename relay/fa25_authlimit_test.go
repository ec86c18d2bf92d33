package relay

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/testutil"
)

// authNow runs an AUTH PLAIN that is answered without the relay's clock
// moving, and returns its reply.
func authNow(t *testing.T, c *smtp.Client, user, pass string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Auth(sasl.NewPlainClient("", user, pass)) }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second): // only so that a broken relay fails the test rather than hangs it
		t.Fatal("AUTH not answered while the clock stands still")
		return nil
	}
}

// waitAuthRefusals waits until the relay has refused n AUTHs: each was
// counted before any delay of its reply.
func waitAuthRefusals(t *testing.T, h *harness, n uint64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, got := h.r.SubmissionRefusals(); got >= n {
			return
		}
		if time.Now().After(deadline) {
			_, got := h.r.SubmissionRefusals()
			t.Fatalf("the relay refused %d AUTHs, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// wakeAuthDelays frees, when the test ends, the sessions still waiting on
// the clock for a failed AUTH's reply, before the harness stops the relay
// (cleanups run last first).
func wakeAuthDelays(h *harness) {
	h.t.Cleanup(func() { h.v.Advance(time.Hour) })
}

// TestFA25AuthLimitedBeforeCompare: wrong AUTHs from one address on 30
// connections at once get authTries.Burst password compares; the rest,
// and then the right password, get 454 4.7.0 without one, saying when
// to try again, and the right password is taken once a try has come
// back. Before, every AUTH was compared and only a failure waited: a
// client that took a slow reply for a failure guessed as fast as it
// connected, and the right password got its 235 at once.
func TestFA25AuthLimitedBeforeCompare(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	var logs testutil.SyncBuffer
	h := newHarness(t, submitConfig(mta.addr), Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	wakeAuthDelays(h)
	addr := h.r.Addr().String()
	const n = 30
	replies := make(chan error, n)
	for i := range n {
		c := dialSubmission(t, addr, true)
		go func() { replies <- c.Auth(sasl.NewPlainClient("", "alice", fmt.Sprintf("guess-%d", i))) }()
	}
	waitAuthRefusals(t, h, n)
	err := authNow(t, dialSubmission(t, addr, true), "alice", "s3cret")
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 454 || se.EnhancedCode != (smtp.EnhancedCode{4, 7, 0}) ||
		!strings.Contains(se.Message, "try again in 30 s") || !strings.Contains(se.Message, "not checked") {
		t.Fatalf("right password after %d wrong ones at once: %v; want 454 4.7.0 saying it was not checked and when to try again", n, err)
	}
	h.v.Advance(authTries.Every)
	if err := authNow(t, dialSubmission(t, addr, true), "alice", "s3cret"); err != nil {
		t.Fatalf("right password %v later: %v; want 235", authTries.Every, err)
	}
	count := map[int]int{}
	for range n {
		count[smtpCode(<-replies)]++
	}
	if count[535] != authTries.Burst || count[454] != n-authTries.Burst {
		t.Errorf("%d wrong AUTHs at once: replies %v; want %d 535s and %d 454s", n, count, authTries.Burst, n-authTries.Burst)
	}
	out := logs.String()
	if c := strings.Count(out, "answered 454"); c != 1 || !strings.Contains(out, "client=127.0.0.1") {
		t.Errorf("log says %d times that the address ran out, want once with its address:\n%s", c, out)
	}
	if strings.Contains(out, "guess-") || strings.Contains(out, "s3cret") {
		t.Errorf("log holds a password:\n%s", out)
	}
}

// TestFA25AuthRightPasswordGivesTryBack: a right password spends no try,
// so that a client that signs in often is never held up by its own
// successes; a wrong one spends the last.
func TestFA25AuthRightPasswordGivesTryBack(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h := newHarness(t, submitConfig(mta.addr), Options{})
	wakeAuthDelays(h)
	addr := h.r.Addr().String()
	wrong := func(i int) {
		c := dialSubmission(t, addr, true)
		go c.Auth(sasl.NewPlainClient("", "alice", fmt.Sprintf("guess-%d", i)))
	}
	for i := range authTries.Burst - 1 {
		wrong(i)
	}
	waitAuthRefusals(t, h, uint64(authTries.Burst-1))
	for i := range 3 {
		if err := authNow(t, dialSubmission(t, addr, true), "alice", "s3cret"); err != nil {
			t.Fatalf("right password %d with one try left: %v; want 235", i+1, err)
		}
	}
	wrong(authTries.Burst)
	waitAuthRefusals(t, h, uint64(authTries.Burst))
	if err := authNow(t, dialSubmission(t, addr, true), "alice", "s3cret"); smtpCode(err) != 454 {
		t.Fatalf("right password with no try left: %v; want 454", err)
	}
}

// TestFA25AuthDelayEndsAtShutdown: a session whose failed AUTH waits for
// its reply gets it as the shutdown begins, then the stopping relay's
// 421, and the shutdown does not wait for the delay. Before, the delay
// slept on regardless and held the stop past --shutdown-grace (10 s
// grace, 26 s to stop, sessions cut).
func TestFA25AuthDelayEndsAtShutdown(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h := newHarness(t, submitConfig(mta.addr), Options{})
	c := dialSub(t, h.r.Addr().String(), false)
	c.want("EHLO client.test", "250")
	c.startTLS()
	plain := "AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00alice\x00wrong"))
	c.want(plain, "535") // the address's first failure: no delay
	// The second waits authDelayStep on the clock, which stands still.
	if _, err := io.WriteString(c.nc, plain+"\r\n"); err != nil {
		t.Fatal(err)
	}
	waitAuthRefusals(t, h, 2)
	done := make(chan error, 1)
	go func() { done <- h.r.Shutdown(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(20 * time.Second): // only so that a broken relay fails the test rather than hangs it
		h.v.Advance(time.Hour)
		t.Fatal("Shutdown waits for the delay of a failed AUTH")
	}
	if l, err := c.line(); !strings.HasPrefix(l, "535 5.7.8 ") {
		t.Errorf("the delayed AUTH: got %q (%v), want its 535", l, err)
	}
	c.shut421("after the delayed AUTH")
	if n := h.r.SessionsCut(); n != 0 {
		t.Errorf("Shutdown cut %d sessions, want none", n)
	}
}
