package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// TestFC2ExpectURLWithoutSchemeOrAtSMTP: a --url without http:// gets
// the user's own address with it as the fix (it suggested
// http://127.0.0.1:8025), with a password in it hidden; a --url at an SMTP
// port says that an SMTP server answered there, with its greeting, and
// to give the web listener's URL, instead of net/http's
// `malformed HTTP status code "sink.relaylab.test"`.
func TestFC2ExpectURLWithoutSchemeOrAtSMTP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "x.yaml")
	if err := os.WriteFile(file, []byte("name: x\nexpect:\n  recipients:\n    - {match: \"a@b.test\", status: delivered}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ url, want, not string }{
		{"127.0.0.1:43203", "--url http://127.0.0.1:43203", "8025"},
		{"127.0.0.1:43203/api/v1", "--url http://127.0.0.1:43203/api/v1", "8025"},
		{"user:secret@127.0.0.1:43203", "--url http://user:xxxxx@127.0.0.1:43203", "secret"},
	} {
		code, _, errOut := runIn(t, ctx, "expect", "--url", tc.url, file)
		if code != 2 || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, tc.not) {
			t.Errorf("--url %s: exit %d (want 2), stderr %q; want %q and no %q", tc.url, code, errOut, tc.want, tc.not)
		}
	}

	smtp := smtptest.Listen(t, func(c net.Conn) {
		smtptest.Converse(c, "220 sink.relaylab.test ESMTP ready", func(string) string { return "500 5.5.2 unrecognized command" })
	})
	code, _, errOut := runIn(t, ctx, "expect", "--url", "http://"+smtp, file)
	for _, want := range []string{"an SMTP server answered at http://" + smtp, `"220 sink.relaylab.test ESMTP ready"`, "not relaylab's web API", "web listener"} {
		if code == 0 || !strings.Contains(errOut, want) {
			t.Errorf("--url at an SMTP port: exit %d, stderr %q; want %q", code, errOut, want)
		}
	}
	if strings.Contains(errOut, "malformed HTTP") {
		t.Errorf("--url at an SMTP port: stderr %q quotes net/http's error", errOut)
	}
}
