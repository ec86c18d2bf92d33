package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A misspelled directive (greylist5min for greylist5m) is taken as a name
// and the mail accepted, so every expectation passes: the sink's note must
// reach the verdicts that CI reads, text and JSON, or the typo passes
// unseen. Both ways a CI meets the sink: a replay (the relay's log of the
// reply after the final dot) and relaylab expect (the sink's attempts).
func TestSinkNotesInVerdicts(t *testing.T) {
	t.Parallel()
	const note = `sink: "greylist5min" in greylist5min+a@example.test is not a directive: did you mean greylist5m? It looks like a directive`
	check := func(t *testing.T, what, out, jsonPath string) {
		t.Helper()
		if !strings.Contains(out, "  note  "+note) {
			t.Errorf("%s: the text output lacks the note %q:\n%s", what, note, out)
		}
		raw, err := os.ReadFile(jsonPath)
		if err != nil {
			t.Fatal(err)
		}
		var js struct {
			Verdicts []struct{ Notes []string }
		}
		if err := json.Unmarshal(raw, &js); err != nil {
			t.Fatal(err)
		}
		if len(js.Verdicts) != 1 || len(js.Verdicts[0].Notes) != 1 || !strings.HasPrefix(js.Verdicts[0].Notes[0], note) {
			t.Errorf("%s: --json notes %+v, want the one note", what, js.Verdicts)
		}
	}
	t.Run("replay", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		sc := filepath.Join(dir, "typo.yaml")
		os.WriteFile(sc, []byte("name: typo\nmessages:\n  - {from: a@s.test, to: [greylist5min+a@example.test]}\n"+
			"expect:\n  recipients:\n    - {match: \"*\", status: delivered, attempts: 1}\n"), 0o644)
		js := filepath.Join(dir, "v.json")
		code, out, errOut := runIn(t, context.Background(), "replay", "--quiet", "--json", js, sc)
		if code != 0 || !strings.Contains(out, "PASS typo") {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		check(t, "replay", out, js)
	})
	t.Run("expect", func(t *testing.T) {
		t.Parallel()
		db := sinkStore(t, "greylist5min+a@example.test")
		js := filepath.Join(t.TempDir(), "v.json")
		file := writeExpect(t, "  recipients:\n    - {match: \"*\", status: delivered, last_code: 250}\n")
		code, out, errOut := runIn(t, context.Background(), "expect", "--db", db, "--json", js, file)
		if code != 0 || !strings.Contains(out, "PASS app") {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		check(t, "expect", out, js)
	})
}
