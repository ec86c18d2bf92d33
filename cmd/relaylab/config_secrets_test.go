package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestRedactedPrintoutRefused: what relaylab config prints without
// --show-secrets does not load back with "<redacted>" as the password:
// each secret it hid is refused at its line and key, saying where the
// file came from. Putting the real values back, one at a time, makes it
// load, so every secret that redact hides is checked.
func TestRedactedPrintoutRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "profiles.yaml"), []byte("profiles:\n  - {name: corp, domains: [corp.test], rules: [{stage: rcpt, reply: \"550 5.1.1 no\"}]}\n"), 0o644)
	cfg := filepath.Join(dir, "relaylab.yaml")
	os.WriteFile(cfg, []byte(configWithSecrets), 0o644)
	code, shown, errs := runCmd(t, "", "config", "--config", cfg)
	if code != 0 {
		t.Fatalf("config: exit %d, %s", code, errs)
	}
	printed := filepath.Join(t.TempDir(), "shown.yaml")
	at := regexp.MustCompile(`^` + regexp.QuoteMeta(printed) + `:(\d+):\d+: ([^:]+): "[^"]*<redacted>[^"]*" is what relaylab config prints in place of a secret: this file came from ` + "`relaylab config`" + ` without --show-secrets`)
	var refused []string
	for range 10 {
		os.WriteFile(printed, []byte(shown), 0o644)
		code, _, errs := runCmd(t, "", "config", "--config", printed)
		if code == 0 {
			break
		}
		m := at.FindStringSubmatch(strings.TrimPrefix(errs, "relaylab config: "))
		if code != 2 || m == nil {
			t.Fatalf("exit %d, stderr %q: want exit 2 naming the line and key of a <redacted>", code, errs)
		}
		refused = append(refused, m[2])
		line, _ := strconv.Atoi(m[1])
		lines := strings.Split(shown, "\n")
		if !strings.Contains(lines[line-1], redacted) {
			t.Fatalf("line %d %q holds no %s", line, lines[line-1], redacted)
		}
		lines[line-1] = strings.Replace(lines[line-1], redacted, "real", 1)
		shown = strings.Join(lines, "\n")
	}
	slices.Sort(refused)
	want := []string{"probe.webhook.url", "relay.paths[0].password", "relay.users.app", "sink.listeners[0].auth.users.alice", "web.token"}
	if !slices.Equal(refused, want) {
		t.Errorf("refused %q, want %q", refused, want)
	}
}

// TestEmptyPasswordsRefused: a user with an empty password would let in
// anyone who knows the name; it is refused at its line, in the relay's
// users and in a sink listener's.
func TestEmptyPasswordsRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ yaml, want string }{
		{"relay: {users: {app: \"\"}}\n", `e.yaml:1:22: relay.users.app: user "app" has an empty password`},
		{"sink:\n  listeners:\n    - {name: mx1, listen: \"127.0.0.1:2525\", hostname: mx1.test, auth: {mode: required, users: {bob: ''}}}\n",
			`e.yaml:3:101: sink.listeners[0].auth.users.bob: user "bob" has an empty password`},
		{"web: {user: admin, password: <redacted>}\n", `e.yaml:1:30: web.password: "<redacted>" is what relaylab config prints`},
	} {
		path := filepath.Join(t.TempDir(), "e.yaml")
		os.WriteFile(path, []byte(tc.yaml), 0o644)
		code, _, errs := runCmd(t, "", "config", "--config", path)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: exit %d, stderr %q, want exit 2 and %q", tc.yaml, code, errs, tc.want)
		}
	}
}
