package reports

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestFromSinkRecordEndsAtAcceptance: a recipient's record ends when the
// sink accepts the message for it; a later message to the same address
// from the same sender is a record of its own, so that an application
// that mails one user twice passes attempts: 1 (each message took one
// try), count counts the messages, and min_interval measures the gaps
// between the tries of one message, not between two messages.
func TestFromSinkRecordEndsAtAcceptance(t *testing.T) {
	t.Parallel()
	at := func(sec int, rcpt, stage string, code int, msg int64, id string) SinkMessageAttempt {
		return SinkMessageAttempt{Message: msg, MessageID: id, SinkAttempt: SinkAttempt{Time: t0.Add(time.Duration(sec) * time.Second), Listener: "mx",
			Client: "127.0.0.1:1", Sender: "app@s.test", Recipient: rcpt, Stage: stage, Code: code}}
	}
	d, err := FromSink(context.Background(), fakeMessageSink{
		// Two messages, one try each, 2 s apart.
		at(0, "twice@x.test", "data-end", 250, 1, "<a@s>"),
		at(2, "twice@x.test", "data-end", 250, 2, "<b@s>"),
		// A message deferred twice at RCPT, then accepted; then another,
		// deferred once.
		at(0, "retry@x.test", "rcpt", 451, 0, ""),
		at(60, "retry@x.test", "rcpt", 451, 0, ""),
		at(120, "retry@x.test", "data-end", 250, 3, "<c@s>"),
		at(121, "retry@x.test", "rcpt", 451, 0, ""),
		// A message dropped after the dot, and while it waits another
		// message is accepted; then the first's retry: its Message-ID
		// ties it to its first try, not to the other message.
		at(0, "drop@x.test", "data-end", 0, 4, "<d@s>"),
		at(1, "drop@x.test", "data-end", 250, 5, "<e@s>"),
		at(30, "drop@x.test", "data-end", 250, 6, "<d@s>"),
	})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		addr, msg, status string
		tries             int
	}
	var got []row
	for _, r := range d.Recipients {
		got = append(got, row{r.Address, r.Message, r.Status, len(r.Attempts)})
	}
	want := []row{
		{"drop@x.test", "6", "delivered", 2}, {"drop@x.test", "5", "delivered", 1},
		{"retry@x.test", "3", "delivered", 3}, {"retry@x.test", "", "deferred", 1},
		{"twice@x.test", "1", "delivered", 1}, {"twice@x.test", "2", "delivered", 1},
	}
	if len(got) != len(want) {
		t.Fatalf("records %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d: %v, want %v (all: %v)", i, got[i], want[i], got)
		}
	}
	x, err := decodeExp(t, `
recipients:
  - {match: "twice@x.test", status: delivered, attempts: 1, count: 2}
  - {match: "retry@x.test", status: delivered, count: 1}
  - {match: "retry@x.test", count: 2, min_interval: 30s}
  - {match: "drop@x.test", status: delivered, count: 2}
`)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Evaluate(d, x) {
		want := r.Name != "recipients[1] retry@x.test"
		if r.Pass != want {
			t.Errorf("%s: pass %v, want %v (%s)", r.Name, r.Pass, want, r.Message)
		}
		// The record still open is judged on its own: deferred, not
		// the status of the message delivered before it.
		if !want && !strings.Contains(r.Message, "found 2") {
			t.Errorf("%s: the failure does not count 2 records: %s", r.Name, r.Message)
		}
	}
}
