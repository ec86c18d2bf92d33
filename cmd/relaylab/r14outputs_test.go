package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestR14UnwritableOutputBeforeReplay: an output file that cannot be
// written is found before anything is replayed (exit 3 at once, naming
// it), not after the replay; the outputs that can be written say that
// every file was not replayed, so that none is left from an earlier run,
// green.
func TestR14UnwritableOutputBeforeReplay(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := writeScenario(t, filepath.Join(dir, "good.yaml"), strings.Replace(quickScenario, "%s", "good", 1))
	unwritable := filepath.Join(dir, "no", "j.xml")
	js := writeScenario(t, filepath.Join(dir, "out.json"), `{"passed": true}`)
	code, out, errOut := runIn(t, context.Background(), "replay", "--quiet", "--junit", unwritable, "--json", js, good)
	if code != 3 || !strings.Contains(errOut, "--junit: open "+unwritable) || !strings.Contains(errOut, "nothing was replayed") {
		t.Errorf("exit %d (want 3), stderr %q", code, errOut)
	}
	if strings.Contains(out, "PASS") || strings.Contains(errOut, "virtual time") {
		t.Errorf("the scenario was replayed before the output was found unwritable:\nstdout %q\nstderr %q", out, errOut)
	}
	var doc struct {
		Passed   bool `json:"passed"`
		Verdicts []struct {
			File  string `json:"file"`
			Error string `json:"error"`
		} `json:"verdicts"`
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if doc.Passed || len(doc.Verdicts) != 1 || doc.Verdicts[0].File != good || !strings.Contains(doc.Verdicts[0].Error, "not replayed") {
		t.Errorf("--json still says an earlier run's verdict, or not why:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "no")); err == nil {
		t.Error("the output's missing directory was created")
	}
}

// TestR14CheckLeavesNoFile: the check of the outputs creates no file
// that the run would not write (a replay cut short leaves none behind)
// and leaves an existing one as it was.
func TestR14CheckLeavesNoFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fresh, old := filepath.Join(dir, "fresh.xml"), writeScenario(t, filepath.Join(dir, "old.json"), "earlier")
	j, js, h, m := fresh, old, "", ""
	if err := (verdictOutputs{&j, &js, &h, &m}).check(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(fresh); err == nil {
		t.Error("check left the file it created")
	}
	if b, _ := os.ReadFile(old); string(b) != "earlier" {
		t.Errorf("check changed an existing file: %q", b)
	}
}

// TestR14ExpectUnwritableOutputBeforeJudging: expect finds an output it
// cannot write before it judges (or waits with --wait), as replay does.
func TestR14ExpectUnwritableOutputBeforeJudging(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	exp := writeScenario(t, filepath.Join(dir, "e.yaml"), "name: e\nexpect:\n  recipients:\n    - {match: \"*@example.test\"}\n")
	js := filepath.Join(dir, "out.json")
	code, out, errOut := runIn(t, context.Background(), "expect", "--db", sinkStore(t, "a@example.test"), "--wait", "1h",
		"--html", filepath.Join(dir, "no", "r.html"), "--json", js, exp)
	if code != 3 || !strings.Contains(errOut, "--html: open ") || !strings.Contains(errOut, "nothing was judged") {
		t.Errorf("exit %d (want 3), stderr %q", code, errOut)
	}
	if out != "" {
		t.Errorf("expect judged before finding the output unwritable:\n%s", out)
	}
	if b, err := os.ReadFile(js); err != nil || !strings.Contains(string(b), "not judged") {
		t.Errorf("--json: %v\n%s", err, b)
	}
}
