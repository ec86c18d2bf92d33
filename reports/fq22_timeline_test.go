package reports

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestFQ22TimelineReleasedAligned: a released line's path, host and
// reply columns sit where the held line's and the attempts' do.
func TestFQ22TimelineReleasedAligned(t *testing.T) {
	t.Parallel()
	var l fakeLog
	add := func(sec int, kind string, p map[string]any) {
		l = append(l, events.Event{ID: int64(len(l) + 1), Time: t0.Add(time.Duration(sec) * time.Second), Kind: kind, Message: "m1", Recipient: "a@x.test"}.WithPayload(p))
	}
	add(0, events.RelayQueued, map[string]any{})
	add(6, events.RelayHeld, map[string]any{"by": "ops"})
	add(7, events.RelayReleased, map[string]any{"by": "ops"})
	add(8, events.RelayAttempt, map[string]any{"attempt": 1, "path": "p", "host": "127.0.0.1",
		"reply": map[string]any{"stage": "dot", "code": 250, "enhanced": "2.0.0", "text": "ok"}})
	add(8, events.RelayDelivered, map[string]any{"attempts": 1})
	d, err := Load(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	var tl bytes.Buffer
	WriteTimeline(&tl, d.Recipients[0])
	cols := map[string]int{}
	for _, line := range strings.Split(tl.String(), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		if at := strings.Index(line, "(by hand)"); at >= 0 {
			cols[f[0]] = at
		}
		if f[0] == "#1" {
			cols["#1"] = strings.Index(line, "127.0.0.1")
		}
	}
	if len(cols) != 3 || cols["held"] != cols["released"] || cols["held"] != cols["#1"] {
		t.Errorf("the host column of the held, released and #1 lines must line up, got columns %v (want three, all equal):\n%s", cols, tl.String())
	}
}
