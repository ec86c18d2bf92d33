package reports

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestSuppressedByHandHasACategory: a relay recipient refused for the
// suppression list before any attempt counts under category suppressed,
// with [] attempts in JSON, instead of being blamed on "a sink's record"
// for having no category, with attempts null.
func TestSuppressedByHandHasACategory(t *testing.T) {
	t.Parallel()
	d, err := Load(context.Background(), fakeLog{
		{ID: 1, Time: t0, Kind: events.RelayQueued, Message: "m", Recipient: "Blocked@x.test"},
		events.Event{ID: 2, Time: t0, Kind: events.RelaySuppressed, Message: "m", Recipient: "Blocked@x.test"}.WithPayload(map[string]any{
			"reason": "on the suppression list: added by hand"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := Summarize(d); Get(s.ByCategory, "suppressed") != 1 {
		t.Errorf("by category %+v, want suppressed 1", s.ByCategory)
	}
	var html strings.Builder
	if err := WriteHTML(&html, d); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html.String(), "without a category") {
		t.Error("the HTML report says the suppressed recipient has no category")
	}
	b, _ := json.Marshal(d.Recipients[0])
	if !strings.Contains(string(b), `"attempts":[]`) {
		t.Errorf("JSON %s, want attempts []", b)
	}
}
