package web

import (
	"context"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// TestMessageStatesUseTheIndex: a page of the message list reads its
// messages' state events through the index on message, instead of
// scanning the whole log for every page.
func TestMessageStatesUseTheIndex(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	plan, err := store.QueryPlan(context.Background(), st.DB(), messageStatesQuery(2), "m1", "m2", "a", "b", "c", "d", "e", "f")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "events_message") || strings.Contains(plan, "SCAN events") {
		t.Errorf("plan\n%s\nwant a search of events_message", plan)
	}
}

// TestLastTriesUseTheMessageIndex: the Queue page's tried lists search
// events_message, not every relay.attempt event through events_kind
// (kind = ? ORDER BY id is that index's order): a review measured 60 ms
// per poll with 300,000 attempts in the log, against 0.3 ms.
func TestLastTriesUseTheMessageIndex(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	plan, err := store.QueryPlan(context.Background(), st.DB(), lastTriesSQL(2), "m1", "m2", events.RelayAttempt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "events_message") || strings.Contains(plan, "events_kind") || strings.Contains(plan, "SCAN events") {
		t.Errorf("plan\n%s\nwant a search of events_message", plan)
	}
}
