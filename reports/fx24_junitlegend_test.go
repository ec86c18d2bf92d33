package reports

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

// TestFX24JUnitFailureSaysWhatTimesCountFrom: a failed case whose text
// shows a timeline ends with a "times:" line saying what its +TIME counts
// from (the queueing of the recipient's message in a replay, the
// record's first attempt on a sink's record), in the failure's text,
// which CI pages show of a case; a failure without a timeline, and a
// case that passed, have none. Replies with markup and control
// characters in the text still give XML that encoding/xml reads back.
func TestFX24JUnitFailureSaysWhatTimesCountFrom(t *testing.T) {
	t.Parallel()
	timeline := "x@y.test (message msg-1): expected status delivered, got bounced; timeline:\n  #1  +1.2s  sink  127.0.0.1  550 5.7.1 <no> & \x1b[31mgo away\x1b[0m"
	for _, tc := range []struct {
		name     string
		fromSink bool
		legend   string
	}{
		{"replay", false, "times: " + timesLegend(false)},
		{"sink", true, "times: " + timesLegend(true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := Verdict{Name: "grey", File: "grey.yaml", Summary: Summary{FromSink: tc.fromSink}, Results: []Result{
				{Name: "with timeline", Message: timeline + "\n"},
				{Name: "no timeline", Message: "aggregate delivered_share: expected 1, got 0.5"},
				{Name: "passed", Pass: true},
			}}
			var b bytes.Buffer
			if err := WriteVerdictsJUnit(&b, []Verdict{v}); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Suites []struct {
					Cases []JUnitCase `xml:"testcase"`
				} `xml:"testsuite"`
			}
			if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
				t.Fatalf("the JUnit is not XML that encoding/xml reads (%v): an escape is missing in WriteVerdictsJUnit\n%s", err, b.String())
			}
			if len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 3 {
				t.Fatalf("want 1 suite of 3 cases, got %+v", doc.Suites)
			}
			cs := doc.Suites[0].Cases
			f := cs[0].Failure
			if f == nil {
				t.Fatalf("the failed case has no <failure>:\n%s", b.String())
			}
			wantText := strings.ReplaceAll(timeline, "\x1b", "\uFFFD") + "\n" + tc.legend
			if f.Text != wantText {
				t.Errorf("failure text:\n%q\nwant the timeline, then one line saying what +TIME counts from (a CI page shows this text, not the suite's system-out):\n%q", f.Text, wantText)
			}
			if f.Message != "x@y.test (message msg-1): expected status delivered, got bounced" {
				t.Errorf("failure message %q: the legend belongs in the text, the message is the first line", f.Message)
			}
			if no := cs[1].Failure; no == nil || strings.Contains(no.Text, "times:") {
				t.Errorf("a failure without a timeline has no +TIME to explain, yet: %+v", no)
			}
			if cs[2].Failure != nil || strings.Contains(cs[2].SystemOut, "times:") {
				t.Errorf("the case that passed: %+v", cs[2])
			}
		})
	}
}

// TestFX24FromDirNamesTheFile: a verdict of a file found in a directory
// named on the command line is shown with its file beside its name in
// the text, the Markdown and the JUnit suite, since the command line does
// not name the file; one named there, or one named after its file, is
// shown by its name alone.
func TestFX24FromDirNamesTheFile(t *testing.T) {
	t.Parallel()
	vs := []Verdict{
		{Name: "signup", File: "exp/a.yaml", Passed: true, FromDir: true, Results: []Result{{Name: "ok", Pass: true}}},
		{Name: "exp/b.yaml", File: "exp/b.yaml", Passed: true, FromDir: true, Results: []Result{{Name: "ok", Pass: true}}},
		{Name: "reset", File: "reset.yaml", Passed: true, Results: []Result{{Name: "ok", Pass: true}}},
	}
	var text, md, junit bytes.Buffer
	WriteVerdicts(&text, vs)
	if err := WriteVerdictsMarkdown(&md, vs); err != nil {
		t.Fatal(err)
	}
	if err := WriteVerdictsJUnit(&junit, vs); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PASS signup (exp/a.yaml): ", "PASS exp/b.yaml: ", "PASS reset: "} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q (a file from a directory is named beside its verdict):\n%s", want, text.String())
		}
	}
	if !strings.Contains(md.String(), "| signup (exp/a.yaml) |") || !strings.Contains(md.String(), "| reset |") {
		t.Errorf("Markdown does not name the file found in a directory:\n%s", md.String())
	}
	var doc struct {
		Suites []struct {
			Name string `xml:"name,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(junit.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range doc.Suites {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, "|"); got != "signup (exp/a.yaml)|exp/b.yaml|reset" {
		t.Errorf("JUnit suites %q; want one per file, the one from a directory named with its file", got)
	}
}
