package relay

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
)

// TestHoldAfterRealAttemptKeepsRetrySchedule: route [primary, backup].
// The primary is really tried (451, an attempt with its event) and the
// backup rests after another message's 421, so the recipient's last result
// is the backup's hold. A server was asked in this run, so the attempt
// counts and the recipient waits the retry schedule's delay (or to the
// rest's end, if later), instead of being due at the rest's end with no
// attempt counted, which asked the primary again at every rest's end and
// never advanced max_attempts or fallback_after.
func TestHoldAfterRealAttemptKeepsRetrySchedule(t *testing.T) {
	t.Parallel()
	primary := startMTA(t, func(f *fakeMTA) {
		f.onMail = func(string) error { return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "busy") }
	})
	backup := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			if strings.HasPrefix(to, "x@") {
				return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "too many connections, slow down")
			}
			return nil
		}
	})
	cfg := testConfig(primary.addr)
	cfg.Paths = append(cfg.Paths, PathConfig{Name: "backup", Host: backup.addr, TLS: "none", Backoff: dur(time.Minute)})
	cfg.Routes[0].Paths = []string{"primary", "backup"}
	cfg.Retry.Schedule = []config.Duration{dur(20 * time.Minute)}
	h := newHarness(t, cfg, Options{})
	id1 := h.enqueue("a@s.test", "x@r.test")
	h.runUntil("x deferred", h.deferrals(id1, 1))
	id2 := h.enqueue("a@s.test", "y@r.test")
	h.runUntil("y deferred", h.deferrals(id2, 1))
	tries := h.events(events.Filter{Message: id2, Kinds: []string{events.RelayAttempt}})
	if len(tries) == 0 || tries[0].Path != "primary" {
		t.Fatalf("attempts %v: want the primary tried", tries)
	}
	p := payload(t, h.events(events.Filter{Message: id2, Kinds: []string{events.RelayDeferred}})[0])
	if p["attempts"] != 1.0 {
		t.Errorf("deferral after the primary's 451 says attempts=%v; want 1 (a server was asked)", p["attempts"])
	}
	next, _ := time.Parse(time.RFC3339, p["next_attempt"].(string))
	if next.Before(epoch.Add(20 * time.Minute)) {
		t.Errorf("next attempt at +%v, before the retry schedule's 20m after the primary's 451", next.Sub(epoch))
	}
}
