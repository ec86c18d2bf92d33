package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestHeldBeforeDeliveryIsNotDeferred: a recipient the relay only held
// back (its destination resting) before a server took it at the first
// try is marked "held before delivery", not "deferred before delivery",
// which read as a server that had asked it to wait; one a server did
// defer keeps "deferred before delivery".
func TestHeldBeforeDeliveryIsNotDeferred(t *testing.T) {
	t.Parallel()
	b := &logOf{t: t}
	until := t0.Add(5 * time.Minute)
	rest := map[string]any{"category": "destination-backoff", "next_attempt": until,
		"reason": "nothing was sent to this recipient; its destination rests",
		"reply":  rep("shaping", 0, "", "not tried: destination path:sink:rest.test rests until "+until.Format(time.RFC3339)+" after 421 4.7.0 later")}
	greylisted := map[string]any{"category": "greylisted", "reason": "greylisted", "next_attempt": t0.Add(time.Minute), "reply": rep("rcpt", 451, "4.7.1", "greylisted")}
	ok := map[string]any{"attempt": 1, "host": "127.0.0.1", "reply": rep("dot", 250, "2.0.0", "ok")}
	b.add(0, events.RelayQueued, "m1", "held@rest.test", nil)
	b.add(1, events.RelayDeferred, "m1", "held@rest.test", rest)
	b.add(400, events.RelayAttempt, "m1", "held@rest.test", ok)
	b.add(400, events.RelayDelivered, "m1", "held@rest.test", nil)
	b.add(0, events.RelayQueued, "m2", "grey@rest.test", nil)
	b.add(0, events.RelayAttempt, "m2", "grey@rest.test", map[string]any{"attempt": 1, "host": "127.0.0.1", "reply": rep("rcpt", 451, "4.7.1", "greylisted")})
	b.add(0, events.RelayDeferred, "m2", "grey@rest.test", greylisted)
	b.add(70, events.RelayAttempt, "m2", "grey@rest.test", map[string]any{"attempt": 2, "host": "127.0.0.1", "reply": rep("dot", 250, "2.0.0", "ok")})
	b.add(70, events.RelayDelivered, "m2", "grey@rest.test", nil)
	d := b.load()
	var text, html, csv bytes.Buffer
	if err := WriteText(&text, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&html, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&csv, d); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"text, held", text.String(), "held@rest.test (message m1): delivered\n  held before delivery: destination-backoff"},
		{"text, greylisted", text.String(), "grey@rest.test (message m2): delivered\n  deferred before delivery: greylisted"},
		{"html", html.String(), "<small>held before delivery: destination-backoff"},
		{"csv", csv.String(), ",held before delivery: the relay's own shaping held it back"},
	} {
		if !strings.Contains(c.got, c.want) {
			t.Errorf("%s lacks %q:\n%s", c.name, c.want, c.got)
		}
	}
	if strings.Contains(text.String(), "held@rest.test (message m1): delivered\n  deferred") {
		t.Errorf("a recipient only held reads as deferred:\n%s", text.String())
	}
}
