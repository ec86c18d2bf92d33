package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
)

// ft22EarlyVerdict judges, on earlyRefusedSink, three expectations that
// find too few records and one whose any_reply only such a refusal met.
func ft22EarlyVerdict(t *testing.T) Verdict {
	t.Helper()
	d := earlyRefusedSink(t)
	x, err := decodeExp(t, `
recipients:
  - {match: "a@down.test", status: bounced}
  - {match: "b@down.test"}
  - {match: "ok?@slow.test", count: 2}
  - {match: "ok?@slow.test", any_reply: "421 4.7.28 *"}
  - {match: "ok?@slow.test", count: 1}
`)
	if err != nil {
		t.Fatal(err)
	}
	return NewVerdict("early", "early.yaml", d, Evaluate(d, x))
}

// earlyDetail is a piece of the note on the early refusals that only the
// run's note has, not an expectation's reference to it.
const earlyDetail = `2 at the greeting on listener down ("421 4.3.2 not accepting mail", by rule "down")`

// TestFT22EarlyRefusalsNotedOncePerRun: the sessions the sink refused
// before RCPT TO are told once, as a note of the verdict (its run-level
// note), with every detail; each expectation that finds too few records
// (or whose any_reply only such a refusal met) refers to it in a few
// words, saying when the refusals at MAIL FROM were from its records'
// sender. Before, the whole note was repeated in every such failure.
func TestFT22EarlyRefusalsNotedOncePerRun(t *testing.T) {
	t.Parallel()
	v := ft22EarlyVerdict(t)
	notes := 0
	for _, n := range v.Notes {
		if strings.Contains(n, earlyDetail) {
			notes++
			for _, want := range []string{"the sink refused 3 sessions before any RCPT TO", `1 at MAIL FROM on listener slow ("421 4.7.28 unusual rate", by limits.rate) from app@s.test`, `attempt:`} {
				if !strings.Contains(n, want) {
					t.Errorf("the note lacks %q:\n%s", want, n)
				}
			}
		}
	}
	if notes != 1 {
		t.Errorf("%d notes on the early refusals, want 1: %q", notes, v.Notes)
	}
	for i, want := range map[int]string{
		0: "3 sessions the sink refused before any RCPT TO are in no record: see the note on early refusals",
		1: "3 sessions the sink refused before any RCPT TO are in no record: see the note on early refusals",
		2: "3 sessions the sink refused before any RCPT TO are in no record, 1 of them at MAIL FROM from app@s.test, the sender of the records this expectation matched: see the note on early refusals",
		3: "any_reply judges the replies of a recipient's attempts, and the replies it asks for came before RCPT TO, in sessions that are in no record: see the note on early refusals",
	} {
		r := v.Results[i]
		if r.Pass || !strings.Contains(r.Message, want) {
			t.Errorf("%s: pass %v, want a failure that says %q:\n%s", r.Name, r.Pass, want, r.Message)
		}
		if strings.Contains(r.Message, earlyDetail) {
			t.Errorf("%s: the failure repeats the note's detail:\n%s", r.Name, r.Message)
		}
	}
	if !v.Results[4].Pass {
		t.Errorf("%s: %s", v.Results[4].Name, v.Results[4].Message)
	}
	// Each format that prints the verdict's notes prints it once.
	var text, md, js, h bytes.Buffer
	WriteVerdicts(&text, []Verdict{v})
	for name, write := range map[string]func() error{
		"markdown": func() error { return WriteVerdictsMarkdown(&md, []Verdict{v}) },
		"json":     func() error { return WriteVerdictsJSON(&js, []Verdict{v}) },
		"html":     func() error { return WriteVerdictsHTML(&h, []Verdict{v}) },
	} {
		if err := write(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// JUnit says it in the suite's system-out (and properties, with
	// every note), not in each case's.
	var ju bytes.Buffer
	if err := WriteVerdictsJUnit(&ju, []Verdict{v}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Properties []JUnitProperty `xml:"properties>property"`
			SystemOut  string          `xml:"system-out"`
			Cases      []JUnitCase     `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(ju.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if su := doc.Suites[0]; strings.Count(su.SystemOut, earlyDetail) != 1 {
		t.Errorf("JUnit suite system-out %q: want the note on the early refusals once", su.SystemOut)
	}
	for _, c := range doc.Suites[0].Cases {
		if strings.Contains(c.SystemOut, earlyDetail) {
			t.Errorf("JUnit case %s repeats the note on the early refusals in its system-out", c.Name)
		}
		if c.Failure != nil && c.Name != "recipients[3] ok?@slow.test" && !strings.Contains(c.Failure.Message, earlyNoteRef) {
			t.Errorf("JUnit case %s: failure message %q does not refer to the note", c.Name, c.Failure.Message)
		}
	}
	for name, out := range map[string]string{"text": text.String(), "markdown": md.String(), "json": js.String(), "html": h.String()} {
		detail := earlyDetail
		switch name {
		case "json":
			b, _ := json.Marshal(earlyDetail)
			detail = strings.Trim(string(b), `"`)
		case "html":
			detail = strings.ReplaceAll(detail, `"`, "&#34;")
		}
		if n := strings.Count(out, detail); n != 1 {
			t.Errorf("%s: the early refusals' detail is there %d times, want once:\n%s", name, n, out)
		}
	}
}

// TestFT22NoEarlyNoteWhenAllFound: a verdict whose expectations find
// their records has no note on the early refusals, though the sink has
// some: nothing is missing for them to explain.
func TestFT22NoEarlyNoteWhenAllFound(t *testing.T) {
	t.Parallel()
	greet := SinkEarlyRefusal{Time: t0, Listener: "down", Stage: "connect", Code: 421, Enhanced: "4.3.2", Text: "not accepting mail"}
	src := earlySink{fakeMessageSink: fakeMessageSink{{Message: 1, SinkAttempt: SinkAttempt{Time: t0, Listener: "mx", Client: "127.0.0.1:1",
		Sender: "app@s.test", Recipient: "ok@x.test", Stage: "data-end", Code: 250}}}, early: []SinkEarlyRefusal{greet}}
	d, err := FromSink(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	x, err := decodeExp(t, "recipients:\n  - {match: \"ok@x.test\", status: delivered}\n")
	if err != nil {
		t.Fatal(err)
	}
	if v := NewVerdict("ok", "ok.yaml", d, Evaluate(d, x)); !v.Passed || len(v.Notes) != 0 {
		t.Errorf("passed %v, notes %q: want a pass without notes", v.Passed, v.Notes)
	}
}
