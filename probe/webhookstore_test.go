package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
)

// TestWebhookChangesSurviveRestart: a change whose POST was still being
// retried at shutdown is counted in the log and posted after a restart,
// instead of living only in memory and being lost.
func TestWebhookChangesSurviveRestart(t *testing.T) {
	t.Parallel()
	vc := clock.NewVirtual(epoch)
	st := openStore(t, vc)
	tried := make(chan struct{})
	down, _ := hookServer(t, func(n int) int {
		if n == 1 {
			close(tried)
		}
		return http.StatusServiceUnavailable
	})
	var logs syncBuffer
	cfg := DefaultConfig()
	cfg.Webhook.URL = down.URL + "/hook"
	m, _ := listedMonitor(t, st, vc, cfg, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := m.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	vc.Advance(time.Hour)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	// The second check confirms the listing; its POST fails and waits on
	// the clock for a retry when the monitor is stopped.
	select {
	case <-tried:
	case <-time.After(20 * time.Second):
		t.Fatal("the webhook never tried to post the change")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`not yet posted.*\bcount=1\b`).MatchString(logs.String()) {
		t.Errorf("the log at shutdown does not count 1 change not yet posted:\n%s", logs.String())
	}

	// Restarted, with the receiver back: the change is posted.
	up, got := hookServer(t, func(int) int { return http.StatusNoContent })
	cfg.Webhook.URL = up.URL + "/hook"
	m2, _ := listedMonitor(t, st, vc, cfg, Options{})
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	go func() { done <- m2.Run(ctx2) }()
	var p WebhookPayload
	if b := waitBody(t, got); json.Unmarshal([]byte(b), &p) != nil || p.Change.Kind != ChangeListed || p.Change.ID == 0 || !p.Change.First {
		t.Errorf("posted after the restart: %s, want the first listing with its id", b)
	}
	waitPending(t, st, 0)
	cancel2()
	<-done
	var state string
	if err := st.DB().QueryRow(`SELECT webhook FROM probe_changes WHERE id = ?`, p.Change.ID).Scan(&state); err != nil || state != "delivered" {
		t.Errorf("stored webhook state %q (%v), want delivered", state, err)
	}
}

// waitPending waits until want changes wait for the webhook: each POST's
// outcome is stored just after its reply.
func waitPending(t *testing.T, st *store.Store, want int) {
	t.Helper()
	for i := 0; ; i++ {
		n, err := pendingChanges(context.Background(), st)
		if err != nil {
			t.Fatal(err)
		}
		if n == want {
			return
		}
		if i == 2000 {
			t.Fatalf("%d changes wait for the webhook, want %d", n, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWebhookPostsPendingChangesInOrder: every change that waits for the
// webhook is posted, oldest first, however many accumulated while the
// receiver was away (nothing is held in memory to overflow); changes
// recorded with no webhook, or already delivered, are not posted.
func TestWebhookPostsPendingChangesInOrder(t *testing.T) {
	t.Parallel()
	vc := clock.NewVirtual(epoch)
	st := openStore(t, vc)
	const n = 1500
	err := st.Write(context.Background(), func(tx *store.Tx) error {
		for i := 0; i < n+2; i++ {
			state := "pending"
			switch i {
			case 7:
				state = ""
			case 8:
				state = "delivered"
			}
			if _, err := tx.Exec(`INSERT INTO probe_changes (time_ns, target, key, kind, old, new, webhook) VALUES (?, ?, ?, ?, '', ?, ?)`,
				epoch.UnixNano(), "127.0.2.20", fmt.Sprintf("k%04d", i), ChangeListed, "listed 127.0.0.2", state); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ts, got := hookServer(t, func(int) int { return http.StatusOK })
	cfg := DefaultConfig().Webhook
	cfg.URL = ts.URL
	w := newWebhook(cfg, newWebhookClient(), st, vc, discard())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan struct{})
	go func() { defer close(stopped); w.run(ctx) }()
	last := int64(0)
	for i := 0; i < n; i++ {
		var p WebhookPayload
		if b := waitBody(t, got); json.Unmarshal([]byte(b), &p) != nil || p.Change.ID <= last {
			t.Fatalf("POST %d: %s after the change with id %d, want the next change in order", i, b, last)
		}
		last = p.Change.ID
		if p.Change.Key == "k0007" || p.Change.Key == "k0008" {
			t.Errorf("posted %s, which was not waiting for the webhook", p.Change.Key)
		}
	}
	waitPending(t, st, 0)
	var states string
	if err := st.DB().QueryRow(`SELECT group_concat(DISTINCT webhook) FROM probe_changes WHERE key IN ('k0007', 'k0008')`).Scan(&states); err != nil || (states != ",delivered" && states != "delivered,") {
		t.Errorf("states of the changes not waiting: %q (%v), want them unchanged", states, err)
	}
	cancel()
	<-stopped
}
