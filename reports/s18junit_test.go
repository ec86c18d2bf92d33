package reports

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
)

// TestS18JUnitClassnameWithoutDots: a verdict's JUnit classname has no dot
// after "relaylab.", since Jenkins splits a classname at its last dot into
// package and class ("relaylab.greylisting (sc/grey" and "yaml)"); the
// suite's and the cases' names keep the verdict's name as it is.
func TestS18JUnitClassnameWithoutDots(t *testing.T) {
	t.Parallel()
	vs := []Verdict{
		NewVerdict("greylisting", "sc/grey.yaml", &Data{}, []Result{{Name: "recipients[0] *@x.test", Pass: true}}),
		NewVerdict("greylisting", "sc/grey2.yaml", &Data{}, []Result{{Name: "grey.retry", Pass: true}}),
		NewVerdict("aggregates v1.2", "a.yaml", &Data{}, []Result{{Name: "aggregate delivered_share", Pass: true}}),
		ErrorVerdict("", "bad/typo-key.yaml", errors.New("bad/typo-key.yaml:3:1: bogus: unknown field")),
	}
	var b bytes.Buffer
	if err := WriteVerdictsJUnit(&b, vs); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Name  string      `xml:"name,attr"`
			Cases []JUnitCase `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	want := []struct{ suite, class, name string }{
		{"greylisting (sc/grey.yaml)", "relaylab.greylisting (sc/grey_yaml)", "recipients[0] *@x.test"},
		{"greylisting (sc/grey2.yaml)", "relaylab.greylisting (sc/grey2_yaml)", "grey.retry"},
		{"aggregates v1.2", "relaylab.aggregates v1_2", "aggregate delivered_share"},
		{"bad/typo-key.yaml", "relaylab.bad/typo-key_yaml", "load and judge bad/typo-key.yaml"},
	}
	if len(doc.Suites) != len(want) {
		t.Fatalf("%d suites, want %d:\n%s", len(doc.Suites), len(want), b.String())
	}
	for i, w := range want {
		s := doc.Suites[i]
		if s.Name != w.suite || len(s.Cases) != 1 || s.Cases[0].Classname != w.class || s.Cases[0].Name != w.name {
			t.Errorf("suite %d: %q, cases %+v; want suite %q, classname %q, name %q", i, s.Name, s.Cases, w.suite, w.class, w.name)
		}
		if c := s.Cases[0].Classname; strings.Count(c, ".") != 1 {
			t.Errorf("classname %q has %d dots; Jenkins would split it at the last", c, strings.Count(c, "."))
		}
	}
}
