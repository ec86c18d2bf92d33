package web

import (
	"context"
	"strings"
	"testing"

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
