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

// TestLastReplyAndTLS: last_reply is a case-insensitive glob over the
// whole last reply, and tls judges the last attempt's connection; each
// failure says what was expected, what happened, and shows the timeline.
func TestLastReplyAndTLS(t *testing.T) {
	t.Parallel()
	d, _ := Load(context.Background(), sampleLog())
	for _, tc := range []struct {
		name, yaml string
		pass       bool
		msg        []string // substrings of the failure
	}{
		{"all hold", `
recipients:
  - {match: "grey@b.test", tls: true, last_reply: "250 2.0.0 *"}
  - {match: "ok@a.test", tls: false, last_reply: "250 2.0.0 ok"}
  - {match: "*@c.test", tls: false, last_code: 5xx, last_reply: "550 5.1.1 NO SUCH USER*"}
  - {match: "*@c.test", last_reply: "* 5.1.1 *really"}
`, true, nil},
		{"plaintext where TLS was expected", `
recipients:
  - {match: "ok@a.test", tls: true}
`, false, []string{"ok@a.test (message m1): expected the last attempt over TLS (tls: true), but its connection had none; timeline:\n  #1  +0s"}},
		{"TLS where plaintext was expected", `
recipients:
  - {match: "grey@b.test", tls: false}
`, false, []string{
			"grey@b.test (message m1): expected the last attempt without TLS (tls: false), but its connection used TLS 1.3 TLS_AES_128_GCM_SHA256; timeline:",
			"  #2  +5m0s       local-sink                            250 2.0.0 OK  [TLS 1.3]",
		}},
		{"another enhanced code", `
recipients:
  - {match: "*@c.test", last_reply: "550 5.7.1 *"}
`, false, []string{`expected the last reply to match "550 5.7.1 *", got "550 5.1.1 no such user | really"; timeline:`}},
		{"a prefix without a star", `
recipients:
  - {match: "*@c.test", last_reply: "550 5.1.1"}
`, false, []string{`got "550 5.1.1 no such user | really" (last_reply matches the whole reply: end it with * to allow the text that follows)`}},
		{"a substring is not enough", `
recipients:
  - {match: "*@c.test", last_reply: "5.1.1"}
`, false, []string{`expected the last reply to match "5.1.1", got`}},
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

// TestLastWithoutAttempts: a recipient never tried fails tls and
// last_reply whatever they expect, and says there was no attempt.
func TestLastWithoutAttempts(t *testing.T) {
	t.Parallel()
	d := &Data{Recipients: []*Recipient{{Address: "gone@x.test", Status: "suppressed", Queued: t0}}}
	for _, y := range []string{"tls: true", "tls: false", `last_reply: "*"`} {
		x, err := decodeExp(t, "recipients:\n  - {match: \"*\", "+y+"}\n")
		if err != nil {
			t.Fatal(err)
		}
		res := Evaluate(d, x)
		if res[0].Pass || !strings.Contains(res[0].Message, "but there was no attempt") || !strings.Contains(res[0].Message, "(no attempts)") {
			t.Errorf("%s on a recipient without attempts: %+v", y, res[0])
		}
	}
}

// TestAttemptReply: one space between the parts a reply has, so that a
// reply without an enhanced code reads "421 try later", which last_reply
// globs match, and not "421  try later".
func TestAttemptReply(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a    Attempt
		want string
	}{
		{Attempt{Code: 250, Enhanced: "2.0.0", Text: "ok"}, "250 2.0.0 ok"},
		{Attempt{Code: 421, Text: "try later"}, "421 try later"},
		{Attempt{Code: 421, Enhanced: "4.7.0"}, "421 4.7.0"},
		{Attempt{Code: 554}, "554"},
		{Attempt{Error: "connect: connection refused"}, "connect: connection refused"},
	} {
		if got := tc.a.Reply(); got != tc.want {
			t.Errorf("%+v: Reply() = %q, want %q", tc.a, got, tc.want)
		}
	}
	d := &Data{Recipients: []*Recipient{{Address: "a@x.test", Status: "deferred", Queued: t0, Attempts: []Attempt{{Time: t0, Code: 421, Text: "try later"}}}}}
	x, _ := decodeExp(t, "recipients:\n  - {match: \"*\", last_reply: \"421 try *\"}\n")
	if res := Evaluate(d, x); !res[0].Pass {
		t.Errorf("a reply without an enhanced code: %s", res[0].Message)
	}
}

func TestLastExpectationErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ yaml, want string }{
		{"recipients:\n  - match: x\n    tls: maybe\n", `exp.yaml:3:10: recipients[0].tls: "maybe": want true or false`},
		{"recipients:\n  - match: x\n    tls: required\n", `recipients[0].tls: "required": want true or false`},
		{"recipients:\n  - match: x\n    tls: true\n    attempts: 0\n", "exp.yaml:3:10: recipients[0].tls: judges the last attempt, but attempts is 0: the expectation can never hold"},
		{"recipients:\n  - match: x\n    last_reply: \"*\"\n    attempts: <=0\n", "recipients[0].last_reply: judges the last attempt, but attempts is 0"},
		{"recipients:\n  - match: x\n    last_code: \"250\"\n    last_reply: \"421 4.7.28 *\"\n", `exp.yaml:4:17: recipients[0].last_reply: "421 4.7.28 *" begins with 421 but last_code is 250: the expectation can never hold`},
		{"recipients:\n  - match: x\n    last_code: 5xx\n    last_reply: \"421\"\n", `"421" begins with 421 but last_code is 5xx`},
		{"recipients:\n  - match: x\n    status: delivered\n    last_code: 4xx\n", `exp.yaml:4:16: recipients[0].last_code: 4xx, but status delivered ends with a 2xx reply: the expectation can never hold`},
	} {
		_, err := decodeExp(t, tc.yaml)
		var ce *config.Error
		if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
	for _, y := range []string{
		"recipients:\n  - {match: x, tls: false, last_code: 4xx, last_reply: \"421 4.7.28 *\"}\n",
		"recipients:\n  - {match: x, last_code: \"421\", last_reply: \"4?? *\"}\n",
		"recipients:\n  - {match: x, last_code: \"421\", last_reply: \"4210 is not a code*\"}\n",
		"recipients:\n  - {match: x, tls: \"true\", attempts: \">=1\"}\n",
	} {
		if _, err := decodeExp(t, y); err != nil {
			t.Errorf("%q: %v", y, err)
		}
	}
}

// TestFromSinkLast: last_reply and tls judge a sink's record as they
// judge a replay's, tls from the TLS of the attempt's session.
func TestFromSinkLast(t *testing.T) {
	t.Parallel()
	d, err := FromSink(context.Background(), fakeSink{
		{Time: t0, Listener: "mx", Client: "127.0.0.1", Recipient: "a@x.test", Stage: "rcpt", Code: 421, Enhanced: "4.7.28", Text: "unusual rate", TLS: "TLS 1.3 TLS_AES_128_GCM_SHA256"},
		{Time: t0, Listener: "mx", Client: "127.0.0.1", Recipient: "b@x.test", Stage: "rcpt", Code: 250},
	})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := decodeExp(t, "recipients:\n  - {match: \"a@x.test\", last_reply: \"421 4.7.28 *\"}\n  - {match: \"a@x.test\", tls: false}\n  - {match: \"a@x.test\", tls: true}\n  - {match: \"b@x.test\", tls: false}\n")
	res := Evaluate(d, x)
	if !res[0].Pass {
		t.Errorf("last_reply on a sink's record: %s", res[0].Message)
	}
	if res[1].Pass || !strings.Contains(res[1].Message, "a@x.test: expected the last attempt without TLS (tls: false), but its connection used TLS 1.3 TLS_AES_128_GCM_SHA256; timeline:") {
		t.Errorf("tls: false on a sink's record over TLS: %+v", res[1])
	}
	if !res[2].Pass || !res[3].Pass {
		t.Errorf("tls on a sink's record: %+v, %+v", res[2], res[3])
	}
}

// TestTLSInOutputs: each attempt's TLS is in the JSON and HTML reports and
// the text timeline, and a failed tls expectation reaches JUnit.
func TestTLSInOutputs(t *testing.T) {
	t.Parallel()
	d, _ := Load(context.Background(), sampleLog())
	x, _ := decodeExp(t, "recipients:\n  - {match: \"grey@b.test\", tls: false}\n")
	vs := []Verdict{NewVerdict("sample", "sample.yaml", d, Evaluate(d, x))}
	var js, ju, h, text bytes.Buffer
	if err := WriteVerdictsJSON(&js, vs); err != nil {
		t.Fatal(err)
	}
	var parsed struct{ Verdicts []Verdict }
	if err := json.Unmarshal(js.Bytes(), &parsed); err != nil {
		t.Fatal(err)
	}
	grey := parsed.Verdicts[0].Recipients[0]
	if a := grey.Attempts; len(a) != 2 || a[0].TLS != "" || a[1].TLS != "TLS 1.3" || a[1].Cipher != "TLS_AES_128_GCM_SHA256" {
		t.Errorf("json attempts of %s: %+v", grey.Address, grey.Attempts)
	}
	if err := WriteVerdictsJUnit(&ju, vs); err != nil {
		t.Fatal(err)
	}
	var suites junitSuites
	if err := xml.Unmarshal(ju.Bytes(), &suites); err != nil {
		t.Fatal(err)
	}
	if f := suites.Suites[0].Cases[0].Failure; f == nil || !strings.Contains(f.Message, "expected the last attempt without TLS (tls: false), but its connection used TLS 1.3") || !strings.Contains(f.Text, "[TLS 1.3]") {
		t.Errorf("junit failure = %+v", f)
	}
	if err := WriteVerdictsHTML(&h, vs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.String(), "<code>#2 &#43;5m0s local-sink  250 2.0.0 OK [TLS 1.3]</code>") {
		t.Errorf("html lacks the attempt's TLS:\n%s", h.String())
	}
	WriteTimeline(&text, grey)
	if lines := strings.Split(strings.TrimSpace(text.String()), "\n"); len(lines) != 2 || strings.Contains(lines[0], "TLS") || !strings.HasSuffix(lines[1], "  [TLS 1.3]") {
		t.Errorf("timeline:\n%s", text.String())
	}
}
