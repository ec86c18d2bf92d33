package relay

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/internal/testutil"
)

// TestUnrecordedAttemptRequeued: when the store refuses an attempt's
// outcome (a trigger stands in for a full disk), its recipient goes back
// in the queue, due a minute later, and the running relay tries it again
// once the store takes writes, with a log line that says so, instead of
// staying in flight until the relay's next start.
func TestUnrecordedAttemptRequeued(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	logs := &testutil.SyncBuffer{}
	h := newHarness(t, testConfig(mta.addr), Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	ddl := func(sql string) { t.Helper(); execSQL(t, h.store, sql) }
	ddl(`CREATE TRIGGER no_attempt BEFORE INSERT ON events WHEN NEW.kind = '` + events.RelayAttempt + `' BEGIN SELECT RAISE(ABORT, 'database or disk is full (the test)'); END`)
	id := h.enqueue("alice@s.test", "bob@r.test")
	state := func() RecipientInfo {
		t.Helper()
		m, err := h.r.List(context.Background(), QueueFilter{})
		if err != nil || len(m) != 1 || len(m[0].Recipients) != 1 {
			t.Fatalf("queue: %v (%v), want one message with one recipient", m, err)
		}
		return m[0].Recipients[0]
	}
	h.runUntil("the first delivery", func() bool { return len(mta.received()) == 1 })
	h.settle()
	if rc := state(); rc.State != StateDeferred || !rc.Due.Equal(h.v.Now().Add(unrecordedRetry)) {
		t.Fatalf("after a refused record: state %s due %v, want deferred, due %v (a minute after)", rc.State, rc.Due, h.v.Now().Add(unrecordedRetry))
	}
	if l := logs.String(); !strings.Contains(l, "recording an attempt failed") || !strings.Contains(l, "due again in 1m0s") ||
		!strings.Contains(l, "disk is full (the test)") {
		t.Errorf("log %q: want the failed record, the cause and when the recipients are due again", l)
	}
	ddl(`DROP TRIGGER no_attempt`)
	h.runUntil("the delivery recorded", h.done(id, 1))
	if n := len(mta.received()); n != 2 {
		t.Errorf("%d deliveries, want 2: the unrecorded one is sent again (at-least-once)", n)
	}
	if d := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDelivered}}); len(d) != 1 || d[0].Time.Sub(epoch) != time.Minute {
		t.Errorf("delivered events %v, want one a minute after the first attempt", d)
	}
}

// TestStrandedRecipientsRequeuedWhenStoreRecovers: when the store refuses
// both an attempt's outcome and putting its recipient back in the queue,
// the running relay puts it back once the store takes writes again (it
// tries a minute later), instead of leaving it in flight until the next
// start, where queue retry could not reach it (walk O: a full disk for a
// few seconds left 50 recipients in flight until a restart).
func TestStrandedRecipientsRequeuedWhenStoreRecovers(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	logs := &testutil.SyncBuffer{}
	h := newHarness(t, testConfig(mta.addr), Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	ddl := func(sql string) { t.Helper(); execSQL(t, h.store, sql) }
	ddl(`CREATE TRIGGER no_attempt BEFORE INSERT ON events WHEN NEW.kind = '` + events.RelayAttempt + `' BEGIN SELECT RAISE(ABORT, 'database or disk is full (the test)'); END`)
	ddl(`CREATE TRIGGER no_requeue BEFORE UPDATE OF state ON relay_recipients WHEN NEW.state = 'deferred' BEGIN SELECT RAISE(ABORT, 'database or disk is full (the test)'); END`)
	id := h.enqueue("alice@s.test", "bob@r.test")
	h.runUntil("the first delivery", func() bool { return len(mta.received()) == 1 })
	h.settle()
	state := func() string {
		t.Helper()
		m, err := h.r.Message(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return m.Recipients[0].State
	}
	if st := state(); st != StateInflight {
		t.Fatalf("state %s after both writes were refused, want inflight", st)
	}
	if l := logs.String(); !strings.Contains(l, "once the store takes writes again") {
		t.Errorf("log %q: want it to say the recipients go back once the store takes writes", l)
	}
	ddl(`DROP TRIGGER no_attempt`)
	ddl(`DROP TRIGGER no_requeue`)
	h.runUntil("the delivery recorded", h.done(id, 1))
	if n := len(mta.received()); n != 2 {
		t.Errorf("%d deliveries, want 2 (the unrecorded one is sent again)", n)
	}
	if l := logs.String(); !strings.Contains(l, "the store takes writes again") {
		t.Errorf("log %q: want the recovery said", l)
	}
}

// execSQL runs one statement in a write of st (a trigger that stands for
// a full disk, and its removal).
func execSQL(t *testing.T, st *store.Store, sql string) {
	t.Helper()
	if err := st.Write(context.Background(), func(tx *store.Tx) error { _, err := tx.Exec(sql); return err }); err != nil {
		t.Fatal(err)
	}
}
