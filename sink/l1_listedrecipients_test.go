package sink

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestL1RefusalFoundByEachRecipient: a refusal of a transaction with
// several recipients accepted at RCPT, at DATA or after the final dot,
// is found by each of them, as each one's attempt ends there: the log's
// events for a recipient (Store.Events with Recipient, what ?recipient=
// and a recipient's page read) hold its sink.reply, and a message taken
// for several is in each one's events too. Before, the sink.reply of a
// refusal of several named none in its recipient column, so no
// recipient's events held it.
func TestL1RefusalFoundByEachRecipient(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	// Refused at DATA, for both.
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<b@sink.test>")
	c.expect(250, "", "RCPT TO:<data554@sink.test>")
	c.expect(554, "5.7.1", "DATA")
	// Refused after the final dot, for both.
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<e@sink.test>")
	c.expect(250, "", "RCPT TO:<dot552@sink.test>")
	c.expect(354, "", "DATA")
	if code, msg := c.body(testMsg); code != 552 {
		t.Fatalf("after the final dot: got %d %q, want 552", code, msg)
	}
	// Taken, for both.
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<f@sink.test>")
	c.expect(250, "", "RCPT TO:<g@sink.test>")
	c.expect(354, "", "DATA")
	if code, msg := c.body(testMsg); code != 250 {
		t.Fatalf("a message to f and g: got %d %q, want 250", code, msg)
	}
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)

	ctx := context.Background()
	for _, w := range []struct {
		rcpt  string
		kind  string
		codes []int
		stage Stage
	}{
		{"b@sink.test", events.SinkReply, []int{554}, StageData},
		{"data554@sink.test", events.SinkReply, []int{554}, StageData},
		{"e@sink.test", events.SinkReply, []int{552}, StageDataEnd},
		{"dot552@sink.test", events.SinkReply, []int{552}, StageDataEnd},
		{"f@sink.test", events.SinkMessage, []int{250}, StageDataEnd},
		{"g@sink.test", events.SinkMessage, []int{250}, StageDataEnd},
	} {
		evs, err := st.Events(ctx, events.Filter{Kinds: []string{w.kind}, Recipient: w.rcpt})
		if err != nil {
			t.Fatal(err)
		}
		var codes []int
		for _, e := range evs {
			var p fs22Reply
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				t.Fatal(err)
			}
			codes = append(codes, p.Code)
		}
		if !slices.Equal(codes, w.codes) {
			t.Errorf("%s events for %s: codes %v, want %v: the reply to the transaction is about each of its recipients", w.kind, w.rcpt, codes, w.codes)
		}
		// Each one's attempt, as before: one row per recipient.
		atts, err := Attempts(ctx, st.DB(), w.rcpt)
		if err != nil {
			t.Fatal(err)
		}
		if len(atts) != 1 || atts[0].Stage != w.stage || atts[0].Reply.Code != w.codes[0] {
			t.Errorf("attempts for %s: %+v, want one ending at %s with %d", w.rcpt, atts, w.stage, w.codes[0])
		}
	}
}
