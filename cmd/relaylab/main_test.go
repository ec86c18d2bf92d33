package main

import (
	"context"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/testutil"
)

// syncBuffer is a buffer safe for a command writing while a test reads.
type syncBuffer = testutil.SyncBuffer

// runIn runs the command line args in-process under ctx and returns its exit code
// and outputs.
func runIn(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errb syncBuffer
	code := run(ctx, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, hup: make(chan os.Signal)}, args)
	return code, out.String(), errb.String()
}

func TestHelpAndUnknown(t *testing.T) {
	t.Parallel()
	code, out, _ := runIn(t, context.Background(), "help")
	if code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "replay") {
		t.Errorf("help: exit %d\n%s", code, out)
	}
	// A word that holds a command, too far from it for an edit or two.
	if code, _, errOut := runIn(t, context.Background(), "suppression", "list"); code != 2 || !strings.Contains(errOut, "did you mean suppress?") {
		t.Errorf("suppression: exit %d, %q", code, errOut)
	}
	code, _, errOut := runIn(t, context.Background(), "frobnicate")
	if code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, %q", code, errOut)
	}
	for _, c := range commands() {
		code, out, _ := runIn(t, context.Background(), c.name, "--help")
		if code != 0 || !strings.Contains(out, "usage: relaylab "+c.name) {
			t.Errorf("%s --help: exit %d, %q", c.name, code, out)
		}
	}
}

// TestVersion: relaylab version and --version print one line naming the
// program and the Go version, for bug reports.
func TestVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, errOut := runIn(t, context.Background(), args...)
		// A test binary records no commit: the line says so, rather than
		// naming none (walk N).
		if code != 0 || !strings.HasPrefix(out, "relaylab ") || !strings.Contains(out, runtime.Version()) || strings.Count(out, "\n") != 1 ||
			!strings.Contains(out, " commit ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	if code, _, _ := runIn(t, context.Background(), "version", "extra"); code != 2 {
		t.Errorf("version extra: exit %d, want 2", code)
	}
}
