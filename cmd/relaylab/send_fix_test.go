package main

import (
	"context"
	"encoding/base64"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// scriptServer listens on loopback; for each connection it greets, answers
// EHLO with ehlo, each other command (and a message's final dot, as ".")
// with answer, swallows message content, and hangs up after a reply when
// answer says so, or without a reply when the reply is "". It returns the
// address and the commands it read.
func scriptServer(t *testing.T, ehlo string, answer func(cmd string) (reply string, hangup bool)) (string, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var cmds []string
	addr := smtptest.Listen(t, func(conn net.Conn) {
		smtptest.Script(conn, "220 script.test ESMTP", ehlo, answer, func(cmd string) {
			mu.Lock()
			cmds = append(cmds, cmd)
			mu.Unlock()
		})
	})
	return addr, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), cmds...) }
}

// okAnswer accepts everything.
func okAnswer(cmd string) (string, bool) {
	if cmd == "DATA" {
		return "354 go ahead", false
	}
	return "250 ok", false
}

// TestSendFixes: refusals win over what fails after them, a 421 stops the
// session, 252 accepts, and each refusal's advice fits a one-shot client.
func TestSendFixes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		answer    func(string) (string, bool)
		args      []string
		code      int
		stderr    []string
		notStderr []string
		notSent   []string
	}{
		{
			name: "500 then hang-up after the dot",
			answer: func(cmd string) (string, bool) {
				if cmd == "." {
					return "500 5.4.0 Line too long, closing the connection", true
				}
				return okAnswer(cmd)
			},
			code:      5,
			stderr:    []string{"rejected the message after its final dot: 500 5.4.0 Line too long", "\n    category line-too-long: ", "\n    what to do: have the sending application wrap its lines", "then the connection ended"},
			notStderr: []string{"talking to"},
		},
		{
			name: "421 at RCPT",
			answer: func(cmd string) (string, bool) {
				if strings.Contains(cmd, "bye@") {
					return "421 4.7.0 too busy, closing", true
				}
				return okAnswer(cmd)
			},
			args:      []string{"--to", "bye@y.test", "--to", "later@y.test"},
			code:      4,
			stderr:    []string{"<bye@y.test>: server temporarily refused the recipient at RCPT TO: 421 4.7.0", "<later@y.test>: not tried", "what to do: the server is closing the session"},
			notStderr: []string{"closed the connection at rcpt", "it is retried"},
			notSent:   []string{"RCPT TO:<later@y.test>", "DATA", "RSET", "QUIT"},
		},
		{
			name: "252 accepts",
			answer: func(cmd string) (string, bool) {
				if strings.HasPrefix(cmd, "RCPT") {
					return "252 2.1.5 cannot verify, will try", false
				}
				return okAnswer(cmd)
			},
			code: 0,
		},
		{
			name: "451 at RCPT: run again later",
			answer: func(cmd string) (string, bool) {
				if strings.HasPrefix(cmd, "RCPT") {
					return "451 4.3.0 try later", false
				}
				return okAnswer(cmd)
			},
			code:      4,
			stderr:    []string{"what to do: the server asks to try again later: send it again later"},
			notStderr: []string{"it is retried"},
		},
		{
			name: "530 at MAIL: add --auth-user",
			answer: func(cmd string) (string, bool) {
				if strings.HasPrefix(cmd, "MAIL") {
					return "530 5.7.0 Authentication required", false
				}
				return okAnswer(cmd)
			},
			code:   5,
			stderr: []string{"what to do: authentication required: add --auth-user"},
		},
		{
			name: "553 5.6.7 and 501 5.5.2 are classified",
			answer: func(cmd string) (string, bool) {
				switch {
				case strings.HasPrefix(cmd, "RCPT TO:<b@"):
					return "553 5.6.7 SMTPUTF8 required", false
				case strings.HasPrefix(cmd, "RCPT"):
					return "501 5.5.2 bad parameters", false
				}
				return okAnswer(cmd)
			},
			args:      []string{"--to", "c@y.test"},
			code:      5,
			stderr:    []string{"category smtputf8-required: ", "category syntax-error: ", "what to do: "},
			notStderr: []string{"unclassified"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, cmds := scriptServer(t, "250-script.test\r\n250 PIPELINING", tt.answer)
			args := append([]string{"send", "--server", addr, "--to", "b@y.test", "--helo", "client.test", "--timeout", "20s"}, tt.args...)
			code, out, errOut := runIn(t, context.Background(), args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			for _, s := range tt.notStderr {
				if strings.Contains(errOut, s) {
					t.Errorf("stderr has %q:\n%s", s, errOut)
				}
			}
			for _, s := range tt.notSent {
				for _, c := range cmds() {
					if strings.HasPrefix(c, s) {
						t.Errorf("sent %q; the commands: %q", c, cmds())
					}
				}
			}
		})
	}
}

// TestSendMailParams: SIZE= when offered, BODY=8BITMIME for 8-bit data,
// SMTPUTF8 for a non-ASCII address, and a local refusal (exit 1) when the
// server does not offer SMTPUTF8.
func TestSendMailParams(t *testing.T) {
	t.Parallel()
	eight := filepath.Join(t.TempDir(), "8bit.eml")
	os.WriteFile(eight, []byte("Subject: x\n\ngrüße\n"), 0o644)
	full := "250-script.test\r\n250-SIZE 100000\r\n250-8BITMIME\r\n250 SMTPUTF8"
	for _, tt := range []struct {
		name, ehlo string
		args       []string
		code       int
		mail       []string // in the MAIL command
		stderr     string
	}{
		{"size", full, nil, 0, []string{"SIZE="}, ""},
		{"8bit data", full, []string{"--data", eight}, 0, []string{"BODY=8BITMIME"}, ""},
		{"utf8 address", full, []string{"--to", "jösé@y.test"}, 0, []string{"SMTPUTF8"}, ""},
		{"utf8 without SMTPUTF8", "250-script.test\r\n250 8BITMIME", []string{"--to", "jösé@y.test"}, 1, nil, "the server does not offer SMTPUTF8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, cmds := scriptServer(t, tt.ehlo, okAnswer)
			args := append([]string{"send", "--server", addr, "--helo", "client.test", "--timeout", "20s"}, tt.args...)
			if !strings.Contains(strings.Join(tt.args, " "), "--to") {
				args = append(args, "--to", "b@y.test")
			}
			code, out, errOut := runIn(t, context.Background(), args...)
			if code != tt.code || !strings.Contains(errOut, tt.stderr) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)\nstdout:\n%s", code, tt.code, errOut, tt.stderr, out)
			}
			mail := ""
			for _, c := range cmds() {
				if strings.HasPrefix(c, "MAIL") {
					mail = c
				}
			}
			for _, p := range tt.mail {
				if !strings.Contains(mail, " "+p) {
					t.Errorf("MAIL %q lacks %q", mail, p)
				}
			}
			if tt.code != 0 && mail != "" {
				t.Errorf("sent %q after refusing locally", mail)
			}
		})
	}
}

// TestSendArgumentFixes: addresses SMTP cannot carry as one mailbox and
// flags the message would ignore are refused with exit 2, naming them.
func TestSendArgumentFixes(t *testing.T) {
	t.Parallel()
	server := closedAddr(t, "tcp")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--to", "a@x.test,b@x.test"}, "give --to once per recipient"},
		{[]string{"--to", ""}, `--to "": an empty address`},
		{[]string{"--to", "a..b@x.test"}, "is not valid"},
		{[]string{"--to", "a@x_y.test"}, "is not a domain name"},
		{[]string{"--to", "a@b.test", "--data", "f", "--subject", "S"}, "--data and --subject exclude each other"},
		{[]string{"--to", "a@b.test", "--data", "f", "--body", "B"}, "--data and --body exclude each other"},
		{[]string{"--to", "a@b.test", "--body-file", "f", "--body", "B"}, "--body-file and --body exclude each other"},
		{[]string{"--to", "a@b.test", "--subject", "S", "--header", "Subject: X"}, `--subject and --header "Subject: ..." exclude each other`},
		{[]string{"--to", "a@b.test", "--server", "127.0.0.1:99999"}, `port "99999" is not a number from 1 to 65535`},
	} {
		args := append([]string{"send", "--server", server}, tc.args...)
		code, _, errOut := runIn(t, context.Background(), args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d (want 2), stderr %q, want %q", tc.args, code, errOut, tc.want)
		}
	}
	for _, ok := range []string{"first.last+tag@x.test", `"a,b"@x.test`, "postmaster", "u@[127.0.0.1]", "a@b"} {
		if err := checkMailboxes("to", ok); err != nil {
			t.Errorf("--to %q refused: %v", ok, err)
		}
	}
}

// TestSendAuthHidden: the transcript hides AUTH's credentials; without
// --auth-pass the password comes from RELAYLAB_AUTH_PASS, and without
// either send refuses (exit 2). Not parallel: it sets the environment.
func TestSendAuthHidden(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{StartTLS: true, Users: map[string]string{"alice": "s3cret"}})
	args := []string{"send", "--server", srv.Addr, "--to", "b@y.test", "--starttls", "--insecure", "--auth-user", "alice", "--helo", "client.test", "--timeout", "20s"}
	t.Setenv(authPassEnv, "s3cret")
	code, out, errOut := runIn(t, context.Background(), args...)
	if code != 0 {
		t.Fatalf("exit %d with the password in %s\nstdout:\n%s\nstderr:\n%s", code, authPassEnv, out, errOut)
	}
	if strings.Contains(out, base64.StdEncoding.EncodeToString([]byte("\x00alice\x00s3cret"))) || !strings.Contains(out, " ~> AUTH PLAIN [credentials hidden]") {
		t.Errorf("the transcript shows the credentials, or not [credentials hidden]:\n%s", out)
	}
	if tlsAt, ehloAt := strings.Index(out, "=== TLS started"), strings.Index(out, " ~> EHLO"); tlsAt < 0 || tlsAt > ehloAt {
		t.Errorf("=== TLS started not before the EHLO after STARTTLS:\n%s", out)
	}
	os.Unsetenv(authPassEnv)
	code, _, errOut = runIn(t, context.Background(), args...)
	if code != 2 || !strings.Contains(errOut, "--auth-user \"alice\" needs a password: give --auth-pass, or set the environment variable "+authPassEnv) {
		t.Errorf("no password: exit %d (want 2), stderr %q", code, errOut)
	}
}

// TestSendHints: STARTTLS not offered gets no hint about --tls; a timeout
// names its stage (after the final dot, the message may have been
// delivered); a plain connection to an implicit-TLS port suggests --tls.
func TestSendHints(t *testing.T) {
	t.Parallel()
	plain := smtptest.Start(t, smtptest.Options{})
	implicit := smtptest.Start(t, smtptest.Options{Implicit: true})
	tlsNoAuth := smtptest.Start(t, smtptest.Options{StartTLS: true})
	silentDot, _ := scriptServer(t, "250 script.test", func(cmd string) (string, bool) {
		if cmd == "." {
			return "", false
		}
		return okAnswer(cmd)
	})
	for _, tt := range []struct {
		name, addr string
		args       []string
		want, not  []string
	}{
		{"starttls not offered", plain.Addr, []string{"--starttls"}, []string{"does not offer STARTTLS", "category not-offered"}, []string{"--tls is for port 465"}},
		{"timeout after the dot", silentDot, nil, []string{"did not answer the message's final dot in time", "may have delivered", "what to do: check the server's log"}, nil},
		{"plain to implicit tls", implicit.Addr, nil, []string{"sent no greeting", "add --tls"}, nil},
		// The server offers no AUTH, even after TLS: what to do is to
		// drop --auth-user or give the server users (walk N5).
		{"auth not offered", tlsNoAuth.Addr, []string{"--starttls", "--insecure", "--auth-user", "a", "--auth-pass", "b"}, []string{"does not offer AUTH", "category not-offered", "what to do: drop --auth-user", "relay.users"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"send", "--server", tt.addr, "--to", "b@y.test", "--helo", "client.test", "--timeout", "1s"}, tt.args...)
			code, out, errOut := runIn(t, context.Background(), args...)
			if code != 1 {
				t.Errorf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			for _, s := range tt.want {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(errOut, s) {
					t.Errorf("stderr has %q:\n%s", s, errOut)
				}
			}
		})
	}
}
