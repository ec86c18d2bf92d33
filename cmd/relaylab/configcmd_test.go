package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// configWithSecrets sets a key in every section, a file name relative to
// the configuration's directory, and every kind of secret.
const configWithSecrets = `store: {sync: normal}
sink:
  listeners:
    - {name: mx1, listen: "127.0.0.1:43025", hostname: mx1.test, auth: {mode: optional, users: {alice: sink-pass}}}
  rules:
    - {stage: rcpt, recipient: "*@slow.test", attempt: 1-2, reply: "451 4.7.1 later"}
  profile_files: [profiles.yaml]
relay:
  listen: "127.0.0.1:43587"
  users: {app: relay-pass}
  paths:
    - {name: sh, host: "127.0.0.1:43526", username: u, password: path-pass, tls: required}
  routes:
    - {name: default, paths: [sh]}
  retry: {preset: "", kind: list, schedule: [5m, 1h], max_age: 2d}
probe: {domains: [shop.test], interval: 2h, webhook: {url: "https://hooks.chat.test/services/T000/B000/hook-secret"}}
web: {listen: "127.0.0.1:43825", token: web-token}
`

// TestConfigCommand: config prints every key with the defaults filled in,
// hides secrets unless asked, and what it prints loads back, from another
// directory, as the same configuration.
func TestConfigCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "profiles.yaml"), []byte("profiles:\n  - {name: corp, domains: [corp.test], rules: [{stage: rcpt, reply: \"550 5.1.1 no\"}]}\n"), 0o644)
	cfg := filepath.Join(dir, "relaylab.yaml")
	os.WriteFile(cfg, []byte(configWithSecrets), 0o644)

	code, out, errs := runCmd(t, "", "config", "--config", cfg)
	if code != 0 {
		t.Fatalf("config: exit %d, %s", code, errs)
	}
	for _, secret := range []string{"sink-pass", "relay-pass", "path-pass", "web-token", "hook-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("the secret %q is printed:\n%s", secret, out)
		}
	}
	for _, want := range []string{
		"alice: " + redacted, "app: " + redacted, "password: " + redacted, "token: " + redacted,
		"url: https://hooks.chat.test/" + redacted,
		"sync: normal",                      // from the file
		"max_message_bytes: 26214400",       // a default the file leaves out
		"idle_timeout: 5m",                  // a default inside a listener the file gives
		"interval: 2h",                      // probe
		filepath.Join(dir, "profiles.yaml"), // resolved against the file's directory
		"- 5m",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// With the secrets, the printout is a configuration file of its own.
	code, full, errs := runCmd(t, "", "config", "--show-secrets", "--config", cfg)
	if code != 0 || !strings.Contains(full, "path-pass") || !strings.Contains(full, "web-token") {
		t.Fatalf("config --show-secrets: exit %d, %s\n%s", code, errs, full)
	}
	elsewhere := filepath.Join(t.TempDir(), "printed.yaml")
	os.WriteFile(elsewhere, []byte(full), 0o644)
	code, again, errs := runCmd(t, "", "config", "--show-secrets", "--config", elsewhere)
	if code != 0 {
		t.Fatalf("the printed configuration does not load: exit %d, %s\n%s", code, errs, full)
	}
	if body(again) != body(full) {
		t.Errorf("printed configuration changed on reloading:\nfirst:\n%s\nagain:\n%s", full, again)
	}
}

// body is config's output without its header comment, which names the file.
func body(out string) string {
	_, b, _ := strings.Cut(out, "\nstore:")
	return b
}

// TestConfigCommandDefaults: with no file, config prints the built-in
// defaults, which load back the same.
func TestConfigCommandDefaults(t *testing.T) {
	t.Parallel()
	code, out, errs := runCmd(t, "", "config")
	if code != 0 {
		t.Fatalf("exit %d, %s", code, errs)
	}
	for _, want := range []string{"listen: 127.0.0.1:2525", "listen: 127.0.0.1:2587", "listen: 127.0.0.1:8025", "/relaylab.db\n", "preset: postfix",
		// The preset's values, as the relay runs them, not zeros.
		"kind: postfix", "min_backoff: 5m", "max_backoff: 1h6m40s", "max_age: 5d",
		// An unset sink.bounce.relay stays unset when printed: serve
		// queues the sink's bounces in its own relay, not at the default.
		"# relay: unset. relaylab sink sends bounces to 127.0.0.1:2587; relaylab serve queues them in its own relay."} {
		if !strings.Contains(out, want) {
			t.Errorf("defaults lack %q:\n%s", want, out)
		}
	}
	printed := filepath.Join(t.TempDir(), "defaults.yaml")
	os.WriteFile(printed, []byte(out), 0o644)
	if code, again, errs := runCmd(t, "", "config", "--config", printed); code != 0 || body(again) != body(out) {
		t.Errorf("defaults reloaded: exit %d, %s; changed: %v", code, errs, body(again) != body(out))
	}
}

// TestConfigCommandErrors: a bad file or a stray argument is exit 2 with
// the file, line and key; nothing is printed on stdout.
func TestConfigCommandErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bad.yaml")
	os.WriteFile(cfg, []byte("relay:\n  retry: {preset: '', kind: exponential, initial: soon}\n"), 0o644)
	code, out, errs := runCmd(t, "", "config", "--config", cfg)
	if code != 2 || out != "" || !strings.Contains(errs, "bad.yaml:2:51: relay.retry.initial: bad duration \"soon\"") {
		t.Errorf("bad file: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, _, errs = runCmd(t, "", "config", cfg)
	if code != 2 || !strings.Contains(errs, "--config") {
		t.Errorf("file without --config: exit %d, %q", code, errs)
	}
	code, _, errs = runCmd(t, "", "config", "--config", filepath.Join(dir, "missing.yaml"))
	if code != 2 || !strings.Contains(errs, "missing.yaml") {
		t.Errorf("missing file: exit %d, %q", code, errs)
	}
}

// TestConfigCommandPathDefaults: a path prints the values the relay runs
// it with (messages per connection, timeouts, an mx path's port and walk
// caps), not zeros, and the printout loads back the same.
func TestConfigCommandPathDefaults(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "paths.yaml")
	os.WriteFile(cfg, []byte("relay: {paths: [{name: a, host: \"127.0.0.1:2700\"}, {name: direct, type: mx}]}\n"), 0o644)
	code, out, errs := runCmd(t, "", "config", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d, %s", code, errs)
	}
	_, direct, _ := strings.Cut(out, "- name: direct")
	for _, want := range []string{"messages_per_connection: 100", "connect_timeout: 30s", "command_timeout: 5m", "data_timeout: 10m"} {
		if strings.Count(out, want) < 2 {
			t.Errorf("both paths should print %q:\n%s", want, out)
		}
	}
	for _, want := range []string{"port: 25", "max_mx_addresses: 5", "max_mx_sessions: 2"} {
		if !strings.Contains(direct, want) {
			t.Errorf("the mx path lacks %q:\n%s", want, direct)
		}
	}
	printed := filepath.Join(t.TempDir(), "printed.yaml")
	os.WriteFile(printed, []byte(out), 0o644)
	if code, again, errs := runCmd(t, "", "config", "--config", printed); code != 0 || body(again) != body(out) {
		t.Errorf("reloaded: exit %d, %s; changed: %v", code, errs, body(again) != body(out))
	}
}

// TestConfigWarnsOfOverriddenRules: relaylab config names a
// relay.classify rule the relay overrides (a 451 with disposition:
// bounce, which it retries all the same) at its line, with what the
// relay does instead; it took the rule without a word.
func TestConfigWarnsOfOverriddenRules(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "relaylab.yaml")
	os.WriteFile(cfg, []byte("relay:\n  classify:\n    - {code: \"451\", category: greylisted, disposition: retry}\n    - {code: \"451\", category: gone, disposition: bounce}\n"), 0o644)
	code, _, errs := runCmd(t, "", "config", "--config", cfg)
	if code != 0 {
		t.Fatalf("config: exit %d, %s", code, errs)
	}
	want := "relaylab config: warning: " + cfg + ":4:"
	if !strings.Contains(errs, want) || !strings.Contains(errs, "relay.classify[1].disposition: bounce for a 4xx reply") ||
		!strings.Contains(errs, "it retries these replies instead of bouncing them") || strings.Contains(errs, "classify[0]") {
		t.Errorf("stderr lacks the warning %q... for classify[1] alone:\n%s", want, errs)
	}
}
