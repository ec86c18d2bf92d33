package sink

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// fw1Store is a store holding n sink messages (ids 1 to n), each with its
// sink.message event and, as a busy sink's log has, a sink.session and a
// sink.reply event beside it.
func fw1Store(tb testing.TB, n int) *store.Store {
	tb.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(tb.TempDir(), "sink.db"), Sync: store.SyncOff, Logger: quietLogger()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	for from := 1; from <= n; from += 500 {
		err := st.Write(ctx, func(tx *store.Tx) error {
			for id := from; id < from+500 && id <= n; id++ {
				if _, err := tx.Exec(`INSERT INTO sink_messages (id, session_id, listener, time_ns, mail_from, rcpts, size, attempt, code, raw)
					VALUES (?, ?, 'mx', 0, 'a@shop.test', 'b@shop.test', 1, 1, 250, x'41')`, id, id); err != nil {
					return err
				}
				for _, kind := range []string{events.SinkSession, events.SinkMessage, events.SinkReply} {
					if _, err := tx.Append(events.Event{Kind: kind}.WithPayload(map[string]int{"id": id, "session": id})); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return st
}

// TestDeleteMessagesInBatches: DeleteMessages deletes many messages a few
// hundred a transaction, each transaction saying which with one
// sink.deleted event; it keeps, as DeleteMessage does, a message a bounce
// still due quotes (with the bounce's due time) and its sink.message
// event, and names an id no message has.
func TestDeleteMessagesInBatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := fw1Store(t, 700)
	due := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	err := st.Write(ctx, func(tx *store.Tx) error {
		// Message 5's bounce is still due; message 6's was sent.
		_, err := tx.Exec(`INSERT INTO sink_bounces (message, due_ns, sender, recipient, reply) VALUES (5, ?, 'a@shop.test', 'b@shop.test', '550 5.1.1 no'),
			(6, ?, 'a@shop.test', 'b@shop.test', '550 5.1.1 no')`, due.UnixNano(), due.UnixNano())
		if err == nil {
			_, err = tx.Exec(`UPDATE sink_bounces SET sent_ns = 1 WHERE message = 6`)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for id := int64(1); id <= 700; id++ {
		ids = append(ids, id)
	}
	ids = append(ids, 9999)

	got, err := DeleteMessages(ctx, st, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.IDs) != 699 || slices.Contains(got.IDs, 5) || !slices.Contains(got.IDs, 6) {
		t.Errorf("deleted %d messages (5 among them: %v); want 699, all but 5", len(got.IDs), slices.Contains(got.IDs, 5))
	}
	if len(got.Due) != 1 || !got.Due[5].Equal(due) {
		t.Errorf("kept %v; want message 5, due %v", got.Due, due)
	}
	if !slices.Equal(got.Missing, []int64{9999}) {
		t.Errorf("missing %v; want [9999]", got.Missing)
	}
	want := []store.Pruned{{Table: "sink_messages", Rows: 699}, {Table: "events", Kinds: events.SinkMessage, Rows: 699}}
	if !slices.Equal(got.Tables, want) {
		t.Errorf("tables %+v; want %+v", got.Tables, want)
	}
	if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_messages`); n != 1 {
		t.Errorf("%d messages left; want 1 (message 5)", n)
	}
	if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM events WHERE kind = 'sink.message' AND payload ->> '$.id' = 5`); n != 1 {
		t.Errorf("message 5's sink.message event: %d left; want it kept", n)
	}
	if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM events WHERE kind IN ('sink.session', 'sink.reply')`); n != 1400 {
		t.Errorf("%d sink.session and sink.reply events left; want all 1400", n)
	}
	// 701 ids, 300 a transaction: three transactions, each with its
	// event, whose ids are those deleted.
	rows, err := st.DB().Query(`SELECT payload FROM events WHERE kind = ? ORDER BY id`, EventDeleted)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var said []int64
	var txs int
	for rows.Next() {
		var payload string
		var p deletedPayload
		if err := rows.Scan(&payload); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(payload), &p); err != nil {
			t.Fatal(err)
		}
		txs++
		said = append(said, p.IDs...)
	}
	if txs != 3 || !slices.Equal(said, got.IDs) {
		t.Errorf("%d sink.deleted events naming %d ids; want 3 (one a transaction) naming the %d deleted", txs, len(said), len(got.IDs))
	}
}

// TestDeleteMessageSaysSo: one message's delete is one sink.deleted
// event; a refused or unknown one adds none.
func TestDeleteMessageSaysSo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sink.db")
	s, st := testSinkAt(t, path, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	if code, msg := c.send("a@x.test", "b@sink.test", testMsg); code != 250 {
		t.Fatalf("a message: %d %s", code, msg)
	}
	c.cmd("QUIT")
	itWaitCount(t, st.DB(), 1, `SELECT COUNT(*) FROM sink_messages`)
	var id int64
	if err := st.DB().QueryRow(`SELECT id FROM sink_messages`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if got, _, err := s.DeleteMessage(ctx, id+1); err != nil || got != nil {
		t.Fatalf("an unknown id: %v, %v; want nothing deleted and no error", got, err)
	}
	got, _, err := s.DeleteMessage(ctx, id)
	if err != nil || len(got) != 2 || got[0].Rows != 1 || got[1].Rows != 1 {
		t.Fatalf("delete %d: %+v, %v; want its row and its sink.message event", id, got, err)
	}
	var payload string
	if err := st.DB().QueryRow(`SELECT payload FROM events WHERE kind = ?`, EventDeleted).Scan(&payload); err != nil {
		t.Fatalf("no single %s event: %v", EventDeleted, err)
	}
	if want := fmt.Sprintf(`{"ids":[%d]}`, id); payload != want {
		t.Errorf("payload %s; want %s", payload, want)
	}
}

// BenchmarkDeleteFound deletes a search's 1,111 of 10,820 messages (the
// walk's numbers), one transaction a message as before
// (store.DeleteSinkMessage) and in batches (DeleteMessages).
func BenchmarkDeleteFound(b *testing.B) {
	for _, how := range []string{"one-by-one", "batched"} {
		b.Run(how, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				st := fw1Store(b, 10820)
				var ids []int64
				for id := int64(1); id <= 10820; id += 10 {
					if len(ids) < 1111 {
						ids = append(ids, id)
					}
				}
				b.StartTimer()
				if how == "batched" {
					if _, err := DeleteMessages(ctx, st, ids); err != nil {
						b.Fatal(err)
					}
					continue
				}
				for _, id := range ids {
					if _, _, err := st.DeleteSinkMessage(ctx, id); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
