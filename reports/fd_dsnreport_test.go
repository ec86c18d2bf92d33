package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// delayedLog is a recipient delivered with 250, then reported delayed by
// the receiving side ten minutes later: relayed on to the sender as
// message c1 (no VERP) when relayed, else passed on by the relay as its
// own DSN d1 (VERP). Each DSN to the sender is delivered.
func delayedLog(relayed bool) fakeLog {
	var l fakeLog
	add := func(min int, kind, msg, rcpt string, p map[string]any) {
		l = append(l, events.Event{ID: int64(len(l) + 1), Time: t0.Add(time.Duration(min) * time.Minute), Kind: kind, Message: msg, Recipient: rcpt}.WithPayload(p))
	}
	add(0, events.RelayQueued, "m1", "slow@x.test", map[string]any{})
	add(0, events.RelayAttempt, "m1", "slow@x.test", map[string]any{"attempt": 1, "path": "sink", "host": "127.0.0.1",
		"reply": map[string]any{"stage": "dot", "code": 250, "enhanced": "2.0.0", "text": "Message accepted as 1"}})
	add(0, events.RelayDelivered, "m1", "slow@x.test", map[string]any{"attempts": 1})
	rep := map[string]any{"action": "delayed", "status": "4.2.2", "reply": map[string]any{"stage": "async", "code": 452, "enhanced": "4.2.2", "text": "mailbox over quota, still trying"},
		"remote_mta": "mx.x.test", "reporting_mta": "mx.x.test", "state": "delivered",
		"reason": "a delayed DSN: the receiving side took the message and is still trying to deliver it", "advice": "no action needed: the receiving side is still trying; act only if a failed DSN follows"}
	carrier := "d1"
	if relayed {
		carrier = "c1"
		rep["relayed_as"] = "c1"
	}
	add(10, events.RelayDSNReceived, "m1", "slow@x.test", rep)
	if relayed {
		add(10, events.RelayQueued, "c1", "news@shop.test", map[string]any{"bounce_for": "m1"})
	} else {
		add(10, events.RelayDSN, "m1", "slow@x.test", map[string]any{"status": "4.2.2", "action": "delayed", "to": "news@shop.test", "dsn_message": "d1"})
		add(10, events.RelayQueued, "d1", "news@shop.test", map[string]any{"dsn_for": "m1"})
	}
	add(10, events.RelayAttempt, carrier, "news@shop.test", map[string]any{"attempt": 1, "path": "sink", "reply": map[string]any{"stage": "dot", "code": 250, "enhanced": "2.0.0", "text": "ok"}})
	add(10, events.RelayDelivered, carrier, "news@shop.test", map[string]any{"attempts": 1})
	return l
}

// TestDelayedDSNInReports: a delayed DSN from the receiving side after a
// 250 is a step of the recipient's timeline ("DSN +10m0s ... delayed DSN:
// 452 4.2.2 ... (the receiving side is still trying; no action needed
// unless a failed DSN follows)"), in the JSON (dsn_reports), and the
// text report shows the delivered recipient's timeline for it; the
// recipient stays delivered. The sender got it (relayed on without VERP,
// the relay's own with VERP), so dsn: sent holds with dsn_status 4.2.2,
// and dsn: none fails saying that it was a delay. Before, the relayed
// one was not tied to the recipient: dsn: sent said none was sent, and no
// report showed the delay.
func TestDelayedDSNInReports(t *testing.T) {
	t.Parallel()
	sent, err := decodeExp(t, "recipients:\n  - {match: slow@x.test, status: delivered, dsn: sent, dsn_status: \"4.\"}\n")
	if err != nil {
		t.Fatal(err)
	}
	none, err := decodeExp(t, "recipients:\n  - {match: slow@x.test, dsn: none}\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, relayed := range []bool{true, false} {
		d, err := Load(context.Background(), delayedLog(relayed))
		if err != nil {
			t.Fatal(err)
		}
		r := recordOf(d, "slow@x.test")
		if r.Status != "delivered" || len(r.DSNReports) != 1 || r.LateBounce != nil {
			t.Fatalf("relayed %v: status %s, reports %+v, late bounce %v; want delivered with one report", relayed, r.Status, r.DSNReports, r.LateBounce)
		}
		if res := Evaluate(d, sent); !res[0].Pass {
			t.Errorf("relayed %v: dsn: sent failed: %s", relayed, res[0].Message)
		}
		res := Evaluate(d, none)
		if res[0].Pass || !strings.Contains(res[0].Message, "status 4.2.2") || !strings.Contains(res[0].Message, "delayed, not failed") {
			t.Errorf("relayed %v: dsn: none: pass %v, message %q; want a failure that says the DSN was a delay", relayed, res[0].Pass, res[0].Message)
		}
		var tl bytes.Buffer
		WriteTimeline(&tl, r)
		line := "DSN +10m0s    " // the time column, as a late bounce's
		if !strings.Contains(tl.String(), "delayed DSN: 452 4.2.2 mailbox over quota, still trying  (the receiving side is still trying; no action needed unless a failed DSN follows)") ||
			!strings.Contains(tl.String(), line[:len("DSN +10m0s")]) || !strings.Contains(tl.String(), "mx.x.test") {
			t.Errorf("relayed %v: timeline\n%s\nwant a DSN step for the delay", relayed, tl.String())
		}
		var text bytes.Buffer
		if err := WriteText(&text, d); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text.String(), "slow@x.test (message m1): delivered, then a delayed DSN: 452 4.2.2 mailbox over quota, still trying\n") ||
			!strings.Contains(text.String(), "delayed DSN: 452 4.2.2") {
			t.Errorf("relayed %v: text report does not show the delay:\n%s", relayed, text.String())
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(`"dsn_reports":[{"time":"2026-05-01T09:10:00Z","action":"delayed","status":"4.2.2","code":452`)) {
			t.Errorf("relayed %v: JSON %s, want dsn_reports", relayed, b)
		}
	}
}

// TestFailedAfterRelayedDelayIsTied: without VERP, a late failure that
// follows a relayed delay is tied to its own carrier (relayed_as on the
// async relay.bounced): the sender's last DSN is the failure's. Before,
// the first relayed DSN took the place of every later one.
func TestFailedAfterRelayedDelayIsTied(t *testing.T) {
	t.Parallel()
	l := delayedLog(true)
	add := func(min int, kind, msg, rcpt string, p map[string]any) {
		l = append(l, events.Event{ID: int64(len(l) + 1), Time: t0.Add(time.Duration(min) * time.Minute), Kind: kind, Message: msg, Recipient: rcpt}.WithPayload(p))
	}
	add(60, events.RelayBounced, "m1", "slow@x.test", map[string]any{"async": true, "previous_state": "delivered", "category": "mailbox-full",
		"reply": map[string]any{"stage": "async", "code": 552, "enhanced": "5.2.2", "text": "mailbox full"}, "relayed_as": "c2"})
	add(60, events.RelayQueued, "c2", "news@shop.test", map[string]any{"bounce_for": "m1"})
	add(60, events.RelayAttempt, "c2", "news@shop.test", map[string]any{"attempt": 1, "path": "sink", "reply": map[string]any{"stage": "dot", "code": 250, "enhanced": "2.0.0", "text": "ok"}})
	add(60, events.RelayDelivered, "c2", "news@shop.test", map[string]any{"attempts": 1})
	d, err := Load(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	x, err := decodeExp(t, "recipients:\n  - {match: slow@x.test, status: bounced, dsn: sent, dsn_status: \"5.2.2\"}\n")
	if err != nil {
		t.Fatal(err)
	}
	if res := Evaluate(d, x); !res[0].Pass {
		t.Errorf("a failure after a relayed delay: %s", res[0].Message)
	}
}
