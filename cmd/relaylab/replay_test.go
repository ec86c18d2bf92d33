package main

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplayCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	junit, md := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "summary.md")
	code, out, errOut := runIn(t, context.Background(), "replay", "--quiet", "--junit", junit, "--markdown", md, "../../testdata/scenarios/greylisting.yaml")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "PASS greylisting") || !strings.Contains(out, "passed, 0 failed") {
		t.Errorf("output:\n%s", out)
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &v); err != nil || len(v.Suites) != 1 || v.Suites[0].Tests == 0 || v.Suites[0].Failures != 0 {
		t.Errorf("junit: %v %+v", err, v)
	}
	if b, err := os.ReadFile(md); err != nil || !strings.Contains(string(b), "## relaylab verdicts: passed") || !strings.Contains(string(b), "| greylisting | ✅ pass |") {
		t.Errorf("--markdown: %v\n%s", err, b)
	}
}

func TestReplayBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: x\nmessages:\n  - to: [a@b.test]\n    cuont: 3\n"), 0o644)
	code, _, errOut := runIn(t, context.Background(), "replay", bad)
	if code != 2 || !strings.Contains(errOut, "bad.yaml:4:5: messages[0].cuont") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runIn(t, context.Background(), "replay", filepath.Join(dir, "missing.yaml"))
	if code != 2 || !strings.Contains(errOut, "missing.yaml") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
	code, _, _ = runIn(t, context.Background(), "replay")
	if code != 2 {
		t.Errorf("no file: exit %d", code)
	}
	// A scenario that judges nothing would pass whatever happened.
	noExpect := filepath.Join(dir, "noexpect.yaml")
	os.WriteFile(noExpect, []byte("name: x\nmessages:\n  - {from: a@s.test, to: [b@r.test]}\n"), 0o644)
	code, out, errOut := runIn(t, context.Background(), "replay", noExpect)
	if code != 2 || !strings.Contains(errOut, "noexpect.yaml: expect: no expectations") || strings.Contains(out, "PASS") {
		t.Errorf("no expect: section: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestReplayVerdictExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data, err := os.ReadFile("../../testdata/scenarios/expiry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wrong := filepath.Join(dir, "wrong.yaml")
	os.WriteFile(wrong, []byte(strings.Replace(string(data), "status: expired", "status: bounced", 1)), 0o644)
	code, out, _ := runIn(t, context.Background(), "replay", "--quiet", wrong)
	if code != 1 || !strings.Contains(out, "FAIL expiry") || !strings.Contains(out, "ops@busy.test (message msg-1): expected status bounced, got expired") {
		t.Errorf("wrong expectation: exit %d\n%s", code, out)
	}
	limited := filepath.Join(dir, "limited.yaml")
	// Expecting expired under a limit shorter than max_age is refused at
	// load, and so are attempt_times after the limit.
	os.WriteFile(limited, []byte(strings.Replace(string(data), "      status: expired\n", "", 1)+"clock:\n  limit: 2h\n"), 0o644)
	code, _, errOut := runIn(t, context.Background(), "replay", "--quiet", limited)
	if code != 2 || !strings.Contains(errOut, "limited.yaml:") || !strings.Contains(errOut, "expect.recipients[0].attempt_times[4]: +2h20m0s is after clock.limit, 2h0m0s") {
		t.Errorf("clock limit: exit %d, stderr %q", code, errOut)
	}
}

func TestReplayFlagsAfterFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	junit := filepath.Join(dir, "j.xml")
	code, out, errOut := runIn(t, context.Background(), "replay", "../../testdata/scenarios/greylisting.yaml", "--junit", junit, "--quiet")
	if code != 0 || !strings.Contains(out, "PASS greylisting") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if _, err := os.Stat(junit); err != nil {
		t.Errorf("--junit after the file: %v", err)
	}
	if errOut != "" {
		t.Errorf("--quiet after the file still printed progress: %q", errOut)
	}
}

func TestReplayNoVerdictExit3(t *testing.T) {
	t.Parallel()
	unwritable := filepath.Join(t.TempDir(), "no", "j.xml")
	code, _, errOut := runIn(t, context.Background(), "replay", "--quiet", "--junit", unwritable, "../../testdata/scenarios/greylisting.yaml")
	if code != 3 || !strings.Contains(errOut, "--junit: open "+unwritable) {
		t.Errorf("unwritable --junit: exit %d (want 3), stderr %q", code, errOut)
	}
}
