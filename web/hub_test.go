package web

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
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
