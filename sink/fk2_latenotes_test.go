package sink

import (
	"fmt"
	"strings"
	"testing"
)

// floodRefused sends n RCPTs refused by a directive, then last (if any),
// reading the replies as they come, until the sink closes; the session's
// transcript once recorded.
func floodRefused(t *testing.T, edit func(*Config), n int, last string) string {
	t.Helper()
	_, st, addr := itSink(t, edit)
	c := hsDial(t, addr)
	go func() {
		var b strings.Builder
		b.WriteString("EHLO flood.test\r\nMAIL FROM:<a@flood.test>\r\n")
		for i := range n {
			fmt.Fprintf(&b, "RCPT TO:<r%d+rcpt550@lab.test>\r\n", i)
		}
		b.WriteString(last)
		c.nc.Write([]byte(b.String())) // ends early when the sink closes
	}()
	for {
		if _, _, err := c.reply(); err != nil {
			break
		}
	}
	waitSessions(t, st, 1)
	_, tr := lastSession(t, st)
	if !strings.Contains(tr, "[transcript truncated here") {
		t.Fatalf("the transcript (%d octets) was not truncated: the test sends too little", len(tr))
	}
	return tr
}

// checkLate fails unless the transcript after its truncation has no
// routine "reply by" note and has want, and stays within its bounds.
func checkLate(t *testing.T, tr string, want ...string) {
	t.Helper()
	_, late, _ := strings.Cut(tr, "[transcript truncated here; the session went on]\n")
	if strings.Contains(late, "reply by directive") {
		t.Errorf("after the truncation, routine notes:\n%.300s", late)
	}
	for _, w := range want {
		if !strings.Contains(late, w) {
			t.Errorf("after the truncation, no %q in:\n...%s", w, late[max(0, len(late)-600):])
		}
	}
	if len(tr) > maxTranscript+maxLateNotes+2048 {
		t.Errorf("transcript of %d octets, over its bounds", len(tr))
	}
}

// After a transcript is truncated, the reply that ends the session (the
// 221 to QUIT; the 421 past a limit, with what chose it) is still
// recorded: the "reply by" notes of the replies before it, routine, do
// not use up the room kept for it.
func TestTruncatedTranscriptKeepsTheEnd(t *testing.T) {
	t.Parallel()
	t.Run("quit", func(t *testing.T) {
		t.Parallel()
		tr := floodRefused(t, func(c *Config) { c.Listeners[0].Limits.MaxRefusedRecipients = 0 }, 2200, "QUIT\r\n")
		checkLate(t, tr, "S 221 ")
	})
	t.Run("limit", func(t *testing.T) {
		t.Parallel()
		tr := floodRefused(t, func(c *Config) { c.Listeners[0].Limits.MaxRefusedRecipients = 2100 }, 2200, "")
		checkLate(t, tr, "S 421 4.7.0 Too many refused recipients")
	})
}
