package reports

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestHandHoldInTimeline: a hold by hand (relaylab queue hold) and its
// release are held lines in the recipient's timeline, saying who and the
// note, and a recipient still held reads held. Before, both events fell
// through, and a held recipient read as deferred with no word of why
// nothing was tried.
func TestHandHoldInTimeline(t *testing.T) {
	t.Parallel()
	var l fakeLog
	add := func(min int, kind, msg, rcpt string, p map[string]any) {
		l = append(l, events.Event{ID: int64(len(l) + 1), Time: t0.Add(time.Duration(min) * time.Minute), Kind: kind, Message: msg, Recipient: rcpt}.WithPayload(p))
	}
	add(0, events.RelayQueued, "m1", "a@x.test", map[string]any{})
	add(1, events.RelayHeld, "m1", "a@x.test", map[string]any{"by": "ops", "note": "wait for DNS"})
	add(5, events.RelayReleased, "m1", "a@x.test", map[string]any{"by": "ops2"})
	add(5, events.RelayAttempt, "m1", "a@x.test", map[string]any{"attempt": 1, "path": "p", "host": "127.0.0.1",
		"reply": map[string]any{"stage": "dot", "code": 250, "enhanced": "2.0.0", "text": "ok"}})
	add(5, events.RelayDelivered, "m1", "a@x.test", map[string]any{"attempts": 1})
	add(6, events.RelayQueued, "m2", "b@x.test", map[string]any{})
	add(7, events.RelayHeld, "m2", "b@x.test", map[string]any{"by": "ops"})
	d, err := Load(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	a, b := d.Recipients[0], d.Recipients[1]
	if a.Status != "delivered" || b.Status != "held" {
		t.Errorf("status %s and %s, want delivered and held", a.Status, b.Status)
	}
	var tl bytes.Buffer
	WriteTimeline(&tl, a)
	// The hold and its release are two lines, not folded into the last:
	// who held it and the note stay.
	for _, want := range []string{"held", "(by hand)", "held by ops: not tried", "note: wait for DNS", "released", "released from its hold by ops2", "#1"} {
		if !strings.Contains(tl.String(), want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl.String())
		}
	}
	if strings.Contains(tl.String(), "shaping") || strings.Contains(tl.String(), "times from") {
		t.Errorf("a hold by hand read as the relay's shaping, or folded:\n%s", tl.String())
	}
	reason, advice := b.why()
	if !strings.HasPrefix(reason, "held by hand (relaylab queue hold) since") || !strings.Contains(advice, "relaylab queue release m2") || strings.Contains(reason+advice, "shaping") {
		t.Errorf("why %q, advice %q; want the hand hold and how to release it", reason, advice)
	}
}
