package main

import (
	"context"
	"strings"
	"sync"
	"testing"
)

// TestSendClientReasons: a refusal is explained in a client's terms: a
// 452 4.5.3 for the recipients over the server's limit says how many the
// message went to and to send the rest in another message, where it read
// "the relay finishes the transaction ... sends the refused ones" and
// "run send again later" (which would deliver twice to the accepted); a
// 535 at AUTH says the user name and password were refused, where it
// read "the upstream refused the path's own credentials".
func TestSendClientReasons(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	rcpts := 0
	addr, _ := scriptServer(t, "250-script.test\r\n250 AUTH PLAIN", func(cmd string) (string, bool) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case strings.HasPrefix(cmd, "AUTH"):
			return "535 5.7.8 Authentication credentials invalid", false
		case strings.HasPrefix(cmd, "MAIL"):
			rcpts = 0
		case strings.HasPrefix(cmd, "RCPT"):
			if rcpts++; rcpts > 2 {
				return "452 4.5.3 Too many recipients", false
			}
		}
		return okAnswer(cmd)
	})
	code, _, errOut := runIn(t, context.Background(), "send", "--server", addr, "--to", "a@y.test", "--to", "b@y.test", "--to", "c@y.test", "--to", "d@y.test")
	for _, want := range []string{"message accepted for 2 of 4 recipients",
		"category too-many-recipients: the server takes at most 2 recipients per message (RFC 5321 4.5.3.1.10); the first 2 were accepted and the message went to them",
		"what to do: send the rest in another message, to the refused recipients only"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("452 4.5.3: stderr lacks %q:\n%s", want, errOut)
		}
	}
	if code != exitTempFail || strings.Contains(errOut, "the relay") || strings.Contains(errOut, "run send again") {
		t.Errorf("452 4.5.3: exit %d (want 4), no relay terms:\n%s", code, errOut)
	}
	code, _, errOut = runIn(t, context.Background(), "send", "--server", addr, "--to", "a@y.test", "--auth-user", "alice", "--auth-pass", "wrong")
	if code != exitPermFail || !strings.Contains(errOut, "category credentials-refused: the server refused the user name and password") ||
		strings.Contains(errOut, "upstream") || strings.Contains(errOut, "path") {
		t.Errorf("535: exit %d (want 5):\n%s", code, errOut)
	}
}

// TestSendInterrupted: Ctrl-C while send waits for a reply ends it at
// once with exit 130 and says where; after the final dot, that the
// message's fate is unknown; it reported "i/o timeout ... raise
// --timeout" with exit 1 after waiting out --timeout.
func TestSendInterrupted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		at   string // the command the server never answers
		want []string
	}{
		{"MAIL", []string{"interrupted at MAIL", "nothing was delivered"}},
		{".", []string{"interrupted after the message's final dot", "the server may have delivered it", "before sending again"}},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		addr, _ := scriptServer(t, "250 script.test", func(cmd string) (string, bool) {
			if cmd == tc.at || strings.HasPrefix(cmd, tc.at+" ") {
				cancel()
				return "", false
			}
			return okAnswer(cmd)
		})
		code, _, errOut := runIn(t, ctx, "send", "--server", addr, "--to", "a@y.test", "--timeout", "1h")
		cancel()
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("silent at %s: stderr lacks %q:\n%s", tc.at, w, errOut)
			}
		}
		if code != exitInterrupted || strings.Contains(errOut, "--timeout") {
			t.Errorf("silent at %s: exit %d (want 130), no --timeout advice:\n%s", tc.at, code, errOut)
		}
	}
}
