package main

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/web"
)

// queueStore writes a store with one message to b@r.test and sets its
// recipient to state, as a relay that ran would have left it.
func queueStore(t *testing.T, state string) (db, id string) {
	t.Helper()
	ctx := context.Background()
	db = filepath.Join(t.TempDir(), "q.db")
	st, rl := openTestRelay(t, db)
	defer st.Close()
	id, err := rl.Enqueue(ctx, relay.Submission{From: "a@s.test", Data: []byte("Subject: x\r\n\r\ny\r\n"), Recipients: []relay.Recipient{{Address: "b@r.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	if state != relay.StateQueued {
		if err := st.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(`UPDATE relay_recipients SET state = ?, due_ns = NULL WHERE message_id = ?`, state, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	return db, id
}

// openTestRelay opens the store at db and a relay on it, not started.
func openTestRelay(t *testing.T, db string) (*store.Store, *relay.Relay) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: db, Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rl, err := relay.New(relay.DefaultConfig(), relay.Options{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	return st, rl
}

func TestQueueDeleteRefusesDelivered(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateDelivered)
	code, out, errOut := runIn(t, ctx, "queue", "delete", id, "--db", db)
	if want := id + " is delivered, not waiting; nothing to delete"; code != 1 || !strings.Contains(errOut, want) || strings.Contains(out, "deleted") {
		t.Errorf("queue delete of a delivered message: exit %d (want 1)\nstdout %q\nstderr %q (want %q)", code, out, errOut, want)
	}
	if code, out, errOut := runIn(t, ctx, "queue", "show", id, "--db", db); code != 0 || !strings.Contains(out, "recipient b@r.test: delivered") {
		t.Errorf("queue show after a refused delete: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
}

func TestQueueArgumentErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"queue", "show"}, "queue show needs a message ID (`relaylab queue list --state all` lists them)"},
		{[]string{"queue", "retry"}, "queue retry needs a message ID (`relaylab queue list --state all` lists them)"},
		{[]string{"queue", "delete"}, "queue delete needs a message ID (`relaylab queue list --state all` lists them)"},
		{[]string{"queue", "delete", "a", "b"}, `queue delete takes one message ID, got 2: ["a" "b"]`},
		{[]string{"queue", "list", "x"}, `queue list takes no arguments, got ["x"]`},
		{[]string{"queue", "lst"}, `queue: unknown action "lst": want list, show, retry, delete, hold, release, rests or unrest; did you mean list? (relaylab queue --help says what each does)`},
	} {
		code, _, errOut := runIn(t, context.Background(), tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d (want 2), stderr %q (want %q)", tc.args, code, errOut, tc.want)
		}
	}
}

// TestRelayAdapterDeleteFinished: the web API's delete of mail that is no
// longer waiting is the caller's mistake (400 through web.ErrInvalid), not
// a server failure (500).
func TestRelayAdapterDeleteFinished(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateDelivered)
	st, rl := openTestRelay(t, db)
	defer st.Close()
	err := relayAdapter{rl: rl}.Delete(ctx, id)
	if !errors.Is(err, web.ErrInvalid) || !strings.Contains(err.Error(), "not waiting") {
		t.Errorf("Delete of a delivered message: %v, want a web.ErrInvalid saying it is not waiting", err)
	}
}

// TestRelayAdapterMessageDSNFor: the web API's message says which message
// a DSN of the relay's reports on, and says nothing of the kind for others.
func TestRelayAdapterMessageDSNFor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateQueued)
	st, rl := openTestRelay(t, db)
	defer st.Close()
	if d, err := (relayAdapter{rl: rl}).Message(ctx, id); err != nil || d.DSNFor != "" {
		t.Errorf("Message(%s) of a message that is not a DSN = dsn_for %q, %v; want none", id, d.DSNFor, err)
	}
	if err := st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE relay_messages SET is_dsn = 1, dsn_for = 'orig123' WHERE id = ?`, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	d, err := relayAdapter{rl: rl}.Message(ctx, id)
	if err != nil || d.DSNFor != "orig123" {
		t.Errorf("Message(%s) = dsn_for %q, %v; want orig123", id, d.DSNFor, err)
	}
}

// TestQueueRetryRefusesFinished: retrying a message none of whose
// recipients waits for a time says where they are and exits 1, instead of
// "0 recipient(s) due now" and 0; the web API answers 400 for it.
func TestQueueRetryRefusesFinished(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateDelivered)
	code, out, errOut := runIn(t, ctx, "queue", "retry", id, "--db", db)
	if want := id + " is delivered, not waiting; nothing to retry"; code != 1 || !strings.Contains(errOut, want) || strings.Contains(out, "due now") {
		t.Errorf("queue retry of a delivered message: exit %d (want 1)\nstdout %q\nstderr %q (want %q)", code, out, errOut, want)
	}
	st, rl := openTestRelay(t, db)
	defer st.Close()
	if err := (relayAdapter{rl: rl}).RetryNow(ctx, id); !errors.Is(err, web.ErrInvalid) {
		t.Errorf("the web API's retry of a delivered message: %v, want web.ErrInvalid", err)
	}
	db2, id2 := queueStore(t, relay.StateQueued)
	if code, out, errOut := runIn(t, ctx, "queue", "retry", id2, "--db", db2); code != 0 || !strings.Contains(out, "1 recipient(s) of "+id2+" due now") {
		t.Errorf("queue retry of a queued message: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
}

// TestQueueShowDSNFor: queue show says which message a DSN of the relay's
// is about.
func TestQueueShowDSNFor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateQueued)
	st, _ := openTestRelay(t, db)
	if err := st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE relay_messages SET is_dsn = 1, dsn_for = 'orig123' WHERE id = ?`, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if code, out, errOut := runIn(t, ctx, "queue", "show", id, "--db", db); code != 0 || !strings.Contains(out, "a delivery status notification the relay wrote about message orig123") {
		t.Errorf("queue show of a DSN: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
}

// TestRelayAdapterQueueWaiting: the web API's queue lists each waiting
// recipient with its own last reply, category, reason and advice, not
// one reply for the whole message (the last recipient's).
func TestRelayAdapterQueueWaiting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "q.db")
	st, rl := openTestRelay(t, db)
	defer st.Close()
	id, err := rl.Enqueue(ctx, relay.Submission{From: "a@s.test", Data: []byte("Subject: x\r\n\r\ny\r\n"),
		Recipients: []relay.Recipient{{Address: "full@r.test"}, {Address: "grey@r.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	replies := map[string][]any{
		"full@r.test": {452, "4.2.2", "Mailbox full", "mailbox-full", "the mailbox is full", "ask the recipient to make room"},
		"grey@r.test": {451, "4.7.1", "Greylisted", "greylisted", "the server greylists", "nothing: the relay retries"},
	}
	if err := st.Write(ctx, func(tx *store.Tx) error {
		for addr, r := range replies {
			if _, err := tx.Exec(`UPDATE relay_recipients SET state = 'deferred', attempts = 1, code = ?, enhanced = ?, reply = ?, category = ?, reason = ? WHERE message_id = ? AND address = ?`,
				r[0], r[1], r[2], r[3], r[4], id, addr); err != nil {
				return err
			}
			if _, err := tx.Append(events.Event{Kind: events.RelayDeferred, Message: id, Recipient: addr}.WithPayload(map[string]any{
				"reply": map[string]any{"stage": "rcpt", "code": r[0], "enhanced": r[1], "text": r[2]}, "reason": r[4], "advice": r[5]})); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	q, err := relayAdapter{rl: rl}.Queue(ctx, web.QueueFilter{})
	if err != nil || len(q) != 1 || len(q[0].Waiting) != 2 {
		t.Fatalf("Queue = %+v, %v; want one message with two waiting recipients", q, err)
	}
	for _, w := range q[0].Waiting {
		r := replies[w.Address]
		if w.LastReply.Code != r[0] || w.LastReply.Enhanced != r[1] || w.LastReply.Stage != "rcpt" || w.Category != r[3] || w.Reason != r[4] || w.Advice != r[5] {
			t.Errorf("waiting %s: %+v; want its own reply %v", w.Address, w, r)
		}
	}
}

// TestQueueShowsHoldApart: a recipient the relay's shaping holds shows
// its last server reply as its last reply, and the hold on a line of its
// own (and marked in queue list), instead of the hold standing in for the
// reply.
func TestQueueShowsHoldApart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateQueued)
	st, _ := openTestRelay(t, db)
	if err := st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE relay_recipients SET state = 'deferred', attempts = 1, code = 451, enhanced = '4.7.1', reply = 'Deferred on request',
			hold = 'not tried: destination path:sink rests until 2026-11-28T18:00:00Z after 421 4.7.0 to r1@yahoo.test (message m2)' WHERE message_id = ?`, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, out, errOut := runIn(t, ctx, "queue", "show", id, "--db", db)
	for _, want := range []string{"last reply: 451 4.7.1 Deferred on request", "held: not tried: destination path:sink rests until 2026-11-28T18:00:00Z after 421 4.7.0 to r1@yahoo.test"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("queue show: exit %d, lacks %q:\n%s%s", code, want, out, errOut)
		}
	}
	if code, out, _ := runIn(t, ctx, "queue", "list", "--db", db); code != 0 || !strings.Contains(out, "451 4.7.1 Deferred on request [held by shaping]") {
		t.Errorf("queue list: exit %d, want the last reply marked held:\n%s", code, out)
	}
}

// TestQueueListSaysWhenCut: a list cut at --limit says so on stderr, with
// the flag that shows more; one that is whole says nothing. It used to
// print 100 rows of 500 waiting without a word.
func TestQueueListSaysWhenCut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "q.db")
	st, rl := openTestRelay(t, db)
	for range 3 {
		if _, err := rl.Enqueue(ctx, relay.Submission{From: "a@s.test", Data: []byte("Subject: x\r\n\r\ny\r\n"), Recipients: []relay.Recipient{{Address: "b@r.test"}}}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	for _, tc := range []struct {
		args  []string
		rows  int
		noted bool
	}{
		{[]string{"--limit", "2"}, 2, true},
		{[]string{"--limit", "2", "--json"}, 2, true},
		{[]string{"--limit", "3"}, 3, false},
	} {
		code, out, errOut := runIn(t, ctx, append([]string{"queue", "list", "--db", db}, tc.args...)...)
		rows := strings.Count(out, "b@r.test")
		if code != 0 || rows != tc.rows || strings.Contains(errOut, "more match: --limit N shows more") != tc.noted {
			t.Errorf("queue list %v: exit %d, %d rows, stderr %q; want %d rows and a note on the cut: %v", tc.args, code, rows, errOut, tc.rows, tc.noted)
		}
	}
}

// TestPrintHopsFoldsRuns: queue show folds a run of three or more
// attempts in a row that met the same reply at the same place into one
// line with the count; it printed each of a long-deferred recipient's 123
// attempts.
func TestPrintHopsFoldsRuns(t *testing.T) {
	t.Parallel()
	at := func(n int) time.Time { return time.Date(2026, 11, 28, 12, n, 0, 0, time.UTC) }
	busy := relay.Reply{Stage: "rcpt", Code: 451, Enhanced: "4.7.1", Text: "try later"}
	var hops []relay.Hop
	hops = append(hops, relay.Hop{Attempt: 1, Time: at(1), Path: "p", Host: "h1", Reply: relay.Reply{Stage: "connect", Text: "refused"}})
	for n := 2; n <= 6; n++ {
		hops = append(hops, relay.Hop{Attempt: n, Time: at(n), Path: "p", Host: "h2", Reply: busy})
	}
	hops = append(hops, relay.Hop{Attempt: 7, Time: at(7), Path: "p", Host: "h1", Reply: busy}, relay.Hop{Attempt: 8, Time: at(8), Path: "p", Host: "h1", Reply: busy})
	var b strings.Builder
	printHops(&b, hops)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4 || !strings.Contains(lines[1], "#2-#6 2026-11-28T12:02:00Z to 2026-11-28T12:06:00Z  p h2  451 4.7.1 try later") ||
		!strings.HasSuffix(lines[1], "(5 attempts)") || !strings.Contains(lines[2], "#7 ") || !strings.Contains(lines[3], "#8 ") {
		t.Errorf("printed\n%s\nwant #1, #2-#6 folded with its count, then #7 and #8 each", b.String())
	}
}

// TestRelayAdapterQueueMessages: the web's total of messages waiting
// counts each message with a recipient queued, deferred or in flight
// once, however many of its recipients wait, and none that is finished,
// as queue list --state waiting lists them.
func TestRelayAdapterQueueMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, rl := openTestRelay(t, filepath.Join(t.TempDir(), "q.db"))
	defer st.Close()
	var ids []string
	for range 4 {
		id, err := rl.Enqueue(ctx, relay.Submission{From: "a@s.test", Data: []byte("Subject: x\r\n\r\ny\r\n"),
			Recipients: []relay.Recipient{{Address: "b@r.test"}, {Address: "c@r.test"}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// One in flight, one deferred, one finished, one queued.
	if err := st.Write(ctx, func(tx *store.Tx) error {
		for _, q := range []struct{ state, id string }{{"inflight", ids[0]}, {"deferred", ids[1]}, {"delivered", ids[2]}} {
			due := "due_ns"
			if q.state != "deferred" {
				due = "NULL"
			}
			if _, err := tx.Exec(`UPDATE relay_recipients SET state = ?, due_ns = `+due+` WHERE message_id = ?`, q.state, q.id); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	n, err := relayAdapter{rl: rl}.QueueMessages(ctx)
	listed, lerr := rl.List(ctx, relay.QueueFilter{State: "waiting", Limit: 100})
	if err != nil || lerr != nil || n != 3 || len(listed) != 3 {
		t.Errorf("QueueMessages = %d, %v; list %d, %v; want 3 (all but the delivered one) both ways", n, err, len(listed), lerr)
	}
}
