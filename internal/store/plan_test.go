package store

import (
	"context"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestEventsByMessageUseTheirIndex: reading one message's or one
// recipient's events searches the partial index on that column, instead
// of scanning the whole log (a bound value alone does not tell SQLite
// that it is not the empty string the index leaves out).
func TestEventsByMessageUseTheirIndex(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	for _, tt := range []struct {
		f     events.Filter
		index string
	}{
		{events.Filter{Message: "m1"}, "events_message"},
		{events.Filter{Recipient: "a@x.test"}, "events_recipient"},
		{events.Filter{Message: "m1", Kinds: []string{events.RelayAttempt, "relay."}}, "events_message"},
	} {
		q, args := eventsQuery(tt.f)
		plan, err := QueryPlan(context.Background(), s.DB(), q, args...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(plan, tt.index) || strings.Contains(plan, "SCAN events") {
			t.Errorf("%+v: plan\n%s\nwant a search of %s", tt.f, plan, tt.index)
		}
	}
}
