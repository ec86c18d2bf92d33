package reports

import (
	"context"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestSuppressedSaidOnce: a recipient suppressed, whose category is
// suppressed too, is said so once in an expectation's failure, the text
// report and the JUnit report, instead of "suppressed (suppressed)" and
// "suppressed, suppressed"; a category that says more still shows.
func TestSuppressedSaidOnce(t *testing.T) {
	t.Parallel()
	d, err := Load(context.Background(), fakeLog{
		{ID: 1, Time: t0, Kind: events.RelayQueued, Message: "m", Recipient: "gone@x.test"},
		events.Event{ID: 2, Time: t0, Kind: events.RelaySuppressed, Message: "m", Recipient: "gone@x.test"}.WithPayload(map[string]any{
			"reason": "on the suppression list: added by hand"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	x, err := decodeExp(t, "recipients:\n  - {match: gone@x.test, status: bounced}\n")
	if err != nil {
		t.Fatal(err)
	}
	var text, junit strings.Builder
	if err := WriteText(&text, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteJUnit(&junit, "s", d); err != nil {
		t.Fatal(err)
	}
	for what, got := range map[string]string{"failure": Evaluate(d, x)[0].Message, "text": text.String(), "junit": junit.String()} {
		if strings.Contains(got, "suppressed (suppressed)") || strings.Contains(got, "suppressed, suppressed") {
			t.Errorf("%s says suppressed twice:\n%s", what, got)
		}
		if !strings.Contains(got, "suppressed") {
			t.Errorf("%s does not say suppressed:\n%s", what, got)
		}
	}
	r := &Recipient{Address: "a@x.test", Status: "expired", Category: "service-unavailable"}
	if got := r.otherCategory(); got != "service-unavailable" {
		t.Errorf("expired's category: %q", got)
	}
}
