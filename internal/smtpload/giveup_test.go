package smtpload

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// stepClock moves a second on at every reading, so that a run of failed
// dials spans seconds whatever the machine's speed; its timers fire at
// once (the workers' backoff between dials), and it records their waits. It starts
// at the real time, as the clients' deadlines are set from it.
type stepClock struct {
	clock.Real
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *stepClock) NewTimer(d time.Duration) clock.Timer {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	return c.Real.NewTimer(0)
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

// deadPort is a loopback address where nothing listens any more.
func deadPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestRunGivesUpOnADeadTarget: when no dial has connected for GiveUp, the
// run ends and says why, instead of trying each of the remaining messages
// against a port where nothing listens (a kill -9 of the sink mid-run made
// nearly 20,000 refused attempts).
func TestRunGivesUpOnADeadTarget(t *testing.T) {
	t.Parallel()
	target := deadPort(t)
	cfg := Config{Target: target, Sessions: 2, Messages: 5000, Size: 100, Rcpts: 1, Reuse: 1, To: "u{n}@sink.test",
		Clock: &stepClock{now: time.Now()}, GiveUp: 5 * time.Second}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempted > 50 {
		t.Errorf("%d messages tried against a dead target; want the run to end within a few failed dials", res.Attempted)
	}
	for _, want := range []string{"every connection to " + target + " failed for", "refused", "the rest of the messages were not tried"} {
		if !strings.Contains(res.GaveUp, want) {
			t.Errorf("GaveUp = %q; want it to say %q", res.GaveUp, want)
		}
	}
}

// TestRunGivesUpOnATargetThatNeverListened: when the first dials of a
// run all fail, it ends at once, whatever the time they took.
func TestRunGivesUpOnATargetThatNeverListened(t *testing.T) {
	t.Parallel()
	target := deadPort(t)
	cfg := Config{Target: target, Sessions: 4, Messages: 5000, Size: 100, Rcpts: 1, Reuse: 1, To: "u{n}@sink.test", GiveUp: time.Hour}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempted > 50 {
		t.Errorf("%d messages tried against a target that never listened", res.Attempted)
	}
	if !strings.Contains(res.GaveUp, "none of the first") || !strings.Contains(res.GaveUp, "is the target running") {
		t.Errorf("GaveUp = %q", res.GaveUp)
	}
}

// TestRunGivesUpWhenTheTargetDies: a target that took messages and then
// went away ends the run after GiveUp without a connection.
func TestRunGivesUpWhenTheTargetDies(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := l.Addr().String()
	// A server that greets one client with 421 and then dies: the dial
	// opened, later ones are refused.
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Write([]byte("421 4.3.2 going away\r\n"))
			c.Close()
		}
		l.Close()
	}()
	cfg := Config{Target: target, Sessions: 1, Messages: 5000, Size: 100, Rcpts: 1, Reuse: 1, To: "u{n}@sink.test",
		Clock: &stepClock{now: time.Now()}, GiveUp: 30 * time.Second}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempted > 100 || !strings.Contains(res.GaveUp, "does not answer there any more") {
		t.Errorf("tried %d, gave up %q", res.Attempted, res.GaveUp)
	}
	if res.Replies["greeting 421 4.3.2"] != 1 {
		t.Errorf("replies %v; want the one 421 greeting counted", res.Replies)
	}
}

// TestOneFailedDialAmongLiveSessionsIsNoDeadTarget: a dial that fails
// while other sessions deliver on their connections (--reuse 0), long
// after the last dial that opened, does not end the run; dials that fail
// for GiveUp with no session holding a connection do. Before, one failed
// dial ended the run when the last dial that opened was older than GiveUp.
func TestOneFailedDialAmongLiveSessionsIsNoDeadTarget(t *testing.T) {
	t.Parallel()
	stopped := false
	d := &deadTarget{giveUp: 5 * time.Second, neverOpened: 10, stop: func() { stopped = true }}
	t0 := time.Now()
	for range 8 {
		d.opened() // eight sessions connect and keep sending
	}
	refused := errors.New("connect: connection refused")
	d.closed() // one session's connection is closed by the server
	d.failed(t0.Add(60*time.Second), "127.0.0.1:43601", refused)
	d.failed(t0.Add(70*time.Second), "127.0.0.1:43601", refused)
	if stopped {
		why, _, _ := d.reason()
		t.Fatalf("gave up while seven sessions held connections: %q", why)
	}
	for range 7 {
		d.closed() // the target dies: the others' connections break
	}
	d.failed(t0.Add(71*time.Second), "127.0.0.1:43601", refused)
	if why, _, _ := d.reason(); !stopped || !strings.Contains(why, "failed for 11s, and no session held one") {
		t.Errorf("stopped %v, reason %q; want a stop after 11 s of failures with no connection held", stopped, why)
	}
}

// TestRunNeverGivesUp: a negative GiveUp tries every message.
func TestRunNeverGivesUp(t *testing.T) {
	t.Parallel()
	cfg := Config{Target: deadPort(t), Sessions: 2, Messages: 200, Size: 100, Rcpts: 1, Reuse: 1, To: "u{n}@sink.test",
		Clock: &stepClock{now: time.Now()}, GiveUp: -1}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempted != 200 || res.GaveUp != "" {
		t.Errorf("tried %d of 200, gave up %q; want all tried", res.Attempted, res.GaveUp)
	}
}

// TestRunGivesUpOnTLSItCannotOpen: a target that runs but whose TLS the
// run cannot open is not called missing: the advice names the TLS flag.
func TestRunGivesUpOnTLSItCannotOpen(t *testing.T) {
	t.Parallel()
	target := smtptest.Listen(t, func(c net.Conn) { c.Write([]byte("220 plain.test ESMTP\r\n")) })
	cfg := Config{Target: target, Sessions: 2, Messages: 50, Size: 100, Rcpts: 1, Reuse: 1, To: "u{n}@sink.test",
		ImplicitTLS: true, TLS: &tls.Config{InsecureSkipVerify: true}, Timeout: 10 * time.Second, GiveUp: time.Hour}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"none of the first", "answered --tls in plaintext", "drop --tls"} {
		if !strings.Contains(res.GaveUp, want) {
			t.Errorf("GaveUp = %q; want it to say %q", res.GaveUp, want)
		}
	}
	if strings.Contains(res.GaveUp, "is the target running") {
		t.Errorf("GaveUp = %q; the target runs", res.GaveUp)
	}
}

func TestOpenAdvice(t *testing.T) {
	t.Parallel()
	cert := fmt.Errorf("dial: %w", &tls.CertificateVerificationError{Err: errors.New("x509: certificate signed by unknown authority")})
	if got := openAdvice(cert); !strings.Contains(got, "add --insecure") {
		t.Errorf("openAdvice(certificate) = %q; want --insecure", got)
	}
	if got := openAdvice(fmt.Errorf("dial: %w", syscall.ECONNREFUSED)); !strings.Contains(got, "is the target running") {
		t.Errorf("openAdvice(refused) = %q", got)
	}
}
