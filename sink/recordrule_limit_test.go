package sink

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// A recipient over limits.max_recipients is refused by the sink's Rcpt,
// not by go-smtp before it: its 452 4.5.3 is an attempt in sink_attempts
// (what relaylab expect judges) and a sink.reply event about it, and the
// recipients taken before it still get the message.
func TestMaxRecipientsRecordsAttempt(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) { c.Listeners[0].Limits.MaxRecipients = 2 })
	c := dial(t, addrOf(t, s, "mx"))
	if code, msg := c.read(); code != 220 {
		t.Fatalf("greeting: %d %q", code, msg)
	}
	// RFC 9422: the limit is still advertised, now that go-smtp does not
	// know it.
	if _, err := c.tp.Cmd("EHLO client.test"); err != nil {
		t.Fatal(err)
	}
	if _, ehlo, err := c.tp.ReadResponse(250); err != nil || !strings.Contains(ehlo, "LIMITS RCPTMAX=2") {
		t.Fatalf("EHLO: %v %q, want LIMITS RCPTMAX=2", err, ehlo)
	}
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<b@sink.test>")
	c.expect(250, "", "RCPT TO:<c@sink.test>")
	code, text := c.cmd("RCPT TO:<d@sink.test>")
	if code != 452 || !strings.HasPrefix(text, "4.5.3 ") || !strings.Contains(text, "2") {
		t.Fatalf("third RCPT: got %d %q, want 452 4.5.3 naming the limit of 2", code, text)
	}
	c.expect(354, "", "DATA")
	if code, msg := c.body(testMsg); code != 250 {
		t.Fatalf("message: got %d %q, want 250", code, msg)
	}
	// The limit is per message: the next transaction starts afresh.
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<d@sink.test>")
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)

	atts, err := Attempts(context.Background(), st.DB(), "d@sink.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(atts) != 2 {
		t.Fatalf("attempts for d@sink.test: %+v, want the refusal and the later acceptance", atts)
	}
	if a := atts[0]; a.Stage != StageRcpt || a.Number != 1 || a.Reply.Code != 452 || a.Reply.Enhanced != "4.5.3" || a.Reply.Text != text[len("4.5.3 "):] {
		t.Errorf("refused attempt: %+v, want stage rcpt, number 1, 452 4.5.3 %q", a, text)
	}
	if a := atts[1]; a.Number != 2 {
		t.Errorf("second attempt's number: %d, want 2 (the refusal counted as the first)", a.Number)
	}
	for _, rcpt := range []string{"b@sink.test", "c@sink.test"} {
		as, err := Attempts(context.Background(), st.DB(), rcpt)
		if err != nil || len(as) != 1 || as[0].Stage != StageDataEnd || as[0].Reply.Code != 250 || as[0].Message == 0 {
			t.Errorf("attempts for %s: %v %+v, want one accepted with the message", rcpt, err, as)
		}
	}
	evs, err := st.Events(context.Background(), events.Filter{Kinds: []string{events.SinkReply}})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Recipient != "d@sink.test" {
		t.Fatalf("sink.reply events: %+v, want one about d@sink.test", evs)
	}
	var p struct {
		Stage   string `json:"stage"`
		Code    int    `json:"code"`
		Attempt int    `json:"attempt"`
	}
	if err := json.Unmarshal(evs[0].Payload, &p); err != nil || p.Stage != "rcpt" || p.Code != 452 || p.Attempt != 1 {
		t.Errorf("sink.reply payload %s: want stage rcpt, code 452, attempt 1", evs[0].Payload)
	}
}

// hide: [LIMITS] keeps RCPTMAX out of the EHLO reply; the limit holds.
func TestMaxRecipientsHiddenLimits(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) {
		c.Listeners[0].Limits.MaxRecipients = 1
		c.Listeners[0].Hide = []string{"LIMITS"}
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.read()
	if _, err := c.tp.Cmd("EHLO client.test"); err != nil {
		t.Fatal(err)
	}
	if _, ehlo, err := c.tp.ReadResponse(250); err != nil || strings.Contains(ehlo, "LIMITS") {
		t.Fatalf("EHLO: %v %q, want no LIMITS", err, ehlo)
	}
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<b@sink.test>")
	c.expect(452, "4.5.3", "RCPT TO:<c@sink.test>")
}
