package sink

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
)

// TestClearStartsOver: a clear deletes the running sink's record and
// makes it forget its counters at once ("defer2" defers twice again);
// the message it held is said to be gone; a clear of the stopped store
// does the same for the next sink on it, whose sessions, numbered on from
// the last one cleared (they were numbered from 1 again, giving the ids
// of cleared sessions to new ones), count across its restarts (the
// clear's reset leaves none of them uncounted).
func TestClearStartsOver(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "sink.db")
	s, st := testSinkAt(t, path, nil, nil)
	addr := addrOf(t, s, "mx")
	steps := func(what, addr string, want ...int) { t.Helper(); defer2Steps(t, what, addr, want...) }
	steps("first test", addr, 451, 451, 250)
	c := dial(t, addr)
	c.greet()
	if code, msg := c.send("a@x.test", "b@sink.test", testMsg); code != 250 {
		t.Fatalf("a message: %d %s", code, msg)
	}
	c.cmd("QUIT")
	waitSessions(t, st, 4)

	got, err := s.Clear(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows("sink_messages") != 1 || got.Rows("sink_sessions") != 4 || got.Rows("sink_attempts") != 4 || got.Rows("events") < 5 {
		t.Errorf("deleted %+v; want 1 message, 4 sessions, 4 attempts and their events", got.Tables)
	}
	if f := got.Forgotten; f.Pairs != 2 || f.Messages != 1 || f.Before != 0 {
		t.Errorf("forgot %+v; want 2 pairs, 1 Message-ID, no session left uncounted", f)
	}
	for _, table := range []string{"sink_sessions", "sink_messages", "sink_attempts"} {
		if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM `+table); n != 0 {
			t.Errorf("%s: %d rows left", table, n)
		}
	}
	if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM events WHERE kind IN ('sink.session', 'sink.reply', 'sink.message')`); n != 0 {
		t.Errorf("%d of the sink's events left", n)
	}
	var payload string
	if err := st.DB().QueryRow(`SELECT payload FROM events WHERE kind = ?`, EventReset).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	var p clearPayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil || p.Cleared.Rows("sink_messages") != 1 {
		t.Errorf("the reset event says %s (%v); want what the clear deleted", payload, err)
	}
	if gone, err := MessageGone(ctx, st.DB(), 1); err != nil || !gone {
		t.Errorf("message 1: gone %v, %v; want gone", gone, err)
	}
	if gone, err := MessageGone(ctx, st.DB(), 2); err != nil || gone {
		t.Errorf("message 2, never stored: gone %v, %v", gone, err)
	}
	steps("after the clear, running", addr, 451, 451, 250)
	waitSessions(t, st, 3)
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// Stopped: the store alone, then a sink on it twice.
	st2, err := store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Clear(ctx, st2); err != nil || got.Rows("sink_sessions") != 3 || got.Forgotten.Pairs != 1 {
		t.Fatalf("clear of the stopped store: %+v, %v; want 3 sessions and 1 pair", got, err)
	}
	st2.Close()
	s3, st3 := testSinkAt(t, path, nil, nil)
	steps("after a clear of the stopped store", addrOf(t, s3, "mx"), 451, 451)
	waitSessions(t, st3, 2)
	if lo, hi := itCount(t, st3.DB(), `SELECT MIN(id) FROM sink_sessions`), itCount(t, st3.DB(), `SELECT MAX(id) FROM sink_sessions`); lo != 8 || hi != 9 {
		t.Fatalf("the sink numbered its sessions %d to %d, want 8 to 9 (on from 7, the last the clears deleted)", lo, hi)
	}
	if err := s3.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	st3.Close()
	s4, _ := testSinkAt(t, path, nil, nil)
	steps("after a restart", addrOf(t, s4, "mx"), 250)
}
