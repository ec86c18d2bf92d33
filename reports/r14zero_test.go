package reports

import (
	"context"
	"strings"
	"testing"
)

// TestR14ZeroIsJudged: an expectation set to 0 where 0 means something is
// judged as given, not read as the key left out: time_to_delivery_p99:
// 0s and time_to_delivery_p50: 0s each give a result (they gave none, and
// the run went green), max_interval: 0s fails tries 5 minutes apart (it
// said ok), and tolerance: 0s is exact (it became the 1s default).
func TestR14ZeroIsJudged(t *testing.T) {
	t.Parallel()
	d, err := Load(context.Background(), sampleLog()) // grey@b.test: tries at +0s and +5m, delivered at +5m
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, yaml string
		want       []string // the failures' messages, one per result; "" for a pass
	}{
		{"p99", "aggregate: {time_to_delivery_p99: 0s}\n", []string{"expected time_to_delivery_p99 at most 0s, got 5m0s"}},
		// Half the deliveries took 0s: p50 holds, and is judged.
		{"p50 and p99", "aggregate: {time_to_delivery_p50: 0s, time_to_delivery_p99: 0s}\n", []string{"", "expected time_to_delivery_p99 at most 0s"}},
		{"max_interval", "recipients:\n  - {match: grey@b.test, max_interval: 0s}\n", []string{"attempts 1 and 2 were 5m0s apart, expected at most 0s"}},
		{"tolerance", "recipients:\n  - {match: grey@b.test, attempt_times: [0s, 4m59.5s], tolerance: 0s}\n", []string{"expected attempt 2 at +4m59.5s (±0s), got +5m0s"}},
	} {
		x, err := decodeExp(t, tc.yaml)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		res := Evaluate(d, x)
		if len(res) != len(tc.want) {
			t.Errorf("%s: %d results %+v, want %d", tc.name, len(res), res, len(tc.want))
			continue
		}
		for i, r := range res {
			if r.Pass != (tc.want[i] == "") || !strings.Contains(r.Message, tc.want[i]) {
				t.Errorf("%s: result %s: pass %v, message %q, want %q", tc.name, r.Name, r.Pass, r.Message, tc.want[i])
			}
		}
	}
	// 0s holds where deliveries took no time, as at the first try on a
	// replay's virtual clock, and a 0s tolerance where tries came on time.
	instant := &Data{Recipients: []*Recipient{{Address: "a@x.test", Status: "delivered", Queued: t0, Done: t0, Attempts: []Attempt{{Time: t0, Try: 1, Code: 250}}}}}
	x, err := decodeExp(t, "recipients:\n  - {match: a@x.test, attempt_times: [0s], tolerance: 0s}\naggregate: {time_to_delivery_p50: 0s, time_to_delivery_p99: 0s}\n")
	if err != nil {
		t.Fatal(err)
	}
	res := Evaluate(instant, x)
	if len(res) != 3 {
		t.Fatalf("%d results %+v, want 3", len(res), res)
	}
	for _, r := range res {
		if !r.Pass {
			t.Errorf("%s: %s", r.Name, r.Message)
		}
	}
	// An aggregate of only 0s is not "no expectations".
	if x, _ := decodeExp(t, "aggregate: {time_to_delivery_p99: 0s}\n"); x.Empty() {
		t.Error("time_to_delivery_p99: 0s reads as no expectation at all")
	}
}

// TestR14ZeroRefusedWhereMeaningless: a 0 that would hold whatever
// happened is refused at its line and key, with what to give instead:
// min_interval: 0s, delivered_share: 0, and a tolerance without
// attempt_times (which it would loosen).
func TestR14ZeroRefusedWhereMeaningless(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ yaml, want string }{
		{"recipients:\n  - match: x\n    min_interval: 0s\n", "exp.yaml:3:19: recipients[0].min_interval: 0s holds for any attempts"},
		{"aggregate:\n  delivered_share: 0\n", "exp.yaml:2:20: aggregate.delivered_share: 0 holds whatever happened"},
		{"recipients:\n  - match: x\n    tolerance: 0s\n", "exp.yaml:3:16: recipients[0].tolerance: is how far each of attempt_times may be off, but the expectation lists no attempt_times"},
	} {
		if _, err := decodeExp(t, tc.yaml); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

// TestR14DeliveriesInWords: one delivery is "1 delivery", not "1
// deliveries".
func TestR14DeliveriesInWords(t *testing.T) {
	t.Parallel()
	d := &Data{Recipients: []*Recipient{{Address: "a@x.test", Status: "delivered", Queued: t0, Done: t0, Attempts: []Attempt{{Time: t0, Try: 1, Code: 250}}}}}
	x, err := decodeExp(t, "aggregate: {max_deliveries_per_day: [0]}\n")
	if err != nil {
		t.Fatal(err)
	}
	if r := Evaluate(d, x); len(r) != 1 || !strings.Contains(r[0].Message, "had 1 delivery, expected at most 0") {
		t.Errorf("results %+v, want one saying \"had 1 delivery\"", r)
	}
}
