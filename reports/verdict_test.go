package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
)

func TestVerdictOutputs(t *testing.T) {
	t.Parallel()
	d, _ := Load(context.Background(), sampleLog())
	results := []Result{{Name: "delivered", Pass: true}, {Name: "bounce", Pass: false, Message: "x@c.test: expected status delivered, got bounced; timeline:\n  #1 ..."}}
	vs := []Verdict{NewVerdict("sample", "sample.yaml", d, results)}
	if vs[0].Passed {
		t.Fatal("a verdict with a failed result passed")
	}
	var text bytes.Buffer
	WriteVerdicts(&text, vs)
	for _, want := range []string{"FAIL sample: 3 recipients", "  ok    delivered", "  FAIL  bounce", "        x@c.test: expected status delivered", "1 passed, 1 failed"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := WriteVerdictsJSON(&js, vs); err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Passed   bool
		Verdicts []Verdict
	}
	if err := json.Unmarshal(js.Bytes(), &parsed); err != nil || parsed.Passed || len(parsed.Verdicts[0].Recipients) != 3 {
		t.Errorf("json: %v %+v", err, parsed)
	}
	var ju bytes.Buffer
	if err := WriteVerdictsJUnit(&ju, vs); err != nil {
		t.Fatal(err)
	}
	var suites junitSuites
	if err := xml.Unmarshal(ju.Bytes(), &suites); err != nil {
		t.Fatal(err)
	}
	if s := suites.Suites[0]; s.Tests != 2 || s.Failures != 1 || s.Cases[1].Failure.Message != "x@c.test: expected status delivered, got bounced" || !strings.Contains(s.Cases[1].Failure.Text, "; timeline:\n  #1") {
		t.Errorf("junit = %+v", s)
	}
	var h bytes.Buffer
	if err := WriteVerdictsHTML(&h, vs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.String(), "<h2>sample</h2>") || !strings.Contains(h.String(), "FAIL</span><pre>x@c.test") {
		t.Errorf("html lacks the verdict section")
	}
}

// TestVerdictsMarkdown: the Markdown for a CI summary has a row per
// scenario with its verdict, and each failed expectation's message in a
// fence that the message cannot close.
func TestVerdictsMarkdown(t *testing.T) {
	t.Parallel()
	d, _ := Load(context.Background(), sampleLog())
	vs := []Verdict{
		NewVerdict("good | one", "a.yaml", d, []Result{{Name: "delivered", Pass: true}}),
		NewVerdict("bad", "b.yaml", d, []Result{{Name: "bounce", Pass: false, Message: "x@c.test: expected status delivered, got bounced; timeline:\n  #1  ``` 550"}}),
	}
	var b strings.Builder
	if err := WriteVerdictsMarkdown(&b, vs); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"## relaylab verdicts: failed\n\nexpectations: 1 passed, 1 failed",
		"| good \\| one | ✅ pass | 1 | 3 |",
		"| bad | ❌ fail | 1 | 3 |",
		"### ❌ bad: bounce\n\n````\nx@c.test: expected status delivered, got bounced; timeline:\n  #1  ``` 550\n````\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
}

// TestVerdictsHTMLNotesAndNotJudged: the verdicts' HTML shows each
// verdict's notes (a sink's note on a piece that is no directive), says
// "not judged" with the error for a file that did not load, without the
// empty store's advice to run serve, and begins with the overall result,
// as the Markdown does. It showed no notes, and a red FAIL with an empty
// report and the serve advice for a file that did not load.
func TestVerdictsHTMLNotesAndNotJudged(t *testing.T) {
	t.Parallel()
	r := &Recipient{Message: "m1", Address: "a@x.test", Status: "delivered", Queued: t0,
		Attempts: []Attempt{{Time: t0, Try: 1, Code: 250, Text: "ok"}}}
	d := &Data{Recipients: []*Recipient{r}}
	ok := NewVerdict("good", "good.yaml", d, []Result{{Name: "delivered", Pass: true}})
	ok.Notes = []string{`sink: "defer2x" in a@x.test is not a directive: did you mean defer2?; taken as a plain name`}
	bad := ErrorVerdict("", "bad.yaml", errors.New("bad.yaml:3: messages[0].to: not an address"))
	var b bytes.Buffer
	if err := WriteVerdictsHTML(&b, []Verdict{ok, bad}); err != nil {
		t.Fatal(err)
	}
	h := b.String()
	for _, want := range []string{"relaylab verdicts: failed; expectations: 1 passed, 0 failed; 1 file not judged",
		"&#34;defer2x&#34; in a@x.test is not a directive", "not judged", "bad.yaml:3: messages[0].to: not an address", "1 recipient, 1 attempt."} {
		if !strings.Contains(h, want) {
			t.Errorf("the HTML lacks %q:\n%s", want, h)
		}
	}
	for _, bad := range []string{"FAIL", "relaylab serve", "1 recipients"} {
		if strings.Contains(h, bad) {
			t.Errorf("the HTML has %q:\n%s", bad, h)
		}
	}
}
