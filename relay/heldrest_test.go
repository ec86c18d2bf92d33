package relay

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
)

// A 421 to one message rests the destination for all its mail: HeldBack
// names the other messages' waiting recipients too, with the end of the
// rest, whatever their own last reply was, also from a relay that is not
// running (relaylab queue retry beside a running serve). It named only
// recipients whose own last outcome was a hold, so queue retry said
// "due now" for mail the rest then held. And a hold's end is the rest's,
// which its reply names, not the next attempt the retry schedule set
// (HeldBack said "held until 10:30" beside "rests until 10:00").
func TestHeldBackByAnotherMessagesRest(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			switch {
			case strings.HasPrefix(to, "slow@"):
				return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "too many connections, slow down")
			case strings.HasPrefix(to, "soft"):
				return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "try again later")
			}
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Backoff = dur(10 * time.Minute)
	cfg.Retry.Schedule = []config.Duration{dur(20 * time.Minute)}
	h := newHarness(t, cfg, Options{})
	ctx := context.Background()
	id1 := h.enqueue("a@s.test", "soft1@r.test", "soft2@r.test")
	h.runUntil("the 451s", h.deferrals(id1, 2))
	h.v.Advance(time.Minute)
	id2 := h.enqueue("a@s.test", "slow@r.test")
	h.runUntil("the 421", h.deferrals(id2, 1))
	restEnd := epoch.Add(11 * time.Minute)
	idle, err := New(cfg, Options{Store: h.store, Clock: h.v, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	// Only the 421's attempt tells the store of the rest so far.
	if held, err := idle.HeldBack(ctx, id1); err != nil || len(held) != 2 || !held[0].Until.Equal(restEnd) {
		t.Errorf("relay not started, before any mail was held: HeldBack %+v, %v; want both recipients until %v", held, err, restEnd)
	}
	h.v.Advance(9 * time.Minute)
	id3 := h.enqueue("a@s.test", "three@r.test") // held by the rest, next attempt at its end
	h.runUntil("the hold", h.deferrals(id3, 1))

	for name, r := range map[string]*Relay{"running relay": h.r, "relay not started": idle} {
		for id, want := range map[string][]string{id1: {"soft1@r.test", "soft2@r.test"}, id3: {"three@r.test"}} {
			held, err := r.HeldBack(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, hb := range held {
				got = append(got, hb.Address)
				if !hb.Until.Equal(restEnd) || !strings.Contains(hb.Reply.Text, "rests until "+restEnd.Format(time.RFC3339)) {
					t.Errorf("%s: %s held until %v: %q, want until %v, as its reply says", name, hb.Address, hb.Until, hb.Reply.Text, restEnd)
				}
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("%s: HeldBack(%s) names %q, want %q held by the rest", name, id, got, want)
			}
		}
	}
	// The rest ended: nothing is held.
	h.v.Advance(2 * time.Minute)
	if held, err := idle.HeldBack(ctx, id1); err != nil || len(held) != 0 {
		t.Errorf("after the rest: HeldBack %v, %v; want none", held, err)
	}
}

// A rest outlives a restart even when it held no other mail back yet: the
// restarted relay reads it from the attempt that met the 421. It read
// rests only from held recipients, and sent new mail into the rest.
func TestRestFromAttemptSurvivesRestart(t *testing.T) {
	t.Parallel()
	h, mta, _ := restingHarness(t)
	h2 := restarted(t, h, mta.addr)
	h.v.Advance(2 * time.Minute)
	id2 := h2.enqueue("a@s.test", "two@r.test")
	h2.runUntil("delivered", h2.done(id2, 1))
	d := h2.events(events.Filter{Message: id2, Kinds: []string{events.RelayDelivered}})
	if at := d[0].Time.Sub(epoch); at != 10*time.Minute {
		t.Errorf("delivered at %v after a restart, want at 10m when the rest ends", at)
	}
}

// A hold names no host: the relay.deferred of a recipient held by a
// destination's rest has no "host", and a recipient never tried keeps
// none on its row, instead of the path's host, where nothing was sent.
func TestHoldNamesNoHost(t *testing.T) {
	t.Parallel()
	h, _, _ := restingHarness(t)
	h.v.Advance(2 * time.Minute)
	id2 := h.enqueue("a@s.test", "two@r.test")
	h.runUntil("held back", h.deferrals(id2, 1))
	pl := payload(t, h.events(events.Filter{Message: id2, Kinds: []string{events.RelayDeferred}})[0])
	if host, ok := pl["host"]; ok {
		t.Errorf("the hold's relay.deferred names host %v, where nothing was sent", host)
	}
	m, err := h.r.Message(context.Background(), id2)
	if err != nil || len(m.Recipients) != 1 || m.Recipients[0].Host != "" || m.Recipients[0].Attempts != 0 {
		t.Errorf("held recipient %+v (%v): want no host and no attempt", m.Recipients, err)
	}
}
