package relay

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/testutil"
)

// TestUnverifiedAuthWarned: a path that sends its password over TLS it
// does not verify, to a host beyond loopback, is named in a warning at
// start; with verify: true, without a password, or to a loopback host
// (a test's own smarthost) nothing is said. No connection is made.
func TestUnverifiedAuthWarned(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		path   PathConfig
		warned bool
	}{
		{"unverified password to a remote host", PathConfig{Host: "smtp.provider.test:587", TLS: "required", Username: "u", Password: "p"}, true},
		{"implicit TLS, unverified", PathConfig{Host: "smtp.provider.test:465", TLS: "implicit", Username: "u", Password: "p"}, true},
		{"verified", PathConfig{Host: "smtp.provider.test:587", TLS: "required", Verify: true, Username: "u", Password: "p"}, false},
		{"no password", PathConfig{Host: "smtp.provider.test:587", TLS: "required"}, false},
		{"loopback", PathConfig{Host: "127.0.0.1:587", TLS: "required", Username: "u", Password: "p"}, false},
		{"localhost", PathConfig{Host: "localhost:587", TLS: "required", Username: "u", Password: "p"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig("")
			tc.path.Name = "upstream"
			cfg.Paths = []PathConfig{tc.path}
			cfg.Routes = []RouteConfig{{Name: "all", Paths: []string{"upstream"}}}
			var logs testutil.SyncBuffer
			newHarness(t, cfg, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			got := strings.Contains(logs.String(), "without checking the server's certificate (verify: false)")
			if got != tc.warned {
				t.Errorf("warned = %v, want %v; log:\n%s", got, tc.warned, logs.String())
			}
			if tc.warned && !strings.Contains(logs.String(), "path=upstream host="+tc.path.Host) {
				t.Errorf("the warning does not name the path and host:\n%s", logs.String())
			}
		})
	}
}

// TestPlaintextAt465Warned: a path that reaches port 465 without tls:
// implicit is named in a warning at start, with its command_timeout and
// the setting that fixes it; implicit TLS at 465, or STARTTLS at 587, is
// not. No connection is made.
func TestPlaintextAt465Warned(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		path   PathConfig
		warned string
	}{
		{"STARTTLS at 465", PathConfig{Host: "127.0.0.1:465", TLS: "required"}, "with tls: required"},
		{"default TLS at 465", PathConfig{Host: "127.0.0.1:465"}, "with tls: opportunistic"},
		{"mx port 465", PathConfig{Type: "mx", Port: 465, TLS: "none"}, "with tls: none"},
		{"implicit at 465", PathConfig{Host: "127.0.0.1:465", TLS: "implicit"}, ""},
		{"STARTTLS at 587", PathConfig{Host: "127.0.0.1:587", TLS: "required"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig("")
			tc.path.Name = "upstream"
			cfg.Paths = []PathConfig{tc.path}
			cfg.Routes = []RouteConfig{{Name: "all", Paths: []string{"upstream"}}}
			var logs testutil.SyncBuffer
			newHarness(t, cfg, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			got := logs.String()
			warned := strings.Contains(got, "port 465, the implicit-TLS submission port")
			if warned != (tc.warned != "") {
				t.Fatalf("warned = %v, want %v; log:\n%s", warned, tc.warned != "", got)
			}
			if warned && (!strings.Contains(got, tc.warned) || !strings.Contains(got, "command_timeout (5m0s)") || !strings.Contains(got, "set tls: implicit") || !strings.Contains(got, "path=upstream")) {
				t.Errorf("the warning does not say the mode, the timeout, the fix and the path:\n%s", got)
			}
			if warned && tc.path.Type == "mx" && (!strings.Contains(got, "port=465") || strings.Contains(got, `host=""`)) {
				t.Errorf("an mx path's warning names its port, not an empty host:\n%s", got)
			}
		})
	}
}
