package reports

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/config"
)

func decodeExp(t *testing.T, y string) (Expectations, error) {
	t.Helper()
	var x Expectations
	err := config.Decode("exp.yaml", []byte(y), &x)
	return x, err
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	d, _ := Load(context.Background(), sampleLog())
	for _, tc := range []struct {
		name, yaml string
		pass       []bool
		msg        string // substring of the first failure
	}{
		{"all hold", `
recipients:
  - {match: "grey@b.test", status: delivered, attempts: 2, attempt_times: [0s, 5m], min_interval: 4m, last_code: "250"}
  - {match: "*@c.test", status: bounced, attempts: "1", category: invalid-recipient, dsn: sent, last_code: 5xx}
  - {match: "*.test", count: 3}
aggregate: {no_attempt_after_5xx: true, time_to_delivery_p99: 5m}
`, []bool{true, true, true, true, true}, ""},
		{"wrong attempts", `
recipients:
  - {match: "grey@b.test", attempts: 1}
`, []bool{false}, "grey@b.test (message m1): expected 1 attempt, got 2; timeline:\n  #1  +0s"},
		{"not delivered: why and what to do", `
recipients:
  - {match: "*@c.test", status: delivered}
`, []bool{false}, "got bounced; timeline:\n  #1  +1m0s       mx                                    550 5.1.1 no such user | really\n  bounced (invalid-recipient): the mailbox does not exist\n  what to do: check the address"},
		{"wrong time", `
recipients:
  - {match: "grey@b.test", attempt_times: [0s, 10m], tolerance: 30s}
`, []bool{false}, "expected attempt 2 at +10m0s (±30s), got +5m0s"},
		{"nothing matches", `
recipients:
  - {match: "*@nowhere.test", status: delivered}
`, []bool{false}, `expected >=1 recipients matching "*@nowhere.test", found 0`},
		{"share", `
aggregate: {delivered_share: 0.9}
`, []bool{false}, "expected at least 90.0% delivered, got 66.7% (2 of 3)"},
		{"deliveries per day", `
aggregate: {max_deliveries_per_day: [1]}
`, []bool{false}, "had 2 deliveries, expected at most 1: "},
		{"deliveries per day within the cap", `
aggregate: {max_deliveries_per_day: [2, 0]}
`, []bool{true}, ""},
		{"dsn status", `
recipients:
  - {match: "*@c.test", dsn_status: "4."}
`, []bool{false}, "expected a DSN with status 4., got 5.1.1"},
		{"no dsn", `
recipients:
  - {match: "*@c.test", dsn: none, suppressed: true}
`, []bool{false}, "expected no DSN, one was sent; expected suppressed=true, got false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x, err := decodeExp(t, tc.yaml)
			if err != nil {
				t.Fatal(err)
			}
			res := Evaluate(d, x)
			if len(res) != len(tc.pass) {
				t.Fatalf("%d results, want %d: %+v", len(res), len(tc.pass), res)
			}
			first := ""
			for i, r := range res {
				if r.Pass != tc.pass[i] {
					t.Errorf("result %d %s: pass=%v, want %v (%s)", i, r.Name, r.Pass, tc.pass[i], r.Message)
				}
				if !r.Pass && first == "" {
					first = r.Message
				}
			}
			if !strings.Contains(first, tc.msg) {
				t.Errorf("failure message %q does not contain %q", first, tc.msg)
			}
		})
	}
}

func TestExpectationErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ yaml, want string }{
		{"recipients:\n  - {status: delivered}\n", "exp.yaml:2:5: recipients[0].match"},
		{"recipients:\n  - match: x\n    status: gone\n", `exp.yaml:3:13: recipients[0].status: "gone" is not a status`},
		{"recipients:\n  - match: x\n    attempts: 2\n    attempt_times: [1s]\n", "can never hold"},
		{"recipients:\n  - match: x\n    attempts: lots\n", `exp.yaml:3:15: recipients[0].attempts: bad range "lots"`},
		{"recipients:\n  - match: x\n    atempts: 2\n", "exp.yaml:3:5: recipients[0].atempts"},
		{"aggregate:\n  delivered_share: 2\n", "aggregate.delivered_share: 2 is not a share"},
		{"aggregate:\n  max_deliveries_per_day: [2, -1]\n", "aggregate.max_deliveries_per_day[1]: -1 is not a number of deliveries"},
		{"recipients:\n  - match: x\n    attempt_times: [0s, -5m]\n", "exp.yaml:3:25: recipients[0].attempt_times[1]: -5m0s is before the message was queued"},
		{"recipients:\n  - match: x\n    tolerance: -1s\n", "exp.yaml:3:16: recipients[0].tolerance: -1s is negative"},
		{"recipients:\n  - match: x\n    min_interval: -1s\n", "recipients[0].min_interval: -1s is negative"},
		{"recipients:\n  - match: x\n    max_interval: -1s\n", "recipients[0].max_interval: -1s is negative"},
		{"recipients:\n  - match: x\n    category: nonsense\n", `exp.yaml:3:15: recipients[0].category: "nonsense" is not a category the relay gives: want one of auth-not-offered, authentication-failure, `},
		{"aggregate:\n  time_to_delivery_p50: -1h\n", "exp.yaml:2:25: aggregate.time_to_delivery_p50: -1h0m0s is negative"},
		{"aggregate:\n  time_to_delivery_p99: -1h\n", "aggregate.time_to_delivery_p99: -1h0m0s is negative"},
		{"aggregate:\n  max_concurrent_per_destination: -1\n", "aggregate.max_concurrent_per_destination: -1 is not a number of connections"},
	} {
		_, err := decodeExp(t, tc.yaml)
		var ce *config.Error
		if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

func TestParseRange(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][2]int{"3": {3, 3}, "2-4": {2, 4}, ">=2": {2, -1}, "<=5": {0, 5}} {
		r, err := ParseRange(in)
		if err != nil || r.Min != want[0] || r.Max != want[1] {
			t.Errorf("ParseRange(%q) = %+v, %v", in, r, err)
		}
	}
	for _, in := range []string{"", "a", "4-2", "-1", ">=x"} {
		if _, err := ParseRange(in); err == nil {
			t.Errorf("ParseRange(%q) succeeded", in)
		}
	}
}

func TestGlob(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"*@a.test", "x@a.test", true}, {"*@a.test", "x@b.test", false}, {"*", "", true},
		{"a?c", "abc", true}, {"a?c", "ac", false}, {"*/*@c.test", "<s>x</s>@c.test", true},
		{"user*@*", "user12@x", true}, {"*x*y", "axbxcy", true}, {"*x*y", "axbxc", false},
	} {
		if got := Glob(tc.p, tc.s); got != tc.want {
			t.Errorf("Glob(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

type fakeSink []SinkAttempt

func (f fakeSink) AllAttempts(context.Context) ([]SinkAttempt, error) { return f, nil }

func TestFromSink(t *testing.T) {
	t.Parallel()
	at := func(min int, rcpt, stage string, code int) SinkAttempt {
		return SinkAttempt{Time: t0.Add(time.Duration(min) * time.Minute), Listener: "mx", Client: "127.0.0.1", Recipient: rcpt, Stage: stage, Code: code}
	}
	d, err := FromSink(context.Background(), fakeSink{
		at(0, "a@x.test", "rcpt", 451), at(5, "A@x.test", "rcpt", 451), at(15, "a@x.test", "data-end", 250),
		at(1, "b@x.test", "rcpt", 550),
		at(2, "c@x.test", "data-end", 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	x, err := decodeExp(t, `
recipients:
  - {match: "a@x.test", status: delivered, attempts: 3, attempt_times: [0s, 5m, 15m], min_interval: 5m}
  - {match: "b@*", status: bounced, last_code: 5xx}
  - {match: "c@*", status: deferred}
`)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Evaluate(d, x) {
		if !r.Pass {
			t.Errorf("%s: %s", r.Name, r.Message)
		}
	}
	if d.Recipients[2].Attempts[0].Error == "" {
		t.Error("a dropped connection has no explanation")
	}
}

// TestCategoriesMatchClassifier: Categories holds every category of the
// relay's built-in table, and nothing else but expired and deleted, which
// the relay gives without a rule, and suppressed, which a recipient
// refused for the suppression list has.
func TestCategoriesMatchClassifier(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../relay/classify.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"deleted", "expired", "suppressed"}
	for _, m := range regexp.MustCompile(`(?m)^\s+category:\s*(\S+)\s*$`).FindAllStringSubmatch(string(data), -1) {
		want = append(want, m[1])
	}
	want = slices.Compact(slices.Sorted(slices.Values(want)))
	if got := slices.Sorted(slices.Values(Categories)); !slices.Equal(got, want) {
		t.Errorf("Categories = %q\nwant %q (relay/classify.yaml, expired, deleted, suppressed)", got, want)
	}
}

// TestExtraCategories: a replay's own classification rules add categories.
func TestExtraCategories(t *testing.T) {
	t.Parallel()
	x := Expectations{Recipients: []RecipientExpectation{{Match: "*", Category: "our-own"}}}
	if err := x.Validate(""); err == nil {
		t.Fatal("an unknown category passed")
	}
	x.ExtraCategories = []string{"our-own"}
	if err := x.Validate(""); err != nil {
		t.Fatalf("a category of the replay's rules: %v", err)
	}
}

// TestSinkTimelineFoldsAcrossClientPorts: a sink's attempt names the
// client's address without its port, which is new for every session, so
// that a sender's repeated tries fold into one timeline line as the
// relay's do; they printed one line each before ("127.0.0.1:55552",
// "127.0.0.1:55568", ...).
func TestSinkTimelineFoldsAcrossClientPorts(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	var src fakeSink
	for i := range 5 {
		src = append(src, SinkAttempt{Time: t0.Add(time.Duration(i) * time.Minute), Listener: "mx", Client: fmt.Sprintf("127.0.0.1:%d", 55552+16*i),
			Recipient: "d@x.test", Stage: "data-end", Code: 451, Enhanced: "4.3.0", Text: "try later"})
	}
	d, err := FromSink(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	WriteTimeline(&b, d.Recipients[0])
	if out := b.String(); !strings.Contains(out, "(5 times)") || strings.Contains(out, ":55552") {
		t.Errorf("timeline:\n%s\nwant the five tries folded, without the client's port", out)
	}
}

// TestNoMatchSuggestsAnAddress: an expectation whose match finds no
// recipient names the nearest address the record has, as replay's load
// does for the addresses a scenario sends to; it said "found 0" alone.
func TestNoMatchSuggestsAnAddress(t *testing.T) {
	t.Parallel()
	d := &Data{Recipients: []*Recipient{{Address: "defer2+run1@example.test", Status: "delivered"}, {Address: "ok@example.test", Status: "delivered"}}}
	res := Evaluate(d, Expectations{Recipients: []RecipientExpectation{{Match: "defer2+runl@example.test"}}})
	if want := `found 0 (did you mean "defer2+run1@example.test"?)`; res[0].Pass || !strings.Contains(res[0].Message, want) {
		t.Errorf("got %q, want %q in it", res[0].Message, want)
	}
}
