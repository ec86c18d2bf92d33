package sink

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
)

// A reset makes the sink forget its attempt counters, and only them: on a
// stopped store, the next sink on it counts "defer2" from the start again
// while every session stays recorded; on a store a sink runs on, written
// by another process's ResetState, that sink follows from its next
// connection on; (*Sink).ResetState resets a sink of this process.
func TestResetStateForgetsCounters(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "sink.db")
	s, st := testSinkAt(t, path, nil, nil)
	addr := addrOf(t, s, "mx")
	steps := func(what, addr string, want ...int) { t.Helper(); defer2Steps(t, what, addr, want...) }
	steps("first run", addr, 451, 451, 250)
	if c := dial(t, addr); true {
		c.greet()
		if code, msg := c.send("a@x.test", "b@sink.test", testMsg); code != 250 {
			t.Fatalf("a message: %d %s", code, msg)
		}
		c.cmd("QUIT")
	}
	waitSessions(t, st, 4)
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// Stopped: the store alone.
	st2, err := store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	f, err := ResetState(ctx, st2)
	if err != nil {
		t.Fatal(err)
	}
	// (a, defer2+run) and (a, b); the message's Message-ID.
	if f.Pairs != 2 || f.Messages != 1 || f.Greylist != 0 || f.Before != 4 {
		t.Errorf("forgot %+v, want 2 pairs, 1 message, 0 greylist, before session 4", f)
	}
	st2.Close()
	s3, st3 := testSinkAt(t, path, nil, nil)
	addr3 := addrOf(t, s3, "mx")
	steps("after a reset of the stopped store", addr3, 451)
	if n := itCount(t, st3.DB(), `SELECT COUNT(*) FROM sink_sessions WHERE id <= 4`); n != 4 {
		t.Errorf("%d of the 4 sessions before the reset are left", n)
	}

	// Running: another process resets its store, once the session of
	// that attempt is recorded (when it ends, after its 221).
	waitSessions(t, st3, 5)
	other, err := store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if f, err := ResetState(ctx, other); err != nil || f.Pairs != 1 {
		t.Fatalf("reset while a sink runs: %+v, %v; want the one pair counted since", f, err)
	}
	steps("after another process's reset", addr3, 451, 451, 250)

	// Running, in this process.
	waitSessions(t, st3, 8)
	if f, err := s3.ResetState(ctx); err != nil || f.Pairs != 1 {
		t.Fatalf("(*Sink).ResetState: %+v, %v; want the one pair", f, err)
	}
	steps("after the sink's own reset", addr3, 451, 451, 250)
}

// defer2Steps sends "defer2+run@sink.test" to addr once for each of want
// and checks the RCPT reply codes in order (what names the step).
func defer2Steps(t *testing.T, what, addr string, want ...int) {
	t.Helper()
	for i, w := range want {
		if got := rcptReply(t, addr, "a@x.test", "defer2+run@sink.test"); got != w {
			t.Fatalf("%s, attempt %d: got %d, want %d", what, i+1, got, w)
		}
	}
}
