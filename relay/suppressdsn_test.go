package relay

import (
	"context"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// A recipient the relay drops for the suppression list after it took the
// message (with 250) gets a failure DSN, as any failure after acceptance
// does (RFC 3464, status 5.7.1, saying since when and why the address is on
// the list), honouring NOTIFY. The 250 was the last the sender heard.
func TestSuppressedAfterAcceptanceGetsDSN(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h := newHarness(t, testConfig(mta.addr), Options{})
	ctx := context.Background()
	if err := h.r.Suppress(ctx, "gone@r.test", "complained"); err != nil {
		t.Fatal(err)
	}
	id := h.enqueue("a@s.test", "gone@r.test")
	h.runUntil("suppressed", h.done(id, 1))
	dsnID := h.firstDSN(t)
	m, err := h.r.Message(ctx, dsnID)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Join(strings.Fields(string(m.Data)), " ")
	for _, want := range []string{"Final-Recipient: rfc822; gone@r.test", "Action: failed", "Status: 5.7.1",
		"Diagnostic-Code: X-Relaylab; not sent: the address is on the relay's suppression list (since 2026-03-01T12:00:00Z): complained (added by hand)"} {
		if !strings.Contains(body, want) {
			t.Errorf("the DSN lacks %q:\n%s", want, m.Data)
		}
	}
	if m.Recipients[0].Address != "a@s.test" {
		t.Errorf("the DSN goes to %s, want the sender a@s.test", m.Recipients[0].Address)
	}

	// NOTIFY=NEVER asks for none.
	s := Submission{From: "a@s.test", Data: []byte("Subject: x\r\n\r\ny\r\n"), Recipients: []Recipient{{Address: "gone@r.test", Notify: []string{"NEVER"}}}}
	id2, err := h.r.Enqueue(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	h.runUntil("the second suppressed", h.done(id2, 1))
	if d := h.events(events.Filter{Message: id2, Kinds: []string{events.RelayDSN}}); len(d) != 0 {
		t.Errorf("%d DSNs for a recipient with NOTIFY=NEVER, want none", len(d))
	}
}
