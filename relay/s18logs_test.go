package relay

import (
	"context"
	"log/slog"
	"testing"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/testutil"
)

// TestDeferredLogSaysWhatTheEventSays: a hold that ends after the message
// expires says so in its event ("it will expire unsent") and its advice
// says what to change; the log line said the table's "nothing; it is sent
// when the window opens", the opposite.
func TestDeferredLogSaysWhatTheEventSays(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	var logs testutil.SyncBuffer
	cfg := testConfig(mta.addr)
	cfg.Routes[0].Windows = []string{"14:00-15:00"} // the clock starts at 12:00 UTC; max_age 1h
	h := newHarness(t, cfg, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	id := h.enqueue("s@s.test", "b@r.test")
	h.runUntil("the hold", h.deferrals(id, 1))
	h.settle()
	d := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})
	p := payload(t, d[0])
	l := r3Line(t, &logs, "relay: deferred", "id", id)
	if l["reason"] != p["reason"] || l["advice"] != p["advice"] {
		t.Errorf("log reason %q advice %q\nwant the event's reason %q advice %q", l["reason"], l["advice"], p["reason"], p["advice"])
	}
}

// TestLateBounceLogHasReasonAndAdvice: the log line of a bounce a DSN
// reported later has the reason and advice its event has; it had neither.
func TestLateBounceLogHasReasonAndAdvice(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	var logs testutil.SyncBuffer
	h := newHarness(t, testConfig(mta.addr), Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	ctx := context.Background()
	id, err := h.r.Enqueue(ctx, Submission{From: "a@s.test", EnvID: "env-s18late", Data: []byte("Subject: x\r\n\r\ny\r\n"),
		Recipients: []Recipient{{Address: "ok@r.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	h.runUntil("the delivery", h.done(id, 1))
	raw, err := dsn.Build(dsn.BuildOptions{To: "a@s.test", MessageID: "<late-s18@mta.test>", Date: epoch}, dsn.Report{
		ReportingMTA: "mta.test", EnvelopeID: "env-s18late",
		Recipients: []dsn.Recipient{{FinalRecipient: "ok@r.test", Action: dsn.ActionFailed, Status: "5.2.2", DiagnosticCode: "smtp; 552 5.2.2 mailbox full"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.r.receiveDSN(ctx, nil, raw); err != nil {
		t.Fatal(err)
	}
	evs := h.events(events.Filter{Message: id, Kinds: []string{events.RelayBounced}})
	if len(evs) != 1 {
		t.Fatalf("bounced events %v", evs)
	}
	p := payload(t, evs[0])
	l := r3Line(t, &logs, "relay: bounced", "async", true)
	if p["reason"] == "" || l["reason"] != p["reason"] || l["advice"] != p["advice"] {
		t.Errorf("log reason %q advice %q\nwant the event's reason %q advice %q", l["reason"], l["advice"], p["reason"], p["advice"])
	}
}
