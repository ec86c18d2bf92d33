package main

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// oddServer listens on loopback and, for each connection, sends greeting
// and answers each command with answer(command); message content is
// swallowed and its final dot answered "250 ok".
func oddServer(t *testing.T, greeting string, answer func(cmd string) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				smtptest.Converse(conn, greeting, answer)
			}()
		}
	}()
	return ln.Addr().String()
}

// TestSendOddServers: replies that break the protocol are protocol errors
// (exit 1) that say what was wrong, not refusals (exit 4 or 5).
func TestSendOddServers(t *testing.T) {
	t.Parallel()
	answer := func(data, rcpt string) func(string) string {
		return func(cmd string) string {
			switch {
			case cmd == "DATA":
				return data
			case strings.HasPrefix(cmd, "RCPT"):
				return rcpt
			}
			return "250 ok"
		}
	}
	for _, tt := range []struct {
		name, greeting string
		answer         func(string) string
		code           int
		want, notWant  string
	}{
		{"250 to DATA", "220 hi", answer("250 ok", "250 ok"), 1, "the server answered DATA with 250 instead of 354", "rejected"},
		{"code 999", "220 hi", answer("354 go", "999 odd"), 1, `bad reply at rcpt: reply code 999 is outside 200-599: "999 odd"`, "rejected"},
		{"overlong greeting", "220 " + strings.Repeat("x", 3000), answer("354 go", "250 ok"), 1, "bad reply at greeting: reply line longer than 1024 bytes", "bad reply at :"},
		// Any 2yz is a positive completion (RFC 5321 4.2.1), as Postfix's
		// client reads it: a greeting of 250, a 220 to RCPT, RCPT's 251
		// (will forward) are successes, not oddities.
		{"250 greeting", "250 hi", answer("354 go", "250 ok"), 0, "", ""},
		{"220 to RCPT", "220 hi", answer("354 go", "220 odd"), 0, "", ""},
		{"251 to RCPT", "220 hi", answer("354 go", "251 forwarding"), 0, "", ""},
		// A 3xx where a 2xx completes is no success.
		{"354 to MAIL", "220 hi", func(cmd string) string {
			if strings.HasPrefix(cmd, "MAIL") {
				return "354 odd"
			}
			return "250 ok"
		}, 1, "answered the sender at MAIL FROM with 354 where 250 was due", "rejected"},
		// Refusals keep their exit codes.
		{"451 at RCPT", "220 hi", answer("354 go", "451 later"), 4, "temporarily refused the recipient", ""},
		{"550 at DATA", "220 hi", answer("550 no", "250 ok"), 5, "rejected DATA: 550 no", ""},
		// A server's control characters are shown, not obeyed.
		{"escape sequences", "220 hi \x1b]0;pwned\x07", answer("354 go", "550 no \x1b[2J such user"), 5, `550 no \x1b[2J such user`, "\x1b"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := oddServer(t, tt.greeting, tt.answer)
			code, out, errOut := runIn(t, context.Background(), "send", "--server", addr, "--to", "b@y.test", "--helo", "client.test", "--timeout", "30s")
			if code != tt.code || !strings.Contains(errOut, tt.want) || (tt.notWant != "" && strings.Contains(errOut, tt.notWant)) || strings.ContainsAny(out+errOut, "\x1b\x07") {
				t.Errorf("exit %d (want %d), stderr %q (want %q, not %q)\nstdout:\n%s", code, tt.code, errOut, tt.want, tt.notWant, out)
			}
		})
	}
}

// TestSendUnreadableInputExit2: a --data or --body-file that cannot be
// read is bad input, exit 2 naming the flag and the file, as in the other
// commands, not the exit 1 that send's help gives to connection, TLS and
// protocol errors. Nothing is sent: the server is a closed port.
func TestSendUnreadableInputExit2(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nonexist.eml")
	server := closedAddr(t, "tcp")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", missing}, "relaylab send: --data " + missing + ": no such file"},
		{[]string{"--body-file", missing}, "relaylab send: --body-file " + missing + ": no such file"},
		{[]string{"--data", t.TempDir()}, ": cannot read it: is a directory"},
	} {
		code, _, errOut := runIn(t, context.Background(), append([]string{"send", "--server", server, "--to", "a@b.test"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d (want 2), stderr %q, want %q", tc.args, code, errOut, tc.want)
		}
	}
	_, help, _ := runIn(t, context.Background(), "send", "--help")
	if !strings.Contains(strings.Join(strings.Fields(help), " "), "2 for bad flags or a --data or --body-file that cannot be read") {
		t.Errorf("send --help does not say that an unreadable --data is exit 2:\n%s", help)
	}
}
