package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var noteRE = regexp.MustCompile(` # the file's kind .*`)

// TestConfigRetryPreset: config prints the retry preset only where it is
// in force. A file that sets its own kind runs that kind, so "preset:
// postfix" beside "kind: list" would mislead; the printout says what the
// preset still filled, and loads back as the same policy.
func TestConfigRetryPreset(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, retry string
		want, not   []string
	}{
		{"own kind", "{kind: list, schedule: [30s, 1m], max_age: 10m}",
			[]string{`preset: "" # the file's kind list replaces the postfix preset, which filled only bounce_max_age 5d`, "kind: list", "max_age: 10m"},
			[]string{"preset: postfix"}},
		{"own kind and limits", "{kind: list, schedule: [30s], max_age: 10m, bounce_max_age: 1h}",
			[]string{`preset: "" # the file's kind list replaces the postfix preset` + "\n"}, []string{"preset: postfix", "filled"}},
		{"preset in force", "{max_age: 10m}",
			[]string{"preset: postfix\n", "kind: postfix", "min_backoff: 5m"}, []string{"replaces"}},
		{"preset's own kind", "{preset: kumomta, kind: exponential}",
			[]string{"preset: kumomta\n", "initial: 20m"}, []string{"replaces"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := filepath.Join(dir, "r.yaml")
			os.WriteFile(cfg, []byte("relay:\n  retry: "+tc.retry+"\n"), 0o644)
			code, out, errs := runCmd(t, "", "config", "--config", cfg)
			if code != 0 {
				t.Fatalf("config: exit %d, %s", code, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(out, n) {
					t.Errorf("output has %q:\n%s", n, out)
				}
			}
			again := filepath.Join(dir, "printed.yaml")
			os.WriteFile(again, []byte(out), 0o644)
			// The comment goes: the preset is "" in the printout.
			code, out2, errs := runCmd(t, "", "config", "--config", again)
			if first := noteRE.ReplaceAllString(body(out), ""); code != 0 || body(out2) != first {
				t.Errorf("the printout does not load back the same: exit %d, %s\nfirst:\n%s\nagain:\n%s", code, errs, first, body(out2))
			}
		})
	}
}
