package reports

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// dsnLog is a recipient bounced with a DSN the relay queued as message
// d1 to its sender, whose own delivery ended as end ("" leaves it
// waiting after one deferral).
func dsnLog(end string) fakeLog {
	var l fakeLog
	add := func(min int, kind, msg, rcpt string, p map[string]any) {
		l = append(l, events.Event{ID: int64(len(l) + 1), Time: t0.Add(time.Duration(min) * time.Minute), Kind: kind, Message: msg, Recipient: rcpt}.WithPayload(p))
	}
	add(0, events.RelayQueued, "m1", "a@x.test", map[string]any{})
	add(0, events.RelayAttempt, "m1", "a@x.test", map[string]any{"attempt": 1, "path": "primary", "code": 550, "enhanced": "5.1.1", "text": "no such user"})
	add(0, events.RelayBounced, "m1", "a@x.test", map[string]any{"category": "invalid-recipient", "reason": "the mailbox does not exist"})
	add(0, events.RelayDSN, "m1", "a@x.test", map[string]any{"status": "5.1.1", "action": "failed", "to": "news@shop.test", "dsn_message": "d1"})
	add(0, events.RelayQueued, "d1", "news@shop.test", map[string]any{"dsn_for": "m1"})
	switch end {
	case "delivered":
		add(0, events.RelayAttempt, "d1", "news@shop.test", map[string]any{"attempt": 1, "path": "primary", "code": 250, "enhanced": "2.0.0", "text": "ok"})
		add(0, events.RelayDelivered, "d1", "news@shop.test", map[string]any{})
	case "expired":
		add(0, events.RelayAttempt, "d1", "news@shop.test", map[string]any{"attempt": 1, "path": "primary", "code": 535, "enhanced": "5.7.8", "text": "bad credentials"})
		add(0, events.RelayDeferred, "d1", "news@shop.test", map[string]any{"category": "authentication-failure"})
		add(60, events.RelayAttempt, "d1", "news@shop.test", map[string]any{"attempt": 2, "path": "primary", "code": 535, "enhanced": "5.7.8", "text": "bad credentials"})
		add(60, events.RelayExpired, "d1", "news@shop.test", map[string]any{"category": "authentication-failure"})
	default:
		add(0, events.RelayAttempt, "d1", "news@shop.test", map[string]any{"attempt": 1, "path": "primary", "code": 451, "enhanced": "4.3.0", "text": "busy"})
		add(0, events.RelayDeferred, "d1", "news@shop.test", map[string]any{"category": "service-unavailable"})
	}
	return l
}

// TestDSNSentMeansTheSenderGotIt: dsn: sent holds when the DSN the relay
// queued reached the sender, as the README says, not when it was only
// queued: a DSN that expired or still waits fails dsn: sent (and passes
// dsn: none), says what became of it, and the JSON says "dsn": false with
// the DSN's message and fate. It held on the relay.dsn event alone.
func TestDSNSentMeansTheSenderGotIt(t *testing.T) {
	t.Parallel()
	sent, err := decodeExp(t, "recipients:\n  - {match: a@x.test, dsn: sent}\n  - {match: a@x.test, dsn_status: \"5.1.1\"}\n")
	if err != nil {
		t.Fatal(err)
	}
	none, err := decodeExp(t, "recipients:\n  - {match: a@x.test, dsn: none}\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		end  string
		pass bool
		fate string
	}{
		{"delivered", true, ""},
		{"expired", false, "none reached the sender (the relay's DSN was queued as message d1 to news@shop.test, which expired undelivered after 2 attempts; last reply: 535 5.7.8 bad credentials)"},
		{"", false, "none reached the sender (the relay's DSN was queued as message d1 to news@shop.test, which is still waiting to be delivered (deferred) after 1 attempt; last reply: 451 4.3.0 busy)"},
	} {
		d, err := Load(context.Background(), dsnLog(tc.end))
		if err != nil {
			t.Fatal(err)
		}
		res := Evaluate(d, sent)
		for _, r := range res {
			if r.Pass != tc.pass || !tc.pass && !strings.Contains(r.Message, tc.fate) {
				t.Errorf("DSN %q: %s: pass %v, want %v; message:\n%s\nwant it to say %q", tc.end, r.Name, r.Pass, tc.pass, r.Message, tc.fate)
			}
		}
		if r := Evaluate(d, none); r[0].Pass == tc.pass {
			t.Errorf("DSN %q: dsn: none pass %v, want %v (%s)", tc.end, r[0].Pass, !tc.pass, r[0].Message)
		}
		var a *Recipient
		for _, r := range d.Recipients {
			if r.Address == "a@x.test" {
				a = r
			}
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			DSN            bool   `json:"dsn"`
			DSNMessage     string `json:"dsn_message"`
			DSNUndelivered string `json:"dsn_undelivered"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.DSN != tc.pass || got.DSNMessage != "d1" || (got.DSNUndelivered == "") == !tc.pass {
			t.Errorf("DSN %q: JSON %s: want dsn %v, dsn_message d1 and dsn_undelivered only when not delivered", tc.end, b, tc.pass)
		}
	}
}
