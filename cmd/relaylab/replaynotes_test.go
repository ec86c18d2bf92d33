package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The sink folds the notes of a message's second and later recipients
// into "and 1 more in the transcript" in its reply after the final dot:
// the replay reads each recipient's note from the sink's own record, so
// that every typo reaches the verdict.
func TestReplayNotesEveryMistypedRecipient(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sc := filepath.Join(dir, "e3.yaml")
	os.WriteFile(sc, []byte("name: e3\nmessages:\n  - {from: a@shop.test, to: [\"delay30sec@example.test\", \"greylist5min@example.test\"]}\n"+
		"expect:\n  recipients:\n    - {match: \"*@example.test\", status: delivered}\n"), 0o644)
	code, out, errOut := runIn(t, context.Background(), "replay", "--quiet", sc)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{`note  sink: "delay30sec" in delay30sec@example.test is not a directive: did you mean delay30s?`,
		`note  sink: "greylist5min" in greylist5min@example.test is not a directive: did you mean greylist5m?`} {
		if !strings.Contains(out, want) {
			t.Errorf("the verdict lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "note  "); n != 2 {
		t.Errorf("%d notes, want 2:\n%s", n, out)
	}
}
