package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProbeZonesValueErrorHasLine: a bad value in a --zones file is exit 2
// with the file, line, column and key, like an unknown key.
func TestProbeZonesValueErrorHasLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "z.yaml")
	if err := os.WriteFile(path, []byte("- zone: a.bl.test\n  kind: ip\n- zone: b.bl.test\n  kind: ipp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	closed := closedAddr(t, "udp")
	code, out, errOut := runIn(t, context.Background(), "probe", "--ip", "192.0.2.1", "--zones", path, "--resolver", closed, "--timeout", "1s")
	want := path + `:4:9: [1].kind: kind "ipp" is not one of ip, domain, uri`
	if code != 2 || !strings.Contains(errOut, want) {
		t.Errorf("exit %d (want 2), stderr %q, want it to hold %q\nstdout:\n%s", code, errOut, want, out)
	}
}
