package store

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestClearSink: a clear deletes the sink's whole record, however recent,
// through Prune's seam: sessions, messages, attempts, bounces done with
// and the sink's events. It keeps a bounce still due with the message it
// quotes (and that message's event), the greylist, the sink.rules and
// sink.reset events, and the relay's queue and events.
func TestClearSink(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	p := pruneSeed{t, s}
	now := s.clock.Now()
	p.session(1, now)
	p.session(2, now)
	p.message(1, 1, now)
	p.message(2, 2, now) // quoted by a bounce still due
	p.message(3, 2, now)
	p.attempt(1, now)
	p.attempt(2, now)
	p.bounce(1, now, "sent")
	p.bounce(2, now.Add(time.Hour), "due")
	p.exec(`INSERT INTO sink_greylist (key, first_ns) VALUES ('k', 1)`)
	p.event(events.Event{Kind: events.SinkSession}, now)
	p.event(events.Event{Kind: events.SinkReply}, now)
	p.event(events.Event{Kind: events.SinkMessage, Payload: []byte(`{"id":1}`)}, now)
	kept := p.event(events.Event{Kind: events.SinkMessage, Payload: []byte(`{"id":2}`)}, now)
	p.event(events.Event{Kind: events.SinkBounce}, now)
	rules := p.event(events.Event{Kind: events.SinkRules}, now)
	reset := p.event(events.Event{Kind: "sink.reset", Payload: []byte(`{"before_session":1}`)}, now)
	p.relayMessage("r1", now, "queued")
	queued := p.event(events.Event{Kind: events.RelayQueued, Message: "r1"}, now)

	res, err := s.ClearSink(context.Background(), PruneOptions{Batch: 1}) // a batch a row: the seam's loop
	if err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]int64{"sink_sessions": 2, "sink_messages": 2, "sink_attempts": 2, "sink_bounces": 1, "events": 4} {
		if got := res.Rows(table); got != want {
			t.Errorf("%s: %d rows deleted, want %d (%+v)", table, got, want, res.Tables)
		}
	}
	if res.KeptMessages != 1 || res.KeptSession != 2 || res.LastMessage != 3 {
		t.Errorf("kept %d messages (last session %d), last message %d; want 1 (session 2), 3", res.KeptMessages, res.KeptSession, res.LastMessage)
	}
	p.wantIDs(`SELECT id FROM sink_sessions`)
	p.wantIDs(`SELECT id FROM sink_messages`, "2")
	p.wantIDs(`SELECT id FROM sink_attempts`)
	p.wantIDs(`SELECT message FROM sink_bounces`, "2")
	p.wantIDs(`SELECT key FROM sink_greylist`, "k")
	p.wantIDs(`SELECT id FROM events ORDER BY id`, itoa(kept), itoa(rules), itoa(reset), itoa(queued))
	p.wantIDs(`SELECT id FROM relay_messages`, "r1")
}

// TestClearSinkLeavesWhatCameAfter: what the sink records once the clear
// has begun (a session that ends meanwhile with a smaller id than the
// last recorded, but a later end) stays.
func TestClearSinkLeavesWhatCameAfter(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	p := pruneSeed{t, s}
	now := s.clock.Now()
	p.session(5, now)
	tables, _, _, err := s.sinkClearMark(context.Background())
	// Recorded between the mark and the deletion: session 3, begun
	// before session 5 and ended after the mark, and its message.
	if err != nil {
		t.Fatal(err)
	}
	p.exec(`INSERT INTO sink_sessions (id, listener, client, start_ns, end_ns) VALUES (3, 'mx', '127.0.0.1', ?, ?)`, now.UnixNano(), now.Add(time.Second).UnixNano())
	p.message(9, 3, now)
	for _, tb := range tables {
		if _, err := s.pruneTable(context.Background(), tb, 0, now, 300); err != nil {
			t.Fatal(err)
		}
	}
	p.wantIDs(`SELECT id FROM sink_sessions`, "3")
	p.wantIDs(`SELECT id FROM sink_messages`, "9")
}

// TestDeleteSinkMessage: one message and its sink.message event go; its
// session and attempts stay; a message a bounce still due quotes is
// refused with the bounce's time; an unknown id deletes nothing.
func TestDeleteSinkMessage(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	p := pruneSeed{t, s}
	ctx := context.Background()
	now := s.clock.Now()
	p.session(1, now)
	p.message(1, 1, now)
	p.message(2, 1, now)
	p.attempt(1, now)
	due := now.Add(time.Hour).Truncate(time.Second).UTC()
	p.bounce(2, due, "due")
	p.event(events.Event{Kind: events.SinkMessage, Payload: []byte(`{"id":1}`)}, now)
	other := p.event(events.Event{Kind: events.SinkMessage, Payload: []byte(`{"id":2}`)}, now)

	got, _, err := s.DeleteSinkMessage(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if c := counts(PruneResult{Tables: got}); c["sink_messages"] != 1 || c["events (sink.message)"] != 1 {
		t.Errorf("deleted %v, want the message and its event", c)
	}
	p.wantIDs(`SELECT id FROM sink_messages`, "2")
	p.wantIDs(`SELECT id FROM sink_sessions`, "1")
	p.wantIDs(`SELECT session_id FROM sink_attempts`, "1")
	p.wantIDs(`SELECT id FROM events WHERE kind = 'sink.message'`, itoa(other))

	if got, when, err := s.DeleteSinkMessage(ctx, 2); !errors.Is(err, ErrBounceDue) || !when.Equal(due) || got != nil {
		t.Errorf("a message a bounce still due quotes: %v, due %v, %v; want ErrBounceDue at %v", got, when, err, due)
	}
	if got, _, err := s.DeleteSinkMessage(ctx, 77); err != nil || got != nil {
		t.Errorf("no such message: %v, %v; want nothing deleted", got, err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
