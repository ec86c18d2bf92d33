package main

import (
	"context"
	"strings"
	"testing"
)

// TestProbeHeloWithoutDomain: --ip with --helo and no domain checks the
// HELO name with SPF, as --help says, rather than skip it in silence.
func TestProbeHeloWithoutDomain(t *testing.T) {
	t.Parallel()
	code, out, errOut := runIn(t, context.Background(), "probe", "--ip", "192.0.2.51", "--helo", "helo.walk.test",
		"--zone", "../../probe/testdata/walk.zone", "--no-blocklists", "--timeout", "1s")
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "check_host for the HELO name helo.walk.test from 192.0.2.51: fail") {
		t.Errorf("output lacks the HELO check:\n%s", out)
	}
	_, help, helpErr := runIn(t, context.Background(), "probe", "--help")
	if !strings.Contains(help+helpErr, "with --helo, also without a DOMAIN") {
		t.Errorf("probe --help does not say that --helo is checked without a domain:\n%s%s", help, helpErr)
	}
}
