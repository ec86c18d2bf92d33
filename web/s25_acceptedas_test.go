package web

import (
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestS25AcceptedAsWithNotes: the sink's 250 after the dot carries its
// notes after "; " (a directive used up, a near-miss): the relay's
// attempt is still paired with the sink's copy by its number. It was
// not, as the reply had to be the words alone.
func TestS25AcceptedAsWithNotes(t *testing.T) {
	for _, tc := range []struct {
		text string
		copy int64 // 0: no pairing
	}{
		{"Message accepted as 9", 9},
		{`Message accepted as 9; directive "data421x1" is used up (attempt 3); relaylab sink reset starts it over`, 9},
		{"Message accepted as 9 by someone else", 0},
		{"Message accepted as ; 9", 0},
	} {
		e := events.Event{Kind: events.RelayAttempt, Recipient: "a@sink.test"}.WithPayload(map[string]any{
			"address": "127.0.0.1:2525", "reply": map[string]any{"code": 250, "enhanced": "2.0.0", "text": tc.text, "stage": "dot"}})
		got, ok := acceptedAs(e)
		if tc.copy == 0 {
			if ok {
				t.Errorf("%q paired with copy %d, want no pairing", tc.text, got.Copy)
			}
			continue
		}
		if !ok || got.Copy != tc.copy {
			t.Errorf("%q: paired %v with copy %d, want copy %d", tc.text, ok, got.Copy, tc.copy)
		}
	}
}
