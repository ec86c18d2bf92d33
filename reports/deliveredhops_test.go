package reports

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestTextShowsHopsOfDelivered: a recipient whose first path failed and
// whose backup took the message, in one try, shows both hops in the
// text report, as the JSON and the HTML list them, and as queue show
// does; a recipient delivered after a deferral shows its tries and the
// deferral; one delivered at once is counted in a note, not listed.
func TestTextShowsHopsOfDelivered(t *testing.T) {
	t.Parallel()
	var l fakeLog
	add := func(min int, kind, rcpt string, p map[string]any) {
		e := events.Event{ID: int64(len(l) + 1), Time: t0.Add(time.Duration(min) * time.Minute), Kind: kind, Message: "m1", Recipient: rcpt}
		if p != nil {
			e = e.WithPayload(p)
		}
		l = append(l, e)
	}
	add(0, events.RelayQueued, "fo@x.test", nil)
	add(0, events.RelayAttempt, "fo@x.test", map[string]any{"attempt": 1, "path": "primary", "host": "127.0.0.1:1",
		"reply": map[string]any{"stage": "connect", "code": 0, "text": "connection refused"}})
	add(0, events.RelayAttempt, "fo@x.test", map[string]any{"attempt": 1, "path": "backup", "host": "127.0.0.1:2525",
		"reply": map[string]any{"stage": "dot", "code": 250, "enhanced": "2.0.0", "text": "ok"}})
	add(0, events.RelayDelivered, "fo@x.test", map[string]any{"path": "backup"})
	add(0, events.RelayQueued, "grey@x.test", nil)
	add(0, events.RelayAttempt, "grey@x.test", map[string]any{"attempt": 1, "path": "backup", "host": "127.0.0.1:2525",
		"reply": map[string]any{"stage": "rcpt", "code": 451, "enhanced": "4.7.1", "text": "greylisted"}})
	add(0, events.RelayDeferred, "grey@x.test", map[string]any{"category": "greylisted", "reason": "the receiver greylists", "advice": "nothing"})
	add(5, events.RelayAttempt, "grey@x.test", map[string]any{"attempt": 2, "path": "backup", "host": "127.0.0.1:2525",
		"reply": map[string]any{"stage": "dot", "code": 250, "enhanced": "2.0.0", "text": "ok"}})
	add(5, events.RelayDelivered, "grey@x.test", nil)
	add(0, events.RelayQueued, "once@x.test", nil)
	add(0, events.RelayAttempt, "once@x.test", map[string]any{"attempt": 1, "path": "backup", "host": "127.0.0.1:2525",
		"reply": map[string]any{"stage": "dot", "code": 250, "enhanced": "2.0.0", "text": "ok"}})
	add(0, events.RelayDelivered, "once@x.test", nil)
	d, err := Load(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteText(&b, d); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"\nfo@x.test (message m1): delivered\n  #1  +0s         primary      127.0.0.1:1              connect: connection refused\n  #1  +0s         backup       127.0.0.1:2525           250 2.0.0 ok\n",
		"\ngrey@x.test (message m1): delivered\n  deferred before delivery: greylisted, the receiver greylists\n  #1  +0s",
		"  #2  +5m0s       backup       127.0.0.1:2525           250 2.0.0 ok\n",
		"\n1 recipient(s) delivered at the first host of the first try",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the text report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "once@x.test (message") {
		t.Errorf("a delivery at the first host is listed:\n%s", out)
	}
}
