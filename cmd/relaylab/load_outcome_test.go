package main

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// byAddress serves every connection to a loopback port with smtptest's
// scripted conversation: a recipient starting "2" or "temp" gets 450
// 4.2.1, one starting "3" or "reject" 550 5.1.1, the rest what a server
// that takes the message answers.
func byAddress(t *testing.T) string {
	t.Helper()
	return smtptest.Listen(t, func(c net.Conn) {
		smtptest.Converse(c, "220 scripted", func(cmd string) string {
			switch {
			case strings.HasPrefix(cmd, "EHLO"):
				return "250-scripted\r\n250 PIPELINING"
			case strings.HasPrefix(cmd, "RCPT TO:<temp"), strings.HasPrefix(cmd, "RCPT TO:<2"):
				return "450 4.2.1 mailbox busy"
			case strings.HasPrefix(cmd, "RCPT TO:<reject"), strings.HasPrefix(cmd, "RCPT TO:<3"):
				return "550 5.1.1 no such user"
			case cmd == "DATA":
				return "354 go on"
			}
			return "250 ok"
		})
	})
}

// TestLoadCountsRefusedRecipients: messages accepted for some of their
// recipients are said so, the recipients are counted by class, and the
// exit status is 5 for a 5xx among them, 4 for 4xx only, instead of 0 and
// "4 accepted".
func TestLoadCountsRefusedRecipients(t *testing.T) {
	t.Parallel()
	target := byAddress(t)
	for _, tc := range []struct {
		name, to, rcpts string
		code            int
		stdout          []string
		stderr          string
	}{
		{"all taken", "u{r}.{n}@load.test", "3", 0, []string{"4 accepted, 0 refused", "recipients at RCPT: 12 accepted, 0 refused temporarily (4xx), 0 refused permanently (5xx)"}, ""},
		{"4xx for some", "{r}.{n}@load.test", "2", 4, []string{"4 accepted (4 of them for only some of their recipients), 0 refused",
			"recipients at RCPT: 4 accepted, 4 refused temporarily (4xx), 0 refused permanently (5xx)", "rcpt 450 4.2.1 (4 times): server temporarily refused the recipient at RCPT TO: 450 4.2.1 mailbox busy", "category "},
			"4 accepted for only some of their recipients; the server refused with temporary (4xx) replies only"},
		{"5xx for some", "{r}.{n}@load.test", "3", 5, []string{"recipients at RCPT: 4 accepted, 4 refused temporarily (4xx), 4 refused permanently (5xx)", "category invalid-recipient"},
			"the server refused with permanent (5xx) replies (4) and temporary (4xx) ones (4)"},
		{"4xx for all", "temp{r}.{n}@load.test", "2", 4, []string{"0 accepted, 4 refused"}, "4 of 4 messages tried were not accepted"},
	} {
		code, out, errOut := runIn(t, context.Background(), "load", "--target", target, "--messages", "4", "--sessions", "1", "--rcpts", tc.rcpts, "--to", tc.to, "--quiet")
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d\n%s%s", tc.name, code, tc.code, out, errOut)
		}
		for _, s := range tc.stdout {
			if !strings.Contains(out, s) {
				t.Errorf("%s: stdout lacks %q:\n%s", tc.name, s, out)
			}
		}
		if !strings.Contains(errOut, tc.stderr) {
			t.Errorf("%s: stderr %q lacks %q", tc.name, errOut, tc.stderr)
		}
	}
}

// TestLoadInterrupted: Ctrl-C ends the run with its summary, which says it
// was interrupted and counts the messages in flight apart, and exit 130,
// instead of exit 1 and the messages counted as tried with nothing to say
// what became of them.
func TestLoadInterrupted(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept() // and never greet
			if err != nil {
				return
			}
			if held = append(held, c); len(held) == 2 {
				cancel()
			}
		}
	}()
	code, out, errOut := runIn(t, ctx, "load", "--target", l.Addr().String(), "--messages", "100", "--sessions", "2", "--timeout", "1h", "--quiet")
	if code != exitInterrupted || !strings.Contains(out, "interrupted after") || !strings.Contains(out, "2 messages in flight cancelled before their final dot was sent (not counted as tried)") ||
		!strings.Contains(out, "tried 0 messages") || !strings.Contains(errOut, "the run was interrupted") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// TestLoadGivesUpOnRefusedAuth: a server that refuses every AUTH ends the
// run after a few sessions, and the summary says what the refusal means
// (reply, enhanced code, category, what to do), instead of failing every
// message the same way.
func TestLoadGivesUpOnRefusedAuth(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{Users: map[string]string{"u": "p"}})
	code, out, errOut := runIn(t, context.Background(), "load", "--target", srv.Addr, "--messages", "5000", "--sessions", "2",
		"--auth-user", "u", "--auth-pass", "wrong", "--quiet")
	for _, want := range []string{"stopped early (--give-up): the last 10 sessions with " + srv.Addr + " all failed before a message could be sent, at auth",
		"last failure: server rejected the authentication (AUTH): 535 5.7.8", "category "} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if code != exitPermFail || strings.Contains(out, "tried 5000") {
		t.Errorf("exit %d (want 5)\n%s%s", code, out, errOut)
	}
}

// TestLoadSingularAndJSON: one session is "1 session"; --json prints one
// JSON object with the counts, the recipients, the latencies and the exit
// status, and nothing else on stdout.
func TestLoadSingularAndJSON(t *testing.T) {
	t.Parallel()
	target := byAddress(t)
	code, out, _ := runIn(t, context.Background(), "load", "--target", target, "--messages", "1", "--quiet")
	if code != 0 || !strings.Contains(out, "tried 1 message on "+target+" over 1 session in ") {
		t.Errorf("exit %d\n%s", code, out)
	}
	code, out, errOut := runIn(t, context.Background(), "load", "--target", target, "--messages", "3", "--sessions", "1",
		"--rcpts", "2", "--to", "reject{r}.{n}@load.test", "--json", "--quiet")
	var j loadJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("stdout is no JSON object: %v\n%s\nstderr:\n%s", err, out, errOut)
	}
	if code != 5 || j.ExitCode != 5 || j.Attempted != 3 || j.Refused != 3 || j.Recipients.PermRefused != 6 || j.Replies["rcpt 550 5.1.1"] != 6 ||
		j.Ended != "all" || j.Latency.Transaction.N != 3 {
		t.Errorf("exit %d, JSON %+v", code, j)
	}
}

// TestLoadDurationAndRate: --duration without --messages sends until the
// time is up and ends with a clean summary; --rate takes N, N/s, N/m or
// N/h and refuses anything else by name.
func TestLoadDurationAndRate(t *testing.T) {
	t.Parallel()
	target := byAddress(t)
	code, out, errOut := runIn(t, context.Background(), "load", "--target", target, "--duration", "300ms", "--sessions", "2", "--rate", "50/s", "--quiet")
	if code != 0 || !strings.Contains(out, "load: messages for 300ms to") || !strings.Contains(out, "ran for --duration 300ms") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, bad := range []string{"0", "-3", "fast", "10/d", "/m", "0/h"} {
		code, _, errOut := runIn(t, context.Background(), "load", "--target", target, "--rate", bad)
		if code != 2 || !strings.Contains(errOut, "--rate") {
			t.Errorf("--rate %s: exit %d, stderr %q", bad, code, errOut)
		}
	}
	if code, _, errOut := runIn(t, context.Background(), "load", "--duration", "-1s"); code != 2 || !strings.Contains(errOut, "--duration") {
		t.Errorf("--duration -1s: exit %d, stderr %q", code, errOut)
	}
}
