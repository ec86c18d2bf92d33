package smtpload

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// TestRunNamesTheStageOfAConnError: a server that greets, takes MAIL and
// never answers RCPT gives timeouts counted at rcpt, and one that never
// greets at the greeting, so that load can say which command got no
// reply, where it said only "timeout" and gave the advice for a port that
// is no SMTP server.
func TestRunNamesTheStageOfAConnError(t *testing.T) {
	t.Parallel()
	for _, pipeline := range []bool{false, true} {
		hangsAtRcpt := smtptest.Listen(t, func(c net.Conn) {
			hung := false
			smtptest.Script(c, "220 hi", "250-hi\r\n250 PIPELINING", func(cmd string) (string, bool) {
				// No reply to RCPT, nor to what is pipelined after it:
				// the client times out.
				hung = hung || strings.HasPrefix(cmd, "RCPT")
				if hung {
					return "", false
				}
				return "250 ok", false
			}, nil)
		})
		res := runWithin(t, context.Background(), Config{Target: hangsAtRcpt, Sessions: 1, Messages: 2, Rcpts: 1, Reuse: 1,
			From: "a@x.test", To: "b@y.test", Timeout: 50 * time.Millisecond, GiveUp: -1, Pipeline: pipeline})
		checkAddsUp(t, res)
		if got := res.ConnErrorStages["timeout"]; res.ConnErrors["timeout"] != 2 || got[StageRcpt] != 2 || len(got) != 1 {
			t.Errorf("pipeline %v: timeouts %d by stage %v; want 2, all at rcpt", pipeline, res.ConnErrors["timeout"], got)
		}
		if st := res.ErrorStages("timeout"); len(st) != 1 || st[0] != (StageCount{StageRcpt, 2}) {
			t.Errorf("pipeline %v: ErrorStages %+v", pipeline, st)
		}
	}
	silent, _ := silentServer(t)
	res := runWithin(t, context.Background(), Config{Target: silent, Sessions: 1, Messages: 1, Rcpts: 1, Reuse: 1,
		From: "a@x.test", To: "b@y.test", Timeout: 20 * time.Millisecond})
	if got := res.ConnErrorStages["timeout"]; got[StageGreeting] != 1 || len(got) != 1 {
		t.Errorf("a server that never greets: timeouts by stage %v; want 1 at the greeting", got)
	}
}
