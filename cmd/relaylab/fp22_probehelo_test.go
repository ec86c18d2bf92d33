package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFP22ProbeHeloPerIP: --helo repeated gives each --ip its own HELO
// name, in order; one --helo is every IP's; another count is refused
// (exit 2), saying how to give them; --help says so. Before, one HELO
// name was applied to every IP.
func TestFP22ProbeHeloPerIP(t *testing.T) {
	t.Parallel()
	zone := filepath.Join(t.TempDir(), "ex.zone")
	os.WriteFile(zone, []byte(`$ORIGIN example.test.
@ 60 IN SOA ns hm 1 60 60 60 30
out1 60 IN A 192.0.2.10
out1 60 IN TXT "v=spf1 a -all"
out2 60 IN A 192.0.2.11
out2 60 IN TXT "v=spf1 a -all"
`), 0o644)
	args := []string{"probe", "--ip", "192.0.2.10", "--ip", "192.0.2.11", "--zone", zone, "--no-blocklists", "--timeout", "1s"}
	_, out, errOut := runIn(t, context.Background(), append(args, "--helo", "out1.example.test", "--helo", "out2.example.test")...)
	for _, want := range []string{"HELO name out1.example.test from 192.0.2.10: pass", "HELO name out2.example.test from 192.0.2.11: pass"} {
		if !strings.Contains(out, want) {
			t.Errorf("two --helo: output lacks %q\nstdout:\n%s\nstderr:\n%s", want, out, errOut)
		}
	}
	_, out, _ = runIn(t, context.Background(), append(args, "--helo", "out1.example.test")...)
	if !strings.Contains(out, "HELO name out1.example.test from 192.0.2.11: fail") {
		t.Errorf("one --helo is not every IP's:\n%s", out)
	}
	code, _, errOut := runIn(t, context.Background(), append(args, "--ip", "192.0.2.12", "--helo", "out1.example.test", "--helo", "out2.example.test")...)
	if code != 2 || !strings.Contains(errOut, "2 --helo for 3 --ip") || !strings.Contains(errOut, "one --helo for every --ip, in order") {
		t.Errorf("2 --helo for 3 --ip: exit %d, stderr %q; want 2 saying how to give them", code, errOut)
	}
	_, help, helpErr := runIn(t, context.Background(), "probe", "--help")
	if !strings.Contains(help+helpErr, "--helo once for every --ip, in order") {
		t.Errorf("probe --help does not say --helo may be given per IP:\n%s%s", help, helpErr)
	}
}
