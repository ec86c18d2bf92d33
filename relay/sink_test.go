package relay

import (
	"context"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/sink"
)

// withSink starts relaylab's sink on the harness's store and clock and
// returns its listener's address.
func withSink(t *testing.T, h *harness, bounceTo string) string {
	t.Helper()
	return startSink(t, h, bounceTo).Addrs()["mx"].String()
}

// startSink starts a sink as withSink does, and returns it.
func startSink(t *testing.T, h *harness, bounceTo string) *sink.Sink {
	t.Helper()
	cfg := sink.DefaultConfig()
	cfg.Listeners = []sink.ListenerConfig{sink.DefaultListener("mx", "127.0.0.1:0", "sink.test")}
	cfg.Bounce.Relay = bounceTo
	s, err := sink.New(cfg, sink.Options{Store: h.store, Clock: h.v, Logger: slog.New(slog.DiscardHandler), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return s
}

func TestWithSinkGreylistAndAsyncBounce(t *testing.T) {
	t.Parallel()
	cfg := testConfig("127.0.0.1:1") // replaced below, once the sink listens
	cfg.Listen = "127.0.0.1:0"
	cfg.DSN.VERP = true
	cfg.Retry = RetryConfig{Kind: "list", Schedule: []config.Duration{dur(time.Minute), dur(5 * time.Minute)}, MaxAge: dur(time.Hour)}
	// The relay must listen before the sink knows where to bounce to, and
	// the sink must listen before the relay knows where to send: start a
	// relay for intake, then point a path at the sink.
	h := newHarness(t, cfg, Options{})
	sinkAddr := withSink(t, h, h.r.Addr().String())
	h.r.paths["primary"].cfg.Host = sinkAddr

	grey := h.enqueue("a@s.test", "greylist@r.test")
	h.runUntil("greylist passed", h.done(grey, 1))
	// Greylisting wants a retry at least 5 min after the first attempt:
	// attempts at 0 and 1m are refused, the one at 6m passes.
	if got, want := h.attemptTimes(grey, "greylist@r.test"), []time.Duration{0, time.Minute, 6 * time.Minute}; !reflect.DeepEqual(got, want) {
		t.Errorf("attempts %v, want %v", got, want)
	}
	if k := h.terminal(grey)["greylist@r.test"]; !reflect.DeepEqual(k, []string{events.RelayDelivered}) {
		t.Errorf("greylisted recipient: %v", k)
	}

	bounced := h.enqueue("a@s.test", "bounce1m@r.test")
	h.runUntil("async bounce", func() bool { return len(h.terminal(bounced)["bounce1m@r.test"]) == 2 })
	if k := h.terminal(bounced)["bounce1m@r.test"]; !reflect.DeepEqual(k, []string{events.RelayDelivered, events.RelayBounced}) {
		t.Errorf("terminal events %v, want delivered then bounced", k)
	}
	sups, err := h.r.Suppressions(context.Background())
	if err != nil || len(sups) != 1 || sups[0].Address != "bounce1m@r.test" || sups[0].Source != "dsn" {
		t.Errorf("suppressions %+v (%v), want bounce1m@r.test from a DSN", sups, err)
	}
}
