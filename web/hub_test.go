package web

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// TestHubStoreClosed: when the store closes under it, the hub stops
// following (and does not spin) but still stops with its context.
func TestHubStoreClosed(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	var seen []int64
	h := newHub(st, slog.New(slog.DiscardHandler), clock.NewVirtual(testEpoch), func(e events.Event) { seen = append(seen, e.ID) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.run(ctx) }()
	for !h.running.Load() {
		time.Sleep(time.Millisecond)
	}
	// A join is answered from the loop, once it has its starting position.
	if _, ok := h.join(ctx, &streamClient{send: make(chan *batch, 8), quit: make(chan struct{}), all: true}); !ok {
		t.Fatal("join refused")
	}
	evs := appendEvents(t, st, events.Event{Kind: events.SinkSession}, events.Event{Kind: events.SinkSession})
	for h.pos.Load() < evs[1].ID {
		time.Sleep(time.Millisecond)
	}
	st.Close()
	// A spinning hub would keep a core busy; a stopped one answers joins
	// and ends with its context.
	c := &streamClient{send: make(chan *batch, 1), quit: make(chan struct{})}
	if _, ok := h.join(ctx, c); !ok {
		t.Fatal("the hub refused a client after the store closed")
	}
	cancel()
	<-done
	select {
	case <-c.quit:
	default:
		t.Fatal("the client was not dropped when the hub stopped")
	}
	if len(seen) != 2 || seen[0] != evs[0].ID || seen[1] != evs[1].ID {
		t.Fatalf("observed %v, want the two events once each", seen)
	}
}

// TestHubEventsMissing: when the store publishes events that the event log
// does not hold (a reader on a replaced file, whose ids have not reached
// them), the hub says so and retries on its clock instead of asking again
// at once for ever, a loop that kept a core busy.
func TestHubEventsMissing(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	// Each event is gone as soon as it is written, but still published,
	// and the reader's file has not given out its id (replaced).
	if err := st.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(`CREATE TRIGGER vanish AFTER INSERT ON events BEGIN DELETE FROM events WHERE id = NEW.id; END`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	logs := &countingHandler{match: "the store published events the event log does not hold"}
	v := clock.NewVirtual(testEpoch)
	h := newHub(st, slog.New(logs), v, nil)
	h.replaced = func() bool { return true }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.run(ctx)
	for !h.running.Load() {
		time.Sleep(time.Millisecond)
	}
	appendEvents(t, st, events.Event{Kind: events.SinkSession})
	waitLogs(t, logs, 1)
	// Until the clock moves, the hub waits: no second read, no second error.
	time.Sleep(50 * time.Millisecond)
	if n := logs.count(); n != 1 {
		t.Fatalf("the stall was reported %d times before the clock moved, want once (a spinning hub reads again at once)", n)
	}
	v.Advance(time.Second)
	waitLogs(t, logs, 2)
}

// TestHubEventsPruned: events deleted (relaylab prune, sink clear) after
// the store published them and before the stream read them are passed
// over without a word at error level, and the stream goes on after them;
// it logged "was the database file deleted, replaced or edited" (walk R:
// an alert on level=ERROR fired during a supported prune).
func TestHubEventsPruned(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	if err := st.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(`CREATE TRIGGER vanish AFTER INSERT ON events WHEN NEW.kind = 'sink.session' BEGIN DELETE FROM events WHERE id = NEW.id; END`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	logs := &countingHandler{match: "does not hold"}
	v := clock.NewVirtual(testEpoch)
	h := newHub(st, slog.New(logs), v, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.run(ctx)
	for !h.running.Load() {
		time.Sleep(time.Millisecond)
	}
	gone := appendEvents(t, st, events.Event{Kind: events.SinkSession})
	for deadline := time.Now().Add(30 * time.Second); h.pos.Load() < gone[0].ID; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the stream stayed at %d, before the deleted event %d", h.pos.Load(), gone[0].ID)
		}
	}
	kept := appendEvents(t, st, events.Event{Kind: events.SinkMessage})
	for deadline := time.Now().Add(30 * time.Second); h.pos.Load() < kept[0].ID; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the stream stayed at %d, before the next event %d", h.pos.Load(), kept[0].ID)
		}
	}
	if n := logs.count(); n != 0 {
		t.Errorf("%d error lines for events a prune deleted, want none", n)
	}
}

// waitLogs waits (30 s at most, a guard against hanging, not a measure)
// until h has counted n records.
func waitLogs(t *testing.T, h *countingHandler, n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); h.count() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d log records saying %q, want %d", h.count(), h.match, n)
		}
	}
}

// countingHandler counts the log records whose message contains match.
type countingHandler struct {
	match string
	mu    sync.Mutex
	n     int
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *countingHandler) WithGroup(string) slog.Handler            { return h }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.match) {
		h.mu.Lock()
		h.n++
		h.mu.Unlock()
	}
	return nil
}

func (h *countingHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}
