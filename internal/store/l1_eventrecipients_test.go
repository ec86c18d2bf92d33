package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// l1Events appends evs in one write and returns their ids.
func l1Events(t *testing.T, s *Store, evs ...events.Event) []int64 {
	t.Helper()
	var ids []int64
	if err := s.Write(context.Background(), func(tx *Tx) error {
		for _, e := range evs {
			e, err := tx.Append(e)
			if err != nil {
				return err
			}
			ids = append(ids, e.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ids
}

// l1IDs reads the ids of the events of f.
func l1IDs(t *testing.T, s *Store, f events.Filter) []int64 {
	t.Helper()
	evs, err := s.Events(context.Background(), f)
	if err != nil {
		t.Fatalf("Events(%+v): %v", f, err)
	}
	var ids []int64
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	return ids
}

// l1Refusal is a sink.reply refusing the data of a transaction to rcpts,
// as the sink writes it: no recipient column, the recipients listed.
func l1Refusal(rcpts ...string) events.Event {
	return events.Event{Kind: events.SinkReply, Listener: "mx"}.
		WithPayload(map[string]any{"stage": "data", "code": 554, "recipients": rcpts})
}

// TestL1EventsListingARecipient: a sink.reply refusing the data of a
// transaction to several recipients names none in its recipient column
// (it has one address) and lists them in its payload; a sink.message to
// several lists them in its "to". A recipient filter finds such an event
// for each recipient it lists, beside those naming the recipient, in id
// order, with the filter's kinds, after= and limit, and not for an
// address it does not list; a deleted event is found no more. Before,
// only events naming the recipient were found, so the refusal of a
// transaction to two was nobody's.
func TestL1EventsListingARecipient(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	// Ids 1 to 6: a refusal of b and c; a 451 to b; a message to c and
	// b; a relay.queued to b whose payload names d; a 501 about no one;
	// a sink.session with recipients, not a kind that lists them.
	ids := l1Events(t, s,
		l1Refusal("b@x.test", "c@x.test"),
		events.Event{Kind: events.SinkReply, Recipient: "b@x.test"}.WithPayload(map[string]any{"code": 451}),
		events.Event{Kind: events.SinkMessage, Message: "m1"}.WithPayload(map[string]any{"to": []string{"c@x.test", "b@x.test"}}),
		events.Event{Kind: events.RelayQueued, Message: "m2", Recipient: "b@x.test"}.WithPayload(map[string]any{"to": []string{"d@x.test"}}),
		events.Event{Kind: events.SinkReply}.WithPayload(map[string]any{"code": 501}),
		events.Event{Kind: events.SinkSession}.WithPayload(map[string]any{"recipients": []string{"b@x.test"}}),
	)
	for _, tc := range []struct {
		f    events.Filter
		want []int64
	}{
		{events.Filter{Recipient: "b@x.test"}, []int64{ids[0], ids[1], ids[2], ids[3]}},
		{events.Filter{Recipient: "c@x.test"}, []int64{ids[0], ids[2]}},
		{events.Filter{Recipient: "d@x.test"}, nil}, // relay.queued names its recipient; its payload is not read
		{events.Filter{Recipient: "B@x.test"}, nil}, // exact, as the recipient column (the web folds case)
		{events.Filter{Recipient: "b@x.test", Kinds: []string{events.SinkReply}}, []int64{ids[0], ids[1]}},
		{events.Filter{Recipient: "b@x.test", Kinds: []string{"sink."}}, []int64{ids[0], ids[1], ids[2]}},
		{events.Filter{Recipient: "b@x.test", AfterID: ids[0]}, []int64{ids[1], ids[2], ids[3]}},
		{events.Filter{Recipient: "b@x.test", Limit: 2}, []int64{ids[0], ids[1]}},
		{events.Filter{Recipient: "c@x.test", Message: "m1"}, []int64{ids[2]}},
	} {
		if got := l1IDs(t, s, tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("Events(%+v): ids %v, want %v: an event about several recipients is found for each one it lists", tc.f, got, tc.want)
		}
	}
	if err := s.Write(context.Background(), func(tx *Tx) error {
		_, err := tx.Exec(`DELETE FROM events WHERE id = ?`, ids[0])
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM event_recipients WHERE event_id = ?`, ids[0]).Scan(&left); err != nil || left != 0 {
		t.Errorf("event_recipients keeps %d rows (%v) of a deleted event, want none: the delete trigger of migration 0002 drops them", left, err)
	}
	if got := l1IDs(t, s, events.Filter{Recipient: "c@x.test"}); !slices.Equal(got, []int64{ids[2]}) {
		t.Errorf("c@x.test after deleting event %d: ids %v, want %v", ids[0], got, ids[2:3])
	}
}

// TestL1EventRecipientsMigrated: a store written before migration 0002
// gets its events about several recipients indexed when it is opened,
// as the events written after.
func TestL1EventRecipientsMigrated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := Open(ctx, Options{Path: path, Sync: SyncOff})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP TRIGGER event_recipients_add`,
		`DROP TRIGGER event_recipients_drop`,
		`DROP TABLE event_recipients`, // and its index
		`DELETE FROM schema_migrations WHERE version = 2`,
	} {
		if err := st.Write(ctx, func(tx *Tx) error { _, err := tx.Exec(q); return err }); err != nil {
			t.Fatalf("%s: %v (is migrations/0002_event_recipients.sql there?)", q, err)
		}
	}
	old := l1Events(t, st, l1Refusal("b@x.test", "c@x.test"),
		events.Event{Kind: events.SinkMessage}.WithPayload(map[string]any{"to": []string{"c@x.test", "d@x.test"}}),
		events.Event{Kind: events.SinkReply, Payload: []byte(`not JSON`)}, // lists no one, fails nothing
	)
	st.Close()
	if st, err = Open(ctx, Options{Path: path, Sync: SyncOff}); err != nil {
		t.Fatalf("opening a store from before migration 0002: %v", err)
	}
	defer st.Close()
	for rcpt, want := range map[string][]int64{"b@x.test": old[:1], "c@x.test": old[:2], "d@x.test": old[1:2]} {
		if got := l1IDs(t, st, events.Filter{Recipient: rcpt}); !slices.Equal(got, want) {
			t.Errorf("%s in a migrated store: ids %v, want %v", rcpt, got, want)
		}
	}
}

// TestL1EventsByRecipientUseTheirIndexes: a recipient's events are read
// through the index on the recipient column and event_recipients', each
// in id order (no temporary sort of all of them before the limit), with
// or without kinds, and never by a scan of the log.
func TestL1EventsByRecipientUseTheirIndexes(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	// Rows, so that the planner does not take an empty table for a cheap scan.
	var evs []events.Event
	for i := range 200 {
		rc := fmt.Sprintf("r%d@x.test", i%20)
		evs = append(evs, events.Event{Kind: events.SinkReply, Recipient: rc}, l1Refusal(rc, "z@x.test"))
	}
	l1Events(t, s, evs...)
	for _, f := range []events.Filter{
		{Recipient: "a@x.test"},
		{Recipient: "a@x.test", Kinds: []string{events.SinkReply}},
		{Recipient: "a@x.test", Kinds: []string{events.SinkReply, "relay."}, AfterID: 5},
	} {
		q, args := eventsQuery(f)
		plan, err := QueryPlan(context.Background(), s.DB(), q, args...)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"events_recipient (recipient=? AND id>?)", "event_recipients USING PRIMARY KEY (recipient=? AND event_id>?)", "INTEGER PRIMARY KEY (rowid=?)"} {
			if !strings.Contains(plan, want) {
				t.Errorf("%+v: plan\n%s\nwant %q", f, plan, want)
			}
		}
		if strings.Contains(plan, "SCAN") || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%+v: plan\n%s\nwant no scan and no sort: each arm reads its index in id order", f, plan)
		}
	}
}

// TestL1EventRecipientsImported: the events Import copies from another
// store (a replay's, into the one it reserved ids in) are found by each
// recipient they list, as those appended.
func TestL1EventRecipientsImported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dst, _ := openTest(t)
	l1Events(t, dst, l1Refusal("a@x.test", "b@x.test"))
	marks, err := dst.Marks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srcPath := filepath.Join(t.TempDir(), "src.db")
	src, err := Open(ctx, Options{Path: srcPath, Sync: SyncOff})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.ReserveIDs(ctx, marks); err != nil {
		t.Fatal(err)
	}
	copied := l1Events(t, src, l1Refusal("b@x.test", "c@x.test"))
	src.Close()
	if err := dst.Import(ctx, srcPath, marks); err != nil {
		t.Fatal(err)
	}
	for rcpt, want := range map[string][]int64{"b@x.test": {1, copied[0]}, "c@x.test": copied} {
		if got := l1IDs(t, dst, events.Filter{Recipient: rcpt}); !slices.Equal(got, want) {
			t.Errorf("%s after Import: ids %v, want %v: the insert trigger indexes the copied events too", rcpt, got, want)
		}
	}
}
