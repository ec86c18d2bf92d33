package relay

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestShutdownCutsBlockedJobs: a shutdown whose deadline passes closes the
// connections of jobs blocked on a server, instead of waiting for their
// socket deadline (command_timeout, 5 min here); their recipients stay in
// flight, with no attempt recorded against the server.
func TestShutdownCutsBlockedJobs(t *testing.T) {
	t.Parallel()
	reached := make(chan struct{}, 1)
	release := make(chan struct{})
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(string) error {
			reached <- struct{}{}
			<-release // a server that never answers RCPT
			return nil
		}
	})
	defer close(release)
	h := newHarness(t, testConfig(mta.addr), Options{})
	id := h.enqueue("a@s.test", "u@r.test")
	select {
	case <-reached:
	case <-time.After(time.Minute):
		t.Fatal("the RCPT never reached the server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.r.Shutdown(ctx) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown: %v, want its deadline exceeded", err)
		}
	case <-time.After(time.Minute):
		// Not a speed bound: without the fix this waits out command_timeout.
		t.Fatal("Shutdown still waits a minute after its deadline, held by a job blocked on a server")
	}
	if evs := h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}}); len(evs) != 0 {
		t.Errorf("the cut job recorded %d attempts; its recipient should stay in flight for the next start", len(evs))
	}
}
