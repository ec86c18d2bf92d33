package smtpload

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// TestFL25RsetRefusedEndsTheConnection: a 421 to the RSET after a refusal
// closes the session (RFC 5321 3.8): the reply is counted, and the next
// message goes on a new connection instead of into the closed one, where
// it was lost as a connection failure at MAIL (6 messages on one reused
// connection gave 3 refused and 3 failed, and no "rset 421").
func TestFL25RsetRefusedEndsTheConnection(t *testing.T) {
	t.Parallel()
	var conns atomic.Int64
	target := smtptest.Listen(t, func(c net.Conn) {
		conns.Add(1)
		smtptest.Script(c, "220 rset.test", "250-rset.test\r\n250 PIPELINING", func(cmd string) (string, bool) {
			switch {
			case strings.HasPrefix(cmd, "RCPT"):
				return "550 5.1.1 no such user", false
			case cmd == "DATA":
				return "554 5.5.1 no valid recipients", false
			case cmd == "RSET":
				return "421 4.7.0 closing after a refusal", true
			}
			return "250 ok", false
		}, nil)
	})
	for _, pipeline := range []bool{false, true} {
		before := conns.Load()
		res, table := runTable(t, Config{Target: target, Sessions: 1, Messages: 6, Rcpts: 1, Reuse: 0, Pipeline: pipeline,
			From: "s@x.test", To: "r{n}@y.test", GiveUp: -1})
		checkAddsUp(t, res)
		if res.Refused != 6 || res.Failed != 0 || res.Replies["rset 421 4.7.0"] != 6 || len(res.ConnErrors) != 0 {
			t.Errorf("pipeline %v: refused %d, failed %d, rset 421 %d, connection errors %v; want 6 refused, none failed, 6 rset 421, no connection error\n%s",
				pipeline, res.Refused, res.Failed, res.Replies["rset 421 4.7.0"], res.ConnErrors, table)
		}
		if got := conns.Load() - before; got != 6 {
			t.Errorf("pipeline %v: %d connections for 6 messages each ended by a 421 to RSET; want 6", pipeline, got)
		}
		if res.TempRefusals != 0 || res.PermRefusals != 6 {
			t.Errorf("pipeline %v: %d 4xx and %d 5xx refusals; want 0 and 6 (the 421 to RSET refused no message)", pipeline, res.TempRefusals, res.PermRefusals)
		}
	}
}

// TestFL25SendRsetRefused: Send marks the connection done after a 421 or
// a 5xx to its RSET, and keeps the reply.
func TestFL25SendRsetRefused(t *testing.T) {
	t.Parallel()
	for _, rset := range []string{"421 4.7.0 bye", "502 5.5.1 no RSET here"} {
		c, cmds := hangupServer(t, "250 mx", func(cmd string) (string, bool) {
			switch {
			case strings.HasPrefix(cmd, "RCPT"):
				return "550 5.1.1 no", false
			case cmd == "RSET":
				return rset, strings.HasPrefix(rset, "421")
			}
			return "250 ok", false
		})
		res, err := c.Send(&Transaction{From: "a@x.test", To: []string{"b@y.test"}, Parts: [][]byte{[]byte("hi\r\n")}}, false)
		if err != nil || res.Stage != StageRcpt || !res.Closing() || res.Rset.String() != rset {
			t.Errorf("RSET answered %q: err %v, stage %q, closing %v, RSET reply %q; want no error, stage rcpt, closing, the reply kept (commands %q)",
				rset, err, res.Stage, res.Closing(), res.Rset, cmds())
		}
	}
}

// TestFL25AnyPositiveCompletion: a 2yz other than the usual one is a
// positive completion (RFC 5321 4.2.1), whatever the stage: 299 after the
// dot accepts the message (load counted it refused and send exited 4),
// 251, 252 and 299 to RCPT accept the recipient, a 252 to MAIL the
// sender, and the RSET and QUIT before the next message go on as usual.
func TestFL25AnyPositiveCompletion(t *testing.T) {
	t.Parallel()
	target := scriptedServer(t, func(cmd string) string {
		switch {
		case strings.HasPrefix(cmd, "MAIL"):
			return "252 2.1.0 sender ok"
		case strings.HasPrefix(cmd, "RCPT TO:<r1"):
			return "251 2.1.5 will forward"
		case strings.HasPrefix(cmd, "RCPT TO:<r2"):
			return "299 2.1.5 fine"
		case strings.HasPrefix(cmd, "RCPT"):
			return "252 2.1.5 cannot verify, will try"
		case cmd == "DATA":
			return "354 go on"
		}
		return "502 5.5.1 what?"
	})
	for _, pipeline := range []bool{false, true} {
		res, table := runTable(t, Config{Target: target, Sessions: 1, Messages: 3, Rcpts: 3, Reuse: 0, Pipeline: pipeline,
			From: "s@x.test", To: "r{r}.m{n}@y.test", GiveUp: -1})
		checkAddsUp(t, res)
		// The scripted server's dot gets "250 ok"; the dot's 299 is below.
		if res.Accepted != 3 || res.Partial != 0 || res.RcptAccepted != 9 || res.Failed != 0 {
			t.Errorf("pipeline %v: accepted %d (%d partly), %d recipients, %d failed; want 3 messages for all 9 recipients\n%s",
				pipeline, res.Accepted, res.Partial, res.RcptAccepted, res.Failed, table)
		}
	}
	dot := smtptest.Listen(t, func(c net.Conn) {
		smtptest.Script(c, "220 dot.test", "250 dot.test", func(cmd string) (string, bool) {
			switch cmd {
			case "DATA":
				return "354 go on", false
			case ".":
				return "299 2.0.0 OK", false
			}
			return "250 ok", false
		}, nil)
	})
	res, table := runTable(t, Config{Target: dot, Sessions: 1, Messages: 3, Rcpts: 1, Reuse: 0, From: "s@x.test", To: "r{n}@y.test", GiveUp: -1})
	checkAddsUp(t, res)
	if res.Accepted != 3 || res.Refused != 0 || res.Replies["data-end 299"] != 3 {
		t.Errorf("299 after the dot: accepted %d, refused %d; want 3 accepted, counted as data-end 299\n%s", res.Accepted, res.Refused, table)
	}
}

// TestFL25Data421IsDATAsRefusal: a 421 to a pipelined DATA is DATA's
// refusal, counted and kept for its explanation, as without pipelining;
// it was marked "(pipelined)" as if it followed a refusal of the
// recipients, and the run counted no refusal (load exited 0).
func TestFL25Data421IsDATAsRefusal(t *testing.T) {
	t.Parallel()
	target := scriptedServer(t, func(cmd string) string {
		if cmd == "DATA" {
			return "421 4.7.0 closing"
		}
		return byRcpt(nil)(cmd)
	})
	for _, pipeline := range []bool{false, true} {
		res, table := runTable(t, Config{Target: target, Sessions: 1, Messages: 2, Rcpts: 1, Reuse: 0, Pipeline: pipeline,
			From: "s@x.test", To: "r{n}@y.test", GiveUp: -1})
		checkAddsUp(t, res)
		if res.Refused != 2 || res.TempRefusals != 2 || res.Replies["data 421 4.7.0"] != 2 || res.FirstReplies["data 421 4.7.0"].Code != 421 {
			t.Errorf("pipeline %v: refused %d, 4xx refusals %d, first of data 421 %v; want 2, 2, and the reply kept\n%s",
				pipeline, res.Refused, res.TempRefusals, res.FirstReplies["data 421 4.7.0"], table)
		}
	}
}
