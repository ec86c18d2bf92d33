package relay

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
)

// TestVERPLateBounceTellsTheSender: with VERP the receiving side's late
// bounce comes to the relay's own address, not to the sender: the relay
// records it and writes the sender a DSN of its own (failed, with the
// bounce's status and Diagnostic-Code), as for a failure it met itself.
// The sender heard nothing of it. A DSN that came to the bounce address
// about a message whose sender is the bounce address gets none: that
// sender has it already.
func TestVERPLateBounceTellsTheSender(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.DSN.VERP = true
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("news@s.test", "v@r.test")
	h.runUntil("delivery", h.done(id, 1))
	verp := h.returnPath(id, "v@r.test")
	if code, msg := bounceReply(t, h.r.Addr().String(), []string{verp}, dsnFor(t, verp, "", "v@r.test", dsn.ActionFailed)); code != 250 {
		t.Fatalf("the late bounce: %d %s, want 250", code, msg)
	}
	dsnID := h.firstDSN(t)
	m, err := h.r.Message(context.Background(), dsnID)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Recipients) != 1 || m.Recipients[0].Address != "news@s.test" || m.Sender != "" {
		t.Errorf("the DSN goes from %q to %+v, want from <> to news@s.test", m.Sender, m.Recipients)
	}
	if !bytes.Contains(m.Data, []byte("Final-Recipient: rfc822; v@r.test")) || !bytes.Contains(m.Data, []byte("Action: failed")) {
		t.Errorf("the DSN does not report v@r.test as failed:\n%s", m.Data)
	}
	ev := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}})
	if len(ev) != 1 || !strings.HasPrefix(payload(t, ev[0])["status"].(string), "5.") {
		t.Errorf("relay.dsn events %v, want one with a 5.x.x status", ev)
	}

	// The sender is the bounce address: nothing is written.
	own := h.enqueue("bounces@relaylab.localhost", "w@r.test")
	h.runUntil("delivery", h.done(own, 1))
	verp = h.returnPath(own, "w@r.test")
	if code, msg := bounceReply(t, h.r.Addr().String(), []string{verp}, dsnFor(t, verp, "", "w@r.test", dsn.ActionFailed)); code != 250 {
		t.Fatalf("the late bounce: %d %s, want 250", code, msg)
	}
	if ev := h.events(events.Filter{Message: own, Kinds: []string{events.RelayDSN}}); len(ev) != 0 {
		t.Errorf("a DSN to the bounce address itself: %v", ev)
	}
}
