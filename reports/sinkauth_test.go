package reports

import (
	"context"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestLoadTiesTheSinksChecksToAttempts: a store whose relay.queued events
// carry the message's Message-ID gives each attempt after the data the
// sink's results for the message it left: the second try's, not the
// first's, when the sink saw the message twice; an attempt refused before
// the data, which left no message, gets none.
func TestLoadTiesTheSinksChecksToAttempts(t *testing.T) {
	t.Parallel()
	var l fakeLog
	add := func(sec int, kind, msg, rcpt string, p map[string]any) {
		l = append(l, events.Event{ID: int64(len(l) + 1), Time: t0.Add(time.Duration(sec) * time.Second), Kind: kind, Message: msg, Recipient: rcpt}.WithPayload(p))
	}
	sinkMsg := func(sec int, spf, dmarc string) {
		add(sec, events.SinkMessage, "m-1@shop.test", "a@x.test", map[string]any{"to": []string{"A@x.test"}, "spf": spf, "dkim": "none", "dmarc": dmarc, "dmarc_policy": "reject"})
	}
	add(0, events.RelayQueued, "r1", "a@x.test", map[string]any{"message_id": "m-1@shop.test"})
	add(0, events.RelayAttempt, "r1", "a@x.test", map[string]any{"attempt": 1, "reply": map[string]any{"stage": "rcpt", "code": 451, "enhanced": "4.7.1", "text": "greylisted"}})
	sinkMsg(60, "temperror", "temperror")
	add(60, events.RelayAttempt, "r1", "a@x.test", map[string]any{"attempt": 2, "reply": map[string]any{"stage": "dot", "code": 451, "enhanced": "4.7.0", "text": "try again"}})
	sinkMsg(120, "fail", "fail")
	add(120, events.RelayAttempt, "r1", "a@x.test", map[string]any{"attempt": 3, "reply": map[string]any{"stage": "dot", "code": 550, "enhanced": "5.7.26", "text": "DMARC"}})
	d, err := Load(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "spf=temperror dkim=none dmarc=temperror (p=reject)", "spf=fail dkim=none dmarc=fail (p=reject)"}
	at := d.Recipients[0].Attempts
	if len(at) != 3 {
		t.Fatalf("attempts %+v", at)
	}
	for i, w := range want {
		if got := at[i].Auth.String(); got != w {
			t.Errorf("attempt %d: auth %q, want %q", i+1, got, w)
		}
	}
}
