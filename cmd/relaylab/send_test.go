package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// runCmd runs the binary's dispatcher in-process.
func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}
	code = run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

// TestSend: relaylab send against test servers; each refusal it reports
// comes with its category, what it means and what to do, as the relay's
// classification reads it.
func TestSend(t *testing.T) {
	t.Parallel()
	users := map[string]string{"alice": "s3cret"}
	plain := smtptest.Start(t, smtptest.Options{Keep: true, Users: users})
	tlsSrv := smtptest.Start(t, smtptest.Options{Keep: true, StartTLS: true, Users: users})
	implicit := smtptest.Start(t, smtptest.Options{Keep: true, Implicit: true})
	dir := t.TempDir()
	dataFile := filepath.Join(dir, "msg.eml")
	os.WriteFile(dataFile, []byte("From: a@x.test\nTo: b@y.test\nSubject: from file\n\n.leading dot\nend\n"), 0o644)

	cases := []struct {
		name     string
		srv      *smtptest.Server
		args     []string
		stdin    string
		code     int
		stdout   []string // substrings of the transcript
		stderr   []string
		received []string // substrings of the message the server got
	}{
		{
			name: "accepted", srv: plain,
			args:     []string{"--to", "bob@y.test", "--to", "carol@y.test", "--subject", "héllo", "--header", "X-Test: 1", "--header", "X-Mailer: custom"},
			code:     0,
			stdout:   []string{"=== Connected to", "<-  220 ", " -> EHLO ", " -> MAIL FROM:<relaylab@localhost>", " -> RCPT TO:<bob@y.test>", "<-  354 ", " -> .", "<-  250 ", " -> QUIT", "=== Message accepted for 2 recipient(s)"},
			received: []string{"Subject: =?utf-8?q?h=C3=A9llo?=\r\n", "X-Test: 1\r\n", "X-Mailer: custom\r\n", "MIME-Version: 1.0\r\n", "Message-ID: <", "Date: ", "To: <bob@y.test>, <carol@y.test>\r\n"},
		},
		{
			name: "utf8 body from stdin", srv: plain,
			args: []string{"--to", "bob@y.test", "--body-file", "-"}, stdin: "grüße\n",
			received: []string{"Content-Transfer-Encoding: quoted-printable\r\n", "gr=C3=BC=C3=9Fe"},
		},
		{
			name: "data file as is", srv: plain,
			args:     []string{"--to", "b@y.test", "--data", dataFile, "--hide-data"},
			stdout:   []string{" -> DATA", " -> ."},
			received: []string{"Subject: from file\r\n\r\n.leading dot\r\n"},
		},
		{
			name: "rejected recipient", srv: plain,
			args:   []string{"--to", "reject@y.test"},
			code:   5,
			stdout: []string{"<-  550 5.1.1 no such user here", " -> RSET"},
			stderr: []string{"message not sent", "<reject@y.test>", "rejected the recipient at RCPT TO: 550 5.1.1 no such user here",
				"\n    category invalid-recipient: the mailbox does not exist\n    what to do: remove the address"},
		},
		{
			name: "one of two recipients deferred", srv: plain,
			args:   []string{"--to", "ok@y.test", "--to", "temp@y.test"},
			code:   4,
			stderr: []string{"message accepted for 1 of 2 recipients", "temporarily refused the recipient at RCPT TO: 451 4.2.0", "\n    category ", "\n    what to do: "},
		},
		{
			name: "sender blocked", srv: plain,
			args:   []string{"--from", "blocked@x.test", "--to", "b@y.test"},
			code:   5,
			stderr: []string{"rejected the sender at MAIL FROM: 553 5.7.1 sender blocked by policy"},
		},
		{
			name: "content refused", srv: plain,
			args:   []string{"--to", "b@y.test", "--header", "X-Reject: yes"},
			code:   5,
			stderr: []string{"rejected the message after its final dot: 554 5.6.0 content refused"},
		},
		{
			name: "starttls and auth", srv: tlsSrv,
			args:   []string{"--to", "b@y.test", "--starttls", "--insecure", "--auth-user", "alice", "--auth-pass", "s3cret"},
			stdout: []string{" -> STARTTLS", "<-  220 ", "=== TLS started with cipher", " ~> EHLO ", " ~> AUTH PLAIN ", "<~  235 ", " ~> QUIT"},
		},
		{
			name: "bad password", srv: tlsSrv,
			args:   []string{"--to", "b@y.test", "--starttls", "--insecure", "--auth-user", "alice", "--auth-pass", "wrong"},
			code:   5,
			stderr: []string{"rejected the authentication (AUTH): 535 5.7.8", "\n    category credentials-refused: "},
		},
		{
			name: "certificate not trusted", srv: tlsSrv,
			args:   []string{"--to", "b@y.test", "--starttls"},
			code:   1,
			stderr: []string{"--insecure"},
		},
		{
			name: "implicit tls", srv: implicit,
			args:   []string{"--to", "b@y.test", "--tls", "--insecure"},
			stdout: []string{"=== TLS started", "<~  220 ", " ~> MAIL FROM:"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"send", "--server", tc.srv.Addr, "--helo", "client.test", "--timeout", "20s"}, tc.args...)
			before := len(tc.srv.Messages())
			code, stdout, stderr := runCmd(t, tc.stdin, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("transcript lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			// The reply shows its enhanced code already: once is enough.
			if strings.Contains(stderr, "enhanced status") {
				t.Errorf("stderr repeats the enhanced status code:\n%s", stderr)
			}
			if len(tc.received) == 0 {
				return
			}
			var got string
			for _, m := range tc.srv.Messages()[before:] {
				if strings.Contains(string(m.Data), tc.received[0]) {
					got = string(m.Data)
				}
			}
			for _, s := range tc.received {
				if !strings.Contains(got, s) {
					t.Errorf("message lacks %q:\n%s", s, got)
				}
			}
		})
	}
}

func TestSendUsage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{}, "no recipient"},
		{[]string{"--to", "a@b", "--tls", "--starttls"}, "exclude each other"},
		{[]string{"--to", "<a@b>"}, "bare address"},
		{[]string{"--to", "a@b", "--header", "NoColon"}, `"Name: value"`},
		{[]string{"--to", "a@b", "--server", "nohost"}, "host:port"},
		{[]string{"--to", "a@b", "--data", "x", "--header", "A: b"}, "--data sends a whole message"},
		{[]string{"--to", "a@b", "extra"}, "unexpected argument"},
	}
	for _, c := range cases {
		code, _, stderr := runCmd(t, "", append([]string{"send"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("send %q: exit %d, stderr %q; want exit 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

func TestSendConnectionRefused(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	code, _, stderr := runCmd(t, "", "send", "--server", addr, "--to", "a@b", "--timeout", "5s")
	if code != 1 || !strings.Contains(stderr, "is a server listening there?") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestBuildMessage(t *testing.T) {
	t.Parallel()
	o := &sendOptions{from: "a@x.test", to: multiFlag{"b@y.test"}, subject: "s", headers: multiFlag{"Date: Thu, 01 Jan 2026 00:00:00 +0000"}}
	b, err := buildMessage(o, "hi\n", time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	msg := string(b)
	if strings.Count(msg, "Date:") != 1 || !strings.Contains(msg, "Date: Thu, 01 Jan 2026") {
		t.Errorf("a --header Date must replace the default one:\n%s", msg)
	}
	if !strings.Contains(msg, "Message-ID: <") || !strings.Contains(msg, "@x.test>") {
		t.Errorf("Message-ID not in the sender's domain:\n%s", msg)
	}
}
