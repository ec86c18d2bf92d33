package smtpload

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// scriptedServer serves every connection to it with smtptest.Converse and
// answer, offering PIPELINING, until the test ends.
func scriptedServer(t *testing.T, answer func(cmd string) string) string {
	t.Helper()
	return smtptest.Listen(t, func(c net.Conn) {
		smtptest.Converse(c, "220 scripted", func(cmd string) string {
			if strings.HasPrefix(cmd, "EHLO") {
				return "250-scripted\r\n250 PIPELINING"
			}
			return answer(cmd)
		})
	})
}

// byRcpt answers RCPT TO:<rN...> with the reply the recipient's index
// picks, MAIL from a sender starting "nomail" with 530, and everything
// else as a server that takes the message.
func byRcpt(replies map[string]string) func(string) string {
	return func(cmd string) string {
		switch {
		case strings.HasPrefix(cmd, "MAIL FROM:<nomail"):
			return "530 5.7.0 Authentication required"
		case strings.HasPrefix(cmd, "MAIL"):
			return "250 ok"
		case strings.HasPrefix(cmd, "RCPT TO:<"):
			for prefix, r := range replies {
				if strings.HasPrefix(cmd, "RCPT TO:<"+prefix) {
					return r
				}
			}
			return "250 ok"
		case cmd == "DATA":
			return "354 go on"
		case cmd == "RSET":
			return "250 reset"
		}
		return "502 5.5.1 what?"
	}
}

func checkAddsUp(t *testing.T, res *Result) {
	t.Helper()
	if res.Attempted != res.Accepted+res.Refused+res.Failed+res.Unknown {
		t.Errorf("tried %d, but accepted %d + refused %d + failed %d + fate unknown %d = %d", res.Attempted, res.Accepted, res.Refused, res.Failed, res.Unknown,
			res.Accepted+res.Refused+res.Failed+res.Unknown)
	}
}

// TestRunCountsRefusedRecipients: a message accepted for some of its
// recipients counts as partly accepted, and its refused recipients by
// class, instead of only "accepted"; so do the refusals that decide
// relaylab load's exit status.
func TestRunCountsRefusedRecipients(t *testing.T) {
	t.Parallel()
	target := scriptedServer(t, byRcpt(map[string]string{"r2": "450 4.2.1 busy", "r3": "550 5.1.1 no such user"}))
	for _, pipeline := range []bool{false, true} {
		res, table := runTable(t, Config{Target: target, Sessions: 2, Messages: 10, Rcpts: 3, Reuse: 0,
			Pipeline: pipeline, From: "s@x.test", To: "r{r}.m{n}@y.test", GiveUp: -1})
		checkAddsUp(t, res)
		if res.Accepted != 10 || res.Partial != 10 || res.RcptAccepted != 10 || res.RcptTempRefused != 10 || res.RcptPermRefused != 10 {
			t.Errorf("pipeline %v: accepted %d (partly %d), recipients accepted %d, 4xx %d, 5xx %d; want 10 each\n%s",
				pipeline, res.Accepted, res.Partial, res.RcptAccepted, res.RcptTempRefused, res.RcptPermRefused, table)
		}
		if res.TempRefusals != 10 || res.PermRefusals != 10 {
			t.Errorf("pipeline %v: refusals 4xx %d, 5xx %d; want 10 and 10", pipeline, res.TempRefusals, res.PermRefusals)
		}
	}
}

// TestRunPipelinedRcpt350IsAProtocolError: a pipelined RCPT answered 350
// breaks the protocol (RFC 5321 allows 250, 251, 252 or a refusal), as it
// does without pipelining, instead of counting as "rcpt 350".
func TestRunPipelinedRcpt350IsAProtocolError(t *testing.T) {
	t.Parallel()
	target := scriptedServer(t, byRcpt(map[string]string{"r2": "350 what"}))
	for _, pipeline := range []bool{false, true} {
		res, table := runTable(t, Config{Target: target, Sessions: 1, Messages: 4, Rcpts: 3, Reuse: 0,
			Pipeline: pipeline, From: "s@x.test", To: "r{r}.m{n}@y.test", GiveUp: -1})
		checkAddsUp(t, res)
		if res.ConnErrors["protocol"] != 4 || res.Failed != 4 || res.Accepted != 0 || res.Replies["rcpt 350"] != 0 {
			t.Errorf("pipeline %v: want 4 protocol errors and no accepted message, no rcpt 350\n%s", pipeline, table)
		}
		if !strings.Contains(res.FirstErrors["protocol"], "350") {
			t.Errorf("pipeline %v: first protocol error %q does not name the 350", pipeline, res.FirstErrors["protocol"])
		}
	}
}

// TestRunMarksRcptRepliesPipelinedAfterMail: the RCPT replies pipelined
// after a refused MAIL (503: no transaction) are marked pipelined, as
// DATA's are, and are not counted as recipients refused.
func TestRunMarksRcptRepliesPipelinedAfterMail(t *testing.T) {
	t.Parallel()
	answer := byRcpt(nil)
	target := scriptedServer(t, func(cmd string) string {
		if strings.HasPrefix(cmd, "RCPT") || cmd == "DATA" {
			return "503 5.5.1 no MAIL yet"
		}
		return answer(cmd)
	})
	res, table := runTable(t, Config{Target: target, Sessions: 1, Messages: 3, Rcpts: 2, Reuse: 0,
		Pipeline: true, From: "nomail@x.test", To: "r{r}@y.test", GiveUp: -1})
	want := map[string]int{"mail 530 5.7.0": 3, "rcpt 503 5.5.1" + PipelinedNote: 6, "data 503 5.5.1" + PipelinedNote: 3}
	for k, v := range want {
		if res.Replies[k] != v {
			t.Errorf("replies[%q] = %d, want %d\n%s", k, res.Replies[k], v, table)
		}
	}
	if res.Refused != 3 || res.PermRefusals != 3 || res.RcptPermRefused != 0 {
		t.Errorf("refused %d messages, %d 5xx refusals, %d recipients; want 3, 3 (MAIL's) and 0", res.Refused, res.PermRefusals, res.RcptPermRefused)
	}
	// The counts line up under each other, the longest key included.
	col := -1
	for _, line := range strings.Split(strings.TrimSpace(table), "\n") {
		if !strings.HasPrefix(line, "  ") || !strings.Contains(line, ": ") || strings.HasPrefix(line, "  (pipelined)") {
			continue
		}
		i := strings.LastIndex(line, " ") + 1
		if col >= 0 && i != col {
			t.Errorf("counts not aligned:\n%s", table)
			break
		}
		col = i
	}
}

// runTable runs cfg and returns the result with its table as text.
func runTable(t *testing.T, cfg Config) (*Result, string) {
	t.Helper()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	res.Table(&table)
	return res, table.String()
}
