package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// dropThenDelivered is the log of a drop after the final dot (no reply
// to the dot) and the retry that delivered: two copies of one
// Message-ID at the receiving side.
func dropThenDelivered(t *testing.T) *Data {
	t.Helper()
	b := &logOf{t: t}
	lost := rep("dot", 0, "", "reading the reply: EOF")
	b.add(0, events.RelayQueued, "m1", "a@x.test", map[string]any{"message_id": "abc@shop.test"})
	b.add(0, events.RelayAttempt, "m1", "a@x.test", map[string]any{"attempt": 1, "host": "127.0.0.1", "reply": lost})
	b.add(0, events.RelayDeferred, "m1", "a@x.test", map[string]any{"category": "connection-lost-after-data", "reason": "the connection was lost after the final dot", "reply": lost})
	b.add(2, events.RelayAttempt, "m1", "a@x.test", map[string]any{"attempt": 2, "host": "127.0.0.1", "reply": rep("dot", 250, "2.0.0", "ok")})
	b.add(2, events.RelayDelivered, "m1", "a@x.test", nil)
	d := b.load()
	return d
}

// TestWC26DuplicateDeliveryShown: a recipient delivered twice (a drop
// after the final dot, then the retry) is told as a duplicate in every
// format a person reads: how many copies, which attempts left them, the
// Message-ID they share, why it happened and what to do. Before, only
// the JSON's "copies": 2 said so; the text's reason said a retry "can
// create a duplicate", the Markdown did not list the recipient at all,
// and the HTML and JUnit showed a plain delivery.
func TestWC26DuplicateDeliveryShown(t *testing.T) {
	t.Parallel()
	d := dropThenDelivered(t)
	var text, md, html, junit bytes.Buffer
	for _, w := range []struct {
		b *bytes.Buffer
		f func() error
	}{
		{&text, func() error { return WriteText(&text, d) }},
		{&md, func() error { return WriteMarkdown(&md, d) }},
		{&html, func() error { return WriteHTML(&html, d) }},
		{&junit, func() error { return WriteJUnit(&junit, "s", d) }},
	} {
		if err := w.f(); err != nil {
			t.Fatal(err)
		}
	}
	// No sink of the store said it dropped the connection on purpose:
	// the first copy is only likely.
	want := "the receiving side holds, or may hold, 2 copies of this message (Message-ID <abc@shop.test>), left by attempts 1 and 2: a duplicate"
	for name, got := range map[string]string{"text": text.String(), "markdown": md.String(), "html": html.String(), "junit": junit.String()} {
		got = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#39;", "'", "&#xA;", "\n").Replace(got)
		for _, w := range []string{want, "no reply came", "sent it again", "RFC 5321 6.1", "data_timeout"} {
			if !strings.Contains(got, w) {
				t.Errorf("%s lacks %q:\n%s", name, w, got)
			}
		}
	}
	if !strings.Contains(md.String(), "### Delivered more than once") {
		t.Errorf("the Markdown has no table of recipients delivered more than once:\n%s", md.String())
	}
}

// TestWC26NoDuplicateNoNote: a recipient delivered once has no note of
// copies, and one that expired after drops after the dot is told that
// the receiving side may hold the message all the same; a copy the
// sink says it dropped on purpose, after storing it, is certain.
func TestWC26NoDuplicateNoNote(t *testing.T) {
	t.Parallel()
	one := &Recipient{Address: "a@x.test", Status: "delivered", Attempts: []Attempt{{Try: 1, Stage: "dot", Code: 250}}}
	if n, _ := one.copiesNote(); n != "" {
		t.Errorf("one copy: note %q, want none", n)
	}
	// The sink of the same store dropped after the dot on purpose, having
	// stored the message: that copy is certain.
	sure := &Recipient{Address: "a@x.test", Status: "delivered", Attempts: []Attempt{{Try: 1, Stage: "dot", Error: "dot: EOF", By: "directive dotdropx1"}, {Try: 2, Stage: "dot", Code: 250}}}
	if n, _ := sure.copiesNote(); !strings.HasPrefix(n, "the receiving side holds 2 copies of this message, left by attempts 1 and 2: a duplicate") {
		t.Errorf("a drop by the sink, then a 250: note %q", n)
	}
	lost := &Recipient{Address: "a@x.test", Status: "expired", Attempts: []Attempt{{Try: 1, Stage: "dot", Error: "dot: EOF"}, {Try: 2, Stage: "dot", Error: "dot: EOF"}}}
	n, _ := lost.copiesNote()
	if !strings.Contains(n, "may hold 2 copies of this message") || !strings.Contains(n, "although the relay reports it expired") {
		t.Errorf("expired after two drops after the dot: note %q", n)
	}
}

// TestWC26SinkStoredWithoutReply: the summary's count of the sink's
// messages says how many it stored with no reply to their final dot (a
// drop or hang after the dot), which their senders may send again.
// Before, "1 accepted of 2 received" read as if the sink had kept one
// copy, where it kept two.
func TestWC26SinkStoredWithoutReply(t *testing.T) {
	t.Parallel()
	b := &logOf{t: t}
	b.add(0, events.SinkMessage, "abc@shop.test", "", map[string]any{"id": 1, "code": 0})
	b.add(2, events.SinkMessage, "abc@shop.test", "", map[string]any{"id": 2, "code": 250})
	d := b.load()
	want := "accepted of 2 received; 1 of them stored with no reply to its final dot"
	var text, md, html bytes.Buffer
	if err := WriteText(&text, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&html, d); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]string{"text": text.String(), "markdown": md.String(), "html": html.String()} {
		if !strings.Contains(got, want) || !strings.Contains(got, "may send it again") {
			t.Errorf("%s lacks %q:\n%s", name, want, got)
		}
	}
}
