package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// greenJUnit is an earlier run's JUnit file, all passed.
const greenJUnit = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="1" failures="0" errors="0"><testsuite name="app" tests="1" failures="0" errors="0"><testcase name="ok"></testcase></testsuite></testsuites>
`

// notJudgedJUnit reads the JUnit file at path and fails t unless it
// has one suite whose case errs with a message holding want.
func notJudgedJUnit(t *testing.T, what, path, want string) {
	t.Helper()
	doc := readJUnit(t, path)
	if len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 1 || doc.Suites[0].Cases[0].Error == nil ||
		!strings.Contains(doc.Suites[0].Cases[0].Error.Message, want) {
		b, _ := os.ReadFile(path)
		t.Errorf("%s: the JUnit file does not say %q (an earlier run's, green, left in place?):\n%s", what, want, b)
	}
}

// TestS18ExpectStopsWithOutputs: expect that cannot judge (no serve at
// --url, no store at --db, a file that is not a store) replaces the
// outputs of an earlier run with ones that fail and say why. They were
// left as they were: green.
func TestS18ExpectStopsWithOutputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	exp := writeScenario(t, filepath.Join(dir, "e.yaml"), "name: signup\nexpect:\n  recipients:\n    - {match: \"*@example.test\"}\n")
	notStore := writeScenario(t, filepath.Join(dir, "notastore.db"), "not a store\n")
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no serve", []string{"--url", "http://" + closedAddr(t, "tcp")}, 3, "not judged: nothing listens at"},
		{"no store", []string{"--db", filepath.Join(dir, "missing.db")}, 2, "not judged: no store at"},
		{"not a store", []string{"--db", notStore}, 2, "is not a relaylab store"},
	} {
		junit := writeScenario(t, filepath.Join(dir, "u.xml"), greenJUnit)
		js := writeScenario(t, filepath.Join(dir, "u.json"), `{"passed": true}`)
		args := append(append([]string{"expect"}, c.args...), "--junit", junit, "--json", js, exp)
		code, _, errOut := runIn(t, context.Background(), args...)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d\n%s", c.name, code, c.code, errOut)
		}
		notJudgedJUnit(t, c.name, junit, c.want)
		if b, _ := os.ReadFile(js); !strings.Contains(string(b), `"passed": false`) || !strings.Contains(string(b), "signup") {
			t.Errorf("%s: --json does not fail the verdict named signup:\n%s", c.name, b)
		}
	}
}

// TestS18ReplayStoreRefusedWithOutputs: replay --db on a store it refuses
// (not a store; open in another process) replaces an earlier run's
// outputs with ones that say why nothing was replayed.
func TestS18ReplayStoreRefusedWithOutputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sc := writeScenario(t, filepath.Join(dir, "sc.yaml"), strings.Replace(quickScenario, "%s", "quick", 1))
	junit := writeScenario(t, filepath.Join(dir, "u.xml"), greenJUnit)
	notStore := writeScenario(t, filepath.Join(dir, "notastore.db"), "not a store\n")
	code, _, errOut := runIn(t, context.Background(), "replay", "--quiet", "--db", notStore, "--junit", junit, sc)
	if code != 2 {
		t.Errorf("exit %d, want 2\n%s", code, errOut)
	}
	notJudgedJUnit(t, "not a store", junit, "not replayed: --db "+notStore+" is not a relaylab store")

	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		return // openElsewhere tells only there
	}
	db := filepath.Join(dir, "live.db")
	child := exec.Command(os.Args[0], "-test.run=^TestHoldStoreHelper$")
	child.Env = append(os.Environ(), holdStoreEnv+"="+db)
	stdin, _ := child.StdinPipe()
	stdout, _ := child.StdoutPipe()
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Wait()
	defer stdin.Close()
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		t.Fatalf("the helper holding the store said %q", line)
	}
	writeScenario(t, junit, greenJUnit)
	code, _, errOut = runIn(t, context.Background(), "replay", "--quiet", "--db", db, "--junit", junit, sc)
	if code != 2 {
		t.Errorf("exit %d, want 2\n%s", code, errOut)
	}
	notJudgedJUnit(t, "open elsewhere", junit, fmt.Sprintf("is open in another process (pid %d", child.Process.Pid))
}

// cancelOnWrite is a command's stderr that ends its context, with
// cause, at replay's first progress line, mid-run, as a signal would.
type cancelOnWrite struct {
	syncBuffer
	once   sync.Once
	cancel context.CancelCauseFunc
	cause  error
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "virtual") {
		w.once.Do(func() { w.cancel(w.cause) })
	}
	return w.syncBuffer.Write(p)
}

// TestS18ReplayInterrupted: a replay a signal stops says so, naming the
// signal when the context gives it as its cause, in place of "context
// canceled"; the files after it are not replayed, and every output says
// so of each (they were left out). Exit 3 (no verdict), as README says.
func TestS18ReplayInterrupted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := writeScenario(t, filepath.Join(dir, "a.yaml"), "name: first\nrelay:\n  retry: {kind: list, schedule: [1m], max_age: 1h}\n"+
		"messages:\n  - {from: a@shop.test, to: [\"rcpt451+z@example.test\"]}\nexpect:\n  recipients:\n    - {match: \"*@example.test\", status: expired}\n")
	b := writeScenario(t, filepath.Join(dir, "b.yaml"), strings.Replace(quickScenario, "%s", "second", 1))
	for _, c := range []struct {
		cause error
		sig   string
	}{{nil, "a signal to stop (SIGINT or SIGTERM)"}, {errors.New("SIGTERM"), "SIGTERM"}} {
		ctx, cancel := context.WithCancelCause(context.Background())
		defer cancel(nil)
		js := filepath.Join(dir, "out.json")
		var out syncBuffer
		errb := &cancelOnWrite{cancel: cancel, cause: c.cause}
		code := run(ctx, &env{stdin: strings.NewReader(""), stdout: &out, stderr: errb, hup: make(chan os.Signal)}, []string{"replay", "--json", js, a, b})
		if code != 3 {
			t.Errorf("%s: exit %d, want 3", c.sig, code)
		}
		js2, _ := os.ReadFile(js)
		for _, want := range []string{
			a + ": interrupted: relaylab got " + c.sig + " before the scenario finished, so it has no verdict; replay it again to judge it",
			"not replayed: " + b + ": interrupted: relaylab got " + c.sig + " before this scenario started",
		} {
			// Once, on standard error (a CI log interleaves the two
			// streams); standard output points there.
			if !strings.Contains(errb.String(), strings.TrimPrefix(want, "not replayed: ")) || strings.Contains(out.String(), want) || !strings.Contains(string(js2), want) {
				t.Errorf("%s: stderr and --json (not stdout) should say %q:\nstdout:\n%s\nstderr:\n%s\njson:\n%s", c.sig, want, out.String(), errb.String(), js2)
			}
		}
		if n := strings.Count(out.String(), "not replayed: the reason, with file, line and key, is on standard error"); n != 2 {
			t.Errorf("%s: stdout says of %d files that the reason is on standard error, want 2:\n%s", c.sig, n, out.String())
		}
		if strings.Contains(out.String()+errb.String(), "context canceled") {
			t.Errorf("%s: still says context canceled:\n%s%s", c.sig, out.String(), errb.String())
		}
	}
}

// TestS18ExpectInterrupted: expect that a signal stops while it asks the
// serve says so in every output, not "context canceled" (or "could not
// reach" the serve).
func TestS18ExpectInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	// A serve that the signal comes upon while it answers.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel(errors.New("SIGINT"))
		<-r.Context().Done()
	}))
	defer srv.Close()
	dir := t.TempDir()
	exp := writeScenario(t, filepath.Join(dir, "e.yaml"), "name: signup\nexpect:\n  recipients:\n    - {match: \"*@example.test\"}\n")
	junit := writeScenario(t, filepath.Join(dir, "u.xml"), greenJUnit)
	code, _, errOut := runIn(t, ctx, "expect", "--url", srv.URL, "--wait", "1h", "--junit", junit, exp)
	if code != 3 || !strings.Contains(errOut, "interrupted: relaylab got SIGINT before it judged") || strings.Contains(errOut, "context canceled") {
		t.Errorf("exit %d (want 3), stderr %q", code, errOut)
	}
	notJudgedJUnit(t, "interrupted", junit, "not judged: interrupted: relaylab got SIGINT")
}
