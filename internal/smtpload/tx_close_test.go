package smtpload

import (
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// hangupServer returns a client (after the greeting and EHLO) whose server
// answers each command with answer(cmd), swallows a message's content,
// answers its final dot with answer("."), and hangs up after a reply
// when answer says so. It also returns the commands the server read.
func hangupServer(t *testing.T, ehlo string, answer func(cmd string) (reply string, hangup bool)) (*Client, func() []string) {
	t.Helper()
	a, b := net.Pipe()
	var mu sync.Mutex
	var cmds []string
	go smtptest.Script(b, "220 hi", ehlo, answer, func(cmd string) {
		mu.Lock()
		cmds = append(cmds, cmd)
		mu.Unlock()
	})
	t.Cleanup(func() { a.Close() })
	c := NewClient(a, Options{})
	if _, err := c.Greeting(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Hello(); err != nil {
		t.Fatal(err)
	}
	return c, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), cmds...) }
}

// TestSendRefusalThenHangup: a server that refuses and hangs up (500
// 5.4.0 line too long, then close) leaves the refusal as the outcome, not
// the failed RSET after it; the connection is done (Closing).
func TestSendRefusalThenHangup(t *testing.T) {
	t.Parallel()
	for _, stage := range []string{"MAIL", "DATA", "."} {
		c, _ := hangupServer(t, "250 mx", func(cmd string) (string, bool) {
			switch {
			case strings.HasPrefix(cmd, stage):
				return "500 5.4.0 Line too long, closing the connection", true
			case cmd == "DATA":
				return "354 go", false
			}
			return "250 ok", false
		})
		res, err := c.Send(&Transaction{From: "a@x.test", To: []string{"b@y.test"}, Parts: [][]byte{[]byte("hi\r\n")}}, false)
		if err != nil || res.Stage == "" || res.ResetErr == nil || !res.Closing() {
			t.Errorf("500 and hang-up at %s: err %v, stage %q, reset error %v, closing %v; want no error, the refusal's stage, a reset error, closing",
				stage, err, res.Stage, res.ResetErr, res.Closing())
		}
	}
}

// TestSend421AtRcpt: a 421 to a RCPT ends the transaction there (RFC 5321
// 3.8): no further RCPT or DATA, no RSET, one refusal and no error, with
// or without pipelining.
func TestSend421AtRcpt(t *testing.T) {
	t.Parallel()
	for _, pipeline := range []bool{false, true} {
		c, cmds := hangupServer(t, "250-mx\r\n250 PIPELINING", func(cmd string) (string, bool) {
			switch {
			case strings.Contains(cmd, "bye@"):
				return "421 4.7.0 closing", true
			case cmd == "DATA":
				return "354 go", false
			}
			return "250 ok", false
		})
		res, err := c.Send(&Transaction{From: "a@x.test", To: []string{"ok@y.test", "bye@y.test", "later@y.test"}, Parts: [][]byte{[]byte("hi\r\n")}}, pipeline)
		if err != nil || res.Stage != StageRcpt || len(res.Rcpts) != 2 || res.Rcpts[1].Code != 421 || !res.Closing() || res.Data.Code != 0 {
			t.Errorf("pipeline %v: err %v, stage %q, rcpt replies %v, DATA %v, closing %v; want no error, stage rcpt, 250 and 421, no DATA reply, closing",
				pipeline, err, res.Stage, res.Rcpts, res.Data, res.Closing())
		}
		if !pipeline {
			for _, cmd := range cmds() {
				if strings.Contains(cmd, "later@") || cmd == "DATA" || cmd == "RSET" {
					t.Errorf("sent %q after the 421; got commands %q", cmd, cmds())
				}
			}
		}
	}
}

// TestSendRcpt252Accepted: 252 (cannot verify, will try; RFC 5321 3.5.3)
// accepts the recipient.
func TestSendRcpt252Accepted(t *testing.T) {
	t.Parallel()
	for _, pipeline := range []bool{false, true} {
		c, _ := hangupServer(t, "250-mx\r\n250 PIPELINING", func(cmd string) (string, bool) {
			switch {
			case strings.HasPrefix(cmd, "RCPT"):
				return "252 2.1.5 cannot verify, will try", false
			case cmd == "DATA":
				return "354 go", false
			}
			return "250 ok", false
		})
		res, err := c.Send(&Transaction{From: "a@x.test", To: []string{"v@y.test"}, Parts: [][]byte{[]byte("hi\r\n")}}, pipeline)
		if err != nil || !res.OK() || res.Accepted != 1 {
			t.Errorf("pipeline %v: err %v, OK %v, accepted %d; want the message accepted for 1 recipient", pipeline, err, res.OK(), res.Accepted)
		}
	}
}
