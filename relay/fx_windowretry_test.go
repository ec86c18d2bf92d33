package relay

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestFXRetryKeepsWindowHold: a recipient a route's sending window holds
// stays due when the window opens after a retry (RetryNow, queue retry,
// the web's Retry), and Holds names it, whether the relay that retries has
// the running relay's configuration or the built-in one (queue retry --db
// without --config), whose one route, "default", has no windows, even
// when the running relay's windowed route is named "default" too: the
// recorded hold is gone by. A configuration that has the route's windows,
// open now, lifts it. Holds skipped the window's hold, recorded with no
// path, so the retry made it due now, queue show said "now", and the
// relay held it again.
func TestFXRetryKeepsWindowHold(t *testing.T) {
	t.Parallel()
	opens := epoch.Add(2 * time.Hour) // the clock starts at 12:00 UTC
	builtin := func(Config) Config {
		c := DefaultConfig()
		c.Listen = ""
		return c
	}
	for _, tt := range []struct {
		name  string
		route string // the running relay's, with the window 14:00-15:00
		cfg   func(running Config) Config
		held  bool
	}{
		{"the running relay's configuration", "all", func(c Config) Config { return c }, true},
		{"the built-in configuration", "all", builtin, true},
		{"the built-in configuration, a route named default", "default", builtin, true},
		{"the route's window open now", "all", func(c Config) Config {
			c.Routes = []RouteConfig{{Name: "all", Paths: []string{"primary"}, Windows: []string{"11:00-13:00"}}}
			return c
		}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			mta := startMTA(t, nil)
			cfg := testConfig(mta.addr)
			cfg.Routes[0].Name, cfg.Routes[0].Windows = tt.route, []string{"14:00-15:00"}
			cfg.Retry.MaxAge = dur(24 * time.Hour)
			h, id := windowHeld(t, cfg)
			other := tt.cfg(cfg)
			if err := other.Validate("relay"); err != nil {
				t.Fatal(err)
			}
			r := cliRelay(t, h, other)
			held, err := r.Holds(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if n, err := r.RetryNow(ctx, id); err != nil || n != 1 {
				t.Fatalf("RetryNow = %d, %v; want 1 recipient waiting", n, err)
			}
			var due int64
			if err := h.store.DB().QueryRow(`SELECT due_ns FROM relay_recipients WHERE message_id = ?`, id).Scan(&due); err != nil {
				t.Fatal(err)
			}
			got := time.Unix(0, due).UTC()
			if !tt.held {
				if len(held) != 0 || !got.Equal(h.v.Now()) {
					t.Errorf("held %+v, due %v; want nothing held and due now (%v)", held, got, h.v.Now())
				}
				return
			}
			if len(held) != 1 || held[0].Address != "b@r.test" || !held[0].Until.Equal(opens) ||
				!strings.HasPrefix(held[0].Reply.Text, windowHoldPrefix+tt.route+";") {
				t.Errorf("held %+v; want b@r.test held by route %s's window until %v", held, tt.route, opens)
			}
			if !got.Equal(opens) {
				t.Errorf("due_ns after the retry %v, want the window's opening %v", got, opens)
			}
		})
	}
}

// TestFXWindowHoldRoute: the route a window's hold names, its name
// containing "; " or not; other holds name none.
func TestFXWindowHoldRoute(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		text, route string
		ok          bool
	}{
		{windowHoldPrefix + "all; the next opens at 2026-03-01T14:00:00Z", "all", true},
		{windowHoldPrefix + "a; b; the next opens at 2026-03-01T14:00:00Z", "a; b", true},
		{windowHoldPrefix + "routes[2]; the next opens at 2026-03-01T14:00:00Z", "routes[2]", true},
		{"path primary reached its warm-up cap for the day (1 messages); the next day starts at 2026-03-02T00:00:00Z", "", false},
	} {
		if route, ok := WindowHoldRoute(tt.text); route != tt.route || ok != tt.ok {
			t.Errorf("WindowHoldRoute(%q) = %q, %v; want %q, %v", tt.text, route, ok, tt.route, tt.ok)
		}
	}
}

// windowHeld runs a relay on cfg until its one message, a@s.test to
// b@r.test, is deferred once (by a route's window in the tests that use
// it), then stops it.
func windowHeld(t *testing.T, cfg Config) (*harness, string) {
	t.Helper()
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@s.test", "b@r.test")
	h.runUntil("the hold", func() bool {
		return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) == 1
	})
	if err := h.r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h, id
}

// cliRelay is a relay on h's store and clock with cfg, as the CLI makes
// one: never started.
func cliRelay(t *testing.T, h *harness, cfg Config) *Relay {
	t.Helper()
	r, err := New(cfg, Options{Store: h.store, Clock: h.v, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
