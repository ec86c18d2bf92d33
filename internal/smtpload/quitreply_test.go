package smtpload

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// quitServer takes every message and answers QUIT with quit, or not at
// all when quit is "" (as the sink's quithang directive does), or hangs
// up without a reply when quit is "close".
func quitServer(t *testing.T, quit string) string {
	return smtptest.Listen(t, func(c net.Conn) {
		defer c.Close()
		r := bufio.NewReader(c)
		c.Write([]byte("220 hi\r\n"))
		inData := false
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			reply := "250 ok"
			switch {
			case inData && line != ".":
				continue
			case inData:
				inData = false
			case line == "DATA":
				inData, reply = true, "354 go"
			case line == "QUIT" && quit == "close":
				return
			case line == "QUIT":
				if quit == "" {
					continue
				}
				reply = quit
			}
			c.Write([]byte(reply + "\r\n"))
		}
	})
}

// TestRunSaysWhatQUITGot: a server that takes the message and then never
// answers QUIT, or refuses it, is in the summary at the quit stage, and
// the message still counts as accepted. load waited out --timeout at
// every QUIT without a word of it.
func TestRunSaysWhatQUITGot(t *testing.T) {
	t.Parallel()
	hangsUp := quitServer(t, "close")
	res := runWithin(t, context.Background(), Config{Target: hangsUp, Sessions: 1, Messages: 2, Rcpts: 1, Reuse: 1,
		From: "a@x.test", To: "b@y.test", Timeout: time.Minute, GiveUp: -1})
	checkAddsUp(t, res)
	if res.Accepted != 2 || res.Failed != 0 {
		t.Errorf("hang-up at QUIT: accepted %d, failed %d; want 2 and 0: the messages had their 250s", res.Accepted, res.Failed)
	}
	if got := res.ConnErrorStages["eof"]; got[StageQuit] != 2 || len(got) != 1 {
		t.Errorf("hang-up at QUIT: eof by stage %v; want 2 at quit", got)
	}

	// A second is --timeout enough for the rest of the session on
	// loopback; the QUIT alone waits it out.
	hangs := quitServer(t, "")
	res = runWithin(t, context.Background(), Config{Target: hangs, Sessions: 1, Messages: 1, Rcpts: 1,
		From: "a@x.test", To: "b@y.test", Timeout: time.Second, GiveUp: -1})
	if got := res.ConnErrorStages["timeout"]; res.Accepted != 1 || got[StageQuit] != 1 {
		t.Errorf("no reply to QUIT: accepted %d, timeouts by stage %v; want 1 and 1 at quit", res.Accepted, got)
	}

	refuses := quitServer(t, "502 5.5.1 not today")
	res = runWithin(t, context.Background(), Config{Target: refuses, Sessions: 1, Messages: 1, Rcpts: 1, Reuse: 1,
		From: "a@x.test", To: "b@y.test", Timeout: time.Minute, GiveUp: -1})
	if res.Accepted != 1 || res.Replies["quit 502 5.5.1"] != 1 {
		t.Errorf("accepted %d, replies %v; want 1 and quit 502 5.5.1 once", res.Accepted, res.Replies)
	}
}
