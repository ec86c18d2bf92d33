package reports

import (
	"context"
	"strings"
	"testing"
)

// TestFailureMessagesSayWhatWasJudged: a count that message: narrowed
// says which message, and how many recipients the address alone matched
// (it said "matching "*.test", found 0" beside three recipients that
// match *.test); a time to delivery with nothing delivered says so
// instead of "got 0s", which reads as fast; a last_code on a recipient
// never tried says there was no attempt, not `got ""`.
func TestFailureMessagesSayWhatWasJudged(t *testing.T) {
	t.Parallel()
	d, err := Load(context.Background(), sampleLog())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, yaml, want string
		d                *Data
	}{
		{"message narrows", "recipients:\n  - {match: \"*.test\", message: m9}\n",
			`expected >=1 recipients matching "*.test" in message "m9" (3 more match the address, in messages m1 and m2), found 0`, d},
		{"message narrows to some", "recipients:\n  - {match: \"*.test\", message: m1, count: 3}\n",
			`expected 3 recipients matching "*.test" in message "m1" (1 more matches the address, in message m2), found 2`, d},
		{"match alone", "recipients:\n  - {match: \"*@nowhere.test\"}\n", `expected >=1 recipients matching "*@nowhere.test", found 0`, d},
		{"last_code without an attempt", "recipients:\n  - {match: \"*\", last_code: 5xx}\n",
			"a@x.test: expected the last reply to be 5xx, but there was no attempt; timeline:\n  (no attempts)",
			&Data{Recipients: []*Recipient{{Address: "a@x.test", Status: "suppressed", Queued: t0}}}},
		{"nothing delivered", "aggregate: {time_to_delivery_p99: 5m}\n",
			"expected time_to_delivery_p99 at most 5m0s, but no recipient was delivered, so there is no time to delivery to judge (1 recipient)",
			&Data{Recipients: []*Recipient{{Address: "a@x.test", Status: "bounced", Queued: t0}}}},
	} {
		x, err := decodeExp(t, tc.yaml)
		if err != nil {
			t.Fatal(err)
		}
		r := Evaluate(tc.d, x)
		if r[0].Pass || !strings.Contains(r[0].Message, tc.want) {
			t.Errorf("%s: pass %v, message %q, want %q", tc.name, r[0].Pass, r[0].Message, tc.want)
		}
	}
}
