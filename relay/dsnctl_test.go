package relay

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// TestDiagnosticEscapesControls: a reply's control characters and bytes
// that are not UTF-8 are written out as escapes in Diagnostic-Code, which
// cannot hold them (internal/dsn refuses the field).
func TestDiagnosticEscapesControls(t *testing.T) {
	t.Parallel()
	o := outcome{host: "mx.r.test", reply: Reply{Stage: "rcpt", Code: 550, Enhanced: "5.1.1", Text: "\x1b[2J gone\x00 \x7f \xfc"}}
	_, diag := diagnostic(o)
	if want := `smtp; 550 5.1.1 \x1b[2J gone\x00 \x7f \xfc`; diag != want {
		t.Errorf("Diagnostic-Code %q; want %q", diag, want)
	}
	o = outcome{host: "mx.r.test", reply: Reply{Stage: "connect", Text: "dial: \x1b]0;title\x07"}}
	if _, diag := diagnostic(o); strings.ContainsAny(diag, "\x1b\x07") {
		t.Errorf("Diagnostic-Code %q keeps a control character", diag)
	}
}

// TestControlCharacterReplyEndsInADSN: an upstream 5xx (and a 4xx that
// runs out of time) whose text holds ESC, NUL and DEL ends its recipient
// with a terminal event and a DSN that quotes it escaped, where recording
// the attempt failed and the recipient stayed in flight for ever.
func TestControlCharacterReplyEndsInADSN(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		code int
		enh  smtp.EnhancedCode
		kind string
	}{
		{"550", 550, smtp.EnhancedCode{5, 1, 1}, events.RelayBounced},
		{"451", 451, smtp.EnhancedCode{4, 2, 0}, events.RelayExpired},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mta := startMTA(t, func(f *fakeMTA) {
				f.onRcpt = func(to string) error {
					if to == "rcpt@r.test" {
						return smtpErr(tt.code, tt.enh, "\x1b[2J\x00gone\x7f <img src=x>")
					}
					return nil
				}
			})
			h := newHarness(t, testConfig(mta.addr), Options{})
			id := h.enqueue("sender@s.test", "rcpt@r.test")
			h.runUntil("the recipient ended", h.done(id, 1))
			if got := h.terminal(id)["rcpt@r.test"]; len(got) != 1 || got[0] != tt.kind {
				t.Fatalf("terminal events %v; want [%s]", got, tt.kind)
			}
			dsnID := h.firstDSN(t)
			var body string
			for _, m := range mta.received() {
				if len(m.to) == 1 && m.to[0] == "sender@s.test" {
					body = string(m.data)
				}
			}
			if body == "" {
				t.Fatalf("DSN %s not received", dsnID)
			}
			if !strings.Contains(body, `\x1b[2J\x00gone\x7f`) || strings.ContainsAny(body, "\x1b\x00\x7f") {
				t.Errorf("DSN does not quote the reply escaped:\n%s", body)
			}
		})
	}
}

// TestUnbuildableDSNDoesNotFailTheRecord: a DSN that cannot be built
// (here a Final-Recipient with a control character, which the field
// cannot hold) is not sent and does not fail the write it is part of,
// which records the recipients' outcome: a failed write left them in
// flight, sent again at every start.
func TestUnbuildableDSNDoesNotFailTheRecord(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testConfig(closedAddr(t)), Options{})
	msg := messageRow{id: "m1", sender: "sender@s.test", created: epoch, expires: epoch.Add(time.Hour),
		data: []byte("From: sender@s.test\r\nSubject: test\r\n\r\nHello.\r\n")}
	entries := []dsnEntry{{c: claimed{msgID: "m1", address: "a\x1bb@r.test", attempts: 0},
		o: outcome{host: "mx.r.test", attempts: 1, reply: Reply{Stage: "rcpt", Code: 550, Enhanced: "5.1.1", Text: "no"}}}}
	err := h.store.Write(context.Background(), func(tx *store.Tx) error {
		return h.r.notifyTx(tx, msg, entries, false, epoch)
	})
	if err != nil {
		t.Fatalf("notifyTx: %v; want nil (no DSN, the outcome still recorded)", err)
	}
	if q := h.events(events.Filter{Kinds: []string{events.RelayDSN}}); len(q) != 0 {
		t.Errorf("%d relay.dsn events; want none (the DSN could not be built)", len(q))
	}
}
