package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigListenClash: two listeners on one address and port are an
// exit-2 error from config (and so from serve, before anything binds)
// that names both keys and their lines, instead of a bind that fails
// later with "address already in use", which blames another program.
func TestConfigListenClash(t *testing.T) {
	t.Parallel()
	sinkOn := func(addrs ...string) string {
		s := "sink:\n  listeners:\n"
		for i, a := range addrs {
			s += "    - name: mx" + string(rune('a'+i)) + "\n      listen: " + a + "\n"
		}
		return s
	}
	for _, tc := range []struct {
		name, yaml string
		want       string // "" for no error
	}{
		{"sink and relay.listen", sinkOn("127.0.0.1:43343") + "relay:\n  listen: 127.0.0.1:43343\n",
			`c.yaml:6:11: relay.listen: "127.0.0.1:43343": sink.listeners[0].listen (line 4) listens on "127.0.0.1:43343" already`},
		{"two sink listeners", sinkOn("127.0.0.1:43343", "127.0.0.1:43343"),
			`c.yaml:6:15: sink.listeners[1].listen: "127.0.0.1:43343": sink.listeners[0].listen (line 4) listens`},
		{"wildcard over loopback", sinkOn("127.0.0.1:43343", "0.0.0.0:43343"),
			"sink.listeners[1].listen: \"0.0.0.0:43343\": sink.listeners[0].listen (line 4) listens on \"127.0.0.1:43343\" already; a host of 0.0.0.0, :: or none listens on every address"},
		{"empty host", sinkOn(":43343") + "relay:\n  tls_listen: '[::1]:43343'\n", `relay.tls_listen: "[::1]:43343": sink.listeners[0].listen (line 4)`},
		{"localhost is 127.0.0.1", sinkOn("localhost:43343") + "web:\n  listen: 127.0.0.1:43343\n", `web.listen: "127.0.0.1:43343": sink.listeners[0].listen (line 4) listens on "localhost:43343"`},
		{"a default, named as one", sinkOn("127.0.0.1:8025"), `c.yaml:4:15: sink.listeners[0].listen: "127.0.0.1:8025": web.listen (its default) listens`},
		{"port 0 never collides", sinkOn("127.0.0.1:0", "127.0.0.1:0") + "relay:\n  listen: 127.0.0.1:0\nweb:\n  listen: 127.0.0.1:0\n", ""},
		{"other ports", sinkOn("127.0.0.1:43343", "0.0.0.0:43344") + "relay:\n  listen: 127.0.0.2:43343\n", ""},
		{"disabled web", sinkOn("127.0.0.1:8025") + "web:\n  disabled: true\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := filepath.Join(t.TempDir(), "c.yaml")
			os.WriteFile(cfg, []byte(tc.yaml), 0o644)
			code, _, errs := runCmd(t, "", "config", "--config", cfg)
			switch {
			case tc.want == "" && code != 0:
				t.Errorf("exit %d, stderr %q, want 0", code, errs)
			case tc.want != "" && (code != 2 || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "give one of them another port")):
				t.Errorf("exit %d, stderr %q, want 2 and %q", code, errs, tc.want)
			}
		})
	}
}

// TestSinkListenFlagsClash: `relaylab sink --listen A --listen A` stops
// with exit 2 before it binds anything, naming both flags.
func TestSinkListenFlagsClash(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "r.db")
	code, _, errs := runCmd(t, "", "sink", "--db", db, "--listen", "127.0.0.1:43397", "--listen", "127.0.0.1:43397")
	want := `--listen "127.0.0.1:43397" (listener mx2) and --listen "127.0.0.1:43397" (listener mx) would listen on the same port`
	if code != 2 || !strings.Contains(errs, want) {
		t.Errorf("exit %d, stderr %q, want 2 and %q", code, errs, want)
	}
	if _, err := os.Stat(db); err == nil {
		t.Errorf("the store was opened: the check must come before anything starts")
	}
}

// TestConfigListenInvalidIP: a host of digits and dots that is no IPv4
// address is refused at its key, not taken for a host name (sink, relay)
// or reported as listening beyond loopback (web).
func TestConfigListenInvalidIP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ yaml, want string }{
		{"web:\n  listen: 300.1.1.1:80\n", `c.yaml:2:11: web.listen: "300.1.1.1:80": "300.1.1.1" is not a valid IPv4 address`},
		{"relay:\n  listen: 999.0.0.1:2525\n", `c.yaml:2:11: relay.listen: "999.0.0.1:2525": "999.0.0.1" is not a valid IPv4 address`},
		{"sink:\n  listeners:\n    - name: mx\n      listen: 300.1.1.1:2525\n", `c.yaml:4:15: sink.listeners[0].listen: "300.1.1.1:2525": "300.1.1.1" is not a valid IPv4 address`},
	} {
		cfg := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(cfg, []byte(tc.yaml), 0o644)
		code, _, errs := runCmd(t, "", "config", "--config", cfg)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr %q, want 2 and %q", tc.yaml, code, errs, tc.want)
		}
	}
}

// TestRelayListenFlagClash: relay --listen on the port of the file's
// relay.tls_listen stops with exit 2 before anything binds.
func TestRelayListenFlagClash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("relay:\n  listen: 127.0.0.1:0\n  tls_listen: 127.0.0.1:43398\n"), 0o644)
	db := filepath.Join(dir, "r.db")
	code, _, errs := runCmd(t, "", "relay", "--config", cfg, "--db", db, "--listen", "127.0.0.1:43398")
	want := `--listen "127.0.0.1:43398": relay.tls_listen ("127.0.0.1:43398") listens there already`
	if code != 2 || !strings.Contains(errs, want) {
		t.Errorf("exit %d, stderr %q, want 2 and %q", code, errs, want)
	}
	if _, err := os.Stat(db); err == nil {
		t.Errorf("the store was opened: the check must come before anything starts")
	}
}
