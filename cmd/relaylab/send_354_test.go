package main

import (
	"context"
	"strings"
	"testing"
)

// TestSend354AtRcpt: a 354 to RCPT is said to be a reply in the wrong
// place, not "not an SMTP reply".
func TestSend354AtRcpt(t *testing.T) {
	t.Parallel()
	addr, _ := scriptServer(t, "250 script.test", func(cmd string) (string, bool) {
		if strings.HasPrefix(cmd, "RCPT") {
			return "354 go ahead", false
		}
		return "250 ok", false
	})
	code, _, errOut := runIn(t, context.Background(), "send", "--server", addr, "--to", "a@x.test")
	if code != 1 || !strings.Contains(errOut, "category protocol-error: the server gave a reply SMTP does not allow at RCPT") || strings.Contains(errOut, "not an SMTP reply") {
		t.Errorf("exit %d, stderr %q; want 1 and a reply in the wrong place", code, errOut)
	}
}
