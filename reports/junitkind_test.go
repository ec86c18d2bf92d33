package reports

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

// TestJUnitSaysItIsADeliveryReport: report --format junit knows no
// expectations, so a bounce a scenario expected fails like any other;
// the suite says so in its properties and system-out, and each failure
// says "not delivered", so that a CI reader does not take it for a broken
// scenario. A failure without a reason (a sink's record) begins with its
// timeline, not an empty line.
func TestJUnitSaysItIsADeliveryReport(t *testing.T) {
	t.Parallel()
	q := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	d := &Data{Recipients: []*Recipient{
		{Address: "ok@x.test", Message: "m1", Status: "delivered", Queued: q, Attempts: []Attempt{{Time: q, Try: 1, Code: 250, Enhanced: "2.0.0", Text: "ok"}}},
		{Address: "gone@x.test", Message: "m1", Status: "bounced", Queued: q, Attempts: []Attempt{{Time: q, Try: 1, Code: 550, Enhanced: "5.1.1", Text: "no such user"}}},
	}}
	var b bytes.Buffer
	if err := WriteJUnit(&b, "relaylab", d); err != nil {
		t.Fatal(err)
	}
	var v struct {
		Suites []struct {
			Properties []JUnitProperty `xml:"properties>property"`
			SystemOut  string          `xml:"system-out"`
			Cases      []JUnitCase     `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	s := v.Suites[0]
	props := map[string]string{}
	for _, p := range s.Properties {
		props[p.Name] = p.Value
	}
	if props["relaylab.kind"] != "delivery-report" || !strings.Contains(props["relaylab.expectations"], "an expected bounce fails here") {
		t.Errorf("properties %v do not say the suite is a delivery report", s.Properties)
	}
	if !strings.Contains(s.SystemOut, "2 recipients, 1 delivered, 1 not delivered.") || !strings.Contains(s.SystemOut, "relaylab replay --junit") {
		t.Errorf("system-out %q", s.SystemOut)
	}
	f := s.Cases[1].Failure
	if f == nil || f.Message != "not delivered: bounced: 550 5.1.1 no such user" || strings.HasPrefix(f.Text, "\n") {
		t.Errorf("failure %+v", f)
	}
	if strings.Index(b.String(), "<properties>") > strings.Index(b.String(), "<testcase") || strings.Index(b.String(), "<system-out>") < strings.LastIndex(b.String(), "</testcase>") {
		t.Errorf("properties must come before the cases and system-out after them (the JUnit schema's order):\n%s", b.String())
	}
}

// TestVerdictsJUnitUnchanged: replay --junit (expectations) has neither
// properties nor a suite's system-out: byte for byte as before, but for
// the totals on <testsuites>, the time attributes (0: see junitTime), a
// suite's errors and skipped, written even when 0, and the "times:" line
// that ends a failure showing a timeline: a CI page shows the failure's
// text, not the suite's system-out, so what +TIME counts from is said
// there (its &#39; is encoding/xml's escape of the apostrophe).
func TestVerdictsJUnitUnchanged(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteVerdictsJUnit(&b, []Verdict{{Name: "bounce", Results: []Result{{Name: "gone is bounced", Pass: true}, {Name: "ok is delivered", Message: "ok@x.test: expected status delivered, got deferred; timeline:\n  #1"}}}}); err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="2" failures="1" errors="0" time="0">
  <testsuite name="bounce" tests="2" failures="1" errors="0" skipped="0" time="0">
    <testcase name="gone is bounced" classname="relaylab.bounce" time="0"></testcase>
    <testcase name="ok is delivered" classname="relaylab.bounce" time="0">
      <failure message="ok@x.test: expected status delivered, got deferred">ok@x.test: expected status delivered, got deferred; timeline:&#xA;  #1&#xA;times: +TIME in a timeline (+0s, +6m0s) counts from when the recipient&#39;s message was queued, not from the start of the run: a message sent with at: 1m has its first attempt at +0s; attempt_times counts the same way</failure>
    </testcase>
  </testsuite>
</testsuites>
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
