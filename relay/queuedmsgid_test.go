package relay

import (
	"context"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestQueuedNamesMessageID: relay.queued carries the message's
// Message-ID without its brackets, the one the relay added when the
// message had none, so that a report ties the relay's attempts to the
// sink's checks of the message (reports.AddSinkAuth).
func TestQueuedNamesMessageID(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testConfig("127.0.0.1:1"), Options{})
	enqueue := func(data string) string {
		id, err := h.r.Enqueue(context.Background(), Submission{From: "a@s.test", Data: []byte(data), Recipients: []Recipient{{Address: "b@r.test"}}})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	with := enqueue("Message-ID: <abc.1@shop.test>\r\nSubject: x\r\n\r\ny\r\n")
	without := enqueue("Subject: x\r\n\r\ny\r\n")
	for id, want := range map[string]string{with: "abc.1@shop.test", without: without + "@"} {
		p := payload(t, h.events(events.Filter{Message: id, Kinds: []string{events.RelayQueued}})[0])
		got, _ := p["message_id"].(string)
		if got != want && !(strings.HasSuffix(want, "@") && strings.HasPrefix(got, want)) {
			t.Errorf("message %s: message_id %q, want %q", id, got, want)
		}
	}
}
