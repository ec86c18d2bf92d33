package relay

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// flakyListener is a listener whose accepts fail while fail is set, as
// accept(2) does out of file descriptors: the connection that woke the
// failing accept stays pending (as it would in the kernel's backlog)
// and is handed over once accepts work again. Each Accept call sends the
// failures and successes so far on calls, so that a test knows the call
// before it has returned and been noted.
type flakyListener struct {
	net.Listener
	errFor func() error // the error of a failing accept

	mu        sync.Mutex
	fail      bool
	pending   net.Conn
	failures  int
	successes int
	calls     chan [2]int
}

func newFlaky(l net.Listener, errFor func() error) *flakyListener {
	return &flakyListener{Listener: l, errFor: errFor, calls: make(chan [2]int, 1000)}
}

func (l *flakyListener) setFail(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail = on
}

func (l *flakyListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	select {
	case l.calls <- [2]int{l.failures, l.successes}:
	default: // the test reads only the calls it waits for
	}
	fail, pending := l.fail, l.pending
	if fail && pending != nil {
		l.failures++
		l.mu.Unlock()
		return nil, l.errFor()
	}
	if pending != nil {
		l.pending = nil
		l.successes++
		l.mu.Unlock()
		return pending, nil
	}
	l.mu.Unlock()
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail {
		l.pending = c
		l.failures++
		return nil, l.errFor()
	}
	l.successes++
	return c, nil
}

// waitCall waits for an Accept call made once cond holds of the
// failures and successes before it.
func (l *flakyListener) waitCall(t *testing.T, what string, cond func(failures, successes int) bool) {
	t.Helper()
	bound := time.NewTimer(30 * time.Second) // bounds a hang, measures nothing
	defer bound.Stop()
	for {
		select {
		case c := <-l.calls:
			if cond(c[0], c[1]) {
				return
			}
		case <-bound.C:
			t.Fatalf("no accept %s: the relay stopped calling Accept on its submission listener", what)
		}
	}
}

// emfile is what accept(2) returns out of file descriptors, as net
// wraps it: a net.Error whose Temporary is true.
func emfile(l net.Listener) func() error {
	return func() error {
		return &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
}

// startAccepting starts a relay with both submission listeners on
// 127.0.0.1:0, its plain one wrapped by wrap.
func startAccepting(t *testing.T, wrap func(net.Listener) net.Listener) *Relay {
	t.Helper()
	cfg := testConfig(closedAddr(t))
	cfg.Listen, cfg.TLSListen = "127.0.0.1:0", "127.0.0.1:0"
	r, err := New(cfg, Options{Store: openStore(t, clock.Real{}), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	r.wrapListener = func(name string, l net.Listener) net.Listener {
		if name == ListenerSubmission {
			return wrap(l)
		}
		return l
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Shutdown(ctx)
	})
	return r
}

// TestL2AcceptingFollowsTheSubmissionListeners: Accepting names both
// submission listeners; one whose accepts fail (out of file descriptors)
// reports the accept's error until an accept works again, when the
// client that waited meanwhile is greeted; a stop reports each closed.
// The relay's listeners were not in /readyz: one that could not accept
// left serve "ready".
func TestL2AcceptingFollowsTheSubmissionListeners(t *testing.T) {
	t.Parallel()
	var flaky *flakyListener
	r := startAccepting(t, func(l net.Listener) net.Listener {
		flaky = newFlaky(l, emfile(l))
		return flaky
	})
	if got := r.Accepting(); len(got) != 2 || got[ListenerSubmission] != nil || got[ListenerTLS] != nil {
		t.Fatalf("a started relay: Accepting() = %v, want submission and tls, both nil", got)
	}

	flaky.setFail(true)
	nc, err := net.Dial("tcp", r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// The call after the first failure comes once go-smtp has had it.
	flaky.waitCall(t, "after a failed one", func(failures, _ int) bool { return failures > 0 })
	got := r.Accepting()
	if err := got[ListenerSubmission]; !errors.Is(err, syscall.EMFILE) || !strings.Contains(err.Error(), "too many open files") {
		t.Errorf("accepts failing: Accepting()[submission] = %v, want the accept's error (too many open files)", err)
	}
	if got[ListenerTLS] != nil {
		t.Errorf("accepts failing on the plain listener only: Accepting()[tls] = %v, want nil", got[ListenerTLS])
	}

	flaky.setFail(false)
	nc.SetDeadline(time.Now().Add(30 * time.Second)) // bounds a hang
	if line, err := bufio.NewReader(nc).ReadString('\n'); !strings.HasPrefix(line, "220 ") {
		t.Fatalf("the client that connected while accepts failed: got %q (%v), want the 220 greeting once they work again", line, err)
	}
	flaky.waitCall(t, "after a working one", func(_, successes int) bool { return successes > 0 })
	if got := r.Accepting(); got[ListenerSubmission] != nil {
		t.Errorf("accepts working again: Accepting()[submission] = %v, want nil", got[ListenerSubmission])
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r.Shutdown(ctx)
	for _, name := range []string{ListenerSubmission, ListenerTLS} {
		if err := r.Accepting()[name]; !errors.Is(err, net.ErrClosed) {
			t.Errorf("a stopped relay: Accepting()[%s] = %v, want net.ErrClosed", name, err)
		}
	}
}

// TestL2AcceptingSaysAListenerStoppedForGood: an accept error that is
// not temporary ends go-smtp's Serve and leaves the listener unserved;
// Accepting says so from then on.
func TestL2AcceptingSaysAListenerStoppedForGood(t *testing.T) {
	t.Parallel()
	var flaky *flakyListener
	r := startAccepting(t, func(l net.Listener) net.Listener {
		flaky = newFlaky(l, func() error { return errors.New("accept: listener broken") })
		return flaky
	})
	flaky.setFail(true)
	nc, err := net.Dial("tcp", r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var got error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) { // bounds a hang, measures nothing
		if got = r.Accepting()[ListenerSubmission]; got != nil && strings.Contains(got.Error(), "stopped accepting") {
			break
		}
	}
	if got == nil || !strings.Contains(got.Error(), "stopped accepting (restart the relay): accept: listener broken") {
		t.Errorf("a listener whose Serve ended: Accepting()[submission] = %v, want it stopped, with the accept's error", got)
	}
	flaky.setFail(false)
	if got := r.Accepting()[ListenerSubmission]; got == nil {
		t.Error("a listener whose Serve ended: Accepting()[submission] went back to nil, but nothing accepts on it")
	}
}
