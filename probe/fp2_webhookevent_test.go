package probe

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// TestWebhookOutcomeIsAnEvent: how the POSTs of a change ended is an
// event, not only a log line: probe.webhook_failed when the receiver
// refused it or every attempt failed, with the receiver's host (never the
// URL's path, which may hold its secret), its status or the error, and
// what to do; probe.webhook_delivered when it took it. Before, a change
// given up on was said only in the log.
func TestWebhookOutcomeIsAnEvent(t *testing.T) {
	t.Parallel()
	mute := hangUp(t)
	for _, tc := range []struct {
		name     string
		status   int // 0: post to mute, which hangs up
		kind     string
		want     WebhookEvent // Host is filled in
		reason   string
		advice   string
		noStatus bool
	}{
		{name: "503 on every attempt", status: http.StatusServiceUnavailable, kind: EventWebhookFailed,
			want:   WebhookEvent{Result: "failed", Attempts: 2, Status: "503 Service Unavailable"},
			reason: "did not take change 1 (listing 127.0.2.20 good.bl.test) in 2 attempts: its last answer was 503 Service Unavailable",
			advice: "check that the receiver is up"},
		{name: "404", status: http.StatusNotFound, kind: EventWebhookFailed,
			want:   WebhookEvent{Result: "refused", Attempts: 1, Status: "404 Not Found"},
			reason: "refused change 1 (listing 127.0.2.20 good.bl.test) with 404 Not Found",
			advice: "check probe.webhook.url"},
		{name: "redirect", status: http.StatusFound, kind: EventWebhookFailed,
			want:   WebhookEvent{Result: "refused", Attempts: 1, Status: "302 Found"},
			reason: "answered 302 Found to change 1", advice: "set probe.webhook.url to the URL the receiver redirects to"},
		{name: "no answer", kind: EventWebhookFailed,
			want:   WebhookEvent{Result: "failed", Attempts: 2},
			reason: "got no answer from", advice: "check that the receiver runs", noStatus: true},
		{name: "delivered", status: http.StatusNoContent, kind: EventWebhookDelivered,
			want: WebhookEvent{Result: "delivered", Attempts: 1, Status: "204 No Content"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vc := clock.NewVirtual(epoch)
			st := openStore(t, vc)
			base := mute
			if tc.status != 0 {
				ts, _ := hookServer(t, func(int) int { return tc.status })
				base = ts.URL
			}
			cfg := DefaultConfig().Webhook
			cfg.URL, cfg.Attempts = base+"/hooks/s3cr3t-path", 2
			u, _ := url.Parse(base)
			id := pendingChange(t, st)
			w := newWebhook(cfg, newWebhookClient(), st, vc, discard())
			drainOnClock(t, vc, w)

			evs, err := st.Events(context.Background(), events.Filter{Kinds: []string{"probe."}})
			if err != nil || len(evs) != 1 || evs[0].Kind != tc.kind || evs[0].Target != "127.0.2.20" {
				t.Fatalf("events %+v (%v), want one %s about 127.0.2.20", evs, err, tc.kind)
			}
			if strings.Contains(string(evs[0].Payload), "s3cr3t") {
				t.Errorf("the payload shows the URL's path: %s", evs[0].Payload)
			}
			var got WebhookEvent
			if err := json.Unmarshal(evs[0].Payload, &got); err != nil {
				t.Fatal(err)
			}
			want := tc.want
			want.ChangeID, want.Key, want.Host = id, "listing 127.0.2.20 good.bl.test", u.Host
			if got.ChangeID != want.ChangeID || got.Key != want.Key || got.Host != want.Host || got.Result != want.Result ||
				got.Attempts != want.Attempts || got.Status != want.Status {
				t.Errorf("payload %+v, want %+v", got, want)
			}
			if !strings.Contains(got.Reason, tc.reason) || !strings.Contains(got.Advice, tc.advice) {
				t.Errorf("reason %q, advice %q; want them to hold %q and %q", got.Reason, got.Advice, tc.reason, tc.advice)
			}
			if tc.kind == EventWebhookFailed && (!strings.Contains(got.Advice, "not posted again") || !strings.Contains(got.Reason, u.Host)) {
				t.Errorf("reason %q, advice %q: want the host, and that the change is not posted again", got.Reason, got.Advice)
			}
			if tc.noStatus && (got.Error == "" || !strings.Contains(got.Reason, got.Error)) {
				t.Errorf("error %q, reason %q: want the error said", got.Error, got.Reason)
			}
		})
	}
}

// hangUp returns the URL of a loopback server that closes every
// connection without an answer.
func hangUp(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return "http://" + ln.Addr().String()
}

// pendingChange stores a change that waits for the webhook and returns
// its id.
func pendingChange(t *testing.T, st *store.Store) int64 {
	t.Helper()
	var id int64
	err := st.Write(context.Background(), func(tx *store.Tx) error {
		res, err := tx.Exec(`INSERT INTO probe_changes (time_ns, target, key, kind, old, new, webhook) VALUES (?, '127.0.2.20', 'listing 127.0.2.20 good.bl.test', ?, 'not-listed', 'listed 127.0.0.2', ?)`,
			epoch.UnixNano(), ChangeListed, hookPending)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// drainOnClock posts what waits for w, moving the virtual clock to each
// retry as soon as w waits for it.
func drainOnClock(t *testing.T, vc *clock.Virtual, w *webhook) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- w.drain(context.Background()) }()
	for {
		ch := vc.Changed()
		if vc.Pending() > 0 {
			vc.AdvanceToNext()
			continue
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return
		case <-ch:
		}
	}
}
