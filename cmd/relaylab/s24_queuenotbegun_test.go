package main

import (
	"testing"

	"github.com/relaylab/relaylab/relay"
)

// TestWebQueueNotBegun: the web's queue entries mark a recipient in
// flight that waits for its turn at the relay's shaping as not begun, as
// queue show does, and no other in-flight or held recipient.
func TestWebQueueNotBegun(t *testing.T) {
	t.Parallel()
	wait := "waiting for its turn in the rate of destination path:prova (0.1 a second): it goes out at 2026-03-01T12:00:10Z"
	ms := []relay.MessageInfo{{ID: "m1", Recipients: []relay.RecipientInfo{
		{Address: "turn@r.test", State: relay.StateInflight, Hold: &relay.Reply{Stage: "shaping", Text: wait}},
		{Address: "sending@r.test", State: relay.StateInflight},
		{Address: "held@r.test", State: relay.StateDeferred, Hold: &relay.Reply{Stage: "shaping", Text: "held by the warm-up cap"}},
	}}}
	es := queueEntries(ms, "")
	if len(es) != 1 || len(es[0].Waiting) != 3 {
		t.Fatalf("entries %+v", es)
	}
	for i, want := range []bool{true, false, false} {
		if got := es[0].Waiting[i].NotBegun; got != want {
			t.Errorf("%s: not_begun %v, want %v", es[0].Waiting[i].Address, got, want)
		}
	}
}
