package relay

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/internal/testutil"
)

// TestUnreadableMessageRequeuesItsRound: a job that cannot read its
// message puts its recipients back in the queue, and, as the last of its
// round, those another job handed over (a failure waiting for the
// round's DSN), instead of leaving them all in flight until the relay's
// next start; its log line says what failed.
func TestUnreadableMessageRequeuesItsRound(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			if strings.HasPrefix(to, "gone@") {
				return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
			}
			return nil
		}
	})
	logs := &testutil.SyncBuffer{}
	h := newHarness(t, testConfig(mta.addr), Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	h.r.Shutdown(context.Background()) // the test runs the jobs itself
	ctx := context.Background()
	id := h.enqueue("alice@s.test", "gone@a.test", "bob@b.test")
	claimed, err := h.r.claim(ctx, h.v.Now(), 10)
	if err != nil {
		t.Fatal(err)
	}
	jobs := h.r.plan(h.v.Now(), claimed)
	if len(jobs) != 2 || jobs[0].domain != "a.test" {
		t.Fatalf("%d jobs (first for %q), want two, a.test's first", len(jobs), jobs[0].domain)
	}
	h.r.run(ctx, jobs[0]) // 550: handed to the round
	// The message can no longer be read (a damaged row stands for a
	// damaged file).
	if err := h.store.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE relay_messages SET created_ns = 'damaged' WHERE id = ?`, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	h.r.run(ctx, jobs[1])
	rows, err := h.store.DB().Query(`SELECT address, state FROM relay_recipients WHERE message_id = ? ORDER BY id`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var addr, state string
		if err := rows.Scan(&addr, &state); err != nil {
			t.Fatal(err)
		}
		if state != StateDeferred {
			t.Errorf("%s is %s, want deferred (back in the queue)", addr, state)
		}
	}
	if l := logs.String(); !strings.Contains(l, "reading a claimed message failed") || !strings.Contains(l, "due again in 1m0s") {
		t.Errorf("log %q: want the failed read and when the recipients are due again", l)
	}
}

// TestDeletedMessageEndsItsJob: a message deleted between its claim and
// its job's attempt ends the job with a line that says so (it said the
// recipients would be retried at the next start), and the job leaves its
// round.
func TestDeletedMessageEndsItsJob(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	logs := &testutil.SyncBuffer{}
	h := newHarness(t, testConfig(mta.addr), Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	h.r.Shutdown(context.Background())
	ctx := context.Background()
	id := h.enqueue("alice@s.test", "ann@a.test", "bob@b.test")
	claimed, err := h.r.claim(ctx, h.v.Now(), 10)
	if err != nil {
		t.Fatal(err)
	}
	jobs := h.r.plan(h.v.Now(), claimed)
	if err := h.r.Delete(ctx, id); err != nil { // the relay is stopped
		t.Fatal(err)
	}
	for _, j := range jobs {
		h.r.run(ctx, j)
	}
	if n := len(mta.received()); n != 0 {
		t.Errorf("%d deliveries of a deleted message", n)
	}
	l := logs.String()
	if !strings.Contains(l, "deleted before its attempt; nothing is sent") || strings.Contains(l, "next start") || strings.Contains(l, "back in the queue") {
		t.Errorf("log %q: want the deletion said, no retry promised", l)
	}
	h.r.batch.rmu.Lock()
	defer h.r.batch.rmu.Unlock()
	if n := len(h.r.batch.rounds); n != 0 {
		t.Errorf("%d recipients still in a round", n)
	}
}
