package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFE25ReplayDirTakesYML: a directory given to replay stands for its
// *.yml files as well as its *.yaml ones, in name order: a scenario saved
// as .yml was skipped, and the CI job stayed green without it. A
// directory with a .yml file alone is replayed, not refused as having
// "no *.yaml file"; one with no YAML file at all names what it holds.
func TestFE25ReplayDirTakesYML(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	both, ymlOnly, none := filepath.Join(dir, "both"), filepath.Join(dir, "ymlonly"), filepath.Join(dir, "none")
	for _, d := range []string{both, ymlOnly, none} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	scenario := func(name, rcpt string) string {
		return "name: " + name + "\nmessages:\n  - {from: a@shop.test, to: [\"" + rcpt + "\"]}\nexpect:\n  recipients:\n    - {match: \"" + rcpt + "\", status: delivered}\n"
	}
	writeScenario(t, filepath.Join(both, "a.yaml"), scenario("first", "alice@example.test"))
	writeScenario(t, filepath.Join(both, "b.yml"), scenario("second", "bob@example.test"))
	writeScenario(t, filepath.Join(ymlOnly, "c.yml"), scenario("third", "carol@example.test"))
	writeScenario(t, filepath.Join(none, "c.yaml.txt"), scenario("fourth", "dave@example.test"))

	code, out, errOut := runIn(t, context.Background(), "replay", "--quiet", both, ymlOnly)
	first, second, third := strings.Index(out, "PASS first"), strings.Index(out, "PASS second"), strings.Index(out, "PASS third")
	if code != 0 || first < 0 || second < first || third < second || !strings.Contains(out, "3 passed") {
		t.Errorf("replay DIR(a.yaml, b.yml) DIR(c.yml): exit %d; want 0 and all three scenarios replayed, in order\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	code, out, errOut = runIn(t, context.Background(), "replay", "--quiet", none)
	if code != 2 || !strings.Contains(errOut, "*.yml files are taken too") || !strings.Contains(errOut, "it holds c.yaml.txt") {
		t.Errorf("replay DIR(c.yaml.txt): exit %d; want 2, saying .yml counts and naming what the directory holds\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// TestFE25ExpectDirTakesYML: expect's directory takes *.yml files as
// replay's does; a .yml expect file that fails makes the run fail.
func TestFE25ExpectDirTakesYML(t *testing.T) {
	t.Parallel()
	db := sinkStore(t, "a@example.test")
	dir := filepath.Join(t.TempDir(), "exp")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeScenario(t, filepath.Join(dir, "a.yaml"), "name: first\nexpect:\n  recipients:\n    - {name: arrived, match: \"a@example.test\", status: delivered}\n")
	writeScenario(t, filepath.Join(dir, "b.yml"), "name: second\nexpect:\n  recipients:\n    - {name: twice, match: \"a@example.test\", attempts: 2}\n")
	code, out, errOut := runIn(t, context.Background(), "expect", "--db", db, dir)
	if code != 1 || !strings.Contains(out, "PASS first") || !strings.Contains(out, "FAIL second ("+filepath.Join(dir, "b.yml")+")") {
		t.Errorf("expect --db STORE DIR(a.yaml, b.yml): exit %d; want 1, b.yml judged and failing\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, cmd := range []string{"replay", "expect"} {
		_, help, _ := runIn(t, context.Background(), cmd, "--help")
		if !strings.Contains(help, "*.yaml and *.yml file in it") {
			t.Errorf("%s --help does not say a directory stands for its *.yml files too:\n%s", cmd, help)
		}
	}
}
