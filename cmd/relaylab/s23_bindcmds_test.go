package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSinkAndRelayNameTheListenerThatCannotBind: relaylab sink and
// relaylab relay, like serve, say where an address they cannot listen on
// comes from (their --listen, or the file's line and key) and what to do;
// they gave the component's hint listing every key and flag instead.
func TestSinkAndRelayNameTheListenerThatCannotBind(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("relay:\n  listen: "+addr+"\n"), 0o600)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"sink --listen", []string{"sink", "--listen", addr, "--db", filepath.Join(dir, "s.db")},
			"It comes from --listen: another program listens there"},
		{"relay --listen", []string{"relay", "--listen", addr, "--db", filepath.Join(dir, "r.db")},
			"It comes from --listen: another program listens there"},
		{"relay.listen", []string{"relay", "--config", cfg, "--db", filepath.Join(dir, "r2.db")},
			"It is relay.listen, at " + cfg + ":2: another program listens there"},
	} {
		code, _, errOut := runIn(t, context.Background(), tt.args...)
		if code != 1 || !strings.Contains(errOut, tt.want) || !strings.Contains(errOut, "move it with --listen") {
			t.Errorf("%s on a busy %s: exit %d, stderr\n%s\nwant exit 1 and %q, and what moves it", tt.name, addr, code, errOut, tt.want)
		}
	}
}
