package relay

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
)

// TestHeldExpiryDSNGivesTheServersReply: mail whose destination rests
// after its 421s, and that expires during the rest, is bounced with the
// server's last reply as the diagnostic (as Postfix's bounce of held mail
// gives the last "host said") and a meaning that says the server answered
// the earlier attempts; it said "nothing was sent" and gave only the
// relay's hold, of attempts the server had answered.
func TestHeldExpiryDSNGivesTheServersReply(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			if strings.HasPrefix(to, "slow@") {
				return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "[TSS04] Messages from 192.0.2.1 temporarily deferred")
			}
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Backoff = dur(10 * time.Minute)
	cfg.Retry.Schedule = []config.Duration{dur(2 * time.Minute)}
	cfg.Retry.MaxAge = dur(15 * time.Minute)
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@s.test", "slow@r.test")
	h.runUntil("the expiry", h.done(id, 1))
	e := h.events(events.Filter{Message: id, Kinds: []string{events.RelayExpired}})
	if len(e) != 1 {
		t.Fatalf("expired events %v", e)
	}
	if rep, _ := payload(t, e[0])["reply"].(map[string]any); rep["stage"] != "shaping" {
		t.Fatalf("the expiry's reply %v: want the hold (the test sets up an expiry during the rest)", rep)
	}
	if adv, _ := payload(t, e[0])["advice"].(string); strings.Contains(adv, "nothing was sent") || !strings.Contains(adv, "last answered 421 4.7.0 [TSS04]") {
		t.Errorf("the expiry's advice %q: want the server's last reply, not that nothing was sent", adv)
	}
	h.firstDSN(t)
	var dsnText string
	for _, m := range mta.received() {
		if m.from == "" {
			dsnText = string(m.data)
		}
	}
	for _, want := range []string{"Diagnostic-Code: smtp; 421 4.7.0 [TSS04]", "Remote-MTA: dns; 127.0.0.1", "answered the earlier attempts", "held the message back"} {
		if !strings.Contains(dsnText, want) {
			t.Errorf("DSN lacks %q:\n%s", want, dsnText)
		}
	}
	if strings.Contains(dsnText, "nothing was sent") {
		t.Errorf("DSN says nothing was sent, of attempts the server answered:\n%s", dsnText)
	}
}

// TestHeldDelayDSNGivesTheServersReply: a delay warning for mail held by
// a destination's rest after the server deferred it (451 4.7.1) has the
// server's reply as its diagnostic and its status (4.7.1, the last
// attempt's class-4 code, as the README says), not "nothing was sent
// yet" and 4.4.5 of the hold alone (walk M).
func TestHeldDelayDSNGivesTheServersReply(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			switch {
			case strings.HasPrefix(to, "soft@"):
				return smtpErr(451, smtp.EnhancedCode{4, 7, 1}, "greylisted, come back later")
			case strings.HasPrefix(to, "slow@"):
				return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "too many connections")
			}
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Backoff = dur(30 * time.Minute)
	cfg.Retry.Schedule = []config.Duration{dur(2 * time.Minute)}
	cfg.DSN.DelayWarning = dur(10 * time.Minute)
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@s.test", "soft@r.test")
	h.runUntil("the 451", h.deferrals(id, 1))
	h.enqueue("a@s.test", "slow@r.test") // its 421 rests the destination
	h.runUntil("the warning", func() bool {
		return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}})) == 1
	})
	dsnID := payload(t, h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}})[0])["dsn_message"].(string)
	m, err := h.r.loadMessage(context.Background(), dsnID)
	if err != nil {
		t.Fatal(err)
	}
	text := string(m.data)
	for _, want := range []string{"Action: delayed", "Status: 4.7.1", "Diagnostic-Code: smtp; 451 4.7.1 greylisted", "Remote-MTA: dns; 127.0.0.1", "answered the last attempt"} {
		if !strings.Contains(text, want) {
			t.Errorf("delay DSN lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "nothing was sent yet") {
		t.Errorf("delay DSN says nothing was sent yet:\n%s", text)
	}
}
