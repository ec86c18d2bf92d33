package relay

import (
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
)

// TestSMTPUTF8 checks RFC 6531 end to end: the submission listener offers
// SMTPUTF8, a non-ASCII envelope goes on with the SMTPUTF8 parameter to a
// server that offers it, and is bounced at once with 553 5.6.7, not sent,
// to one that does not; an ASCII envelope is sent as before.
func TestSMTPUTF8(t *testing.T) {
	t.Parallel()
	const from, to = "jürgen@x.test", "zoë@y.test"
	for _, tt := range []struct {
		name         string
		upstreamUTF8 bool
		from, to     string
		want         string // terminal event
		wantParam    bool
	}{
		{"offered", true, from, to, events.RelayDelivered, true},
		{"not offered", false, from, to, events.RelayBounced, false},
		{"recipient only, not offered", false, "a@x.test", to, events.RelayBounced, false},
		{"ascii, not offered", false, "a@x.test", "b@y.test", events.RelayDelivered, false},
		{"ascii envelope, utf-8 subject, offered", true, "a@x.test", "b@y.test", events.RelayDelivered, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mta := startMTA(t, func(f *fakeMTA) { f.utf8 = tt.upstreamUTF8 })
			cfg := testConfig(mta.addr)
			cfg.Listen = "127.0.0.1:0"
			h := newHarness(t, cfg, Options{})
			c := dialSubmission(t, h.r.Addr().String(), false)
			if err := c.Hello("client.test"); err != nil {
				t.Fatal(err)
			}
			if ok, _ := c.Extension("SMTPUTF8"); !ok {
				t.Fatal("the submission listener does not offer SMTPUTF8")
			}
			utf8 := !isASCII(tt.from + tt.to)
			if err := c.Mail(tt.from, &smtp.MailOptions{UTF8: utf8}); err != nil {
				t.Fatal(err)
			}
			if err := c.Rcpt(tt.to, nil); err != nil {
				t.Fatal(err)
			}
			w, err := c.Data()
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("From: " + tt.from + "\r\nSubject: grüße\r\n\r\nHallo.\r\n"))
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			var id string
			h.runUntil("a terminal event", func() bool {
				q := h.events(events.Filter{Kinds: []string{events.RelayQueued}})
				if len(q) == 0 {
					return false
				}
				id = q[0].Message
				return h.done(id, 1)()
			})
			if got := h.terminal(id)[tt.to]; len(got) != 1 || got[0] != tt.want {
				t.Fatalf("terminal events %v, want [%s]", got, tt.want)
			}
			var msgs []fakeMsg
			for _, m := range mta.received() {
				if m.from != "" { // not the relay's DSN to the sender
					msgs = append(msgs, m)
				}
			}
			if tt.want == events.RelayBounced {
				if len(msgs) != 0 {
					t.Errorf("the server without SMTPUTF8 was given the message: %+v", msgs)
				}
				b := h.events(events.Filter{Message: id, Kinds: []string{events.RelayBounced}})
				rep, _ := payload(t, b[0])["reply"].(map[string]any)
				if rep["code"] != 553.0 || rep["enhanced"] != "5.6.7" || !strings.Contains(rep["text"].(string), "SMTPUTF8") {
					t.Errorf("bounce reply %v, want 553 5.6.7 naming SMTPUTF8", rep)
				}
				if n := len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})); n != 1 {
					t.Errorf("%d attempts, want 1 (no retry of a permanent failure)", n)
				}
				if isASCII(tt.from) {
					checkUTF8DSN(t, h, mta, id, tt.to)
				}
				return
			}
			if len(msgs) != 1 || msgs[0].from != tt.from || msgs[0].to[0] != tt.to {
				t.Fatalf("upstream got %+v, want one message from %s to %s", msgs, tt.from, tt.to)
			}
			if msgs[0].mailP.UTF8 != tt.wantParam {
				t.Errorf("MAIL SMTPUTF8 parameter %v, want %v", msgs[0].mailP.UTF8, tt.wantParam)
			}
		})
	}
}

// checkUTF8DSN checks the DSN about a 553 5.6.7 the relay made up itself
// for the non-ASCII recipient to: an X-Relaylab diagnostic, no Remote-MTA,
// since the server never said it (RFC 3464 2.3.5, 2.3.6).
func checkUTF8DSN(t *testing.T, h *harness, mta *fakeMTA, id, to string) {
	t.Helper()
	dsns := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}})
	if len(dsns) != 1 {
		t.Fatalf("%d DSN events, want 1", len(dsns))
	}
	h.runUntil("the DSN", h.done(payload(t, dsns[0])["dsn_message"].(string), 1))
	var raw string
	for _, m := range mta.received() {
		if m.from == "" {
			raw = string(m.data)
		}
	}
	if !strings.Contains(raw, "\r\nDiagnostic-Code: X-Relaylab; the envelope has a non-ASCII") || strings.Contains(raw, "Remote-MTA") {
		t.Errorf("DSN about the relay's own 553 5.6.7 claims a remote reply:\n%s", raw)
	}
	// RFC 6533 6: a UTF-8 address makes it a global DSN.
	if !strings.Contains(raw, "\r\nContent-Type: message/global-delivery-status\r\n") || !strings.Contains(raw, "\r\nFinal-Recipient: utf-8; "+to+"\r\n") {
		t.Errorf("DSN about %s is not a message/global-delivery-status with a utf-8 address:\n%s", to, raw)
	}
	p, err := dsn.Parse([]byte(raw))
	if err != nil || len(p.Report.Recipients) != 1 || p.Report.Recipients[0].FinalRecipient != to {
		t.Errorf("the relay's own parser reads the DSN as %+v, %v; want %s", p.Report.Recipients, err, to)
	}
}
