package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// pruneSeed writes rows of the sink, the relay and the log straight into
// s, for Prune to choose among.
type pruneSeed struct {
	t *testing.T
	s *Store
}

func (p pruneSeed) exec(query string, args ...any) {
	p.t.Helper()
	err := p.s.Write(context.Background(), func(tx *Tx) error {
		_, err := tx.Exec(query, args...)
		return err
	})
	if err != nil {
		p.t.Fatalf("%s: %v", query, err)
	}
}

func (p pruneSeed) session(id int64, at time.Time) {
	p.t.Helper()
	p.exec(`INSERT INTO sink_sessions (id, listener, client, start_ns, end_ns) VALUES (?, 'mx', '127.0.0.1', ?, ?)`, id, at.UnixNano(), at.UnixNano())
}

func (p pruneSeed) message(id, session int64, at time.Time) {
	p.t.Helper()
	p.exec(`INSERT INTO sink_messages (id, session_id, listener, time_ns, mail_from, rcpts, size, attempt, code, raw)
		VALUES (?, ?, 'mx', ?, 'a@x.test', 'b@y.test', 1, 1, 250, x'41')`, id, session, at.UnixNano())
}

func (p pruneSeed) attempt(session int64, at time.Time) {
	p.t.Helper()
	p.exec(`INSERT INTO sink_attempts (session_id, time_ns, sender, recipient, attempt, stage, code) VALUES (?, ?, 'a@x.test', 'b@y.test', 1, 'rcpt', 451)`,
		session, at.UnixNano())
}

// bounce is a sink bounce of message; how is "sent", "skipped",
// "failed" or "due".
func (p pruneSeed) bounce(message int64, due time.Time, how string) {
	p.t.Helper()
	var sent int64
	var errText, skipped string
	switch how {
	case "sent":
		sent = due.UnixNano()
	case "skipped":
		skipped = "NOTIFY=NEVER"
	case "failed":
		errText = "no try left"
	}
	p.exec(`INSERT INTO sink_bounces (message, due_ns, sender, recipient, reply, sent_ns, error, skipped) VALUES (?, ?, 'a@x.test', 'b@y.test', '550 no', ?, ?, ?)`,
		message, due.UnixNano(), sent, errText, skipped)
}

// relayMessage is a relay message with one recipient per state, each last
// changed at.
func (p pruneSeed) relayMessage(id string, at time.Time, states ...string) {
	p.t.Helper()
	p.exec(`INSERT INTO relay_messages (id, sender, size, data, created_ns, expires_ns) VALUES (?, 'a@x.test', 1, x'41', ?, ?)`,
		id, at.UnixNano(), at.Add(120*time.Hour).UnixNano())
	for i, st := range states {
		p.exec(`INSERT INTO relay_recipients (message_id, address, state, updated_ns) VALUES (?, ?, ?, ?)`,
			id, fmt.Sprintf("r%d@y.test", i), st, at.UnixNano())
	}
}

// event appends an event stamped at and returns its id.
func (p pruneSeed) event(e events.Event, at time.Time) int64 {
	p.t.Helper()
	e.Time = at
	e, err := p.s.Append(context.Background(), e)
	if err != nil {
		p.t.Fatal(err)
	}
	return e.ID
}

// ids is the first column of query, as strings.
func (p pruneSeed) ids(query string) []string {
	p.t.Helper()
	rows, err := p.s.DB().Query(query)
	if err != nil {
		p.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			p.t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func (p pruneSeed) wantIDs(query string, want ...string) {
	p.t.Helper()
	if got := p.ids(query); !slices.Equal(got, want) {
		p.t.Errorf("%s:\n got %q\nwant %q", query, got, want)
	}
}

func counts(r PruneResult) map[string]int64 {
	m := map[string]int64{}
	for _, t := range r.Tables {
		m[t.Name()] = t.Rows
	}
	return m
}

// seedMixed fills s with old and new rows of every kind; old is before
// cut, new after.
func seedMixed(t *testing.T, s *Store, old, recent time.Time) pruneSeed {
	p := pruneSeed{t, s}
	p.session(1, old)
	p.session(2, old)
	p.session(3, recent)
	p.message(1, 1, old)     // goes
	p.message(2, 2, old)     // a bounce still due quotes it: stays, with its session
	p.message(3, 3, recent)  // stays
	p.attempt(1, old)        // goes
	p.attempt(3, recent)     // stays
	p.bounce(1, old, "sent") // 1 goes
	p.bounce(2, old, "due")  // 2 stays: still due, though its time passed
	p.bounce(1, old, "skipped")
	p.bounce(1, old, "failed")
	p.bounce(3, recent, "sent") // 5 stays
	p.relayMessage("done", old, "delivered", "bounced")
	p.relayMessage("gone", old, "expired", "suppressed")
	p.relayMessage("half", old, "delivered", "deferred")
	p.relayMessage("queued", old, "queued")
	p.relayMessage("inflight", old, "inflight")
	p.relayMessage("fresh", recent, "delivered")
	p.exec(`INSERT INTO relay_suppressions (address, created_ns) VALUES ('r0@y.test', ?)`, old.UnixNano())
	return p
}

func TestPruneDeletesOnlyOldFinishedRows(t *testing.T) {
	t.Parallel()
	s, vc := openTest(t)
	now := vc.Now()
	old, recent, cut := now.Add(-48*time.Hour), now.Add(-time.Hour), now.Add(-24*time.Hour)
	p := seedMixed(t, s, old, recent)
	p.event(events.Event{Kind: events.RelayQueued, Message: "done"}, old)     // 1 goes
	p.event(events.Event{Kind: events.RelayQueued, Message: "half"}, old)     // 2 stays: its message stays
	p.event(events.Event{Kind: events.SinkSession}, old)                      // 3 goes
	p.event(events.Event{Kind: events.SinkSession}, recent)                   // 4 stays
	p.event(events.Event{Kind: events.ProbeResult, Target: "x.test"}, old)    // 5 goes (counted apart)
	p.event(events.Event{Kind: events.RelayDelivered, Message: "fresh"}, old) // 6 stays: its message stays

	res, err := s.Prune(context.Background(), cut, PruneOptions{Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"sink_sessions": 1, "sink_messages": 1, "sink_attempts": 1, "sink_bounces": 3,
		"relay_messages": 2, "relay_recipients": 4, "relay_soft_bounces": 0, "probe_changes": 0, "events": 2, "events (probe.*)": 1}
	if got := counts(res); !sameCounts(got, want) {
		t.Errorf("deleted %v, want %v", got, want)
	}
	p.wantIDs(`SELECT id FROM sink_sessions ORDER BY id`, "2", "3")
	p.wantIDs(`SELECT id FROM sink_messages ORDER BY id`, "2", "3")
	p.wantIDs(`SELECT session_id FROM sink_attempts ORDER BY id`, "3")
	p.wantIDs(`SELECT id FROM sink_bounces ORDER BY id`, "2", "5")
	p.wantIDs(`SELECT id FROM relay_messages ORDER BY id`, "fresh", "half", "inflight", "queued")
	p.wantIDs(`SELECT message_id || ' ' || state FROM relay_recipients ORDER BY id`,
		"half delivered", "half deferred", "queued queued", "inflight inflight", "fresh delivered")
	p.wantIDs(`SELECT address FROM relay_suppressions`, "r0@y.test")
	p.wantIDs(`SELECT id FROM events WHERE kind != 'sink.deleted' ORDER BY id`, "2", "4", "6")
}

func sameCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestPruneKeepsWhatStartReads: the sink and the relay rebuild state at
// start from the last sink.reset, today's relay attempts (a warming
// path's count) and the attempts whose destination rest has not ended.
func TestPruneKeepsWhatStartReads(t *testing.T) {
	t.Parallel()
	s, vc := openTest(t) // 2026-03-01 12:00 UTC
	now := vc.Now()
	yesterday, morning := now.Add(-20*time.Hour), now.Add(-3*time.Hour)
	p := pruneSeed{t, s}
	p.event(events.Event{Kind: "sink.reset", Payload: []byte(`{"before_session":3}`)}, yesterday) // 1 goes: not the last
	p.event(events.Event{Kind: "sink.reset", Payload: []byte(`{"before_session":9}`)}, yesterday) // 2 stays
	p.event(events.Event{Kind: events.RelayAttempt, Path: "warm"}, yesterday)                     // 3 goes
	p.event(events.Event{Kind: events.RelayAttempt, Path: "warm"}, morning)                       // 4 stays: today's
	p.event(events.Event{Kind: events.RelayAttempt, Path: "smart", Payload: []byte(
		fmt.Sprintf(`{"rest":{"destination":"path:smart","until":%q}}`, now.Add(time.Hour).In(time.FixedZone("", 3600)).Format(time.RFC3339Nano)))}, yesterday) // 5 stays: resting
	p.event(events.Event{Kind: events.RelayAttempt, Path: "smart", Payload: []byte(
		fmt.Sprintf(`{"rest":{"destination":"path:smart","until":%q}}`, now.Add(-time.Minute).Format(time.RFC3339Nano)))}, yesterday) // 6 goes: rest over
	p.event(events.Event{Kind: events.SinkSession}, morning) // 7 goes

	if _, err := s.Prune(context.Background(), now.Add(-time.Hour), PruneOptions{}); err != nil {
		t.Fatal(err)
	}
	p.wantIDs(`SELECT id FROM events ORDER BY id`, "2", "4", "5")
}

// TestPruneKeepsAKeptAttemptsMessageEvents: a relay message finished
// before the cutoff but attempted today loses its row, but not its
// events: today's attempt stays for the warm-up count, and so do the
// message's queued and delivered events, without which the report and
// the timelines rebuilt its recipient as queued (walk O: a store.keep
// of an hour showed 814 delivered recipients as queued). A message
// attempted yesterday goes whole, and a sink event with the same
// message value is not kept for it.
func TestPruneKeepsAKeptAttemptsMessageEvents(t *testing.T) {
	t.Parallel()
	s, vc := openTest(t) // 2026-03-01 12:00 UTC
	now := vc.Now()
	yesterday, morning := now.Add(-20*time.Hour), now.Add(-3*time.Hour)
	p := pruneSeed{t, s}
	p.relayMessage("today", morning, "delivered")
	p.relayMessage("old", yesterday, "delivered")
	for _, m := range []struct {
		id string
		at time.Time
	}{{"today", morning}, {"old", yesterday}} {
		p.event(events.Event{Kind: events.RelayQueued, Message: m.id, Recipient: "r0@y.test"}, m.at)
		p.event(events.Event{Kind: events.RelayAttempt, Message: m.id, Recipient: "r0@y.test", Path: "warm"}, m.at)
		p.event(events.Event{Kind: events.RelayDelivered, Message: m.id, Recipient: "r0@y.test"}, m.at)
	}
	p.event(events.Event{Kind: events.SinkMessage, Message: "today"}, morning) // 7: another namespace, goes

	if _, err := s.Prune(context.Background(), now.Add(-time.Hour), PruneOptions{}); err != nil {
		t.Fatal(err)
	}
	p.wantIDs(`SELECT id FROM relay_messages ORDER BY id`)
	p.wantIDs(`SELECT kind FROM events ORDER BY id`, events.RelayQueued, events.RelayAttempt, events.RelayDelivered)
	p.wantIDs(`SELECT DISTINCT message FROM events`, "today")
}

// TestPruneKeepsLastSinkSession: the sink numbers its sessions on from the
// last one the store knows; pruning it would give the next sessions ids
// that a kept sink.reset already counts as forgotten.
func TestPruneKeepsLastSinkSession(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                   string
		msgSession             int64 // of the second message; the first is session 1's
		wantSessions, wantMsgs []string
	}{
		{"last session has its row", 2, []string{"2"}, []string{"2"}},
		{"a session cut short", 4, nil, []string{"4"}}, // its message, not its row
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, vc := openTest(t)
			old := vc.Now().Add(-48 * time.Hour)
			p := pruneSeed{t, s}
			p.session(1, old)
			p.session(2, old)
			p.message(1, 1, old)
			p.message(2, tc.msgSession, old)
			if _, err := s.Prune(context.Background(), vc.Now(), PruneOptions{}); err != nil {
				t.Fatal(err)
			}
			p.wantIDs(`SELECT id FROM sink_sessions`, tc.wantSessions...)
			p.wantIDs(`SELECT session_id FROM sink_messages`, tc.wantMsgs...)
		})
	}
}

func TestPruneDryRunDeletesNothing(t *testing.T) {
	t.Parallel()
	s, vc := openTest(t)
	now := vc.Now()
	seedMixed(t, s, now.Add(-48*time.Hour), now.Add(-time.Hour))
	p := pruneSeed{t, s}
	p.event(events.Event{Kind: events.RelayQueued, Message: "done"}, now.Add(-48*time.Hour))
	p.event(events.Event{Kind: events.RelayQueued, Message: "half"}, now.Add(-48*time.Hour))
	total := func() []string {
		return p.ids(`SELECT (SELECT COUNT(*) FROM sink_sessions) || ' ' || (SELECT COUNT(*) FROM sink_messages) || ' ' ||
			(SELECT COUNT(*) FROM sink_attempts) || ' ' || (SELECT COUNT(*) FROM sink_bounces) || ' ' ||
			(SELECT COUNT(*) FROM relay_messages) || ' ' || (SELECT COUNT(*) FROM relay_recipients) || ' ' || (SELECT COUNT(*) FROM events)`)
	}
	before := total()
	cut := now.Add(-24 * time.Hour)
	dry, err := s.Prune(context.Background(), cut, PruneOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := total(); !slices.Equal(got, before) {
		t.Fatalf("a dry run changed the row counts from %v to %v", before, got)
	}
	if !dry.DryRun || dry.Total() == 0 {
		t.Fatalf("dry run said %+v", dry)
	}
	wet, err := s.Prune(context.Background(), cut, PruneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !sameCounts(counts(dry), counts(wet)) {
		t.Errorf("the dry run counted %v, the prune deleted %v", counts(dry), counts(wet))
	}
}
