package relay

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/testutil"
)

// slowMTA is a server that holds the DATA of slow@ until release is
// closed; inData says it has it.
func slowMTA(t *testing.T, setup func(*fakeMTA)) (mta *fakeMTA, inData <-chan struct{}, release chan struct{}) {
	t.Helper()
	in := make(chan struct{}, 1)
	release = make(chan struct{})
	mta = startMTA(t, func(f *fakeMTA) {
		f.onData = func(rcpts []string) error {
			if strings.HasPrefix(rcpts[0], "slow@") {
				in <- struct{}{}
				<-release
			}
			return nil
		}
		if setup != nil {
			setup(f)
		}
	})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	return mta, in, release
}

// rcptState is a recipient's state and due time (ns; 0 when none).
type rcptState struct {
	state string
	due   int64
}

// rcptStates returns the state of each recipient of the store, by
// address.
func (h *harness) rcptStates() map[string]rcptState {
	h.t.Helper()
	rows, err := h.store.DB().Query(`SELECT address, state, COALESCE(due_ns, 0) FROM relay_recipients`)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]rcptState{}
	for rows.Next() {
		var addr string
		var s rcptState
		if err := rows.Scan(&addr, &s.state, &s.due); err != nil {
			h.t.Fatal(err)
		}
		out[addr] = s
	}
	if err := rows.Err(); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// restart starts a second relay on h's store and clock, as the next start
// of the daemon, and returns it with its log.
func (h *harness) restart(cfg Config) (*harness, *testutil.SyncBuffer) {
	h.t.Helper()
	logs := &testutil.SyncBuffer{}
	r, err := New(cfg, Options{Store: h.store, Clock: h.v, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Shutdown(ctx)
	})
	return &harness{t: h.t, v: h.v, store: h.store, r: r}, logs
}

// checkPutBack checks, after a stop, that the recipients cut (their
// attempt under way) are in flight and all others that were waiting are
// queued as they were, due at epoch; and that the next start queues
// again only the cut ones, with their relay.recovered event, and then
// delivers every one.
func checkPutBack(t *testing.T, h *harness, cfg Config, cut []string, waiting []string) {
	t.Helper()
	st := h.rcptStates()
	for _, a := range cut {
		if got := st[a].state; got != StateInflight {
			t.Errorf("%s, whose attempt the stop cut: %s, want inflight (tried again at the next start)", a, got)
		}
	}
	for _, a := range waiting {
		if got, due := st[a].state, st[a].due; got != StateQueued || due != epoch.UnixNano() {
			t.Errorf("%s, claimed but not yet tried at the stop: %s due %v, want queued as before, due %v", a, got, time.Unix(0, due).UTC(), epoch)
		}
	}
	h2, logs := h.restart(cfg)
	var recovered []string
	for _, e := range h2.events(events.Filter{Kinds: []string{events.RelayRecovered}}) {
		recovered = append(recovered, e.Recipient)
	}
	if strings.Join(recovered, ",") != strings.Join(cut, ",") {
		t.Errorf("the next start recovered %q (sent again, at-least-once), want only the cut ones %q", recovered, cut)
	}
	if len(cut) == 0 && strings.Contains(logs.String(), "at-least-once") {
		t.Errorf("the next start says it sends again what a stop cut, but none was cut:\n%s", logs)
	}
	h2.runUntil("every one delivered", func() bool {
		st := h2.rcptStates()
		for _, a := range append(cut, waiting...) {
			if st[a].state != StateDelivered {
				return false
			}
		}
		return true
	})
}

// A clean stop hands back to the queue the recipients the scheduler had
// claimed but not yet given to a worker (all workers busy): they were left
// in flight, so that the log's "nothing cut" was untrue, `queue retry`
// could not reach them, and the next start sent them again as if an
// attempt had been cut ("at-least-once"), though none had begun.
func TestS19FR2StopPutsBackJobsWaitingForAWorker(t *testing.T) {
	t.Parallel()
	mta, inData, release := slowMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Workers = 1
	h := newHarness(t, cfg, Options{})
	h.enqueue("a@s.test", "slow@r.test")
	h.v.Advance(0)
	<-inData // the one worker is busy
	for _, to := range []string{"b@r.test", "c@r.test", "d@r.test"} {
		h.enqueue("a@s.test", to)
	}
	h.v.Advance(0)
	waitFor(t, "the scheduler to wait for a worker with recipients claimed", func() bool { return h.r.parked.Load() > 0 })
	if n, _ := h.r.InFlight(context.Background()); n < 2 {
		t.Fatalf("%d recipients in flight, want the slow one and at least one claimed", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // bounds a hang, measures nothing
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.r.Shutdown(ctx) }()
	waitFor(t, "the scheduler to stop waiting for a worker", func() bool { return h.r.parked.Load() == 0 })
	close(release) // the delivery under way ends
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v, want a clean stop", err)
	}
	if got := h.rcptStates()["slow@r.test"].state; got != StateDelivered {
		t.Errorf("the delivery under way: %s, want delivered", got)
	}
	checkPutBack(t, h, cfg, nil, []string{"b@r.test", "c@r.test", "d@r.test"})
}

// A stop whose grace runs out cuts the delivery under way (its recipient
// stays in flight, tried again at the next start) but hands back to the
// queue the jobs that waited for a connection (max_connections) and so
// never began: they were cut too, and counted as deliveries cut.
func TestS19FR2CutStopPutsBackJobsWaitingForAConnection(t *testing.T) {
	t.Parallel()
	mta, inData, release := slowMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Paths[0].MaxConnections = 1
	h := newHarness(t, cfg, Options{})
	h.enqueue("a@s.test", "slow@r.test")
	h.v.Advance(0)
	<-inData
	h.enqueue("a@s.test", "b@r.test")
	h.enqueue("a@s.test", "c@r.test")
	h.v.Advance(0)
	waitFor(t, "both jobs to wait for the connection", func() bool { return h.r.parked.Load() == 2 })
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the grace is over at once (a second signal)
	if err := h.r.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown: %v, want it cut", err)
	}
	if n, err := h.r.InFlight(context.Background()); err != nil || n != 1 {
		t.Errorf("InFlight after the stop: %d, %v; want 1, the cut delivery's recipient (the stop line counts these as cut)", n, err)
	}
	close(release) // the server answers the next start
	checkPutBack(t, h, cfg, []string{"slow@r.test"}, []string{"b@r.test", "c@r.test"})
}

// A job that sleeps for its turn in its destination's rate has not begun
// either: a stop hands it back at once, instead of waiting out the rate's
// interval (a minute here, on a clock that does not move) and then
// cutting it.
func TestS19FR2StopPutsBackJobsWaitingForTheRate(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Rate = 1.0 / 60
	h := newHarness(t, cfg, Options{})
	first := h.enqueue("a@s.test", "first@r.test")
	h.runUntil("the first delivered", h.done(first, 1))
	h.enqueue("a@s.test", "b@r.test")
	h.v.Advance(0)
	h.settle() // the job sleeps on the clock for the rate
	if n, _ := h.r.InFlight(context.Background()); n != 1 {
		t.Fatalf("%d recipients in flight, want the one waiting for the rate", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // bounds a hang, measures nothing
	defer cancel()
	if err := h.r.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v, want a clean stop (nothing had begun)", err)
	}
	checkPutBack(t, h, cfg, nil, []string{"b@r.test"})
}

// A message's recipients at two domains are two jobs of one round, whose
// last job to end writes the failures of the others with one DSN. When
// that last job is one the stop hands back, the failure another job
// handed it is written then, with its DSN, rather than left in flight
// until the next start tried it again.
func TestS19FR2StopPutsBackLastJobOfARound(t *testing.T) {
	t.Parallel()
	slow, inData, release := slowMTA(t, nil)
	refusing := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(string) error { return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user") }
	})
	cfg := testConfig(slow.addr)
	cfg.Paths[0].MaxConnections = 1
	cfg.Paths = append(cfg.Paths, PathConfig{Name: "refusing", Host: refusing.addr, TLS: "none"})
	cfg.Routes = []RouteConfig{{Name: "a", Recipients: []string{"a.test"}, Paths: []string{"refusing"}}, cfg.Routes[0]}
	h := newHarness(t, cfg, Options{})
	h.enqueue("a@s.test", "slow@r.test")
	h.v.Advance(0)
	<-inData // the one connection of path primary is taken
	id := h.enqueue("alice@s.test", "gone@a.test", "b@r.test")
	h.v.Advance(0)
	waitFor(t, "gone@a.test's attempt and b@r.test waiting for the connection", func() bool {
		return h.r.parked.Load() == 1 && len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})) == 1
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.r.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown: %v, want it cut", err)
	}
	if got := h.rcptStates()["gone@a.test"].state; got != StateBounced {
		t.Errorf("gone@a.test, refused with 550 before the stop: %s, want bounced", got)
	}
	if n := len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}})); n != 1 {
		t.Errorf("%d DSNs about the message, want 1 for gone@a.test", n)
	}
	close(release)
	checkPutBack(t, h, cfg, []string{"slow@r.test"}, []string{"b@r.test"})
}
