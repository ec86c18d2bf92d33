package relay

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/events"
)

// On a path with destination: domain (serve's built-in local-sink, whose
// sink plays every domain's receiver) a 421 given for one domain rests that
// domain only: mail to another domain is sent at once, HeldBack names only
// the resting domain's mail, and the rest is read back after a restart for
// that domain alone. Before, the 421 for yahoo.test held example.test too,
// and each retry of the yahoo.test message met the 421 again and began a
// new rest, so that example.test was never tried.
func TestDomainDestinationRestsPerDomain(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			if strings.HasSuffix(to, "@yahoo.test") {
				return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "deferred for unusual volume")
			}
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Destination = DestinationDomain
	cfg.Paths[0].Backoff = dur(10 * time.Minute)
	h := newHarness(t, cfg, Options{})
	ctx := context.Background()
	yahoo := h.enqueue("a@s.test", "deferred@yahoo.test")
	h.runUntil("the 421", h.deferrals(yahoo, 1))
	h.v.Advance(time.Minute)
	ok := h.enqueue("a@s.test", "ok+after@example.test")
	h.runUntil("example.test delivered", h.done(ok, 1))
	if at := h.events(events.Filter{Message: ok, Kinds: []string{events.RelayDelivered}})[0].Time.Sub(epoch); at != time.Minute {
		t.Errorf("example.test delivered at %v, want at 1m: yahoo.test's 421 must not hold it", at)
	}
	yahoo2 := h.enqueue("a@s.test", "second@Yahoo.test")
	h.runUntil("yahoo.test's second message held", h.deferrals(yahoo2, 1))
	d := h.events(events.Filter{Message: yahoo2, Kinds: []string{events.RelayDeferred}})
	if text := payload(t, d[0])["reply"].(map[string]any)["text"].(string); !strings.Contains(text, "destination path:primary:yahoo.test rests until 2026-03-01T12:10:00Z") {
		t.Errorf("yahoo.test's second message held with %q, want the rest of path:primary:yahoo.test until 12:10", text)
	}
	if a := h.events(events.Filter{Message: yahoo2, Kinds: []string{events.RelayAttempt}}); len(a) != 0 {
		t.Errorf("%d attempts for yahoo.test during its rest, want none", len(a))
	}

	// A restart reads the rest back for yahoo.test alone.
	if err := h.r.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	r3, err := New(cfg, Options{Store: h.store, Clock: h.v, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r3.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r3.Shutdown(context.Background()) })
	h3 := &harness{t: t, v: h.v, store: h.store, r: r3}
	until, resting := r3.destFor("path:primary:yahoo.test", r3.paths["primary"]).resting(h.v.Now())
	if !resting || !until.Equal(epoch.Add(10*time.Minute)) {
		t.Errorf("after a restart path:primary:yahoo.test rests until %v (%v), want 12:10", until, resting)
	}
	if _, resting := r3.destFor("path:primary:example.test", r3.paths["primary"]).resting(h.v.Now()); resting {
		t.Error("after a restart example.test rests, want only yahoo.test")
	}
	held, err := r3.HeldBack(ctx, yahoo2)
	if err != nil || len(held) != 1 || !held[0].Until.Equal(epoch.Add(10*time.Minute)) {
		t.Errorf("HeldBack(yahoo.test's second) = %+v, %v; want held until 12:10", held, err)
	}
	// queue retry in another process reads the rest, and its cause,
	// from the store.
	idle, err := New(cfg, Options{Store: h.store, Clock: h.v, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	held, err = idle.HeldBack(ctx, yahoo2)
	if err != nil || len(held) != 1 || !strings.Contains(held[0].Reply.Text, "after 421 4.7.0 deferred for unusual volume to deferred@yahoo.test") {
		t.Errorf("HeldBack of a relay not started = %+v, %v; want the hold naming the 421 that began the rest", held, err)
	}
	ok2 := h3.enqueue("a@s.test", "two@example.test")
	h3.runUntil("example.test delivered after the restart", h3.done(ok2, 1))
	if at := h3.events(events.Filter{Message: ok2, Kinds: []string{events.RelayDelivered}})[0].Time.Sub(epoch); at != time.Minute {
		t.Errorf("example.test delivered at %v after the restart, want at once (1m)", at)
	}
}

// A path without destination keeps the smarthost's behaviour: a 421 for
// one domain rests the whole path, since a real smarthost's 421 asks for
// less of all the mail it is given.
func TestHostDestinationRestsThePath(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			if strings.HasSuffix(to, "@yahoo.test") {
				return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "deferred for unusual volume")
			}
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Backoff = dur(10 * time.Minute)
	h := newHarness(t, cfg, Options{})
	yahoo := h.enqueue("a@s.test", "deferred@yahoo.test")
	h.runUntil("the 421", h.deferrals(yahoo, 1))
	h.v.Advance(time.Minute)
	ok := h.enqueue("a@s.test", "ok@example.test")
	h.runUntil("example.test held", h.deferrals(ok, 1))
	d := h.events(events.Filter{Message: ok, Kinds: []string{events.RelayDeferred}})
	if text := payload(t, d[0])["reply"].(map[string]any)["text"].(string); !strings.Contains(text, "destination path:primary rests until") {
		t.Errorf("example.test held with %q, want the rest of path:primary", text)
	}
}

// serve's built-in path to the sink shapes each domain apart; destination
// is refused on an mx path and with an unknown value, naming the key.
func TestDestinationConfig(t *testing.T) {
	t.Parallel()
	if got := DefaultConfig().Paths[0].Destination; got != DestinationDomain {
		t.Errorf("the built-in local-sink path has destination %q, want %q", got, DestinationDomain)
	}
	for _, tc := range []struct {
		typ, dest, err string
	}{
		{"smarthost", "", ""},
		{"smarthost", "host", ""},
		{"smarthost", "domain", ""},
		{"mx", "", ""},
		{"mx", "domain", "relay.paths[0].destination: \"domain\": an mx path's destinations are"},
		{"mx", "host", "relay.paths[0].destination: \"host\": an mx path's"},
		{"smarthost", "recipient", "relay.paths[0].destination: \"recipient\": want host"},
	} {
		c := DefaultConfig()
		c.Paths[0].Type, c.Paths[0].Destination = tc.typ, tc.dest
		if tc.typ == "mx" {
			c.Paths[0].Host = ""
		}
		err := c.Validate("relay")
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s path, destination %q: %v, want no error", tc.typ, tc.dest, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s path, destination %q: %v, want %q", tc.typ, tc.dest, err, tc.err)
		}
	}
}

// queue retry in another process names the reply that began a rest also
// when the rest's end has a fraction of a second, as on the real clock: the
// attempt's rest (to the nanosecond) is later than the hold's text (to the
// second), and it replaced the hold's cause with none ("after a 421 or
// rate limit").
func TestHeldBackNamesCauseOfSubsecondRest(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "deferred for unusual volume")
		}
	})
	cfg := testConfig(mta.addr)
	h := newHarness(t, cfg, Options{})
	h.v.Advance(500 * time.Millisecond)
	first := h.enqueue("a@s.test", "one@yahoo.test")
	h.runUntil("the 421", h.deferrals(first, 1))
	second := h.enqueue("a@s.test", "two@yahoo.test")
	h.runUntil("the hold", h.deferrals(second, 1))
	idle, err := New(cfg, Options{Store: h.store, Clock: h.v, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	held, err := idle.HeldBack(context.Background(), second)
	if err != nil || len(held) != 1 || !strings.Contains(held[0].Reply.Text, "after 421 4.7.0 deferred for unusual volume to one@yahoo.test") {
		t.Errorf("HeldBack of a relay not started = %+v, %v; want the hold naming the 421 that began the rest", held, err)
	}
}
