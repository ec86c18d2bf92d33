package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReplayNotLoadedOnce: as expect's, the problem of a scenario file
// that does not load is printed once, on standard error, where it was on
// both streams (a CI log interleaves them); standard output's line says
// the file was not judged and points there, and the JUnit file keeps the
// problem whole. When the run then stops before replaying (a --db that
// is no store), standard error has the file's problem as well as the
// stop's, where it had only the stop's, and the exit status stays the
// stop's.
func TestReplayNotLoadedOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: broken\nseeed: 3\nmessages:\n  - {from: a@shop.test, to: [b@example.test]}\nexpect:\n  recipients:\n    - {match: \"*\", status: delivered}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notStore := filepath.Join(dir, "notes.db")
	if err := os.WriteFile(notStore, []byte("not a database\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join("..", "..", "testdata", "scenarios", "warmup.yaml")
	const problem = `unknown field "seeed"`
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		stop  string
		judge bool
	}{
		{name: "judged", code: 2, judge: true},
		{name: "no store", args: []string{"--db", notStore}, code: 2, stop: notStore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkProblemOnce(t, "replay", append([]string{"--quiet"}, tc.args...), []string{bad, good}, tc.code, problem, tc.stop, "PASS warmup", tc.judge)
		})
	}
}
