package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const quickScenario = "name: %s\nmessages:\n  - {from: a@shop.test, to: [\"a@example.test\"]}\n" +
	"expect:\n  recipients:\n    - {match: \"*@example.test\", status: delivered}\n"

func writeScenario(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type junitDoc struct {
	Suites []struct {
		Name   string `xml:"name,attr"`
		Errors int    `xml:"errors,attr"`
		Cases  []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Error     *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) junitDoc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return doc
}

// A file that does not load, or a scenario whose clock.limit rules out an
// expectation, must not leave an earlier run's output files in place, green: the files
// are written, with an error case naming the file, line and key, and the
// verdicts of the scenarios that did run.
func TestReplayOutputsWhenAScenarioCannotBeJudged(t *testing.T) {
	t.Parallel()
	expiry, err := os.ReadFile("../../testdata/scenarios/expiry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, bad, want string }{
		{"load", "name: x\nmessages:\n  - to: [a@b.test]\n    cuont: 3\n", "bad.yaml:4:5: messages[0].cuont"},
		{"clock-limit", strings.Replace(string(expiry), "      status: expired\n", "", 1) + "clock:\n  limit: 2h\n", "attempt_times[4]: +2h20m0s is after clock.limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			good := writeScenario(t, filepath.Join(dir, "good.yaml"), strings.Replace(quickScenario, "%s", "good", 1))
			bad := writeScenario(t, filepath.Join(dir, "bad.yaml"), tc.bad)
			junit, js, md := filepath.Join(dir, "out.xml"), filepath.Join(dir, "out.json"), filepath.Join(dir, "out.md")
			for _, f := range []string{junit, js} {
				writeScenario(t, f, "stale green")
			}
			code, out, errOut := runIn(t, context.Background(), "replay", "--quiet", "--junit", junit, "--json", js, "--markdown", md, good, bad)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d (want 2), stderr %q", code, errOut)
			}
			if !strings.Contains(out, "PASS good") {
				t.Errorf("the scenario that loaded has no verdict:\n%s", out)
			}
			doc := readJUnit(t, junit)
			if len(doc.Suites) != 2 || doc.Suites[0].Name != "good" || doc.Suites[1].Errors != 1 ||
				doc.Suites[1].Cases[0].Error == nil || !strings.Contains(doc.Suites[1].Cases[0].Error.Message, tc.want) {
				t.Errorf("junit: %+v", doc)
			}
			var v struct {
				Passed   bool
				Verdicts []struct {
					Name, Error string
					Recipients  []struct{ Address, Status string }
				}
			}
			if b, err := os.ReadFile(js); err != nil || json.Unmarshal(b, &v) != nil || v.Passed || len(v.Verdicts) != 2 || !strings.Contains(v.Verdicts[1].Error, tc.want) {
				t.Errorf("json: %v %+v", err, v)
			}
			if b, _ := os.ReadFile(md); !strings.Contains(string(b), "relaylab verdicts: failed") || !strings.Contains(string(b), tc.want) {
				t.Errorf("markdown:\n%s", b)
			}
		})
	}
}

// Typo notes reach JUnit, in the scenario's test cases' system-out.
func TestReplayJUnitNotes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sc := writeScenario(t, filepath.Join(dir, "typo.yaml"), "name: typo\nmessages:\n  - {from: a@s.test, to: [greylist5min+a@example.test]}\n"+
		"expect:\n  recipients:\n    - {match: \"*\", status: delivered}\n")
	junit := filepath.Join(dir, "j.xml")
	if code, out, errOut := runIn(t, context.Background(), "replay", "--quiet", "--junit", junit, sc); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	doc := readJUnit(t, junit)
	if len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 1 || !strings.Contains(doc.Suites[0].Cases[0].SystemOut, `sink: "greylist5min" in greylist5min+a@example.test is not a directive`) {
		t.Errorf("junit: %+v", doc)
	}
}

// Scenarios of one name in several files are told apart by their file.
func TestReplaySameNameInSeveralFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var files []string
	for _, f := range []string{"a.yaml", "b.yaml"} {
		files = append(files, writeScenario(t, filepath.Join(dir, f), strings.Replace(quickScenario, "%s", "same", 1)))
	}
	junit := filepath.Join(dir, "j.xml")
	code, out, errOut := runIn(t, context.Background(), append([]string{"replay", "--quiet", "--junit", junit}, files...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	doc := readJUnit(t, junit)
	if len(doc.Suites) != 2 || doc.Suites[0].Name == doc.Suites[1].Name || doc.Suites[0].Cases[0].Classname == doc.Suites[1].Cases[0].Classname ||
		!strings.Contains(doc.Suites[0].Name, "a.yaml") {
		t.Errorf("junit suites not told apart: %+v", doc)
	}
	for _, f := range files {
		if !strings.Contains(out, "PASS same ("+f+")") {
			t.Errorf("the text output does not name %s:\n%s", f, out)
		}
	}
}

// $GITHUB_STEP_SUMMARY is appended to by each step.
func TestReplayMarkdownAppends(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sc := writeScenario(t, filepath.Join(dir, "q.yaml"), strings.Replace(quickScenario, "%s", "quick", 1))
	md := writeScenario(t, filepath.Join(dir, "summary.md"), "## an earlier step\n")
	if code, out, errOut := runIn(t, context.Background(), "replay", "--quiet", "--markdown", md, sc); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	b, _ := os.ReadFile(md)
	if !strings.HasPrefix(string(b), "## an earlier step\n") || !strings.Contains(string(b), "| quick | ✅ pass |") {
		t.Errorf("--markdown did not append:\n%s", b)
	}
}
