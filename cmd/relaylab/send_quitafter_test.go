package main

import (
	"context"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// TestSendQuitAfter: --quit-after ends the session with QUIT after the
// stage it names, sending no message.
func TestSendQuitAfter(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		stage string
		want  string // the commands the server read
		code  int
	}{
		{"connect", "QUIT", 0},
		{"helo", "EHLO client.test, QUIT", 0},
		{"mail", "EHLO client.test, MAIL FROM:<relaylab@localhost>, QUIT", 0},
		{"rcpt", "EHLO client.test, MAIL FROM:<relaylab@localhost>, RCPT TO:<b@y.test>, RCPT TO:<c@y.test>, QUIT", 0},
		{"rcpt-refused", "EHLO client.test, MAIL FROM:<relaylab@localhost>, RCPT TO:<b@y.test>, RCPT TO:<c@y.test>, QUIT", 5},
	} {
		t.Run(tt.stage, func(t *testing.T) {
			t.Parallel()
			addr, cmds := scriptServer(t, "250 script.test", func(cmd string) (string, bool) {
				if tt.stage == "rcpt-refused" && strings.HasPrefix(cmd, "RCPT") {
					return "550 5.1.1 no such user", false
				}
				return okAnswer(cmd)
			})
			stage, _, _ := strings.Cut(tt.stage, "-")
			code, out, errOut := runIn(t, context.Background(), "send", "--server", addr, "--to", "b@y.test", "--to", "c@y.test", "--helo", "client.test", "--timeout", "20s", "--quit-after", stage)
			if got := strings.Join(cmds(), ", "); code != tt.code || got != tt.want {
				t.Errorf("--quit-after %s: exit %d (want %d), commands %q, want %q\nstdout:\n%s\nstderr:\n%s", stage, code, tt.code, got, tt.want, out, errOut)
			}
		})
	}
	code, _, errOut := runIn(t, context.Background(), "send", "--to", "b@y.test", "--quit-after", "data")
	if code != 2 || !strings.Contains(errOut, "--quit-after \"data\": give connect, helo, mail or rcpt") {
		t.Errorf("--quit-after data: exit %d, stderr %q", code, errOut)
	}
}

// TestSendAuthMech: --auth-mech LOGIN uses LOGIN where PLAIN is offered
// too, and hides both answers.
func TestSendAuthMech(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{Users: map[string]string{"alice": "s3cret"}})
	code, out, errOut := runIn(t, context.Background(), "send", "--server", srv.Addr, "--to", "b@y.test", "--helo", "client.test", "--timeout", "20s",
		"--auth-user", "alice", "--auth-pass", "s3cret", "--auth-mech", "LOGIN")
	if code != 0 || !strings.Contains(out, " -> AUTH LOGIN\n") || strings.Count(out, " -> [credentials hidden]\n") != 2 {
		t.Errorf("exit %d, want 0, AUTH LOGIN and two hidden answers\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, _, errOut = runIn(t, context.Background(), "send", "--to", "b@y.test", "--auth-user", "a", "--auth-pass", "p", "--auth-mech", "CRAM-MD5")
	if code != 2 || !strings.Contains(errOut, "send speaks PLAIN or LOGIN") {
		t.Errorf("--auth-mech CRAM-MD5: exit %d, stderr %q", code, errOut)
	}
}
