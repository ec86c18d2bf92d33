package main

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// TestWL27LoadLMTPUnix: load --lmtp over a unix-domain socket to go-smtp's
// LMTP server says LHLO, counts each recipient's reply to the final dot,
// and says so in the text and in --json (parameters.protocol,
// recipients.at_final_dot).
func TestWL27LoadLMTPUnix(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := smtptest.Start(t, smtptest.Options{LMTP: true, Unix: filepath.Join(t.TempDir(), "lmtp.sock")})
	args := []string{"load", "--quiet", "--lmtp", "--target", srv.Addr, "--messages", "6", "--sessions", "2", "--rcpts", "2"}
	code, out, errOut := runIn(t, ctx, args...)
	if code != 0 || !strings.Contains(out, "recipients at the final dot (LMTP, one reply each): 12 accepted, 0 refused temporarily (4xx), 0 refused permanently (5xx)") ||
		!strings.Contains(out, "6 accepted") || !strings.Contains(out, "on "+srv.Addr) {
		t.Fatalf("exit %d\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, errOut = runIn(t, ctx, append(args, "--json")...)
	var j struct {
		Parameters struct{ Protocol string }
		Recipients struct {
			AtFinalDot *struct{ Accepted, NoReply int } `json:"at_final_dot"`
		}
		Accepted int
	}
	if err := json.Unmarshal([]byte(out), &j); err != nil || code != 0 {
		t.Fatalf("exit %d, %v\n%s\n%s", code, err, out, errOut)
	}
	if j.Parameters.Protocol != "lmtp" || j.Recipients.AtFinalDot == nil || j.Recipients.AtFinalDot.Accepted != 12 || j.Accepted != 6 {
		t.Errorf("JSON: protocol %q, at the dot %+v, accepted %d; want lmtp, 12, 6\n%s", j.Parameters.Protocol, j.Recipients.AtFinalDot, j.Accepted, out)
	}
}

// TestWL27LoadLMTPPartial: a message that an LMTP server delivers to some
// recipients and refuses for others after the final dot is accepted for
// only some of them, its refusals are explained, and the exit status is
// the refusals' (5).
func TestWL27LoadLMTPPartial(t *testing.T) {
	t.Parallel()
	target := smtptest.Listen(t, func(c net.Conn) {
		smtptest.Script(c, "220 lmtp.test", "", smtptest.LMTP("250-lmtp.test\r\n250 PIPELINING",
			func(string) string { return "" },
			func(addr string) string {
				if strings.HasPrefix(addr, "full") || strings.HasPrefix(addr, "u2.") {
					return "552 5.2.2 <" + addr + "> mailbox full"
				}
				return ""
			}), nil)
	})
	code, out, errOut := runIn(t, context.Background(), "load", "--quiet", "--lmtp", "--target", target, "--messages", "4", "--sessions", "1",
		"--rcpts", "2", "--to", "full{r}x{n}@y.test")
	if code != exitPermFail || !strings.Contains(out, "4 refused") || !strings.Contains(out, "data-end 552 5.2.2:") ||
		!strings.Contains(out, "0 accepted, 0 refused temporarily (4xx), 8 refused permanently (5xx)") {
		t.Errorf("all full: exit %d\n%s\nstderr:\n%s", code, out, errOut)
	}
	// Recipient 1 of each message delivered, recipient 2 refused.
	code, out, errOut = runIn(t, context.Background(), "load", "--quiet", "--lmtp", "--target", target, "--messages", "4", "--sessions", "1",
		"--rcpts", "2", "--to", "u{r}.m{n}@y.test")
	if code != exitPermFail || !strings.Contains(out, "4 accepted (4 of them for only some of their recipients)") ||
		!strings.Contains(out, "4 accepted, 0 refused temporarily (4xx), 4 refused permanently (5xx)") || !strings.Contains(errOut, "4 accepted for only some of their recipients") {
		t.Errorf("partly: exit %d\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// TestWL27LoadTargetChecks: --lmtp without --target is refused (the
// default is the sink, which speaks SMTP), as are "unix:" with no path
// and TLS on a unix-domain socket; a socket path with nothing there is
// explained as nothing listening at it.
func TestWL27LoadTargetChecks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--lmtp"}, "--lmtp needs --target"},
		{[]string{"--target", "unix:"}, "give the socket's path after unix:"},
		{[]string{"--target", "unix:/run/x.sock", "--starttls"}, "is a unix-domain socket"},
		{[]string{"--server", "unix:/run/x.sock", "--tls"}, `--server "unix:/run/x.sock" is a unix-domain socket`},
		{[]string{"--target", "nohost"}, "give host:port, or unix:/path"},
	} {
		code, _, errOut := runIn(t, ctx, append([]string{"load", "--quiet"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
	missing := "unix:" + filepath.Join(t.TempDir(), "none.sock")
	code, out, errOut := runIn(t, ctx, "load", "--quiet", "--target", missing, "--messages", "2", "--sessions", "1")
	if code != 1 || !strings.Contains(out, "nothing listens at that socket") {
		t.Errorf("missing socket: exit %d\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// TestWL27LoadProtocolHint: load speaking SMTP to an LMTP server, or LMTP
// to an SMTP server, is refused at its first command; the summary says
// to add or drop --lmtp.
func TestWL27LoadProtocolHint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lmtp := smtptest.Start(t, smtptest.Options{LMTP: true})
	smtp := smtptest.Start(t, smtptest.Options{})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--target", lmtp.Addr}, "it speaks LMTP (RFC 2033), not SMTP; add --lmtp"},
		{[]string{"--target", smtp.Addr, "--lmtp"}, "the server does not know LHLO"},
	} {
		code, out, errOut := runIn(t, ctx, append([]string{"load", "--quiet", "--messages", "2", "--sessions", "1"}, tc.args...)...)
		if code != exitPermFail || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d; want 5 and %q\n%s\nstderr:\n%s", tc.args, code, tc.want, out, errOut)
		}
	}
}
