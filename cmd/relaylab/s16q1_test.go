package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestS16Q1ReplayOfAnExpectFile: an expect file given to replay is said
// to be one, and where it belongs; it got "path: "mx1" is not one of the
// scenario's paths" and "a scenario needs at least one message".
func TestS16Q1ReplayOfAnExpectFile(t *testing.T) {
	t.Parallel()
	exp := writeScenario(t, filepath.Join(t.TempDir(), "e.yaml"), "name: e\nexpect:\n  recipients:\n    - {match: \"*@example.test\", path: mx1}\n")
	code, _, out := runIn(t, context.Background(), "replay", "--quiet", exp)
	if want := exp + ": this is an expect file (name: and expect: only, no messages: to send): it judges what a sink recorded from a sender relaylab did not run, so judge it with relaylab expect --db STORE " + exp; code != 2 || !strings.Contains(out, want) || strings.Contains(out, "mx1") {
		t.Errorf("exit %d (want 2), stderr:\n%s\nwant %q and no word of mx1", code, out, want)
	}
	// A scenario with a problem of its own is told that problem.
	sc := writeScenario(t, filepath.Join(t.TempDir(), "s.yaml"), "name: s\nseed: 1\nexpect:\n  recipients:\n    - {match: \"*@example.test\"}\n")
	if code, _, out := runIn(t, context.Background(), "replay", "--quiet", sc); code != 2 || !strings.Contains(out, "a scenario needs at least one message") || strings.Contains(out, "expect file") {
		t.Errorf("scenario without messages: exit %d, stderr:\n%s", code, out)
	}
}

// TestS16Q1ExpectFileNameKeepsItsText: name: 1.10 in an expect file
// names the verdict "1.10", not "1.1".
func TestS16Q1ExpectFileNameKeepsItsText(t *testing.T) {
	t.Parallel()
	exp := writeScenario(t, filepath.Join(t.TempDir(), "e.yaml"), "name: 1.10\nexpect:\n  recipients:\n    - {match: \"*@example.test\", dsn_status: 5.10}\n")
	x, err := loadExpectFile(exp)
	if err != nil {
		t.Fatal(err)
	}
	if x.Name != "1.10" || x.Expect.Recipients[0].DSNStatus != "5.10" {
		t.Errorf("name %q, dsn_status %q; want 1.10 and 5.10 as written", x.Name, x.Expect.Recipients[0].DSNStatus)
	}
}

// TestS16Q1ReportOnAReplaysStore: report --db on a replay's store names
// the relay's DSN relay-1 as the verdicts do (its scenario_message was
// null), and its text shows the replay's sink as 127.0.0.1 without the
// free port of that run, as the verdicts do.
func TestS16Q1ReportOnAReplaysStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sc := writeScenario(t, filepath.Join(dir, "s.yaml"), "name: s\nmessages:\n  - {from: news@shop.test, to: [\"rcpt550+a@example.test\"]}\nexpect:\n  recipients:\n    - {match: \"rcpt550+a@example.test\", status: bounced, dsn: sent}\n")
	db := filepath.Join(dir, "r.db")
	if code, out, errOut := runIn(t, context.Background(), "replay", "--quiet", "--db", db, sc); code != 0 {
		t.Fatalf("replay: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := runIn(t, context.Background(), "report", "--db", db, "--format", "json")
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	var doc struct {
		Recipients []struct {
			Address         string `json:"address"`
			ScenarioMessage string `json:"scenario_message"`
			Scenario        string `json:"scenario"`
		} `json:"recipients"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range doc.Recipients {
		got = append(got, r.ScenarioMessage+" "+r.Scenario+" "+r.Address)
	}
	if want := "msg-1 s rcpt550+a@example.test|relay-1 s news@shop.test"; strings.Join(got, "|") != want {
		t.Errorf("recipients %q, want %q", strings.Join(got, "|"), want)
	}
	_, text, _ := runIn(t, context.Background(), "report", "--db", db)
	if !strings.Contains(text, " 127.0.0.1 ") || strings.Contains(text, "127.0.0.1:") {
		t.Errorf("report text shows the sink's port:\n%s", text)
	}
}
