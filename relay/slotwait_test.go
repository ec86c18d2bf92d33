package relay

import (
	"context"
	"strings"
	"testing"
)

// TestSlotWaitShownInQueue: a recipient in flight that waits for one of
// its destination's connections (max_connections, all held by another
// delivery) is shown held, saying so, where the queue said only "in
// flight" (the web page "sending now") however long it waited (walk M,
// fifteenth session); once its turn comes and it is sent, it shows none.
func TestSlotWaitShownInQueue(t *testing.T) {
	t.Parallel()
	mta, inData, release := holdingMTA(t, "slow@r.test")
	cfg := testConfig(mta.addr)
	cfg.Paths[0].MaxConnections = 1
	h := newHarness(t, cfg, Options{})
	ctx := context.Background()
	slow := h.enqueue("a@s.test", "slow@r.test")
	h.v.Advance(0)
	<-inData // the one connection is taken
	next := h.enqueue("a@s.test", "next@r.test")
	h.v.Advance(0)
	waitFor(t, "the second job to wait for the connection", func() bool { return h.r.parked.Load() > 0 })
	m, err := h.r.Message(ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	rc := m.Recipients[0]
	if rc.State != StateInflight || rc.Hold == nil || rc.Category != "shaping" ||
		!strings.Contains(rc.Hold.Text, "waiting for a connection: all 1 that max_connections allows to destination path:primary are in use by other deliveries") {
		t.Fatalf("recipient waiting for a connection: state %s, category %q, hold %+v; want in flight, held for the connection", rc.State, rc.Category, rc.Hold)
	}
	close(release)
	h.runUntil("both delivered", func() bool { return h.done(slow, 1)() && h.done(next, 1)() })
	if m, err := h.r.Message(ctx, next); err != nil || m.Recipients[0].Hold != nil {
		t.Errorf("after its delivery: %+v, %v; want no hold", m.Recipients[0].Hold, err)
	}
}
