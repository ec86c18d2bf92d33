package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/sink"
)

// --listen is checked as a flag: the error names it, not the listener key
// it lands on, and comes before anything binds.
func TestApplyListen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr, want string
	}{
		{"127.0.0.1:99999", `--listen "127.0.0.1:99999": port 99999 is out of range (0-65535)`},
		{"127.0.0.1:smtp", `--listen "127.0.0.1:smtp": port "smtp" is not a number`},
		{"127.0.0.1", `--listen "127.0.0.1" is not host:port`},
		{"127.0.0.1:", `--listen "127.0.0.1:" has no port after the colon`},
		{"127.0.0.1:0", ""},
		{":2525", ""},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			t.Parallel()
			c := sink.DefaultConfig()
			// The second address adds a listener, so both paths are checked.
			err := applyListen(&c, []string{"127.0.0.1:0", tc.addr})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("applyListen(%q) = %v, want nil", tc.addr, err)
				}
				if got := c.Listeners[1].Listen; got != tc.addr {
					t.Errorf("listener 2 listens on %q, want %q", got, tc.addr)
				}
				return
			}
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("applyListen(%q) = %v, want exit 2 with %s", tc.addr, err, tc.want)
			}
		})
	}
}

func TestSinkCommandListenPortOutOfRange(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	e := &env{stdout: &out, stderr: &out}
	code := run(context.Background(), e, []string{"sink", "--listen", "127.0.0.1:99999", "--db", filepath.Join(t.TempDir(), "x.db")})
	if code != 2 || !strings.Contains(out.String(), `--listen "127.0.0.1:99999": port 99999 is out of range`) {
		t.Fatalf("exit %d, want 2 with an error naming --listen:\n%s", code, out.String())
	}
}

// A profile problem is a configuration error: exit 2 with the file, line
// and key, before anything listens. These used to exit 1 with no line.
func TestSinkCommandProfileErrors(t *testing.T) {
	t.Parallel()
	const head = "sink:\n  listeners: [{name: mx, listen: '127.0.0.1:0', hostname: mx.test}]\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown profile", head + "  profiles:\n    x.test: nope\n", `p.yaml:4:13: sink.profiles.'x.test': no profile is named "nope"`},
		{"missing profile file", head + "  profile_files: [gone.yaml]\n", `p.yaml:3:19: sink.profile_files[0]: open `},
		{"empty profile file", head + "  profile_files: [empty.yaml]\n", `p.yaml:3:19: sink.profile_files[0]: `},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg := filepath.Join(dir, "p.yaml")
			if err := os.WriteFile(cfg, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "empty.yaml"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			e := &env{stdout: &out, stderr: &out}
			code := run(context.Background(), e, []string{"sink", "--config", cfg, "--db", filepath.Join(dir, "x.db")})
			if code != 2 || !strings.Contains(out.String(), tc.want) || strings.Contains(out.String(), "running") {
				t.Fatalf("exit %d, want 2 with %s and nothing running:\n%s", code, tc.want, out.String())
			}
		})
	}
}

// The usage line names every flag of the sink that a newcomer would look
// for, --seed included.
func TestSinkUsageLine(t *testing.T) {
	t.Parallel()
	_, out, _ := runIn(t, context.Background(), "sink", "--help")
	line, _, _ := strings.Cut(out, "\n")
	for _, want := range []string{"[--listen ADDR]...", "[--db PATH]", "[--config FILE]", "[--seed N]"} {
		if !strings.Contains(line, want) {
			t.Errorf("usage line %q lacks %q", line, want)
		}
	}
}
