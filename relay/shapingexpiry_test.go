package relay

import (
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestHeldMailExpires: mail a sending window holds past its expiry is told
// at its deferral that it will expire before the window opens, and its
// expiry says that the relay's own shaping held it and nothing was sent,
// not to ask the receiving side's postmaster.
func TestHeldMailExpires(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Routes[0].Windows = []string{"14:00-15:00"} // the clock starts at 12:00 UTC
	cfg.Retry.MaxAge = dur(time.Hour)
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("", "b@r.test")
	h.runUntil("expiry", h.done(id, 1))
	d := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})
	if len(d) == 0 {
		t.Fatal("no deferral")
	}
	if r, _ := payload(t, d[0])["reason"].(string); !strings.Contains(r, "expires at") || !strings.Contains(r, "before the route's sending window opens") {
		t.Errorf("deferral reason %q: want it to say the message expires before the window opens", r)
	}
	if a, _ := payload(t, d[0])["advice"].(string); strings.Contains(a, "it is sent when") || !strings.Contains(a, "widen the route's windows") || !strings.Contains(a, "max_age") {
		t.Errorf("deferral advice %q: want what to change so that it is sent, not that it will be sent when the window opens", a)
	}
	e := h.events(events.Filter{Message: id, Kinds: []string{events.RelayExpired}})
	if len(e) != 1 {
		t.Fatalf("expired %v", e)
	}
	p := payload(t, e[0])
	adv, _ := p["advice"].(string)
	if strings.Contains(adv, "postmaster") || !strings.Contains(adv, "nothing was sent") || !strings.Contains(adv, "widen the route's windows") || !strings.Contains(adv, "max_age") {
		t.Errorf("advice %q: want the relay's own shaping named, the window and max_age advised", adv)
	}
}

func TestExpiredAdviceForShaping(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rep  Reply
		cat  string
		want string
	}{
		{Reply{Stage: "shaping", Text: "path p reached its warm-up cap for the day; it opens again at 2026-03-02T00:00:00Z"}, "shaping", "raise the path's warmup"},
		{Reply{Stage: "shaping", Text: "not tried: destination d rests until 2026-03-02T00:00:00Z after a 421 or rate limit"}, "destination-backoff", "backoff"},
	} {
		got := expiredAdvice(tt.rep, Verdict{Category: tt.cat, Reason: "held", Advice: "nothing; it is sent when the window opens or the cap allows"}, nil)
		if strings.Contains(got, "postmaster") || !strings.Contains(got, tt.want) || !strings.Contains(got, "max_age") || !strings.Contains(got, "nothing was sent") {
			t.Errorf("%s: advice %q, want %q and max_age, no postmaster", tt.cat, got, tt.want)
		}
	}
}

func TestGiveUpReasonRounds(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	msg := messageRow{created: now.Add(-(10*time.Minute + 4738099*time.Nanosecond))}
	p := NewPolicy(RetryConfig{Kind: "list", Schedule: nil, MaxAge: dur(10 * time.Minute)}, 1)
	if got := giveUpReason(p, 1, msg, now); !strings.Contains(got, "queued 10m0s ago") {
		t.Errorf("reason %q, want the age rounded to the second", got)
	}
}
