package reports

import (
	"strings"
	"testing"
	"time"
)

// TestAttemptTimesAreEveryAttempt: attempt_times lists every attempt, so
// that nine times listed for ten attempts fails and names the attempt
// left out, as one fewer attempt than listed fails; it passed as a
// prefix. The exact list passes.
func TestAttemptTimesAreEveryAttempt(t *testing.T) {
	t.Parallel()
	r := &Recipient{Message: "m1", Address: "ops@busy.test", Status: "expired", Queued: t0}
	offsets := []time.Duration{0, 5 * time.Minute, 20 * time.Minute, 80 * time.Minute, 140 * time.Minute, 200 * time.Minute,
		260 * time.Minute, 320 * time.Minute, 350 * time.Minute, 360 * time.Minute}
	for i, o := range offsets {
		r.Attempts = append(r.Attempts, Attempt{Time: t0.Add(o), Try: i + 1, Code: 451, Enhanced: "4.3.0", Text: "busy"})
	}
	d := &Data{Recipients: []*Recipient{r}}
	all := "[0s, 5m, 20m, 1h20m, 2h20m, 3h20m, 4h20m, 5h20m, 5h50m, 6h]"
	for _, tc := range []struct {
		times, want string
	}{
		{all, ""},
		{"[0s, 5m, 20m, 1h20m, 2h20m, 3h20m, 4h20m, 5h20m, 5h50m]",
			"expected 9 attempts (attempt_times lists every attempt), but there were 10: the attempts not listed came at +6h0m0s"},
		{"[0s, 5m]", "expected 2 attempts (attempt_times lists every attempt), but there were 10: the attempts not listed came at +20m0s, +1h20m0s, +2h20m0s, +3h20m0s, +4h20m0s, and 3 more"},
		{"[0s, 5m, 20m, 1h20m, 2h20m, 3h20m, 4h20m, 5h20m, 5h50m, 6h, 7h]", "expected attempt 11 at +7h0m0s, but there were only 10 attempts"},
	} {
		x, err := decodeExp(t, "recipients:\n  - {match: ops@busy.test, attempt_times: "+tc.times+"}\n")
		if err != nil {
			t.Fatal(err)
		}
		res := Evaluate(d, x)[0]
		if res.Pass != (tc.want == "") || !strings.Contains(res.Message, tc.want) {
			t.Errorf("attempt_times %s: pass %v, message:\n%s\nwant it to contain %q", tc.times, res.Pass, res.Message, tc.want)
		}
	}
}
