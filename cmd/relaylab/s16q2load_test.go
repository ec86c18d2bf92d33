package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/smtpload"
	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// TestLoadTimeoutNamesTheCommand: a server that greets, takes MAIL and
// never answers RCPT (the sink's rcpthang) gives timeouts that load says
// came at RCPT TO, with advice for a server that stalls there, where it
// said only "did not answer within --timeout" and advised checking that
// the target is an SMTP server and that 465 needs --tls.
func TestLoadTimeoutNamesTheCommand(t *testing.T) {
	t.Parallel()
	target := smtptest.Listen(t, func(c net.Conn) {
		hung := false
		smtptest.Script(c, "220 hang.test", "250 hang.test", func(cmd string) (string, bool) {
			hung = hung || strings.HasPrefix(cmd, "RCPT")
			if hung {
				return "", false
			}
			return "250 ok", false
		}, nil)
	})
	code, out, errOut := runIn(t, context.Background(), "load", "--target", target, "--messages", "2", "--sessions", "1", "--quiet", "--timeout", "100ms")
	for _, want := range []string{"timeout: no reply (category connection-timeout): the server did not answer RCPT TO within --timeout 100ms, after it had greeted and answered the commands before it",
		"what to do: the server speaks SMTP but stalled at RCPT TO", "as the sink's rcpthang directive does"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if code != 1 || strings.Contains(out, "needs --tls") || strings.Contains(out, "check that this is an SMTP server") {
		t.Errorf("exit %d (want 1), and no advice for a port that is no SMTP server\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// TestLoadConnErrorsByStage: failures of one kind at several stages get a
// line each, with their count; a timeout before the greeting keeps the
// implicit-TLS hint, one while connecting gets advice of its own.
func TestLoadConnErrorsByStage(t *testing.T) {
	t.Parallel()
	cfg := smtpload.Config{Timeout: 2 * time.Second}
	res := &smtpload.Result{ConnErrors: map[string]int{"timeout": 5},
		FirstErrors:     map[string]string{"timeout": "i/o timeout"},
		ConnErrorStages: map[string]map[string]int{"timeout": {smtpload.StageRcpt: 3, smtpload.StageGreeting: 1, smtpload.StageConnect: 1}}}
	var b bytes.Buffer
	explainConnErrors(&b, cfg, res)
	out := b.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{"the connection was not set up within --timeout 2s (1 time)", "the server sent no greeting within --timeout 2s (1 time)",
		"the server did not answer RCPT TO within --timeout 2s, after it had greeted and answered the commands before it (3 times)"}
	if len(lines) != 1+2*len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), 1+2*len(want), out)
	}
	for i, w := range want {
		if !strings.Contains(lines[1+2*i], w) {
			t.Errorf("line %d: %q; want %q", 1+2*i, lines[1+2*i], w)
		}
	}
	if !strings.Contains(lines[4], "needs --tls") || strings.Contains(lines[6], "--tls") {
		t.Errorf("the implicit-TLS hint belongs to the greeting alone:\n%s", out)
	}
	_, todo := connAdvice(cfg, "eof", smtpload.StageRcpt, errors.New("EOF"))
	if why, _ := connAdvice(cfg, "eof", smtpload.StageRcpt, errors.New("EOF")); !strings.Contains(why, "closed the connection at RCPT without a reply") || strings.Contains(todo, "--tls") {
		t.Errorf("eof at rcpt: %q / %q", why, todo)
	}
}
