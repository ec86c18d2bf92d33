package reports

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

// TestReportJUnitSaysWhatTimesCountFrom: report --format junit shows a
// failed recipient's timeline in its failure's text and a late bounce's
// in its system-out; each ends with the "times:" line the text output
// gives as its legend, for the relay's queue time and the sink's first
// attempt alike, since a CI page shows a case's text alone.
func TestReportJUnitSaysWhatTimesCountFrom(t *testing.T) {
	t.Parallel()
	q := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for _, fromSink := range []bool{false, true} {
		d := &Data{FromSink: fromSink, Recipients: []*Recipient{
			{Address: "gone@x.test", Message: "m1", Status: "bounced", Queued: q, Attempts: []Attempt{
				{Time: q, Try: 1, Code: 451, Enhanced: "4.7.1", Text: "try later"},
				{Time: q.Add(6 * time.Minute), Try: 2, Code: 550, Enhanced: "5.1.1", Text: "no such user"}}},
		}}
		var b bytes.Buffer
		if err := WriteJUnit(&b, "relaylab", d); err != nil {
			t.Fatal(err)
		}
		var v struct {
			Cases []JUnitCase `xml:"testsuite>testcase"`
		}
		if err := xml.Unmarshal(b.Bytes(), &v); err != nil {
			t.Fatalf("%v\n%s", err, b.String())
		}
		f := v.Cases[0].Failure
		if f == nil {
			t.Fatalf("no failure:\n%s", b.String())
		}
		want := "times: " + timesLegend(fromSink) + "\n"
		if !strings.Contains(f.Text, "+6m0s") || !strings.HasSuffix(f.Text, want) {
			t.Errorf("fromSink %v: the failure's text does not end its timeline with %q:\n%s", fromSink, want, f.Text)
		}
	}
}
