package relay

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
)

// TestForgedDSNsFromOutsideAreRefused: anyone may connect to the bounce
// address, and a failed DSN bounces and suppresses its recipient. A
// client outside (not authenticated, not in allowed_networks) who knows
// the message's ENVID (the sender's own, often guessable) or its queue id
// (in the Received field and Message-ID of every copy delivered) cannot
// forge one: it is refused, the recipient stays delivered and the address
// unsuppressed. The genuine DSN, at the return path the upstream was
// given, is taken; and a recipient who read the return path of one
// domain's copy cannot report on another domain's recipient.
func TestForgedDSNsFromOutsideAreRefused(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr) // 127.0.0.1 may not submit
	cfg.DSN.VERP = true
	h := newHarness(t, cfg, Options{})
	ctx := context.Background()
	id, err := h.r.Enqueue(ctx, Submission{From: "news@s.test", EnvID: "campaign-7", Data: []byte("Subject: 1\r\n\r\nx\r\n"),
		Recipients: []Recipient{{Address: "v@r.test"}, {Address: "w@q.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	h.runUntil("delivery", h.done(id, 2))
	returnPath := map[string]string{}
	var copyOfV []byte
	for _, m := range mta.received() {
		returnPath[m.to[0]] = m.from
		if m.to[0] == "v@r.test" {
			copyOfV = m.data
		}
	}
	base := h.r.bounceAddress()
	withHeaders := func(rcpt string) string {
		raw, err := dsn.Build(dsn.BuildOptions{To: base, MessageID: "<f@attacker.test>", Date: epoch, Original: copyOfV}, dsn.Report{
			ReportingMTA: "attacker.test",
			Recipients:   []dsn.Recipient{{FinalRecipient: rcpt, Action: dsn.ActionFailed, Status: "5.1.1", DiagnosticCode: "550 5.1.1 no such user"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	for _, tt := range []struct{ name, to, body string }{
		{"by ENVID", base, dsnFor(t, base, "campaign-7", "v@r.test", dsn.ActionFailed)},
		{"by the Received field of a copy", base, withHeaders("v@r.test")},
		{"by the queue id as VERP tag", dsn.VERPAddress(base, id), dsnFor(t, base, "", "v@r.test", dsn.ActionFailed)},
		{"by a delay, to make the relay write the sender", dsn.VERPAddress(base, id), dsnFor(t, base, "", "v@r.test", dsn.ActionDelayed)},
		{"by r.test's return path, about q.test's recipient", returnPath["v@r.test"], dsnFor(t, base, "", "w@q.test", dsn.ActionFailed)},
	} {
		if code, msg := bounceReply(t, h.r.Addr().String(), []string{tt.to}, tt.body); code != 550 {
			t.Errorf("forged DSN %s: %d %s, want 550", tt.name, code, msg)
		}
	}
	if got := h.terminal(id); !reflect.DeepEqual(got["v@r.test"], []string{events.RelayDelivered}) || !reflect.DeepEqual(got["w@q.test"], []string{events.RelayDelivered}) {
		t.Errorf("after forged DSNs: terminal events %v, want both only delivered", got)
	}
	if sups, _ := h.r.Suppressions(ctx); len(sups) != 0 {
		t.Errorf("forged DSNs suppressed %+v", sups)
	}
	if ev := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN, events.RelayDSNReceived}}); len(ev) != 0 {
		t.Errorf("forged DSNs recorded or told the sender: %d events, the first %s", len(ev), ev[0].Kind)
	}

	// The genuine DSN comes back to the return path the upstream saw.
	if !strings.Contains(returnPath["v@r.test"], id+".") {
		t.Fatalf("return path %q does not carry the signed tag of %s", returnPath["v@r.test"], id)
	}
	if code, msg := bounceReply(t, h.r.Addr().String(), []string{returnPath["v@r.test"]}, dsnFor(t, base, "", "v@r.test", dsn.ActionFailed)); code != 250 {
		t.Fatalf("the genuine DSN: %d %s, want 250", code, msg)
	}
	if got := h.terminal(id)["v@r.test"]; !reflect.DeepEqual(got, []string{events.RelayDelivered, events.RelayBounced}) {
		t.Errorf("after the genuine DSN: %v, want delivered then bounced", got)
	}
}

// returnPath is the VERP return path the relay gives message id for a
// transaction to rcpts.
func (h *harness) returnPath(id string, rcpts ...string) string {
	return h.r.bounceKey.returnPath(h.r.bounceAddress(), id, rcpts)
}
