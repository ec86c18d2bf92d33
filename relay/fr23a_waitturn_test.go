package relay

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// waitingHarness is a relay whose path sends 0.1 messages a second over
// one connection, with three messages queued at once: the first goes, the
// others wait 10 and 20 seconds for their turn in the rate.
func waitingHarness(t *testing.T) (h *harness, cfg Config, ids []string) {
	t.Helper()
	mta := startMTA(t, nil)
	cfg = testConfig(mta.addr)
	cfg.Paths[0].Name, cfg.Paths[0].Rate, cfg.Paths[0].MaxConnections = "prova", 0.1, 1
	cfg.Routes[0].Paths = []string{"prova"}
	h = newHarness(t, cfg, Options{Ordered: true})
	ids = h.enqueueEach("a@r.test", "b@r.test", "c@r.test")
	h.runUntil("the first sent", h.done(ids[0], 1))
	h.settle()
	return h, cfg, ids
}

// TestFR23aStoreSaysWhoWaitsForTurn: a recipient claimed that waits for
// its turn in a rate is shown so by a reader of the store in another
// process (queue show --db): in flight, not begun, held by the rate until
// the time it goes out. It read as an attempt under way, while the
// running relay's own API said it waited.
func TestFR23aStoreSaysWhoWaitsForTurn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h, cfg, ids := waitingHarness(t)
	other, err := New(cfg, Options{Store: h.store, Clock: h.v, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for k, id := range ids[1:] {
		m, err := other.Message(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		rc := m.Recipients[0]
		want := waitPrefix + "its turn in the rate of destination path:prova (0.1 a second): it goes out at " +
			h.v.Now().Add(time.Duration(k+1)*10*time.Second).UTC().Format(time.RFC3339)
		if !WaitsForTurn(rc) || rc.Hold.Text != want || rc.Category != "shaping" {
			t.Errorf("%s read from the store: state %s, hold %+v, category %q; want in flight, waiting: %q", rc.Address, rc.State, rc.Hold, rc.Category, want)
		}
	}
	// Once sent, nothing says it waits, and the holds' texts are gone.
	h.runUntil("all sent", h.allDone(ids))
	for _, id := range ids {
		m, err := other.Message(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if rc := m.Recipients[0]; rc.Hold != nil || rc.State != StateDelivered {
			t.Errorf("%s after its delivery: state %s, hold %+v; want delivered, no hold", rc.Address, rc.State, rc.Hold)
		}
	}
}

// TestFR23aCrashWhileWaitingForTurn: after a crash (the process gone,
// its jobs never waking) the next start puts back in the queue the
// recipients that waited for their turn without a relay.recovered event:
// no connection had been made for them, so they cannot be sent twice.
// Every one was flagged as an attempt cut off whose message the server
// may have taken.
func TestFR23aCrashWhileWaitingForTurn(t *testing.T) {
	t.Parallel()
	h, cfg, ids := waitingHarness(t)
	// The crashed relay's clock never moves again: its waiting jobs
	// never wake. The next start runs on a clock of its own.
	v2 := clock.NewVirtual(h.v.Now())
	r2, err := New(cfg, Options{Store: h.store, Clock: v2, Logger: slog.New(slog.DiscardHandler), Ordered: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r2.Shutdown(context.Background()) })
	h2 := &harness{t: t, v: v2, store: h.store, r: r2}
	h2.runUntil("the waiting ones sent", h2.allDone(ids))
	for _, id := range ids[1:] {
		for _, e := range h2.events(events.Filter{Message: id, Kinds: []string{events.RelayRecovered}}) {
			t.Errorf("%s: %s %s; want none: it waited for its rate's turn, no connection was made for it", id, e.Kind, e.Payload)
		}
		if got := h2.events(events.Filter{Message: id, Kinds: []string{events.RelayDelivered}}); len(got) != 1 {
			t.Errorf("%s delivered %d times after the restart, want once", id, len(got))
		}
	}
}

// TestFR23aWaitEndsBeforeConnection: once its turn comes, the store no
// longer says a recipient waits before the connection is made: a crash
// while the server has the message must warn of a second copy at the
// next start, which a recipient still marked waiting would not get.
func TestFR23aWaitEndsBeforeConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mta, inData, release := dataHoldingMTA(t, "b@r.test")
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Rate = 0.1
	h := newHarness(t, cfg, Options{Ordered: true})
	t.Cleanup(release) // before the relay's shutdown
	ids := h.enqueueEach("a@r.test", "b@r.test")
	h.runUntil("the first sent", h.done(ids[0], 1))
	h.settle()
	other, err := New(cfg, Options{Store: h.store, Clock: h.v, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	show := func() RecipientInfo {
		m, err := other.Message(ctx, ids[1])
		if err != nil {
			t.Fatal(err)
		}
		return m.Recipients[0]
	}
	if rc := show(); !WaitsForTurn(rc) {
		t.Fatalf("before its turn: state %s, hold %+v; want waiting for its turn", rc.State, rc.Hold)
	}
	h.v.Advance(10 * time.Second) // its turn: it connects, and the server keeps the data
	awaitData(t, inData)
	if rc := show(); rc.State != StateInflight || rc.Hold != nil {
		t.Errorf("while the server has its data: state %s, hold %+v; want in flight with no hold (a crash now may leave a copy)", rc.State, rc.Hold)
	}
}

// TestFR23aStoreSaysWhoWaitsForConnection: a recipient whose job waits
// for a connection under max_connections, before any connection of its
// own, is shown waiting to a reader of the store too.
func TestFR23aStoreSaysWhoWaitsForConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mta, inData, release := dataHoldingMTA(t, "a@r.test")
	cfg := testConfig(mta.addr)
	cfg.Paths[0].MaxConnections = 1
	h := newHarness(t, cfg, Options{Ordered: true})
	t.Cleanup(release) // before the relay's shutdown
	ids := h.enqueueEach("a@r.test", "b@r.test")
	awaitData(t, inData)
	other, err := New(cfg, Options{Store: h.store, Clock: h.v, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var rc RecipientInfo
	for deadline := time.Now().Add(10 * time.Second); !WaitsForTurn(rc); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("b@r.test while the only connection is in use: state %s, hold %+v; want waiting for a connection", rc.State, rc.Hold)
		}
		m, err := other.Message(ctx, ids[1])
		if err != nil {
			t.Fatal(err)
		}
		rc = m.Recipients[0]
	}
	if want := waitPrefix + "a connection: all 1 that max_connections allows to destination path:primary are in use"; !strings.HasPrefix(rc.Hold.Text, want) {
		t.Errorf("hold %q, want it to begin %q", rc.Hold.Text, want)
	}
	release()
	h.runUntil("both sent", h.allDone(ids))
}

// dataHoldingMTA is a server that keeps the data of a message to rcpt until
// release is called (which the test's cleanup calls too), telling
// inData when it has it.
func dataHoldingMTA(t *testing.T, rcpt string) (mta *fakeMTA, inData <-chan string, release func()) {
	t.Helper()
	got, hold := make(chan string, 4), make(chan struct{})
	mta = startMTA(t, func(f *fakeMTA) {
		f.onData = func(rcpts []string) error {
			if rcpts[0] == rcpt {
				got <- rcpts[0]
				<-hold
			}
			return nil
		}
	})
	var once sync.Once
	release = func() { once.Do(func() { close(hold) }) }
	return mta, got, release
}

// enqueueEach queues one message to each address at once (EnqueueAll),
// and returns their ids.
func (h *harness) enqueueEach(to ...string) []string {
	h.t.Helper()
	var subs []Submission
	for _, a := range to {
		subs = append(subs, Submission{From: "s@s.test", Recipients: []Recipient{{Address: a}}, Data: []byte("Subject: t\r\n\r\nHi.\r\n")})
	}
	ids, err := h.r.EnqueueAll(context.Background(), subs)
	if err != nil {
		h.t.Fatal(err)
	}
	return ids
}

// awaitData waits (in real time) until the server has a message's data.
func awaitData(t *testing.T, inData <-chan string) {
	t.Helper()
	select {
	case <-inData:
	case <-time.After(10 * time.Second):
		t.Fatal("no message reached the server's DATA")
	}
}
