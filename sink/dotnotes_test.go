package sink

import (
	"context"
	"strings"
	"testing"
)

// TestDotReplyNotesPerRecipient: one message to four recipients each with
// a mistyped directive. The reply after the final dot, which a client (a
// relay) records for every recipient, names each recipient whose note it
// leaves to the transcript, where it said "and 3 more" and so showed, on
// defer2x's record, only greylist5min's note; each recipient's own attempt
// carries its own note alone; and the piece is quoted as written
// ("rcpt55O", where "rcpt55o" hid the letter O typed for a zero).
func TestDotReplyNotesPerRecipient(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	rcpts := []string{"greylist5min+x@example.test", "defer2x+y@example.test", "rcpt55O+z@example.test", "dfer2+w@example.test"}
	c.expect(250, "", "MAIL FROM:<a@shop.test>")
	for _, r := range rcpts {
		c.expect(250, "is not a directive", "RCPT TO:<%s>", r)
	}
	c.expect(354, "", "DATA")
	code, msg := c.body(testMsg)
	if code != 250 || len("250 ")+len(msg)+2 > 512 {
		t.Fatalf("after the dot: %d %q (%d octets)", code, msg, len(msg)+6)
	}
	if !strings.Contains(msg, `"greylist5min" in <greylist5min+x@example.test> is not a directive`) ||
		!strings.HasSuffix(msg, "; and 3 more in the transcript, on <defer2x+y@example.test>, <rcpt55O+z@example.test>, <dfer2+w@example.test>") {
		t.Errorf("after the dot: %q; want the first note, then the recipients of the other three named", msg)
	}
	c.cmd("QUIT")
	waitSessions(t, st, 1)
	all, err := AllAttempts(context.Background(), st.DB())
	if err != nil {
		t.Fatal(err)
	}
	own := map[string]string{
		"greylist5min+x@example.test": `"greylist5min" is not a directive`,
		"defer2x+y@example.test":      `"defer2x" is not a directive`,
		"rcpt55O+z@example.test":      `"rcpt55O" is not a directive: did you mean rcpt550?`,
		"dfer2+w@example.test":        `"dfer2" is not a directive`,
	}
	seen := 0
	for _, a := range all {
		want, ok := own[a.Recipient]
		if !ok || a.Stage != StageDataEnd {
			continue
		}
		seen++
		if !strings.Contains(a.Reply.Text, want) || strings.Count(a.Reply.Text, "is not a directive") != 1 || strings.Contains(a.Reply.Text, "more in the transcript") {
			t.Errorf("attempt of %s: %q; want its own note alone (%q)", a.Recipient, a.Reply.Text, want)
		}
	}
	if seen != len(own) {
		t.Errorf("%d data-end attempts of the four recipients, want 4: %+v", seen, all)
	}
}

// TestNotesOnStaysWithin512: recipients named after "and N more" stop
// where the line would pass 512 octets.
func TestNotesOnStaysWithin512(t *testing.T) {
	t.Parallel()
	var notes []replyNote
	for i := 0; i < 40; i++ {
		on := strings.Repeat("r", 60) + string(rune('a'+i%26)) + "@example.test"
		notes = append(notes, replyNote{text: strings.Repeat("n", 150), on: on})
	}
	out := string(withNotes([]byte("250 2.0.0 Message accepted as 1\r\n"), notes))
	if len(out) > 512 || !strings.HasSuffix(out, ", ...\r\n") || !strings.Contains(out, "more in the transcript, on <") {
		t.Errorf("%d octets: %q", len(out), out)
	}
	// No room for one name: none, and no "...".
	notes[1].text = strings.Repeat("n", 280)
	out = string(withNotes([]byte("250 2.0.0 Message accepted as 1\r\n"), notes))
	if len(out) > 512 || !strings.HasSuffix(out, "more in the transcript\r\n") {
		t.Errorf("%d octets: %q", len(out), out)
	}
}
