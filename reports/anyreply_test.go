package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestAnyAndNoReply: any_reply holds when some attempt's reply matches its
// glob, no_reply when none does; each failure names the glob, the replies
// with their attempt numbers, and shows the timeline.
func TestAnyAndNoReply(t *testing.T) {
	t.Parallel()
	d, _ := Load(context.Background(), sampleLog())
	for _, tc := range []struct {
		name, yaml string
		pass       bool
		msg        []string // substrings of the failure
	}{
		{"all hold", `
recipients:
  - {match: "grey@b.test", any_reply: "451 4.7.1 GREYLISTED", no_reply: "5*"}
  - {match: "grey@b.test", any_reply: "250 *", last_reply: "250 *"}
  - {match: "*@c.test", any_reply: "550 5.1.1 *", no_reply: "4*"}
  - {match: "*@a.test", no_reply: "4*"}
`, true, nil},
		{"a deferral's wording that never came", `
recipients:
  - {match: "grey@b.test", any_reply: "421 4.7.28 *"}
`, false, []string{`grey@b.test (message m1): expected a reply matching "421 4.7.28 *" in some attempt (any_reply), got the replies "451 4.7.1 greylisted" (attempt 1), "250 2.0.0 OK" (attempt 2); timeline:
  #1  +0s         local-sink                            451 4.7.1 greylisted
  #2  +5m0s       local-sink                            250 2.0.0 OK`}},
		{"a prefix without a star", `
recipients:
  - {match: "grey@b.test", any_reply: "451 4.7.1"}
`, false, []string{`(attempt 2) (any_reply matches a whole reply: end it with * to allow the text that follows)`}},
		{"a forbidden reply came", `
recipients:
  - {match: "grey@b.test", no_reply: "4*"}
`, false, []string{`grey@b.test (message m1): expected no reply matching "4*" (no_reply), got "451 4.7.1 greylisted" (attempt 1); timeline:`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x, err := decodeExp(t, tc.yaml)
			if err != nil {
				t.Fatal(err)
			}
			var msgs []string
			pass := true
			for _, r := range Evaluate(d, x) {
				pass = pass && r.Pass
				msgs = append(msgs, r.Message)
			}
			got := strings.Join(msgs, "\n")
			if pass != tc.pass {
				t.Errorf("pass = %v, want %v: %s", pass, tc.pass, got)
			}
			for _, m := range tc.msg {
				if !strings.Contains(got, m) {
					t.Errorf("failure message\n%s\ndoes not contain\n%s", got, m)
				}
			}
		})
	}
}

// TestReplyListGroups: a reply that came at several attempts is listed
// once, with their numbers, and no attempt at all fails any_reply (never
// no_reply).
func TestReplyListGroups(t *testing.T) {
	t.Parallel()
	r := &Recipient{Address: "a@x.test", Queued: t0, Attempts: []Attempt{
		{Time: t0, Code: 421, Enhanced: "4.7.0", Text: "later"},
		{Time: t0, Code: 421, Enhanced: "4.7.0", Text: "later"},
		{Time: t0, Error: "connect: connection refused"},
		{Time: t0, Code: 550, Enhanced: "5.7.1", Text: "no"},
	}}
	want := `got the replies "421 4.7.0 later" (attempts 1, 2), "connect: connection refused" (attempt 3), "550 5.7.1 no" (attempt 4)`
	if got := strings.Join(checkAnyReply(r, "250*"), ""); !strings.Contains(got, want) {
		t.Errorf("any_reply failure %q, want it to contain %q", got, want)
	}
	want = `got "421 4.7.0 later" (attempts 1, 2)`
	if got := strings.Join(checkNoReply(r, "421 *"), ""); !strings.HasSuffix(got, want) {
		t.Errorf("no_reply failure %q, want it to end with %q", got, want)
	}
	none := &Recipient{Address: "b@x.test", Status: "suppressed", Queued: t0}
	if got := strings.Join(checkAnyReply(none, "*"), ""); !strings.Contains(got, "but there was no attempt") {
		t.Errorf("any_reply without attempts: %q", got)
	}
	if got := checkNoReply(none, "*"); got != nil {
		t.Errorf("no_reply without attempts: %q, want it to hold", got)
	}
}

func TestAnyNoReplyErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ yaml, want string }{
		{"recipients:\n  - match: x\n    any_reply: \"421 *\"\n    attempts: 0\n", `exp.yaml:3:16: recipients[0].any_reply: needs an attempt whose reply matches, but attempts is 0: the expectation can never hold`},
		{"recipients:\n  - match: x\n    any_reply: \"550 5.1.1 *\"\n    no_reply: \"5*\"\n", `exp.yaml:4:15: recipients[0].no_reply: "5*" forbids every reply that any_reply 550 5.1.1 * asks for: the expectation can never hold`},
		{"recipients:\n  - match: x\n    no_reply: \"421 4.7.28 *\"\n    any_reply: \"421 4.7.28 *\"\n", `recipients[0].no_reply: "421 4.7.28 *" forbids every reply that any_reply 421 4.7.28 * asks for`},
		{"recipients:\n  - {match: x, last_reply: \"250 2.0.0 OK\", no_reply: \"250 2.0.0 ok\"}\n", `forbids every reply that last_reply 250 2.0.0 OK asks for`},
		{"recipients:\n  - {match: x, last_code: 5xx, no_reply: \"5*\"}\n", `"5*" forbids every reply that last_code 5xx asks for`},
		{"recipients:\n  - {match: x, last_code: \"421\", no_reply: \"4??*\"}\n", `"4??*" forbids every reply that last_code 421 asks for`},
		{"recipients:\n  - {match: x, status: delivered, no_reply: \"2*\"}\n", `"2*" forbids every reply that status delivered (a 2xx reply) asks for`},
		{"recipients:\n  - {match: x, any_reply: \"4*\", no_reply: \"*\"}\n", `"*" forbids every reply that any_reply 4* asks for`},
	} {
		_, err := decodeExp(t, tc.yaml)
		var ce *config.Error
		if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
	for _, y := range []string{
		"recipients:\n  - {match: x, any_reply: \"421 4.7.28 *\", no_reply: \"5*\", last_reply: \"250 *\", status: delivered}\n",
		"recipients:\n  - {match: x, any_reply: \"5*\", no_reply: \"550 5.1.1 *\"}\n",
		"recipients:\n  - {match: x, any_reply: \"4?? *\", no_reply: \"421*\"}\n",
		"recipients:\n  - {match: x, last_code: 4xx, no_reply: \"421*\"}\n",
		"recipients:\n  - {match: x, no_reply: \"*\", attempts: 0}\n",
	} {
		if _, err := decodeExp(t, y); err != nil {
			t.Errorf("%q: %v", y, err)
		}
	}
}

// TestFromSinkAnyReply: any_reply and no_reply judge a sink's record
// (relaylab expect --db) as they judge a replay's.
func TestFromSinkAnyReply(t *testing.T) {
	t.Parallel()
	d, err := FromSink(context.Background(), fakeSink{
		{Time: t0, Listener: "mx", Client: "127.0.0.1", Recipient: "a@x.test", Stage: "rcpt", Code: 421, Enhanced: "4.7.28", Text: "unusual rate"},
		{Time: t0.Add(5 * 60e9), Listener: "mx", Client: "127.0.0.1", Recipient: "a@x.test", Stage: "rcpt", Code: 250, Enhanced: "2.1.5", Text: "ok"},
		{Time: t0.Add(5 * 60e9), Listener: "mx", Client: "127.0.0.1", Recipient: "a@x.test", Stage: "data-end", Code: 250, Enhanced: "2.0.0", Text: "queued"},
	})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := decodeExp(t, "recipients:\n  - {match: \"a@x.test\", status: delivered, any_reply: \"421 4.7.28 *\", no_reply: \"5*\", last_reply: \"250 *\"}\n  - {match: \"a@x.test\", no_reply: \"4*\"}\n")
	res := Evaluate(d, x)
	if !res[0].Pass {
		t.Errorf("any_reply on a sink's record: %s", res[0].Message)
	}
	if res[1].Pass || !strings.Contains(res[1].Message, `a@x.test: expected no reply matching "4*" (no_reply), got "421 4.7.28 unusual rate" (attempt 1); timeline:`) {
		t.Errorf("no_reply on a sink's record: %+v", res[1])
	}
}

// TestAnyReplyInOutputs: a failed any_reply reaches JSON, JUnit and HTML.
func TestAnyReplyInOutputs(t *testing.T) {
	t.Parallel()
	d, _ := Load(context.Background(), sampleLog())
	x, _ := decodeExp(t, "recipients:\n  - {match: \"grey@b.test\", any_reply: \"421 4.7.28 *\"}\n")
	vs := []Verdict{NewVerdict("sample", "sample.yaml", d, Evaluate(d, x))}
	const want = `expected a reply matching "421 4.7.28 *" in some attempt (any_reply)`
	var js, ju, h bytes.Buffer
	if err := WriteVerdictsJSON(&js, vs); err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Verdicts []struct{ Results []Result }
	}
	if err := json.Unmarshal(js.Bytes(), &parsed); err != nil {
		t.Fatal(err)
	}
	if rs := parsed.Verdicts[0].Results; len(rs) != 1 || rs[0].Pass || !strings.Contains(rs[0].Message, want) {
		t.Errorf("json results: %+v", rs)
	}
	if err := WriteVerdictsJUnit(&ju, vs); err != nil {
		t.Fatal(err)
	}
	var suites junitSuites
	if err := xml.Unmarshal(ju.Bytes(), &suites); err != nil {
		t.Fatal(err)
	}
	if f := suites.Suites[0].Cases[0].Failure; f == nil || !strings.Contains(f.Message+f.Text, want) {
		t.Errorf("junit failure = %+v", f)
	}
	if err := WriteVerdictsHTML(&h, vs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.String(), "expected a reply matching &#34;421 4.7.28 *&#34; in some attempt (any_reply)") {
		t.Errorf("html lacks the failure:\n%s", h.String())
	}
}
