package relay

import (
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
