package main

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// TestLoadServerFlag: load takes --server, as send and swaks name the
// server, for --target; both at once is bad input, and a bad address is
// named by the flag given.
func TestLoadServerFlag(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	code, stdout, stderr := runCmd(t, "", "load", "--server", srv.Addr, "--sessions", "1", "--messages", "3", "--quiet")
	if code != 0 || !strings.Contains(stdout, "3 accepted") {
		t.Errorf("load --server: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, _, stderr = runCmd(t, "", "load", "--server", srv.Addr, "--target", srv.Addr)
	if code != 2 || !strings.Contains(stderr, "--server and --target name the same server") {
		t.Errorf("load --server and --target: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runCmd(t, "", "load", "--server", "127.0.0.1")
	if code != 2 || !strings.Contains(stderr, "--server \"127.0.0.1\"") {
		t.Errorf("load --server without a port: exit %d\n%s", code, stderr)
	}
}
