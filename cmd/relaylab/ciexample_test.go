package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/testutil"
)

// TestCIExampleConfig: the configuration the GitHub Actions example
// writes (its relaylab.yaml heredoc) loads, and lowers the local sink's
// backoff, so that the 421 tests it advises are delivered within its
// --wait 2m.
func TestCIExampleConfig(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../.ci/examples/github-actions.yml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)cat > relaylab\.yaml <<'YAML'\n(.*?)\n *YAML\n`).FindSubmatch(data)
	if m == nil {
		t.Fatal("no relaylab.yaml heredoc in the example")
	}
	var lines []string
	for _, l := range strings.Split(string(m[1]), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "          "))
	}
	path := filepath.Join(t.TempDir(), "relaylab.yaml")
	os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatalf("the example's configuration: %v", err)
	}
	if len(cfg.Relay.Paths) != 1 || cfg.Relay.Paths[0].Host != "sink" || cfg.Relay.Paths[0].Backoff.D().Seconds() > 30 {
		t.Errorf("paths %+v: want the local sink alone, with a backoff of at most 30 s", cfg.Relay.Paths)
	}
}

// exampleStep is the run: block of the GitHub Actions example's step
// named name, unindented, as the runner gives it to bash.
func exampleStep(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile("../../.ci/examples/github-actions.yml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)- name: ` + regexp.QuoteMeta(name) + `\n.*?        run: \|\n(.*?)\n(?:      - |\n  \S|$)`).FindSubmatch(data)
	if m == nil {
		t.Fatalf("no step %q with a run: | block in the example", name)
	}
	var lines []string
	for _, l := range strings.Split(string(m[1]), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "          "))
	}
	return strings.Join(lines, "\n") + "\n"
}

// TestCIExampleStartStep runs the example's start and stop steps as the
// runner does (bash -e -o pipefail), with a stand-in relaylab on PATH:
// a serve that stops at start fails the start step, which prints serve's
// error, and the stop step still shows the log; a ready.json left by an
// earlier run is not read for this run's addresses. Before, the start
// step passed with empty addresses and the stop step hid the log.
func TestCIExampleStartStep(t *testing.T) {
	t.Parallel()
	testutil.NeedCommand(t, "jq")
	start, stop := exampleStep(t, "Start relaylab serve on free ports"), exampleStep(t, "Stop relaylab")
	run := func(t *testing.T, dir, script string) (string, error) {
		t.Helper()
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "GITHUB_ENV="+filepath.Join(dir, "github.env"))
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	fake := func(t *testing.T, body string) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "relaylab"), []byte("#!/usr/bin/env bash\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}

	t.Run("serve stops at start", func(t *testing.T) {
		dir := fake(t, `echo "relaylab serve: relaylab.yaml:5:3: relay.bogus: unknown field \"bogus\"" >&2; exit 2`+"\n")
		out, err := run(t, dir, start)
		if err == nil {
			t.Errorf("the start step passed though serve stopped:\n%s", out)
		}
		if !strings.Contains(out, `relay.bogus: unknown field "bogus"`) {
			t.Errorf("the start step does not show serve's error:\n%s", out)
		}
		env, _ := os.ReadFile(filepath.Join(dir, "github.env"))
		if strings.Contains(string(env), "SMTP_SERVER=") {
			t.Errorf("the start step set addresses for a serve that stopped: %q", env)
		}
		out, _ = run(t, dir, stop)
		if !strings.Contains(out, `relay.bogus: unknown field "bogus"`) {
			t.Errorf("the stop step does not show serve's log:\n%s", out)
		}
	})

	t.Run("stale ready file", func(t *testing.T) {
		// serve writes its ready file a while after it starts, as the
		// real one does once every listener is up, then runs until
		// stopped.
		dir := fake(t, `for a; do [ "$prev" = --ready-file ] && f=$a; prev=$a; done
sleep 0.5
echo '{"relay":"127.0.0.1:2","web":"http://127.0.0.1:3/"}' > "$f.tmp" && mv "$f.tmp" "$f"
trap 'echo stopped; exit 0' TERM
while :; do sleep 0.1; done
`)
		os.WriteFile(filepath.Join(dir, "ready.json"), []byte(`{"relay":"127.0.0.1:9","web":"http://127.0.0.1:8/"}`), 0o644)
		out, err := run(t, dir, start)
		if err != nil {
			t.Fatalf("the start step failed: %v\n%s", err, out)
		}
		env, _ := os.ReadFile(filepath.Join(dir, "github.env"))
		if want := "SMTP_SERVER=127.0.0.1:2\nRELAYLAB_URL=http://127.0.0.1:3/\n"; string(env) != want {
			t.Errorf("the step set %q, want this run's addresses %q", env, want)
		}
		if out, err := run(t, dir, stop); err != nil {
			t.Errorf("the stop step failed: %v\n%s", err, out)
		}
	})
}
