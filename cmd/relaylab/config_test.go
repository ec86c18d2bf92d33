package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestLoadConfigErrors: a bad file is an exit-2 error that names the file,
// the line and column, and the key, in block and in flow style.
func TestLoadConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, yaml, want string // want: the error after "DIR/"
	}{
		{"flow listener, unknown key",
			"sink:\n  listeners:\n    - {name: mx1, listen: \"127.0.0.1:43025\", hostnme: x}\n",
			`r.yaml:3:46: sink.listeners[0].hostnme: unknown field "hostnme"`},
		{"flow path, misspelt password",
			"relay:\n  paths:\n    - {name: sh, host: 'smtp.example.test:587', username: u, pasword: p}\n",
			`r.yaml:3:62: relay.paths[0].pasword: unknown field "pasword"`},
		{"flow retry, bad value",
			"relay:\n  retry: {preset: '', kind: exponential, initial: soon}\n",
			`r.yaml:2:51: relay.retry.initial: bad duration "soon"`},
		{"flow dsn, bad value",
			"relay:\n  dsn: {verp: true, delay_warning: 4x}\n",
			`r.yaml:2:36: relay.dsn.delay_warning: bad duration "4x"`},
		{"relay.listen port out of range",
			"relay:\n  listen: 127.0.0.1:99999\n",
			`r.yaml:2:11: relay.listen: "127.0.0.1:99999": port 99999 is out of range (0-65535)`},
		{"web.listen port not a number",
			"web:\n  listen: 127.0.0.1:8025x\n",
			`r.yaml:2:11: web.listen: "127.0.0.1:8025x": port "8025x" is not a number`},
		{"web beyond loopback without auth",
			"web: {listen: '0.0.0.0:8025'}\n",
			`r.yaml:1:15: web.listen: "0.0.0.0:8025" listens beyond loopback with no web.token or web.user`},
		{"web on every address without auth",
			"web: {listen: ':8025'}\n",
			`r.yaml:1:15: web.listen: ":8025" listens beyond loopback`},
		{"web.listen not host:port",
			"web: {listen: '8025'}\n",
			`r.yaml:1:15: web.listen: "8025" is not host:port`},
		{"web.allowed_origins null",
			"web:\n  allowed_origins: ['http://127.0.0.1:3000', 'null']\n",
			`r.yaml:2:46: web.allowed_origins[1]: "null" is the opaque origin of sandboxed frames`},
		{"flow sink listener, port out of range",
			"sink:\n  listeners:\n    - {name: mx1, hostname: a.test, listen: \"127.0.0.1:2525\"}\n    - {name: mx2, hostname: b.test, listen: \"127.0.0.1:70000\"}\n",
			`r.yaml:4:45: sink.listeners[1].listen: "127.0.0.1:70000": port 70000 is out of range (0-65535)`},
		{"sink bounce relay port 0",
			"sink:\n  bounce: {relay: '127.0.0.1:0'}\n",
			`r.yaml:2:19: sink.bounce.relay: "127.0.0.1:0": port 0 is out of range (1-65535)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "r.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := loadConfig(path)
			var ee *exitError
			var ce *config.Error
			if !errors.As(err, &ee) || ee.code != 2 || !errors.As(err, &ce) {
				t.Fatalf("loadConfig = %v, want an exit-2 *config.Error", err)
			}
			got := strings.TrimPrefix(err.Error(), dir+string(filepath.Separator))
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("error\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestLoadConfigPortZero: port 0 (any free port) is what tests listen on.
func TestLoadConfigPortZero(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.yaml")
	y := "sink:\n  listeners: [{name: mx, listen: '127.0.0.1:0', hostname: mx.test}]\nrelay: {listen: '127.0.0.1:0'}\nweb: {listen: '[::1]:0'}\n"
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(path); err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
}

// TestWebBeyondLoopbackWithAuth: a UI on every address is allowed once a
// token or a user protects it; localhost and loopback IPs need neither.
func TestWebBeyondLoopbackWithAuth(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i, y := range []string{
		"web: {listen: ':8025', token: 0123456789abcdef}\n",
		"web: {listen: '[::]:8025', user: u, password: long-enough-pw}\n",
		"web: {listen: '127.0.0.1:8025', token: x}\n",
		"web: {listen: 'localhost:8025'}\n",
		"web: {listen: '127.0.0.2:8025'}\n",
		"web: {listen: '0.0.0.0:8025', disabled: true}\n",
	} {
		path := filepath.Join(dir, fmt.Sprintf("w%d.yaml", i))
		if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := loadConfig(path); err != nil {
			t.Errorf("%s: %v", strings.TrimSpace(y), err)
		}
	}
}

// TestWebShortSecretBeyondLoopback: beyond loopback a token under 16
// characters or a password under 12 is refused at its key, saying how to
// make one; a one-character token was accepted.
func TestWebShortSecretBeyondLoopback(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i, tc := range []struct{ y, want string }{
		{"web: {listen: ':8025', token: x}\n", `w0.yaml:1:31: web.token: is too short (1 of the 16 characters it needs): the web UI listens on ":8025", beyond loopback`},
		{"web: {listen: ':8025', user: a, password: b}\n", `w1.yaml:1:43: web.password: is too short (1 of the 12 characters it needs)`},
	} {
		path := filepath.Join(dir, fmt.Sprintf("w%d.yaml", i))
		if err := os.WriteFile(path, []byte(tc.y), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := loadConfig(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "openssl rand -hex 16") {
			t.Errorf("%s: %v, want %q and how to make one", strings.TrimSpace(tc.y), err, tc.want)
		}
	}
}

// TestConfigFilesBesideIt: key files named without a directory are read
// from the configuration file's directory, whatever the working directory;
// a missing one is an error at its key and line.
func TestConfigFilesBesideIt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	y := "relay:\n  dkim:\n    - {domain: shop.test, selector: s1, key_file: dkim.pem}\nsink:\n  profile_files: [more.yaml]\nprobe:\n  zones: [lists.yaml]\n"
	path := filepath.Join(dir, "r.yaml")
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := loadConfig(path)
	if err == nil || !strings.Contains(err.Error(), "r.yaml:3:") || !strings.Contains(err.Error(), "relay.dkim[0].key_file") {
		t.Fatalf("a missing key file: %v, want an error at relay.dkim[0].key_file on line 3", err)
	}
	os.WriteFile(filepath.Join(dir, "dkim.pem"), keyPEM(t), 0o600)
	os.WriteFile(filepath.Join(dir, "lists.yaml"), []byte("- {zone: beside.bl.test, kind: ip}\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "more.yaml"), []byte("profiles:\n  - {name: extra, domains: [extra.test], rules: [{stage: rcpt, reply: '550 5.1.1 no'}]}\n"), 0o600)
	c, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Relay.DKIM[0].KeyFile; got != filepath.Join(dir, "dkim.pem") {
		t.Errorf("key_file resolved to %q, want it beside the configuration", got)
	}
	if z := c.Probe.Zones; len(z) != 1 || z[0].Zone != "beside.bl.test" {
		t.Errorf("probe.zones from the file beside the configuration: %+v", z)
	}
	if got := c.Sink.ProfileFiles[0]; got != filepath.Join(dir, "more.yaml") {
		t.Errorf("profile_files[0] resolved to %q, want it beside the configuration", got)
	}
}

// TestPathTimeoutUnderASecond: a path timeout under a second in a file (a
// slip of the unit, 1ms for 1m) is refused at its key, which failed every
// attempt as a timeout.
func TestPathTimeoutUnderASecond(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i, tc := range []struct{ y, want string }{
		{"relay:\n  paths:\n    - {name: up, type: smarthost, host: 127.0.0.1:2525, command_timeout: 1ms}\n", "relay.paths[0].command_timeout: 1ms is under a second, which fails every attempt as a timeout: RFC 5321 4.5.3.2 gives minutes (5m for commands, 10m after the final dot); did you mean 1m?"},
		{"relay:\n  paths:\n    - {name: up, type: smarthost, host: 127.0.0.1:2525, data_timeout: 500ms}\n", "relay.paths[0].data_timeout: 500ms is under a second"},
	} {
		path := filepath.Join(dir, fmt.Sprintf("t%d.yaml", i))
		if err := os.WriteFile(path, []byte(tc.y), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := loadConfig(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", strings.TrimSpace(tc.y), err, tc.want)
		}
	}
	path := filepath.Join(dir, "ok.yaml")
	os.WriteFile(path, []byte("relay:\n  paths:\n    - {name: up, type: smarthost, host: 127.0.0.1:2525, command_timeout: 1s, data_timeout: 10m}\n"), 0o600)
	if _, err := loadConfig(path); err != nil {
		t.Errorf("1s and 10m: %v", err)
	}
}
