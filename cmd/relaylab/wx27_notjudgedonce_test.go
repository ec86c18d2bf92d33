package main

import (
	"context"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExpectNotLoadedOnce: the problem of an expect file that does not
// load is printed once, on standard error (a CI job's log interleaves
// both streams, and showed it twice), while standard output's verdict
// line says the file was not judged and points there; the JUnit file
// keeps the problem whole. When the run then stops before judging (no
// serve at --url, no store at --db), standard error has the file's
// problem as well as the stop's, where it had only the stop's, and the
// exit status stays the stop's.
func TestExpectNotLoadedOnce(t *testing.T) {
	t.Parallel()
	srv := fakeServeAPI(t, `{"attempts":[{"time":"2026-01-02T03:04:05Z","listener":"mx","client":"127.0.0.1","sender":"app@shop.test",`+
		`"recipient":"ok@example.test","stage":"data","code":250,"enhanced":"2.0.0","text":"queued","message":1,"session":1}]}`, "")
	dir := t.TempDir()
	files := map[string]string{ // a good file, and one with a misspelt key
		"good.yaml": "name: ok\nexpect:\n  recipients:\n    - {match: \"ok@example.test\", status: delivered}\n",
		"bad.yaml":  "name: broken\nexpect:\n  recipients:\n    - {match: \"ok@example.test\", stauts: delivered}\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good, bad := filepath.Join(dir, "good.yaml"), filepath.Join(dir, "bad.yaml")
	const problem = `unknown field "stauts"`
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		stop  string // a piece of the stop's error, also on standard error
		judge bool   // the good file is judged
	}{
		{name: "judged", args: []string{"--url", srv.URL}, code: 2, judge: true},
		{name: "no serve", args: []string{"--url", "http://127.0.0.1:43397", "--timeout", "5s"}, code: 3, stop: "could not be read"},
		{name: "no store", args: []string{"--db", filepath.Join(dir, "none.db")}, code: 2, stop: "no store at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkProblemOnce(t, "expect", tc.args, []string{bad, good}, tc.code, problem, tc.stop, "PASS ok", tc.judge)
		})
	}
}

// checkProblemOnce runs relaylab cmd (expect or replay) with args and
// files (a bad one named bad.yaml first) and a --junit file: exit code,
// the bad file's problem once and on standard error, standard output
// saying it was not judged and pointing there, the stop's reason (when
// stop is given) on standard error, pass (the good file's PASS line)
// present when judge, and the problem whole in the JUnit file.
func checkProblemOnce(t *testing.T, cmd string, args, files []string, code int, problem, stop, pass string, judge bool) {
	t.Helper()
	junit := filepath.Join(t.TempDir(), "v.xml")
	all := append(append([]string{cmd, "--junit", junit}, args...), files...)
	got, out, errOut := runIn(t, context.Background(), all...)
	if got != code {
		t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", got, code, out, errOut)
	}
	if n := strings.Count(out+errOut, problem); n != 1 || !strings.Contains(errOut, problem) {
		t.Errorf("the file's problem shows %d times (want once, on standard error)\nstdout:\n%s\nstderr:\n%s", n, out, errOut)
	}
	if !strings.Contains(out, "bad.yaml: not judged") || !strings.Contains(out, "standard error") {
		t.Errorf("standard output does not say the file was not judged and where to look:\n%s", out)
	}
	if stop != "" && !strings.Contains(errOut, stop) {
		t.Errorf("standard error lacks the stop's reason %q:\n%s", stop, errOut)
	}
	if got := strings.Contains(out, pass); got != judge {
		t.Errorf("good file judged: %v, want %v:\n%s", got, judge, out)
	}
	b, err := os.ReadFile(junit)
	if err != nil || !strings.Contains(html.UnescapeString(string(b)), problem) {
		t.Errorf("the JUnit file lacks the problem whole (%v):\n%.800s", err, b)
	}
}
