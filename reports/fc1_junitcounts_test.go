package reports

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"testing"
)

// TestJUnitSuiteCountsAlways: every <testsuite> of every JUnit file has
// its tests, failures, errors and skipped counts, 0 included, as strict
// readers want them (the JUnit schema of Jenkins' xUnit plugin; Ant's
// requires errors); errors was left out when 0. The root <testsuites>
// has tests, failures and errors, and no skipped, which that schema does
// not allow there.
func TestJUnitSuiteCountsAlways(t *testing.T) {
	t.Parallel()
	d := &Data{Recipients: []*Recipient{{Address: "a@x.test", Status: "delivered", Queued: t0}}}
	write := map[string]func(io.Writer) error{
		"report": func(w io.Writer) error { return WriteJUnit(w, "relaylab", d) },
		"verdicts": func(w io.Writer) error {
			return WriteVerdictsJUnit(w, []Verdict{{Name: "v", Results: []Result{{Name: "ok", Pass: true}}}})
		},
		"cases": func(w io.Writer) error { return WriteJUnitCases(w, "s", []JUnitCase{{Name: "c"}}) },
	}
	for name, w := range write {
		var b bytes.Buffer
		if err := w(&b); err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(&b)
		suites := 0
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			el, ok := tok.(xml.StartElement)
			if !ok {
				continue
			}
			var attrs []string
			for _, a := range el.Attr {
				attrs = append(attrs, a.Name.Local)
			}
			var want, not []string
			switch el.Name.Local {
			case "testsuite":
				suites++
				want = []string{"tests", "failures", "errors", "skipped"}
			case "testsuites":
				want, not = []string{"tests", "failures", "errors"}, []string{"skipped"}
			}
			for _, a := range want {
				if !slices.Contains(attrs, a) {
					t.Errorf("%s: <%s> has no %s attribute: %v", name, el.Name.Local, a, attrs)
				}
			}
			for _, a := range not {
				if slices.Contains(attrs, a) {
					t.Errorf("%s: <%s> has a %s attribute, which junit-10.xsd does not allow there", name, el.Name.Local, a)
				}
			}
		}
		if suites != 1 {
			t.Errorf("%s: %d suites, want 1", name, suites)
		}
	}
}
