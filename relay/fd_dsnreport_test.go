package relay

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/testutil"
)

// reportDSN builds a DSN from mta.test about rcpt with action, status and
// Diagnostic-Code diag (none when ""), sent to to.
func reportDSN(t *testing.T, to, rcpt, action, status, diag string) []byte {
	t.Helper()
	return reportDSNOf(t, to, rcpt, action, status, diag, nil)
}

// reportDSNOf is reportDSN returning the headers of original.
func reportDSNOf(t *testing.T, to, rcpt, action, status, diag string, original []byte) []byte {
	t.Helper()
	rc := dsn.Recipient{FinalRecipient: rcpt, Action: action, Status: status, DiagnosticCode: diag, RemoteMTA: "mx.r.test"}
	if action == dsn.ActionDelayed {
		rc.WillRetryUntil = epoch.Add(5 * 24 * time.Hour)
	}
	ret := dsn.ReturnNone
	if original != nil {
		ret = dsn.ReturnHeaders
	}
	raw, err := dsn.Build(dsn.BuildOptions{To: to, MessageID: "<r-" + action + "@mta.test>", Date: epoch, Original: original, Return: ret},
		dsn.Report{ReportingMTA: "mta.test", Recipients: []dsn.Recipient{rc}})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestDelayedDSNIsRecorded: a delayed DSN (4xx) that the receiving side
// sends after taking the message with 250 is recorded for the recipient
// (relay.dsn_received: what it says, the remote MTA, its status and
// reply, and a plain reading: still trying, nothing to do unless a failed
// DSN follows), shown by queue show (Reports), and logged; the recipient
// stays delivered. With VERP it came to the relay, so the relay writes
// the sender a delayed DSN of its own, as it does for a late failure.
// Before, it was taken and nothing was recorded, and with VERP the sender
// never heard of it. A failed DSN after it still bounces the recipient.
func TestDelayedDSNIsRecorded(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.DSN.VERP = true
	var logs testutil.SyncBuffer
	h := newHarness(t, cfg, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx := context.Background()
	id := h.enqueue("a@s.test", "v@r.test")
	h.runUntil("delivery", h.done(id, 1))
	verp := dsn.VERPAddress("bounces@relaylab.localhost", id)
	if _, err := h.r.receiveDSN(ctx, []string{verp}, reportDSN(t, verp, "v@r.test", dsn.ActionDelayed, "4.2.2", "452 4.2.2 mailbox over quota, still trying")); err != nil {
		t.Fatal(err)
	}
	if b := h.events(events.Filter{Message: id, Kinds: []string{events.RelayBounced}}); len(b) != 0 {
		t.Fatalf("a delayed DSN bounced the recipient: %s", b[0].Payload)
	}
	got := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSNReceived}})
	if len(got) != 1 || got[0].Recipient != "v@r.test" {
		t.Fatalf("%s events %v, want one for v@r.test", events.RelayDSNReceived, got)
	}
	p := payload(t, got[0])
	rep, _ := p["reply"].(map[string]any)
	if p["action"] != "delayed" || p["status"] != "4.2.2" || p["remote_mta"] != "dns; mx.r.test" && p["remote_mta"] != "mx.r.test" ||
		p["reporting_mta"] != "mta.test" || p["state"] != StateDelivered || rep["code"] != 452.0 || rep["text"] != "mailbox over quota, still trying" {
		t.Errorf("event payload %s, want the delay's action, status, remote MTA, reporter, state and reply", got[0].Payload)
	}
	if r, _ := p["reason"].(string); !strings.Contains(r, "still trying") || !strings.Contains(r, "not bounced") {
		t.Errorf("reason %q, want a plain reading: still trying, not bounced", r)
	}
	if a, _ := p["advice"].(string); !strings.Contains(a, "no action needed") || !strings.Contains(a, "failed DSN follows") {
		t.Errorf("advice %q, want: no action needed unless a failed DSN follows", a)
	}
	if p["will_retry_until"] == nil || p["relayed_as"] != nil {
		t.Errorf("payload %s, want will_retry_until, and no relayed_as (it came to the VERP address)", got[0].Payload)
	}
	// The sender hears of it from the relay: a delayed DSN with the
	// delay's status and reply.
	out := dsnOf(t, h, id, dsn.ActionDelayed)
	if rc := out.Report.Recipients[0]; rc.Status != "4.2.2" || !strings.Contains(rc.DiagnosticCode, "452 4.2.2 mailbox over quota") {
		t.Errorf("the relay's DSN to the sender reports %+v, want the delay's status and reply", rc)
	}
	m, err := h.r.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rc := m.Recipients[0]; rc.State != StateDelivered || len(rc.Reports) != 1 || rc.Reports[0].Action != "delayed" || rc.Reports[0].Time.IsZero() {
		t.Errorf("queue show: state %s, reports %+v; want delivered with the delay", rc.State, rc.Reports)
	}
	if l := logs.String(); !strings.Contains(l, `msg="relay: a DSN reports delayed" to=v@r.test`) || !strings.Contains(l, "status=4.2.2") {
		t.Errorf("log has no line for the delay:\n%s", l)
	}
	// A failure after the delay still bounces it.
	if _, err := h.r.receiveDSN(ctx, []string{verp}, reportDSN(t, verp, "v@r.test", dsn.ActionFailed, "5.2.2", "552 5.2.2 mailbox full")); err != nil {
		t.Fatal(err)
	}
	if b := h.events(events.Filter{Message: id, Kinds: []string{events.RelayBounced}}); len(b) != 1 {
		t.Errorf("bounced events %v after the failed DSN, want one", b)
	}
}

// TestSuccessDSNsAreInformational: delivered, relayed and expanded DSNs
// are recorded as what they say, never as a bounce, and no DSN goes to
// the sender about them.
func TestSuccessDSNsAreInformational(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.DSN.VERP = true
	h := newHarness(t, cfg, Options{})
	ctx := context.Background()
	id := h.enqueue("a@s.test", "v@r.test")
	h.runUntil("delivery", h.done(id, 1))
	verp := dsn.VERPAddress("bounces@relaylab.localhost", id)
	for _, tt := range []struct{ action, want string }{
		{dsn.ActionDelivered, "delivered to the recipient"},
		{dsn.ActionRelayed, "sends no DSNs"},
		{dsn.ActionExpanded, "forwarded it to several addresses"},
	} {
		if _, err := h.r.receiveDSN(ctx, []string{verp}, reportDSN(t, verp, "v@r.test", tt.action, "2.0.0", "")); err != nil {
			t.Fatalf("%s: %v", tt.action, err)
		}
		evs := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSNReceived}})
		if len(evs) == 0 {
			t.Fatalf("%s: no %s event", tt.action, events.RelayDSNReceived)
		}
		p := payload(t, evs[len(evs)-1])
		if r, _ := p["reason"].(string); p["action"] != tt.action || !strings.Contains(r, tt.want) || p["reply"] != nil {
			t.Errorf("%s: payload %s, want its action, a reason saying %q and no reply", tt.action, evs[len(evs)-1].Payload, tt.want)
		}
	}
	if b := h.events(events.Filter{Kinds: []string{events.RelayBounced, events.RelayDSN}}); len(b) != 0 {
		t.Errorf("success DSNs made %s %s", b[0].Kind, b[0].Payload)
	}
}

// TestRelayedDelayedDSNNamesItsCarrier: without VERP the receiving
// side's delayed DSN comes to the sender's address through the relay's
// submission listener; it is recorded, and its event names the message
// that carries it on to the sender (relayed_as, the relay.queued with
// bounce_for), so that reports can tell the sender got it. NOTIFY=FAILURE
// asks for no delay: with VERP the relay then writes the sender none.
func TestRelayedDelayedDSNNamesItsCarrier(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h := newHarness(t, submitConfig(mta.addr), Options{})
	ctx := context.Background()
	id := h.enqueue("a@s.test", "v@r.test")
	h.runUntil("delivery", h.done(id, 1))
	m, err := h.r.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// Its returned headers hold the relay's Received field, which finds
	// the message without VERP or ENVID.
	raw := reportDSNOf(t, "a@s.test", "v@r.test", dsn.ActionDelayed, "4.4.1", "451 4.4.1 no answer from the mailbox host", m.Data)
	carrier, err := h.r.Enqueue(ctx, Submission{From: "", Recipients: []Recipient{{Address: "a@s.test"}}, Data: raw})
	if err != nil {
		t.Fatal(err)
	}
	got := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSNReceived}})
	if len(got) != 1 {
		t.Fatalf("%s events %v, want one", events.RelayDSNReceived, got)
	}
	if p := payload(t, got[0]); p["relayed_as"] != carrier {
		t.Errorf("payload %s, want relayed_as %s", got[0].Payload, carrier)
	}
	if d := h.events(events.Filter{Kinds: []string{events.RelayDSN}}); len(d) != 0 {
		t.Errorf("the relay wrote a DSN of its own about a delay it relays on: %s", d[0].Payload)
	}

	// NOTIFY=FAILURE, VERP: recorded, not passed on.
	cfg := submitConfig(mta.addr)
	cfg.DSN.VERP = true
	h2 := newHarness(t, cfg, Options{})
	id2, err := h2.r.Enqueue(ctx, Submission{From: "a@s.test", Data: []byte("Subject: x\r\n\r\nx\r\n"), Recipients: []Recipient{{Address: "v@r.test", Notify: []string{"FAILURE"}}}})
	if err != nil {
		t.Fatal(err)
	}
	h2.runUntil("delivery", h2.done(id2, 1))
	verp := dsn.VERPAddress("bounces@relaylab.localhost", id2)
	if _, err := h2.r.receiveDSN(ctx, []string{verp}, reportDSN(t, verp, "v@r.test", dsn.ActionDelayed, "4.4.1", "")); err != nil {
		t.Fatal(err)
	}
	if n := len(h2.events(events.Filter{Message: id2, Kinds: []string{events.RelayDSNReceived}})); n != 1 {
		t.Errorf("%d %s events, want 1", n, events.RelayDSNReceived)
	}
	if d := h2.events(events.Filter{Kinds: []string{events.RelayDSN}}); len(d) != 0 {
		t.Errorf("a DSN went to the sender for NOTIFY=FAILURE: %s", d[0].Payload)
	}
}
