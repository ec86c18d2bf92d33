package smtpload

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// scripted returns a client whose server side writes script and then
// closes.
func scripted(t *testing.T, script string) *Client {
	t.Helper()
	a, b := net.Pipe()
	go func() {
		io.WriteString(b, script)
		b.Close()
	}()
	t.Cleanup(func() { a.Close() })
	return NewClient(a, Options{})
}

func TestReadReply(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, script string
		want         Reply
		wantErr      string
	}{
		{"simple", "250 ok\r\n", Reply{Code: 250, Lines: []string{"ok"}}, ""},
		{"enhanced", "550 5.1.1 no such user\r\n", Reply{Code: 550, Enhanced: "5.1.1", Lines: []string{"no such user"}}, ""},
		{"multiline", "250-mx.test hello\r\n250-PIPELINING\r\n250 SIZE 100\r\n", Reply{Code: 250, Lines: []string{"mx.test hello", "PIPELINING", "SIZE 100"}}, ""},
		{"bare LF", "220 hi\n", Reply{Code: 220, Lines: []string{"hi"}}, ""},
		{"code only", "250\r\n", Reply{Code: 250, Lines: []string{""}}, ""},
		{"enhanced class mismatch is text", "550 2.0.0 odd\r\n", Reply{Code: 550, Lines: []string{"2.0.0 odd"}}, ""},
		{"not digits", "hello\r\n", Reply{}, "three digits"},
		{"code changes", "250-a\r\n251 b\r\n", Reply{}, "code changed"},
		{"eof", "", Reply{}, "closed the connection"},
		{"eof mid line", "250 o", Reply{}, "unexpected EOF"},
		{"overlong", "250 " + strings.Repeat("x", 5000) + "\r\n", Reply{}, "bad reply at test: reply line longer than"},
		{"code above 599", "999 what\r\n", Reply{}, `bad reply at test: reply code 999 is outside 200-599: "999 what"`},
		{"code below 200", "199 what\r\n", Reply{}, "reply code 199 is outside 200-599"},
		{"code 600", "600-a\r\n600 b\r\n", Reply{}, "reply code 600 is outside 200-599"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := scripted(t, c.script).ReadReply("test")
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != c.want.String() || len(got.Lines) != len(c.want.Lines) {
				t.Errorf("got %q (%d lines), want %q (%d lines)", got, len(got.Lines), c.want, len(c.want.Lines))
			}
		})
	}
}

func TestWireFormat(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"a\nb", "a\r\nb\r\n"},
		{"a\r\nb\r\n", "a\r\nb\r\n"},
		{".x\n..y\nz.\n", "..x\r\n...y\r\nz.\r\n"},
		{"a\rb", "a\r\nb\r\n"},
		{"", ""},
		{".", "..\r\n"},
	}
	for _, c := range cases {
		if got := string(WireFormat([]byte(c.in))); got != c.want {
			t.Errorf("WireFormat(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// dial opens a client to srv with the greeting and EHLO done.
func dial(t *testing.T, addr string, implicit bool, trace func(dir, line string)) *Client {
	t.Helper()
	c, err := Dial(context.Background(), addr, implicit, Options{Helo: "client.test", TLS: &tls.Config{InsecureSkipVerify: true}, Trace: trace})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Greeting(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Hello(); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSend(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{Keep: true})
	body := WireFormat([]byte("Subject: t\n\n.dot line\nbody\n"))
	cases := []struct {
		name     string
		from     string
		to       []string
		body     []byte
		ok       bool
		stage    string
		accepted int
	}{
		{"accepted", "a@x.test", []string{"b@y.test"}, body, true, "", 1},
		{"one of two rejected", "a@x.test", []string{"reject@y.test", "c@y.test"}, body, true, "", 1},
		{"all rejected", "a@x.test", []string{"reject@y.test", "temp@y.test"}, body, false, StageRcpt, 0},
		{"sender blocked", "blocked@x.test", []string{"b@y.test"}, body, false, StageMail, 0},
		{"content refused", "a@x.test", []string{"b@y.test"}, WireFormat([]byte("X-Reject: yes\n\nhi\n")), false, StageDataEnd, 1},
	}
	for _, pipeline := range []bool{false, true} {
		c := dial(t, srv.Addr, false, nil)
		if !c.Has("PIPELINING") {
			t.Fatal("go-smtp should advertise PIPELINING")
		}
		for _, tc := range cases {
			res, err := c.Send(&Transaction{From: tc.from, To: tc.to, Parts: [][]byte{tc.body}}, pipeline)
			if err != nil {
				t.Fatalf("pipeline=%v %s: %v", pipeline, tc.name, err)
			}
			if res.OK() != tc.ok || res.Stage != tc.stage || res.Accepted != tc.accepted {
				t.Errorf("pipeline=%v %s: ok=%v stage=%q accepted=%d; want %v %q %d (%+v)", pipeline, tc.name, res.OK(), res.Stage, res.Accepted, tc.ok, tc.stage, tc.accepted, res)
			}
		}
		if err := c.Quit(); err != nil {
			t.Errorf("QUIT: %v", err)
		}
	}
	msgs := srv.Messages()
	if len(msgs) != 4 {
		t.Fatalf("server kept %d messages, want 4", len(msgs))
	}
	if got := string(msgs[0].Data); got != "Subject: t\r\n\r\n.dot line\r\nbody\r\n" {
		t.Errorf("message content after dot-unstuffing = %q", got)
	}
}

func TestTLSAndAuth(t *testing.T) {
	t.Parallel()
	users := map[string]string{"u": "secret"}
	cases := []struct {
		name     string
		opts     smtptest.Options
		implicit bool
		starttls bool
		pass     string
		wantErr  string
	}{
		{"starttls plain", smtptest.Options{StartTLS: true, Users: users}, false, true, "secret", ""},
		{"implicit login", smtptest.Options{Implicit: true, Users: users, Mechs: []string{"LOGIN"}}, true, false, "secret", ""},
		{"cleartext plain", smtptest.Options{Users: users}, false, false, "secret", ""},
		{"wrong password", smtptest.Options{Users: users}, false, false, "nope", "535"},
		{"no auth offered", smtptest.Options{}, false, false, "secret", "--starttls"},
		{"no starttls offered", smtptest.Options{}, false, true, "", "does not offer STARTTLS"},
		{"cram only", smtptest.Options{Users: users, Mechs: []string{"CRAM-MD5"}}, false, false, "secret", "neither PLAIN nor LOGIN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := smtptest.Start(t, tc.opts)
			var mu sync.Mutex
			var lines []string
			c := dial(t, srv.Addr, tc.implicit, func(dir, l string) {
				mu.Lock()
				lines = append(lines, dir+" "+l)
				mu.Unlock()
			})
			var err error
			if tc.starttls {
				err = c.StartTLS()
			}
			if err == nil && tc.pass != "" {
				err = c.Auth("u", tc.pass)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (tc.starttls || tc.implicit) != c.TLS() {
				t.Errorf("TLS() = %v", c.TLS())
			}
			res, err := c.Send(&Transaction{From: "a@x.test", To: []string{"b@y.test"}, Parts: [][]byte{WireFormat([]byte("Subject: s\n\nhi\n"))}}, true)
			if err != nil || !res.OK() {
				t.Fatalf("send after auth: %v %+v", err, res)
			}
			mu.Lock()
			defer mu.Unlock()
			joined := strings.Join(lines, "\n")
			if tc.starttls && strings.Count(joined, "-> EHLO client.test") != 2 {
				t.Errorf("want EHLO before and after STARTTLS (RFC 3207 4.2), transcript:\n%s", joined)
			}
			if !strings.Contains(joined, "<- 235 2.0.0") && !strings.Contains(joined, "<- 235 ") {
				t.Errorf("no 235 in transcript:\n%s", joined)
			}
		})
	}
}

func TestReplyError(t *testing.T) {
	t.Parallel()
	err := error(&ReplyError{Stage: StageRcpt, Reply: Reply{Code: 451, Enhanced: "4.2.0", Lines: []string{"later"}}})
	var re *ReplyError
	if !errors.As(err, &re) || !re.Temporary() {
		t.Fatal("451 should be temporary")
	}
	if got, want := err.Error(), "server temporarily refused the recipient at RCPT TO: 451 4.2.0 later"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestPipelineWindow sends 600 long recipients pipelined to a server that
// answers each command as it reads it, with long replies, over sockets
// with small buffers: written all at once (135 KB), the commands and the
// replies would fill both directions and block both sides for ever.
func TestPipelineWindow(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	long := strings.Repeat("250-"+strings.Repeat("x", 400)+"\r\n", 4)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		nc.(*net.TCPConn).SetReadBuffer(16384)
		nc.(*net.TCPConn).SetWriteBuffer(16384)
		smtptest.Converse(nc, "220 tiny ESMTP", func(cmd string) string {
			switch cmd = strings.ToUpper(cmd); {
			case strings.HasPrefix(cmd, "EHLO"):
				return "250-tiny\r\n250 PIPELINING"
			case strings.HasPrefix(cmd, "RCPT"):
				return long + "250 ok"
			case cmd == "DATA":
				return "354 go on"
			}
			return "250 ok"
		})
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	nc.(*net.TCPConn).SetReadBuffer(16384)
	nc.(*net.TCPConn).SetWriteBuffer(16384)
	nc.SetDeadline(time.Now().Add(time.Minute)) // a guard against the hang, not a timing
	c := NewClient(nc, Options{})
	defer c.Close()
	if _, err := c.ReadReply(StageConnect); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Hello(); err != nil {
		t.Fatal(err)
	}
	to := make([]string, 600)
	domain := strings.Repeat("d", 60) + "." + strings.Repeat("e", 60) + "." + strings.Repeat("f", 30) + ".test"
	for i := range to {
		to[i] = fmt.Sprintf("r%d-%s@%s", i, strings.Repeat("l", 50), domain)
	}
	res, err := c.Send(&Transaction{From: "a@x.test", To: to, Parts: [][]byte{WireFormat([]byte("Subject: t\n\nhi\n"))}}, true)
	if err != nil {
		t.Fatalf("pipelined send of %d recipients: %v", len(to), err)
	}
	if !res.OK() || res.Accepted != len(to) || len(res.Rcpts) != len(to) {
		t.Errorf("ok=%v accepted=%d replies=%d, want every one of %d", res.OK(), res.Accepted, len(res.Rcpts), len(to))
	}
}
