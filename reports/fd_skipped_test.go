package reports

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestFailoverTimelineSaysWhy: a try that passed over a resting primary
// before the backup took the message shows the primary in its timeline,
// as a hold of that path with the reason the relay gave (its rest's end,
// the failures and the reply that rested it), before the backup's line;
// the text report shows that recipient's timeline although it was
// delivered at its first host. Before, the timeline showed the backup
// alone, and the text report left it out. A skip with no attempt after it
// (on the deferral: the backup resting too) is a hold of its own.
func TestFailoverTimelineSaysWhy(t *testing.T) {
	t.Parallel()
	const why = "path primary not tried: its destination path:primary rests until 2026-05-01T09:05:00Z after 1 failure: 421 4.3.2 System not accepting network messages"
	skipped := []map[string]any{{"path": "primary", "text": why, "until": "2026-05-01T09:05:00Z", "category": "destination-backoff"}}
	var l fakeLog
	add := func(min int, kind, msg, rcpt string, p map[string]any) {
		l = append(l, events.Event{ID: int64(len(l) + 1), Time: t0.Add(time.Duration(min) * time.Minute), Kind: kind, Message: msg, Recipient: rcpt}.WithPayload(p))
	}
	add(1, events.RelayQueued, "m2", "c2@x.test", map[string]any{})
	add(1, events.RelayAttempt, "m2", "c2@x.test", map[string]any{"attempt": 1, "path": "backup", "host": "127.0.0.1",
		"reply": map[string]any{"stage": "dot", "code": 250, "enhanced": "2.0.0", "text": "Message accepted as 2"}, "skipped": skipped})
	add(1, events.RelayDelivered, "m2", "c2@x.test", map[string]any{"attempts": 1})
	add(2, events.RelayQueued, "m3", "c3@x.test", map[string]any{})
	add(2, events.RelayDeferred, "m3", "c3@x.test", map[string]any{"attempts": 0, "category": "destination-backoff", "next_attempt": "2026-05-01T09:06:00Z",
		"reply": map[string]any{"stage": "shaping", "text": "not tried: destination path:backup rests until 2026-05-01T09:06:00Z after 421 4.3.2 closing"}, "skipped": skipped})
	d, err := Load(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	var tl bytes.Buffer
	WriteTimeline(&tl, d.Recipients[0])
	lines := strings.Split(strings.TrimRight(tl.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "held") || !strings.Contains(lines[0], "primary") || !strings.Contains(lines[0], why) ||
		!strings.Contains(lines[0], "(destination-backoff)  (went on to path backup)") || !strings.Contains(lines[1], "#1") || !strings.Contains(lines[1], "backup") {
		t.Errorf("timeline:\n%s\nwant the skipped primary, with why, before the backup's line", tl.String())
	}
	var text bytes.Buffer
	if err := WriteText(&text, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "c2@x.test (message m2): delivered\n") || !strings.Contains(text.String(), why) {
		t.Errorf("the text report leaves out the failover's timeline:\n%s", text.String())
	}
	c3 := d.Recipients[1]
	if len(c3.Holds) != 2 || c3.Holds[0].Path != "primary" || c3.Holds[0].Text != why || c3.Holds[1].Path != "" && !strings.Contains(c3.Holds[1].Text, "path:backup") {
		t.Errorf("holds %+v, want the skipped primary, then the backup's hold", c3.Holds)
	}
	tl.Reset()
	WriteTimeline(&tl, c3)
	if !strings.Contains(tl.String(), why) {
		t.Errorf("deferred recipient's timeline:\n%s\nwant the skipped primary", tl.String())
	}
}
