package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/web"
)

// TestW14WebRetryNamesHolds: the web API's retry of a message one of
// whose recipients a destination's rest holds says which one, and until
// when, as relaylab queue retry does; the other is due now.
func TestW14WebRetryNamesHolds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "q.db")
	st, rl := openTestRelay(t, db)
	defer st.Close()
	id, err := rl.Enqueue(ctx, relay.Submission{From: "a@s.test", Data: []byte("Subject: x\r\n\r\ny\r\n"),
		Recipients: []relay.Recipient{{Address: "held@r.test"}, {Address: "free@r.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	const hold = "not tried: destination path:p rests until 2030-01-01T00:00:00Z after 421 4.7.0 slow down"
	if err := st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE relay_recipients SET state = 'deferred', due_ns = ?, path = 'p', hold = ?, category = 'destination-backoff'
			WHERE message_id = ? AND address = 'held@r.test'`, time.Now().Add(time.Hour).UnixNano(), hold, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var _ web.RetryHoldsAPI = relayAdapter{rl: rl}
	got, err := relayAdapter{rl: rl}.RetryNowHeld(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := web.RetryHeld{Address: "held@r.test", Until: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Hold: hold}
	if got.Waiting != 2 || len(got.Held) != 1 || got.Held[0].Address != want.Address || !got.Held[0].Until.Equal(want.Until) || got.Held[0].Hold != want.Hold {
		t.Errorf("RetryNowHeld = %+v, want 2 waiting and only %+v held", got, want)
	}
	// The rest outlasts the message (its max_age ends first): the answer
	// says when it expires, unsent.
	m, err := rl.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Held) == 1 && (got.Held[0].Expires == nil || !got.Held[0].Expires.Equal(m.Expires)) {
		t.Errorf("held until 2030 with the message expiring at %s: expires %v, want the expiry", m.Expires, got.Held[0].Expires)
	}
}

// TestW14SessionCount: the sink adapter counts the sessions the sink
// recorded, of one listener or of all, for /api/v1/sink/sessions' total.
func TestW14SessionCount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "s.db"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Write(ctx, func(tx *store.Tx) error {
		for i, l := range []string{"mx", "mx", "backup"} {
			if _, err := tx.Exec(`INSERT INTO sink_sessions (id, listener, client, start_ns, end_ns) VALUES (?, ?, '127.0.0.1:1', 1, 2)`, i+1, l); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	a := sinkAdapter{db: st.DB()}
	for listener, want := range map[string]int{"": 3, "mx": 2, "backup": 1, "none": 0} {
		if n, err := a.SessionCount(ctx, listener); n != want || err != nil {
			t.Errorf("SessionCount(%q) = %d, %v; want %d", listener, n, err, want)
		}
	}
}
