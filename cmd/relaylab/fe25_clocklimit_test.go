package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFE25ClockLimitJudgesWhatItCan: a replay that reaches its
// clock.limit keeps a JUnit case per expectation: the recipient final by
// then is judged (and passes), the one still deferred fails as not
// judged, saying why; the verdict notes the limit at its line. It was
// one error case for the file, exit 2 as if the file were bad.
func TestFE25ClockLimitJudgesWhatItCan(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sc := writeScenario(t, filepath.Join(dir, "limit.yaml"), `name: clock limit
clock: {limit: 2h}
relay:
  retry: {kind: list, schedule: [10m], max_age: 1d}
messages:
  - {from: app@shop.test, to: ["rcpt451x100+stuck@example.test", "ok@example.test"]}
expect:
  recipients:
    - {name: stuck, match: "rcpt451x100+stuck@example.test", status: delivered}
    - {name: fine, match: "ok@example.test", status: delivered, attempts: 1}
`)
	junit, js := filepath.Join(dir, "v.xml"), filepath.Join(dir, "v.json")
	code, out, errOut := runIn(t, context.Background(), "replay", "--quiet", "--junit", junit, "--json", js, sc)
	if code != 1 || strings.Contains(out, "not judged\n") {
		t.Errorf("exit %d (want 1, the expectations judged)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"ok    fine", "FAIL  stuck", "not judged: the replay stopped at its clock.limit, 2h0m0s", "not final then: rcpt451x100+stuck@example.test",
		"note  " + sc + ":2:16: clock.limit: the clock limit was reached before every recipient was final"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q\n%s", want, out)
		}
	}
	doc := readJUnitFailures(t, junit)
	if len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 2 || doc.Suites[0].Cases[0].Failure == nil || doc.Suites[0].Cases[1].Failure != nil {
		t.Errorf("JUnit %+v: want the two expectations' cases, the stuck one failed, the other passed", doc.Suites)
	}
	// The JSON keeps where each recipient stood at the limit.
	if b, err := os.ReadFile(js); err != nil || !strings.Contains(string(b), `"status": "deferred"`) || strings.Contains(string(b), `"error"`) {
		t.Errorf("JSON (%v) lacks the deferred recipient, or has an error:\n%s", err, b)
	}
}

// TestFE25ClockLimitRefusedAtLoad: an attempt that the clock limit rules
// out whatever the sink answers (attempt_times past it; attempts that the
// list schedule puts past it) is refused at load, naming the key, instead
// of replaying to the limit.
func TestFE25ClockLimitRefusedAtLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	head := "name: s\nclock: {limit: 2h}\nrelay:\n  retry: {kind: list, schedule: [10m, 1h], max_age: 1d}\nmessages:\n  - {from: a@shop.test, to: [\"rcpt451x100+a@example.test\"]}\nexpect:\n  recipients:\n"
	for _, c := range []struct{ name, exp, want string }{
		{"times", `    - {match: "*", attempt_times: [0s, 10m, 1h10m, 2h10m]}`, "expect.recipients[0].attempt_times[3]: +2h10m0s is after clock.limit, 2h0m0s"},
		{"count", `    - {match: "*", attempts: ">=4"}`, "expect.recipients[0].attempts: >=4: the retry schedule (relay.retry) puts attempt 4 at +2h10m0s at the earliest, after clock.limit, 2h0m0s"},
	} {
		sc := writeScenario(t, filepath.Join(dir, c.name+".yaml"), head+c.exp+"\n")
		code, out, errOut := runIn(t, context.Background(), "replay", "--quiet", sc)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d (want 2), stderr %q\nwant %q\nstdout:\n%s", c.name, code, errOut, c.want, out)
		}
	}
	// Within the limit, the same expectations are replayed.
	sc := writeScenario(t, filepath.Join(dir, "ok.yaml"), strings.Replace(head, "limit: 2h", "limit: 3h", 1)+`    - {match: "*", attempts: ">=4"}`+"\n")
	if code, _, errOut := runIn(t, context.Background(), "replay", "--quiet", sc); code == 2 || strings.Contains(errOut, "attempts:") {
		t.Errorf("a limit the attempts fit in: exit %d, stderr %q", code, errOut)
	}
}

// TestFE25EveryStderrLineSaysWhose: the errors of several files that
// could not be judged are on standard error one a line, each with the
// command's prefix: the second had none, and read as part of the first.
func TestFE25EveryStderrLineSaysWhose(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := writeScenario(t, filepath.Join(dir, "a.yaml"), "name: a\nmesages: []\n")
	b := writeScenario(t, filepath.Join(dir, "b.yaml"), "name: b\nmesages: []\n")
	code, out, errOut := runIn(t, context.Background(), "replay", "--quiet", a, b)
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if code != 2 || len(lines) != 2 {
		t.Errorf("exit %d (want 2), want a line of standard error for each file\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, line := range lines {
		if !strings.HasPrefix(line, "relaylab replay: ") {
			t.Errorf("stderr line %q lacks the prefix relaylab replay:", line)
		}
	}
	dirs := []string{filepath.Join(dir, "e1"), filepath.Join(dir, "e2")}
	code, out, errOut = runIn(t, context.Background(), "expect", "--db", sinkStore(t, "a@example.test"), dirs[0], dirs[1])
	for _, line := range strings.Split(strings.TrimSpace(errOut), "\n") {
		if !strings.HasPrefix(line, "relaylab expect: ") {
			t.Errorf("expect: exit %d, stderr line %q lacks the prefix relaylab expect:\nstdout:\n%s", code, line, out)
		}
	}
}
