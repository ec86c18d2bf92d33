package relay

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
)

// TestHeldDueAtHoldEnd: mail the destination's rest holds back was not
// sent, so it is due when the rest ends, without an attempt counted,
// instead of at now plus the retry schedule's delay (with a 1-minute
// backoff and a 20-minute delay it waited 20 minutes).
func TestHeldDueAtHoldEnd(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	refused := 0
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			mu.Lock()
			defer mu.Unlock()
			if strings.HasPrefix(to, "slow@") && refused == 0 {
				refused++
				return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "too many connections, slow down")
			}
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Backoff = dur(time.Minute)
	cfg.Retry.Schedule = []config.Duration{dur(20 * time.Minute)}
	h := newHarness(t, cfg, Options{})
	id1 := h.enqueue("a@s.test", "slow@r.test")
	h.runUntil("the 421", h.deferrals(id1, 1))
	h.v.Advance(30 * time.Second)
	id2 := h.enqueue("a@s.test", "held@r.test")
	h.runUntil("the hold", h.deferrals(id2, 1))
	restEnd := epoch.Add(time.Minute)
	p := payload(t, h.events(events.Filter{Message: id2, Kinds: []string{events.RelayDeferred}})[0])
	if next, _ := p["next_attempt"].(string); next != restEnd.UTC().Format(time.RFC3339) || p["attempts"] != 0.0 {
		t.Errorf("held recipient's deferral %v: want next_attempt %v, the rest's end, and 0 attempts", p, restEnd)
	}
	h.runUntil("delivery", h.done(id2, 1))
	if got := h.attemptTimes(id2, "held@r.test"); len(got) != 1 || got[0] != time.Minute {
		t.Errorf("held recipient tried at %v, want once, at the rest's end (+1m)", got)
	}
}

// TestHeldGoFirstAtRestEnd: at the end of a rest the recipients it held
// and the one whose 421 began it come due together; the held ones are
// tried first, so that the one that met the 421 cannot start a new rest
// before they had their turn.
func TestHeldGoFirstAtRestEnd(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		asked []string // the recipients the server was asked for, in order
	)
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			mu.Lock()
			asked = append(asked, to)
			mu.Unlock()
			if strings.HasPrefix(to, "slow@") {
				return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "too many connections, slow down")
			}
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Backoff = dur(10 * time.Minute)
	cfg.Paths[0].MaxConnections = 1
	cfg.Retry.Schedule = []config.Duration{dur(time.Minute)}
	h := newHarness(t, cfg, Options{Ordered: true})
	id1 := h.enqueue("a@s.test", "slow@r.test")
	h.runUntil("the 421", h.deferrals(id1, 1))
	h.v.Advance(time.Minute)
	id2 := h.enqueue("a@s.test", "held@r.test")
	h.runUntil("delivery", h.done(id2, 1))
	// The server's order, not the events': the two jobs' outcomes are
	// written by whichever comes first to the store, so the slow one's
	// attempt event, written after a quick 421, may come before the held
	// one's, tried first (under load it did).
	mu.Lock()
	defer mu.Unlock()
	if len(asked) < 2 || asked[0] != "slow@r.test" || asked[1] != "held@r.test" {
		t.Errorf("the server was asked for %v; want slow@r.test (its 421 began the rest), then held@r.test first at the rest's end", asked)
	}
}
