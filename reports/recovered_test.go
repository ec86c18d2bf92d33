package reports

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestTextSaysSentAgainAfterAStop: a recipient the relay found in flight
// after an unclean stop and sent again (relay.recovered) is listed with a
// note that it may hold the message twice, though delivered at the next
// first try (walk M: after kill -9, 63 duplicates and nothing per message
// said why); the JSON has when.
func TestTextSaysSentAgainAfterAStop(t *testing.T) {
	t.Parallel()
	var l fakeLog
	add := func(min int, kind string, p map[string]any) {
		e := events.Event{ID: int64(len(l) + 1), Time: t0.Add(time.Duration(min) * time.Minute), Kind: kind, Message: "m1", Recipient: "twice@x.test"}
		if p != nil {
			e = e.WithPayload(p)
		}
		l = append(l, e)
	}
	add(0, events.RelayQueued, nil)
	add(3, events.RelayRecovered, map[string]any{"attempts": 0, "reason": "in flight when the relay last stopped"})
	add(3, events.RelayAttempt, map[string]any{"attempt": 1, "path": "p", "host": "127.0.0.1:2525",
		"reply": map[string]any{"stage": "dot", "code": 250, "enhanced": "2.0.0", "text": "ok"}})
	add(3, events.RelayDelivered, nil)
	d, err := Load(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteText(&b, d); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, "twice@x.test (message m1): delivered\n  sent again after a stop: at ") || !strings.Contains(out, "may have it twice") {
		t.Errorf("text report:\n%s", out)
	}
	if r := d.Recipients[0]; len(r.Recovered) != 1 || !r.Recovered[0].Equal(t0.Add(3*time.Minute)) {
		t.Errorf("Recovered %v, want the one stop", r.Recovered)
	}
}
