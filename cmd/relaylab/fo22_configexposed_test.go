package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestFO22WorldReadableConfigWithSecretsWarned: walk M5. A configuration
// file holding secrets (web.token, relay.users passwords) that every user
// of the machine may read got no word, while a DKIM key file does: now
// relaylab config and the commands that open the store warn, naming the
// keys (never their values) and the chmod. A file only its owner reads,
// or one without secrets, gets no warning.
func TestFO22WorldReadableConfigWithSecretsWarned(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not Unix permissions")
	}
	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		return p
	}
	const secrets = "relay:\n  users: {alice: s3cret-pw}\nweb:\n  token: 0123456789abcdef0123456789abcdef\n"
	open := write("open.yaml", secrets, 0o644)
	closed := write("closed.yaml", secrets, 0o600)
	plain := write("plain.yaml", "store:\n  keep: 30d\n", 0o644)

	c, err := loadConfig(open)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{open, "mode 0644", "relay.users.alice, web.token", "every user of this machine", "chmod 600 " + open} {
		if !strings.Contains(c.exposed, want) {
			t.Errorf("the warning says\n%s\nwant %q in it", c.exposed, want)
		}
	}
	for _, p := range []string{closed, plain} {
		if c, err := loadConfig(p); err != nil || c.exposed != "" {
			t.Errorf("%s: %v, warning %q; want none", filepath.Base(p), err, c.exposed)
		}
	}

	code, _, errOut := runIn(t, context.Background(), "config", "--config", open)
	if code != 0 || !strings.Contains(errOut, "relaylab config: warning: the configuration file") || strings.Contains(errOut, "s3cret-pw") {
		t.Errorf("relaylab config: exit %d, stderr\n%s\nwant the warning, without the password", code, errOut)
	}
	path := pruneStore(t)
	code, _, errOut = runIn(t, context.Background(), "prune", "--config", open, "--db", path, "--older-than", "1d", "--dry-run")
	if code != 0 || !strings.Contains(errOut, "holds secrets (relay.users.alice, web.token)") {
		t.Errorf("prune with the file: exit %d, stderr\n%s\nwant the warning in the log", code, errOut)
	}
	code, _, errOut = runIn(t, context.Background(), "prune", "--config", closed, "--db", path, "--older-than", "1d", "--dry-run")
	if code != 0 || strings.Contains(errOut, "holds secrets") {
		t.Errorf("prune with a file only its owner reads: exit %d, stderr\n%s\nwant no warning", code, errOut)
	}
}
