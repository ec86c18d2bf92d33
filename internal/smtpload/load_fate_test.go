package smtpload

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// dotServer takes every message up to its final dot and then does what
// atDot says: a reply, silence (""), or a hang-up without a reply ("",
// true); dots counts the dots it read, mails the MAIL lines.
func dotServer(t *testing.T, ehlo string, atDot func() (string, bool)) (target string, dots *atomic.Int64, mails func() []string) {
	t.Helper()
	dots = new(atomic.Int64)
	var mu sync.Mutex
	var seen []string
	target = smtptest.Listen(t, func(c net.Conn) {
		smtptest.Script(c, "220 dot.test", ehlo, func(cmd string) (string, bool) {
			switch {
			case cmd == ".":
				dots.Add(1)
				reply, hangup := atDot()
				if reply == "" && hangup {
					c.Close()
				}
				return reply, hangup
			case cmd == "DATA":
				return "354 go on", false
			}
			return "250 ok", false
		}, func(cmd string) {
			if strings.HasPrefix(cmd, "MAIL") {
				mu.Lock()
				seen = append(seen, cmd)
				mu.Unlock()
			}
		})
	})
	return target, dots, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), seen...) }
}

// TestRunCountsFateUnknownAfterTheDot: a message whose final dot was sent
// and whose reply never came is tried with its fate unknown (the server
// may have delivered it), by what cut the reply off, instead of "failed"
// as a connection error (a hang-up) or "cancelled, not counted as tried"
// (the run interrupted while waiting).
func TestRunCountsFateUnknownAfterTheDot(t *testing.T) {
	t.Parallel()
	t.Run("hang-up", func(t *testing.T) {
		t.Parallel()
		target, dots, _ := dotServer(t, "250 dot.test", func() (string, bool) { return "", true })
		res := runWithin(t, context.Background(), Config{Target: target, Sessions: 2, Messages: 6, Rcpts: 1, Reuse: 1,
			From: "s@x.test", To: "r{n}@y.test", GiveUp: -1})
		checkAddsUp(t, res)
		if res.Unknown != 6 || res.Failed != 0 || res.UnknownErrors["eof"] != 6 || int(dots.Load()) != 6 {
			t.Errorf("fate unknown %d (%v), failed %d, dots %d; want 6 unknown by eof, 0 failed, 6 dots", res.Unknown, res.UnknownErrors, res.Failed, dots.Load())
		}
		if !strings.Contains(res.FirstUnknown["eof"], "final dot") {
			t.Errorf("first: %q; want it to name the final dot", res.FirstUnknown["eof"])
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var once sync.Once
		target, dots, _ := dotServer(t, "250 dot.test", func() (string, bool) {
			once.Do(cancel) // the first dot read stops the run; no reply
			return "", false
		})
		res := runWithin(t, ctx, Config{Target: target, Sessions: 1, Messages: 5, Rcpts: 1, Reuse: 1,
			From: "s@x.test", To: "r{n}@y.test", GiveUp: -1})
		checkAddsUp(t, res)
		if res.Unknown != 1 || res.Cancelled != 0 || res.UnknownErrors["interrupted"] != 1 || res.Ended != EndedInterrupted || dots.Load() != 1 {
			t.Errorf("fate unknown %d (%v), cancelled %d, ended %q, dots %d; want 1 unknown (interrupted), 0 cancelled, interrupted, 1 dot",
				res.Unknown, res.UnknownErrors, res.Cancelled, res.Ended, dots.Load())
		}
	})
}

// TestRunCountsRecipientsNotTried: after a 421 to a message's first
// recipient, the others were never sent and count as not tried, instead
// of not at all (13 messages of 2 recipients showed 13 refused, 0
// accepted).
func TestRunCountsRecipientsNotTried(t *testing.T) {
	t.Parallel()
	target := scriptedServer(t, byRcpt(map[string]string{"r1": "421 4.7.0 closing"}))
	for _, pipeline := range []bool{false, true} {
		res := runWithin(t, context.Background(), Config{Target: target, Sessions: 1, Messages: 4, Rcpts: 3, Reuse: 1,
			Pipeline: pipeline, From: "s@x.test", To: "r{r}.m{n}@y.test", GiveUp: -1})
		if res.RcptTempRefused != 4 || res.RcptNotTried != 8 {
			t.Errorf("pipeline %v: recipients refused 4xx %d, not tried %d; want 4 and 8", pipeline, res.RcptTempRefused, res.RcptNotTried)
		}
	}
}

// TestRunSendsMailParams: load's MAIL FROM carries what the message needs
// and the server offers, as send's does (SIZE=, SMTPUTF8 for a non-ASCII
// address, BODY=8BITMIME for the UTF-8 To field), instead of no parameter, which got 553 5.6.7 from a server
// that offered SMTPUTF8.
func TestRunSendsMailParams(t *testing.T) {
	t.Parallel()
	target, _, mails := dotServer(t, "250-dot.test\r\n250-SIZE 1000000\r\n250-8BITMIME\r\n250 SMTPUTF8", func() (string, bool) { return "250 ok", false })
	res := runWithin(t, context.Background(), Config{Target: target, Sessions: 1, Messages: 2, Rcpts: 1, Reuse: 0, Size: 100,
		From: "s@x.test", To: "jösé{n}@y.test", GiveUp: -1})
	if res.Accepted != 2 {
		t.Fatalf("accepted %d; want 2", res.Accepted)
	}
	for _, m := range mails() {
		if !strings.Contains(m, " SIZE=") || !strings.HasSuffix(m, " BODY=8BITMIME SMTPUTF8") {
			t.Errorf("MAIL line %q; want SIZE=, BODY=8BITMIME (the To field is UTF-8) and SMTPUTF8", m)
		}
	}
}
