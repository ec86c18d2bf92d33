package main

import (
	"context"
	"net"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// TestLoadFateUnknown: a server that hangs up after each message's final
// dot leaves the messages of unknown fate, said as such with what to do
// (exit 1), and the numbers add up, instead of "lost to connection
// errors" with advice about implicit TLS on port 465.
func TestLoadFateUnknown(t *testing.T) {
	t.Parallel()
	target := smtptest.Listen(t, func(c net.Conn) {
		smtptest.Script(c, "220 dot.test", "250 dot.test", func(cmd string) (string, bool) {
			switch cmd {
			case ".":
				c.Close() // no reply to the dot
				return "", false
			case "DATA":
				return "354 go on", false
			}
			return "250 ok", false
		}, nil)
	})
	code, out, errOut := runIn(t, context.Background(), "load", "--target", target, "--messages", "3", "--sessions", "1", "--quiet")
	for _, want := range []string{"tried 3 messages", "0 accepted, 0 refused, 0 failed, 3 fate unknown",
		"fate unknown: 3 messages: the final dot was sent, the reply not read; the server may have delivered them",
		"eof: 3 (first: no reply to the message's final dot", "what to do: count what the server delivered"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	// The target's own port may hold "465": look for the advice without it.
	if code != 1 || strings.Contains(strings.ReplaceAll(out, target, "TARGET"), "465") || !strings.Contains(errOut, "3 of unknown fate") {
		t.Errorf("exit %d (want 1), no 465 advice\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// TestLoadAuthFlags: load reads the password from RELAYLAB_AUTH_PASS as
// send does, refuses --auth-user without either (exit 2, naming the
// flag), and takes --auth-mech; it sent an empty password before.
func TestLoadAuthFlags(t *testing.T) {
	// Not parallel: it sets the environment.
	srv := smtptest.Start(t, smtptest.Options{Users: map[string]string{"alice": "s3cret"}, Mechs: []string{"PLAIN", "LOGIN"}})
	t.Setenv(authPassEnv, "s3cret")
	code, out, errOut := runIn(t, context.Background(), "load", "--target", srv.Addr, "--messages", "2", "--sessions", "1", "--quiet",
		"--auth-user", "alice", "--auth-mech", "LOGIN")
	if code != 0 || !strings.Contains(out, "2 accepted") {
		t.Errorf("password from %s, --auth-mech LOGIN: exit %d\nstdout:\n%s\nstderr:\n%s", authPassEnv, code, out, errOut)
	}
	code, _, errOut = runIn(t, context.Background(), "load", "--target", srv.Addr, "--auth-user", "alice", "--auth-pass", "x", "--auth-mech", "CRAM-MD5")
	if code != 2 || !strings.Contains(errOut, "--auth-mech \"CRAM-MD5\": load speaks PLAIN or LOGIN") {
		t.Errorf("--auth-mech CRAM-MD5: exit %d, stderr %q", code, errOut)
	}
	t.Setenv(authPassEnv, "")
	os.Unsetenv(authPassEnv) // t.Setenv restores it
	code, _, errOut = runIn(t, context.Background(), "load", "--target", srv.Addr, "--auth-user", "alice")
	if code != 2 || !strings.Contains(errOut, "--auth-user \"alice\" needs a password: give --auth-pass, or set the environment variable "+authPassEnv) {
		t.Errorf("no password: exit %d, stderr %q", code, errOut)
	}
}

// TestLoadFixes: a port out of range is bad input (exit 2, as send says
// it); recipients a 421 left unsent are counted as not tried; a 350 to
// RCPT is called a reply no server may give, not "no reply"; a refusal's
// advice does not tell load's user to "run send".
func TestLoadFixes(t *testing.T) {
	t.Parallel()
	code, _, errOut := runIn(t, context.Background(), "load", "--target", "127.0.0.1:99999")
	if code != 2 || !strings.Contains(errOut, `--target "127.0.0.1:99999": port "99999" is not a number from 1 to 65535`) {
		t.Errorf("port 99999: exit %d, stderr %q", code, errOut)
	}
	answer := func(rcpt string) string {
		return scriptTarget(t, func(cmd string) string {
			if strings.HasPrefix(cmd, "RCPT") {
				return rcpt
			}
			return ""
		})
	}
	code, out, errOut := runIn(t, context.Background(), "load", "--target", answer("421 4.7.0 closing"), "--messages", "3", "--sessions", "1", "--rcpts", "2", "--quiet", "--no-pipelining")
	if !strings.Contains(out, "recipients at RCPT: 0 accepted, 3 refused temporarily (4xx), 0 refused permanently (5xx), 3 not tried (the server closed the session with a 421 before them") ||
		strings.Contains(out, "run send") || !strings.Contains(out, "try again later") || code != exitTempFail {
		t.Errorf("421 at RCPT: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, errOut = runIn(t, context.Background(), "load", "--target", answer("451 4.3.0 later"), "--messages", "2", "--sessions", "1", "--quiet")
	if strings.Contains(out, "run send") || !strings.Contains(out, "what to do: the server asks to try again later: send it again later") || code != exitTempFail {
		t.Errorf("451 at RCPT: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, errOut = runIn(t, context.Background(), "load", "--target", answer("350 what"), "--messages", "2", "--sessions", "1", "--quiet")
	if !strings.Contains(out, "protocol: a reply no SMTP server may give there (category connection-protocol)") || strings.Contains(out, "no reply (category connection-protocol)") || code != 1 {
		t.Errorf("350 at RCPT: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// scriptTarget serves a scripted server that offers PIPELINING and
// answers each command with answer's reply, or as a server that takes
// the message when answer says "".
func scriptTarget(t *testing.T, answer func(cmd string) string) string {
	t.Helper()
	var mu sync.Mutex
	return smtptest.Listen(t, func(c net.Conn) {
		smtptest.Script(c, "220 script.test", "250-script.test\r\n250 PIPELINING", func(cmd string) (string, bool) {
			mu.Lock()
			defer mu.Unlock()
			if r := answer(cmd); r != "" {
				return r, strings.HasPrefix(r, "421")
			}
			switch cmd {
			case "DATA":
				return "354 go on", false
			case ".":
				return "250 ok", false
			}
			return "250 ok", false
		}, nil)
	})
}
