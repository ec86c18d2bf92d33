package relay

import (
	"context"
	"testing"
)

// TestR3HoldIsNoReply: Message and List give a recipient the relay's
// shaping held before any server answered no Reply, and the hold under
// Hold alone; they gave the hold as its Reply too, which the web API's
// last_reply and queue list then showed as if a server had answered.
func TestR3HoldIsNoReply(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Routes[0].Windows = []string{"03:00-04:00"}
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@s.test", "b@r.test")
	h.runUntil("the window's hold", h.deferrals(id, 1))
	ctx := context.Background()
	m, err := h.r.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	list, err := h.r.List(ctx, QueueFilter{State: "waiting"})
	if err != nil || len(list) != 1 {
		t.Fatalf("List: %+v, %v", list, err)
	}
	for what, rc := range map[string]RecipientInfo{"Message": m.Recipients[0], "List": list[0].Recipients[0]} {
		if rc.Reply != (Reply{}) {
			t.Errorf("%s: reply %+v, want none: no server has answered", what, rc.Reply)
		}
		if rc.Hold == nil || rc.Hold.Stage != "shaping" || rc.Hold.Text == "" || rc.Category != "shaping" {
			t.Errorf("%s: hold %+v, category %q; want the window's hold", what, rc.Hold, rc.Category)
		}
	}
}
