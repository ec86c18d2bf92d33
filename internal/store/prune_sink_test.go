package store_test

import (
	"context"
	"io"
	"log/slog"
	"net/smtp"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/sink"
)

// startSink runs a sink on st with one listener on 127.0.0.1:0 and
// returns its address and a stop function.
func startSink(t *testing.T, st *store.Store, clk clock.Clock) (string, func()) {
	t.Helper()
	cfg := sink.DefaultConfig()
	cfg.Listeners[0].Listen = "127.0.0.1:0"
	cfg.Bounce.Relay = ""
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := sink.New(cfg, sink.Options{Store: st, Clock: clk, Logger: log, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var addr string
	for _, a := range s.Addrs() {
		addr = a.String()
	}
	return addr, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	}
}

// rcptCode is the code of the sink's reply to RCPT TO:<to>, in a session
// of its own.
func rcptCode(t *testing.T, addr, to string) int {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("a@x.test"); err != nil {
		t.Fatal(err)
	}
	code := 250
	if err := c.Rcpt(to); err != nil {
		if !strings.HasPrefix(err.Error(), "451") {
			t.Fatalf("RCPT %s: %v", to, err)
		}
		code = 451
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	return code
}

// TestPruneKeepsSinkCounting: after a prune and a restart, a defer2 pair
// whose attempts are newer than the cutoff counts on (451, 451, 250); one
// whose attempts were all pruned counts from 1 again, as Prune says.
func TestPruneKeepsSinkCounting(t *testing.T) {
	t.Parallel()
	vc := clock.NewVirtual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "s.db"), Clock: vc, Sync: store.SyncOff})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const oldPair, newPair = "defer2+old@y.test", "defer2+new@y.test"

	addr, stop := startSink(t, st, vc)
	if got := rcptCode(t, addr, oldPair); got != 451 {
		t.Fatalf("old pair, first attempt: %d, want 451", got)
	}
	vc.Advance(48 * time.Hour)
	if got := rcptCode(t, addr, newPair); got != 451 {
		t.Fatalf("new pair, first attempt: %d, want 451", got)
	}
	stop()

	res, err := st.Prune(context.Background(), vc.Now().Add(-24*time.Hour), store.PruneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total() == 0 {
		t.Fatalf("the prune deleted nothing: %+v", res)
	}

	addr, stop = startSink(t, st, vc)
	defer stop()
	for i, want := range []int{451, 250} {
		if got := rcptCode(t, addr, newPair); got != want {
			t.Errorf("new pair after the prune, attempt %d: %d, want %d", i+2, got, want)
		}
	}
	if got := rcptCode(t, addr, oldPair); got != 451 {
		t.Errorf("old pair after the prune: %d, want 451 (its count starts over)", got)
	}
}
