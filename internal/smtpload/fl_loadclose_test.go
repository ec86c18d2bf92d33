package smtpload

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// TestRunClosesAUsedUpConnectionBeforeThePace: with Reuse 1 and a Rate,
// a connection that has sent its message says QUIT before its worker
// waits for the next message's slot, instead of sitting idle on the
// server for the wait (a session held 929 ms at --rate 2, and a rate low
// enough would reach the server's idle timeout). The clock is virtual: it
// does not move until the test has looked at what the server saw while
// the worker waited.
func TestRunClosesAUsedUpConnectionBeforeThePace(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	target := smtptest.Listen(t, func(c net.Conn) {
		smtptest.Script(c, "220 pace.test", "250 pace.test", func(cmd string) (string, bool) {
			if cmd == "DATA" {
				return "354 go on", false
			}
			return "250 ok", false
		}, func(cmd string) {
			word, _, _ := strings.Cut(cmd, " ") // the command's verb
			mu.Lock()
			seen = append(seen, word)
			mu.Unlock()
		})
	})
	v := clock.NewVirtual(time.Now())
	atWait := make(chan string, 1)
	go func() {
		// The second message's slot is a second away: the worker waits
		// on a timer of the clock, which does not move meanwhile.
		for v.Pending() == 0 {
			time.Sleep(time.Millisecond)
		}
		mu.Lock()
		atWait <- strings.Join(seen, " ")
		mu.Unlock()
		v.Advance(time.Second)
	}()
	res := runWithin(t, context.Background(), Config{Target: target, Sessions: 1, Messages: 2, Rcpts: 1, Reuse: 1,
		From: "s@x.test", To: "r{n}@y.test", Rate: 1, Clock: v, GiveUp: -1})
	checkAddsUp(t, res)
	if got, want := <-atWait, "EHLO MAIL RCPT DATA . QUIT"; got != want {
		t.Errorf("while waiting for the next message's slot, the server had seen %q; want %q (the first session ended with QUIT before the wait)", got, want)
	}
	if res.Accepted != 2 || res.SessionLatency.N != 2 {
		t.Errorf("accepted %d in %d sessions; want 2 in 2 (--reuse 1)", res.Accepted, res.SessionLatency.N)
	}
	if res.SessionLatency.Max != 0 {
		t.Errorf("longest session %s on a clock that only moved between them; want 0 (the wait for the slot is not a session's time)", res.SessionLatency.Max)
	}
}

// TestRunInterruptedCountsTheRepliesBeforeTheCut: a run interrupted while
// its messages wait for the reply to their final dot counts the MAIL,
// RCPT and DATA replies that came before, as it does for a message that
// ends any other way, instead of leaving them out of the table and the
// recipients (30 messages with MAIL 250 showed "mail 250: 20").
func TestRunInterruptedCountsTheRepliesBeforeTheCut(t *testing.T) {
	t.Parallel()
	const sessions = 3
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var held atomic.Int64
	target, _, _ := dotServer(t, "250 dot.test", func() (string, bool) {
		if held.Add(1) == sessions {
			cancel() // every session waits for its dot's reply: stop
		}
		return "", false
	})
	res := runWithin(t, ctx, Config{Target: target, Sessions: sessions, Messages: 10, Rcpts: 2, Reuse: 1,
		From: "s@x.test", To: "r{r}.m{n}@y.test", GiveUp: -1})
	checkAddsUp(t, res)
	if res.Ended != EndedInterrupted || res.Unknown != sessions || res.UnknownErrors["interrupted"] != sessions {
		t.Fatalf("ended %q, fate unknown %d (%v); want interrupted, %d unknown", res.Ended, res.Unknown, res.UnknownErrors, sessions)
	}
	if res.Replies["mail 250"] != sessions || res.Replies["rcpt 250"] != 2*sessions || res.Replies["data 354"] != sessions {
		t.Errorf("replies %v; want mail 250: %d, rcpt 250: %d, data 354: %d (what the server answered before the interrupt)", res.Replies, sessions, 2*sessions, sessions)
	}
	if res.RcptAccepted != 2*sessions {
		t.Errorf("recipients accepted %d; want %d", res.RcptAccepted, 2*sessions)
	}
}
