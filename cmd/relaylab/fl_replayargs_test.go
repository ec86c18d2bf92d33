package main

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutputPathFlagMissingValue: a flag that names a file to write and
// is given without its value refuses the next flag as its value (exit 2,
// naming the flag and saying the value is missing), instead of writing a
// file named "--quiet". The working directory is a temporary one, so that
// the file the bug writes lands there.
func TestOutputPathFlagMissingValue(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	sc := filepath.Join(dir, "x.yaml")
	if err := os.WriteFile(sc, []byte("name: x\nmessages:\n  - {from: a@shop.test, to: [\"alice@example.test\"]}\nexpect:\n  recipients:\n    - {match: \"alice@example.test\", status: delivered}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"junit", "json", "html", "markdown", "db"} {
		code, out, errOut := runIn(t, context.Background(), "replay", "--"+name, "--quiet", sc)
		if code != 2 || !strings.Contains(errOut, `relaylab replay: --`+name+` "--quiet": the value is missing: "--quiet" is the next flag, not a file; give the file right after --`+name) {
			t.Errorf("replay --%s --quiet: exit %d; want 2 and the value said missing\nstdout:\n%s\nstderr:\n%s", name, code, out, errOut)
		}
		if _, err := os.Stat(filepath.Join(dir, "--quiet")); err == nil {
			t.Errorf("replay --%s --quiet wrote a file named --quiet", name)
			os.Remove(filepath.Join(dir, "--quiet"))
		}
	}
	// expect shares replay's output flags.
	if code, _, errOut := runIn(t, context.Background(), "expect", "--junit", "--wait", "1s", sc); code != 2 || !strings.Contains(errOut, `--junit "--wait": the value is missing`) {
		t.Errorf("expect --junit --wait: exit %d, stderr %q", code, errOut)
	}
	// A value given is taken, and the help names its argument FILE.
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := outputPathFlag(fs, "out", "write to FILE")
	if err := fs.Parse([]string{"--out", "./-x.xml"}); err != nil || *out != "./-x.xml" {
		t.Errorf("--out ./-x.xml: %q, %v", *out, err)
	}
	if name, _ := flag.UnquoteUsage(fs.Lookup("out")); name != "FILE" {
		t.Errorf("the help names --out's argument %q; want FILE", name)
	}
}

// TestReplayDirectory: a directory named on replay's command line stands
// for every *.yaml file in it, replayed in name order, instead of "read
// DIR: is a directory"; one without a *.yaml file is refused (exit 2)
// naming the directory, and the other files are replayed all the same.
func TestReplayDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sc := filepath.Join(dir, "sc")
	empty := filepath.Join(dir, "empty")
	for _, d := range []string{sc, empty} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, text := range map[string]string{
		"b.yaml":    "name: second\nmessages:\n  - {from: b@shop.test, to: [\"bob@example.test\"]}\nexpect:\n  recipients:\n    - {match: \"bob@example.test\", status: delivered}\n",
		"a.yaml":    "name: first\nmessages:\n  - {from: a@shop.test, to: [\"alice@example.test\"]}\nexpect:\n  recipients:\n    - {match: \"alice@example.test\", status: delivered}\n",
		"notes.txt": "not a scenario",
	} {
		if err := os.WriteFile(filepath.Join(sc, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := runIn(t, context.Background(), "replay", "--quiet", sc+string(filepath.Separator))
	first, second := strings.Index(out, "PASS first"), strings.Index(out, "PASS second")
	if code != 0 || first < 0 || second < first || strings.Contains(out+errOut, "is a directory") || strings.Contains(out, "notes") {
		t.Errorf("replay DIR/: exit %d; want 0, first.yaml's scenario then second's, nothing else\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, errOut = runIn(t, context.Background(), "replay", "--quiet", empty, filepath.Join(sc, "a.yaml"))
	if code != 2 || !strings.Contains(errOut, empty+": a directory with no *.yaml file in it: name scenario files") || !strings.Contains(out, "PASS first") {
		t.Errorf("replay EMPTY a.yaml: exit %d; want 2, naming the empty directory, and a.yaml replayed\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
