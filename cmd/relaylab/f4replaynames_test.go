package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReplayStoreNamesScenarios: two scenarios replayed into one store
// (replay --db) each have a msg-1, and a report on the store tells them
// apart: the text names each message's scenario, the JSON and CSV carry
// it beside scenario_message, and the two messages have Message-IDs of
// their own. Both were "msg-1" and nothing more, with one Message-ID.
func TestReplayStoreNamesScenarios(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	for name, yaml := range map[string]string{
		"a.yaml": "name: alpha\nmessages:\n  - {from: a@shop.test, to: [\"alice@example.test\"]}\nexpect:\n  recipients:\n    - {match: \"alice@example.test\", status: delivered}\n",
		"b.yaml": "name: beta two\nmessages:\n  - {from: b@shop.test, to: [\"rcpt550+bob@example.test\"]}\nexpect:\n  recipients:\n    - {match: \"rcpt550+bob@example.test\", status: bounced}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(dir, "s.db")
	if code, out, errOut := runIn(t, ctx, "replay", "--quiet", "--db", db, filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")); code != 0 {
		t.Fatalf("replay: exit %d\n%s%s", code, out, errOut)
	}

	code, out, errOut := runIn(t, ctx, "report", "--db", db, "--format", "json")
	var rep struct {
		Recipients []struct {
			Message, Address, Scenario string
			ScenarioMessage            string `json:"scenario_message"`
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil {
		t.Fatalf("report --format json: exit %d, %v\n%s", code, err, errOut)
	}
	got := map[string]string{}
	for _, r := range rep.Recipients {
		if r.ScenarioMessage != "" {
			got[r.Address] = r.Scenario + "/" + r.ScenarioMessage
		}
	}
	if got["alice@example.test"] != "alpha/msg-1" || got["rcpt550+bob@example.test"] != "beta two/msg-1" {
		t.Errorf("JSON scenario/scenario_message by recipient: %v; want alpha/msg-1 and beta two/msg-1", got)
	}

	code, out, _ = runIn(t, ctx, "report", "--db", db, "--format", "text")
	if want := `rcpt550+bob@example.test (message msg-1 of scenario "beta two" (queue id `; code != 0 || !strings.Contains(out, want) {
		t.Errorf("report --format text: exit %d, lacks %q:\n%s", code, want, out)
	}

	code, out, _ = runIn(t, ctx, "report", "--db", db, "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(rows) < 2 || !slices.Contains(rows[0], "scenario") {
		t.Fatalf("report --format csv: exit %d, %v; want a column scenario:\n%s", code, err, out)
	}
	col := slices.Index(rows[0], "scenario")
	for _, row := range rows[1:] {
		if row[1] == "alice@example.test" && row[col] != "alpha" {
			t.Errorf("CSV row %q: want scenario alpha", row)
		}
	}
}
