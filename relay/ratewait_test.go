package relay

import (
	"context"
	"strings"
	"testing"
)

// TestRateWaitShownInQueue: a recipient in flight that waits for its turn
// in its destination's rate is shown held by the relay's shaping, with
// when it goes out, where the queue said only "in flight" (the web page
// "sending now") for mail that waited minutes (walk M); once sent, it
// shows none.
func TestRateWaitShownInQueue(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Rate = 0.01 // one message every 100 s
	h := newHarness(t, cfg, Options{})
	first := h.enqueue("a@s.test", "one@r.test")
	h.runUntil("the first message", h.done(first, 1))
	second := h.enqueue("a@s.test", "two@r.test")
	h.settle() // claimed, and asleep on the clock until its turn
	m, err := h.r.Message(context.Background(), second)
	if err != nil {
		t.Fatal(err)
	}
	rc := m.Recipients[0]
	if rc.State != StateInflight || rc.Hold == nil || !strings.Contains(rc.Hold.Text, "waiting for its turn in the rate of destination path:primary (0.01 a second): it goes out at ") {
		t.Fatalf("waiting recipient: state %s, hold %+v; want in flight, held by the rate", rc.State, rc.Hold)
	}
	h.runUntil("the second message", h.done(second, 1))
	if m, err := h.r.Message(context.Background(), second); err != nil || m.Recipients[0].Hold != nil {
		t.Errorf("after its delivery: %+v, %v; want no hold", m.Recipients[0].Hold, err)
	}
}
