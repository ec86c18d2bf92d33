package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorNamesCommandOnce: an error that names its command already is
// not prefixed with the command's name a second time.
func TestErrorNamesCommandOnce(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "k.pem")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"dkim", "keygen", "--domain", "example.test", "--selector", "s1", "--type", "dsa", "--out", out}, "relaylab dkim keygen: --type \"dsa\": want rsa or ed25519\n"},
		{[]string{"dkim", "keygen", "--domain", "example.test"}, "relaylab dkim keygen: --domain, --selector and --out are required\n"},
		{[]string{"dkim", "sign"}, "relaylab dkim: no action \"sign\": dkim takes keygen or check (relaylab dkim --help)\n"},
	} {
		code, _, errOut := runIn(t, context.Background(), tc.args...)
		if code != 2 || !strings.HasSuffix(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want it to end in %q", tc.args, code, errOut, tc.want)
		}
	}
	if got := errorLine("send", "dial tcp: refused"); got != "relaylab send: dial tcp: refused" {
		t.Errorf("an error that does not name its command: %q", got)
	}
}
