package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"html"
	"slices"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestR14ResultsNameTheirLine: each result carries the file and line of
// its expectation (an aggregate check: its key's), and every output shows
// them, so that a CI annotation can point at the line that failed: the
// text (FAIL NAME (FILE:LINE), as a problem matcher reads it), JSON
// results[], Markdown, JUnit's file and line attributes, and HTML.
func TestR14ResultsNameTheirLine(t *testing.T) {
	t.Parallel()
	d, err := Load(context.Background(), sampleLog())
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("recipients:\n  - {name: grey, match: grey@b.test, attempts: 1}\n  - match: \"*@a.test\"\n    status: bounced\naggregate:\n  no_attempt_after_5xx: true\n  time_to_delivery_p99: 1s\n")
	var x Expectations
	if err := config.Decode("exp.yaml", data, &x); err != nil {
		t.Fatal(err)
	}
	x.Locate("exp.yaml", data, "")
	res := Evaluate(d, x)
	want := []struct {
		name string
		line int
	}{{"grey", 2}, {"recipients[1] *@a.test", 3}, {"aggregate no_attempt_after_5xx", 6}, {"aggregate time_to_delivery_p99", 7}}
	if len(res) != len(want) {
		t.Fatalf("%d results %+v, want %d", len(res), res, len(want))
	}
	for i, w := range want {
		if r := res[i]; r.Name != w.name || r.File != "exp.yaml" || r.Line != w.line {
			t.Errorf("result %d: %s at %s:%d, want %s at exp.yaml:%d", i, r.Name, r.File, r.Line, w.name, w.line)
		}
	}
	vs := []Verdict{NewVerdict("s", "exp.yaml", d, res)}
	out := map[string]string{}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"text":     func(b *bytes.Buffer) error { WriteVerdicts(b, vs); return nil },
		"junit":    func(b *bytes.Buffer) error { return WriteVerdictsJUnit(b, vs) },
		"markdown": func(b *bytes.Buffer) error { return WriteVerdictsMarkdown(b, vs) },
		"html":     func(b *bytes.Buffer) error { return WriteVerdictsHTML(b, vs) },
		"json":     func(b *bytes.Buffer) error { return WriteVerdictsJSON(b, vs) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		out[name] = html.UnescapeString(b.String())
	}
	for _, c := range []struct{ format, want string }{
		{"text", "  FAIL  grey (exp.yaml:2)\n"},
		{"text", "  FAIL  aggregate time_to_delivery_p99 (exp.yaml:7)\n"},
		{"text", "  ok    aggregate no_attempt_after_5xx\n"},
		{"junit", `<testcase name="grey" classname="relaylab.s" file="exp.yaml" line="2" time="0">`},
		{"junit", `<testcase name="aggregate no_attempt_after_5xx" classname="relaylab.s" file="exp.yaml" line="6" time="0">`},
		{"markdown", "### ❌ s: grey\n\nat exp.yaml:2\n\n```\n"},
		{"html", "<td>grey<br><small>exp.yaml:2</small></td>"},
		{"html", "<p><small>file: exp.yaml</small></p>"},
	} {
		if !strings.Contains(out[c.format], c.want) {
			t.Errorf("%s lacks %q:\n%s", c.format, c.want, out[c.format])
		}
	}
	var doc struct {
		Verdicts []struct {
			Results []map[string]any `json:"results"`
		} `json:"verdicts"`
	}
	if err := json.Unmarshal([]byte(out["json"]), &doc); err != nil {
		t.Fatal(err)
	}
	if r := doc.Verdicts[0].Results[1]; r["file"] != "exp.yaml" || r["line"] != 3.0 {
		t.Errorf("JSON result %v: want file exp.yaml, line 3", r)
	}
}

// TestR14DuplicateNamesRefused: two expectations of one name (given, or
// the one an expectation has without name:, or an aggregate check's) are
// refused at the second, naming the first: they would be two JUnit test
// cases of one class and name.
func TestR14DuplicateNamesRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ yaml, want string }{
		{"recipients:\n  - {name: same, match: a}\n  - {name: same, match: b, attempts: 2}\n", `exp.yaml:3:12: recipients[1].name: "same" is also the name of recipients[0]: each expectation is a JUnit test case`},
		{"recipients:\n  - {match: a}\n  - {name: \"recipients[0] a\", match: b}\n", `recipients[1].name: "recipients[0] a" is also the name of recipients[0]`},
		{"recipients:\n  - {name: aggregate delivered_share, match: a}\naggregate: {delivered_share: 1}\n", `recipients[0].name: "aggregate delivered_share" is also the name of the check aggregate.delivered_share`},
	} {
		if _, err := decodeExp(t, tc.yaml); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
	// Located, the message has the first one's line too.
	data := []byte("recipients:\n  - {name: same, match: a}\n  - {name: same, match: b}\n")
	var x Expectations
	if err := config.Decode("exp.yaml", data, &x); err == nil {
		t.Fatal("two expectations named same decoded")
	}
	x.Locate("exp.yaml", data, "")
	if errs := x.Problems(""); len(errs) != 1 || !strings.Contains(errs[0].Error(), "is also the name of recipients[0] (line 2)") {
		t.Errorf("problems %v, want the first one's line", errs)
	}
}

// TestR14ProblemsOfEveryExpectation: Problems has the first problem of
// each expectation, not only the first of the section.
func TestR14ProblemsOfEveryExpectation(t *testing.T) {
	t.Parallel()
	var x Expectations
	data := []byte("recipients:\n  - {match: a, status: gone}\n  - {match: b, dsn: maybe}\naggregate: {delivered_share: 2}\n")
	err := config.Decode("exp.yaml", data, &x)
	if err == nil || !strings.Contains(err.Error(), "exp.yaml:2:") {
		t.Fatalf("error %v, want the first at line 2", err)
	}
	var keys []string
	for _, e := range x.Problems("") {
		var fe *config.FieldError
		if errors.As(e, &fe) {
			keys = append(keys, fe.Key)
		}
	}
	if want := []string{"recipients[0].status", "recipients[1].dsn", "aggregate.delivered_share"}; !slices.Equal(keys, want) {
		t.Errorf("problems at %q, want %q", keys, want)
	}
}

// TestR14PlaceHint: a key of a recipient expectation written at the
// indentation of recipients: (directly under expect:), or one of the
// aggregate's in an item, says where it belongs; a misspelt key keeps the
// decoder's own suggestion alone.
func TestR14PlaceHint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ yaml, want string }{
		{"recipients:\n  - {match: a}\nattempts: 1\n", `exp.yaml:3:1: attempts: unknown field "attempts" (it belongs in an item of recipients, beside that item's match:)`},
		{"recipients:\n  - {match: a}\ntime_to_delivery_p99: 1h\n", `(it belongs under aggregate)`},
		{"recipients:\n  - {match: a, delivered_share: 1}\n", `(it belongs under aggregate, which judges the run as a whole)`},
		{"aggregate:\n  status: delivered\n", `(it belongs in an item of recipients, beside that item's match:)`},
	} {
		_, err := decodeExp(t, tc.yaml)
		if err = PlaceHint(err, ""); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
	_, err := decodeExp(t, "recipients:\n  - {match: a, stauts: delivered}\n")
	if err = PlaceHint(err, ""); err == nil || strings.Contains(err.Error(), "belongs") {
		t.Errorf("a misspelt key: %v", err)
	}
}

// TestR14JUnitTotalsAndTime: <testsuites> carries the totals of its
// suites, every suite and case a time attribute (0: a wall time would
// make runs differ, and a replay's virtual days are not how long the test
// ran), and a file that could not be judged has the file and line of its
// first error on its case.
func TestR14JUnitTotalsAndTime(t *testing.T) {
	t.Parallel()
	loadErr := &config.Error{File: "bad.yaml", Line: 4, Column: 3, Key: "messages[0].cuont", Msg: `unknown field "cuont"`}
	vs := []Verdict{
		{Name: "a", File: "a.yaml", Results: []Result{{Name: "one", Pass: true}, {Name: "two", Message: "no"}}},
		ErrorVerdict("bad.yaml", "bad.yaml", loadErr),
	}
	var b bytes.Buffer
	if err := WriteVerdictsJUnit(&b, vs); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Time     string `xml:"time,attr"`
		Suites   []struct {
			Time  string      `xml:"time,attr"`
			Cases []JUnitCase `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 3 || doc.Failures != 1 || doc.Errors != 1 || doc.Time != "0" {
		t.Errorf("testsuites tests=%d failures=%d errors=%d time=%q, want 3, 1, 1, \"0\":\n%s", doc.Tests, doc.Failures, doc.Errors, doc.Time, b.String())
	}
	for _, s := range doc.Suites {
		if s.Time != "0" {
			t.Errorf("a suite's time %q", s.Time)
		}
		for _, c := range s.Cases {
			if c.Time != "0" {
				t.Errorf("case %s: time %q", c.Name, c.Time)
			}
		}
	}
	if c := doc.Suites[1].Cases[0]; c.File != "bad.yaml" || c.Line != 4 {
		t.Errorf("the error case is at %s:%d, want bad.yaml:4", c.File, c.Line)
	}
}

// TestR14VerdictsJSONTopLevel: the verdicts' JSON names its layout, as
// probe's does, beside passed and verdicts.
func TestR14VerdictsJSONTopLevel(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteVerdictsJSON(&b, []Verdict{ErrorVerdict("x", "x.yaml", errors.New("no"))}); err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b.Bytes(), &top); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range top {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"passed", "schema", "verdicts"}) || string(top["schema"]) != `"relaylab.verdicts/v1"` {
		t.Errorf("top-level %s", b.String())
	}
	if !strings.Contains(b.String(), `"by_status": []`) {
		t.Errorf("a verdict not judged has a summary of null lists:\n%s", b.String())
	}
}
