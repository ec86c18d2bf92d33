package reports

import (
	"errors"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestFE23OneExpectationsProblemsTogether: a value that does not decode
// no longer hides the problems of the rest of its expectation, and
// LocateAll orders the problems of one line by column: status (a typo,
// with "did you mean"), attempts and min_interval come in one run, as
// the line reads. status came on the next run, after the others.
func TestFE23OneExpectationsProblemsTogether(t *testing.T) {
	t.Parallel()
	data := "recipients:\n  - {match: \"defer2+rest@x.test\", status: delivred, attempts: three, min_interval: 5 min}\n"
	var x Expectations
	err := config.Decode("exp.yaml", []byte(data), &x)
	if err == nil {
		t.Fatal("no error")
	}
	var keys []string
	for _, e := range x.Problems("") {
		var fe *config.FieldError
		if errors.As(e, &fe) {
			keys = append(keys, fe.Key)
		}
	}
	if len(keys) != 3 {
		t.Fatalf("problems at %q, want status, attempts and min_interval", keys)
	}
	// LocateAll as a file's loader calls it: the first problem, located,
	// then the others, all in line and column order.
	probs := x.Problems("")
	got := LocateAll("exp.yaml", []byte(data), config.Locate("exp.yaml", []byte(data), probs[0]), probs[1:]).Error()
	want := strings.Join([]string{
		`exp.yaml:2:43: recipients[0].status: "delivred" is not a status (did you mean "delivered"?): want delivered, bounced, expired, suppressed, deferred or queued`,
		`exp.yaml:2:63: recipients[0].attempts: bad range "three": want N, N-M, N- (N or more), >=N or <=N`,
		`exp.yaml:2:84: recipients[0].min_interval: bad duration "5 min": want a duration like 30s, 5m, 1h30m or 5d`,
	}, "\n")
	if got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
	// A problem that the key set aside makes is not said: tolerance
	// beside an attempt_times that did not decode.
	_, err = decodeExp(t, "recipients:\n  - {match: a@x.test, attempt_times: soon, tolerance: 5s}\n")
	if err == nil || strings.Contains(err.Error(), "tolerance") || !strings.Contains(err.Error(), "attempt_times") {
		t.Errorf("error %v: want attempt_times alone", err)
	}
}

// TestFE23EnumTypos: a value that is a slip of one a key takes is named
// ("did you mean"), as an unknown key is; the range error says the open
// range N- that the README allows; a share says what to write, and takes
// a percentage.
func TestFE23EnumTypos(t *testing.T) {
	t.Parallel()
	for doc, want := range map[string]string{
		"recipients:\n  - {match: a@x.test, status: delivred}\n":                         `"delivred" is not a status (did you mean "delivered"?)`,
		"recipients:\n  - {match: a@x.test, dsn: snet}\n":                                `"snet" (did you mean "sent"?): want sent or none`,
		"recipients:\n  - {match: a@x.test, sender_dsn: faild}\n":                        `"faild" (did you mean "failed"?)`,
		"recipients:\n  - {match: a@x.test, status: zzz}\n":                              `"zzz" is not a status: want`,
		"recipients:\n  - {match: a@x.test, attempts: 2to4}\n":                           `bad range "2to4": want N, N-M, N- (N or more), >=N or <=N`,
		"aggregate: {delivered_share: 100}\n":                                            `100 is not a share between 0 and 1: 100 reads as 100 times all the recipients; for 100%, write 1 (or "100%")`,
		"aggregate: {delivered_share: -0.5}\n":                                           `-0.5 is not a share between 0 and 1: write 1 for all, or 0.95 (or "95%") for 95%`,
		"aggregate: {delivered_share: lots}\n":                                           `"lots" is not a share: write 1 for all, or 0.95 (or "95%") for 95%`,
		"aggregate: {delivered_share: 95%}\n":                                            ``,
		"aggregate: {delivered_share: \"0%\"}\n":                                         `0 holds whatever happened`,
		"recipients:\n  - {match: a@x.test, attempts: \"2-\"}\n":                         ``,
		"recipients:\n  - {match: a@x.test, count: 0}\n":                                 ``,
		"recipients:\n  - {match: a@x.test, status: delivered, count: 0, attempts: 1}\n": "recipients[0].count: 0 asks that nothing match, so status and attempts, which judge each recipient matched, check nothing: leave them out to assert that nothing matches",
	} {
		x, err := decodeExp(t, doc)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: error %v\nwant %q", doc, err, want)
		}
		if doc == "aggregate: {delivered_share: 95%}\n" && (x.Aggregate.DeliveredShare == nil || *x.Aggregate.DeliveredShare != 0.95) {
			t.Errorf("95%% read as %v, want 0.95", x.Aggregate.DeliveredShare)
		}
	}
}
