package relay

import (
	"context"
	"log/slog"
	"testing"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/testutil"
)

// r3Line returns the one log line with message msg whose key k is v.
func r3Line(t *testing.T, logs *testutil.SyncBuffer, msg, k string, v any) map[string]any {
	t.Helper()
	var got map[string]any
	for _, l := range logLines(t, logs, msg) {
		if l["msg"] == msg && l[k] == v {
			if got != nil {
				t.Errorf("%s for %s=%v logged twice: %v and %v", msg, k, v, got, l)
			}
			got = l
		}
	}
	if got == nil {
		t.Fatalf("no %q line with %s=%v", msg, k, v)
	}
	if got["level"] != "INFO" {
		t.Errorf("%s: level %v, want INFO", msg, got["level"])
	}
	return got
}

// TestR3SuppressedAndDeletedLogged: a recipient the suppression list
// stops when it is claimed, alone or beside one sent, a message deleted
// by hand, and a recipient a late DSN bounces each have their line in the
// log, as every other outcome has (relay: delivered, deferred, bounced,
// expired): none had one.
func TestR3SuppressedAndDeletedLogged(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	var logs testutil.SyncBuffer
	cfg := testConfig(mta.addr)
	h := newHarness(t, cfg, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	ctx := context.Background()
	if err := h.r.Suppress(ctx, "sup@r.test", "complained"); err != nil {
		t.Fatal(err)
	}
	alone := h.enqueue("a@s.test", "sup@r.test")
	h.runUntil("the suppression", h.done(alone, 1))
	l := r3Line(t, &logs, "relay: suppressed", "id", alone)
	if l["to"] != "sup@r.test" || l["reason"] != "on the suppression list since "+epoch.Format("2006-01-02T15:04:05Z07:00")+": complained (added by hand)" {
		t.Errorf("relay: suppressed line %v, want to sup@r.test and since when and why", l)
	}
	beside, err := h.r.Enqueue(ctx, Submission{From: "a@s.test", EnvID: "env-r3log", Data: []byte("Subject: x\r\n\r\ny\r\n"),
		Recipients: []Recipient{{Address: "sup@r.test"}, {Address: "ok@r.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	h.runUntil("both outcomes", h.done(beside, 2))
	h.settle()
	if l := r3Line(t, &logs, "relay: suppressed", "id", beside); l["to"] != "sup@r.test" {
		t.Errorf("relay: suppressed line %v, want to sup@r.test", l)
	}

	// A DSN that comes back later about the delivered one.
	raw, err := dsn.Build(dsn.BuildOptions{To: "a@s.test", MessageID: "<late@mta.test>", Date: epoch}, dsn.Report{
		ReportingMTA: "mta.test", EnvelopeID: "env-r3log",
		Recipients: []dsn.Recipient{{FinalRecipient: "ok@r.test", Action: dsn.ActionFailed, Status: "5.2.2", DiagnosticCode: "smtp; 552 5.2.2 mailbox full"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.r.receiveDSN(ctx, nil, raw); err != nil {
		t.Fatal(err)
	}
	l = r3Line(t, &logs, "relay: bounced", "async", true)
	if l["to"] != "ok@r.test" || l["id"] != beside || l["previous_state"] != StateDelivered || l["reply"] != "552 5.2.2 mailbox full" ||
		l["enhanced"] != "5.2.2" || l["reporting_mta"] != "mta.test" {
		t.Errorf("late bounce line %v", l)
	}

	cfg.Paths[0].Host = closedAddr(t)
	h2 := newHarness(t, cfg, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	gone := h2.enqueue("a@s.test", "x@r.test", "y@r.test")
	h2.runUntil("the deferrals", h2.deferrals(gone, 2))
	if err := h2.r.DeleteBy(ctx, gone, "the web API"); err != nil {
		t.Fatal(err)
	}
	l = r3Line(t, &logs, "relay: deleted", "id", gone)
	if l["recipients"] != 2.0 || l["to"] != "x@r.test, y@r.test" || l["by"] != "the web API" {
		t.Errorf("relay: deleted line %v, want 2 recipients, x@r.test, y@r.test, by the web API", l)
	}
}
