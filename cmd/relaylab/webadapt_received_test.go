package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/web"
)

// TestSinkAdapterReceived: a message dropped after the dot and sent again
// is two copies in the sink, each with the attempt (and session) that left
// it; a recipient refused at RCPT within the relay's attempts is an
// attempt without a copy; another message from the same sender is not
// this one's.
func TestSinkAdapterReceived(t *testing.T) {
	t.Parallel()
	a, addr := runningSinkAdapter(t)
	since := time.Now().Add(-time.Second)
	const bob, carol = "dotdropx1+bob@example.test", "rcpt451x1+carol@example.test"
	msg := "Message-ID: <m1@shop.test>\r\nSubject: x\r\n\r\nx\r\n"
	if err := sendPlain(addr, "a@shop.test", bob, msg); err == nil {
		t.Fatal("the first send to dotdropx1 went through, want a dropped connection")
	}
	if err := sendPlain(addr, "a@shop.test", bob, msg); err != nil {
		t.Fatalf("the second send: %v", err)
	}
	if err := sendPlain(addr, "a@shop.test", carol, msg); err == nil {
		t.Fatal("carol: accepted, want the 451 at RCPT")
	}
	if err := sendPlain(addr, "a@shop.test", "dave@example.test", "Message-ID: <other@shop.test>\r\n\r\ny\r\n"); err != nil {
		t.Fatal(err)
	}
	q := web.ReceivedQuery{MessageID: "m1@shop.test", Sender: "A@shop.test", Recipients: []string{bob, carol}, Since: since}
	var got web.Received
	var err error
	for deadline := time.Now().Add(20 * time.Second); len(got.Attempts) < 3; time.Sleep(10 * time.Millisecond) { // sessions are recorded when they end
		q.Until = time.Now()
		if got, err = a.Received(context.Background(), q); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("attempts %+v, want 3", got.Attempts)
		}
	}
	if len(got.Copies) != 2 {
		t.Fatalf("copies %+v, want the dropped one and the accepted one", got.Copies)
	}
	first, second := got.Copies[0], got.Copies[1]
	if first.Code != 0 || first.Reply == "" || first.Reply[:9] != "no reply:" || second.Code != 250 || first.Session == second.Session {
		t.Errorf("copies %+v: want a copy without reply, then a 250 in another session", got.Copies)
	}
	if len(got.Attempts) != 3 {
		t.Fatalf("attempts %+v, want 3", got.Attempts)
	}
	byCopy := map[string]web.ReceivedAttempt{}
	for _, x := range got.Attempts {
		byCopy[x.Copy] = x
	}
	if x := byCopy[first.ID]; x.Session != first.Session || x.Code != 0 {
		t.Errorf("the dropped copy's attempt: %+v, want session %s and no reply", x, first.Session)
	}
	if x := byCopy[second.ID]; x.Session != second.Session || x.Code != 250 {
		t.Errorf("the accepted copy's attempt: %+v, want session %s and 250", x, second.Session)
	}
	if x := byCopy[""]; x.Recipient != carol || x.Code != 451 || x.Stage != "rcpt" || x.Client == "" || x.Listener != "mx" {
		t.Errorf("carol's attempt: %+v, want the 451 at rcpt with its session's listener and client", x)
	}
	q.Until = since // before every attempt: only those with a copy are this message's
	if got, err = a.Received(context.Background(), q); err != nil || len(got.Attempts) != 2 {
		t.Errorf("attempts outside the relay's window: %+v, %v; want only the 2 with a copy", got.Attempts, err)
	}
}

// TestSinkAdapterReceivedPlans: the queries behind a message's sink side
// and the session list go through an index, whatever the store holds: the
// copies by the events' message index, the attempts by the recipient or
// the session index. A scan of sink_messages would read every stored
// message body on each page view.
func TestSinkAdapterReceivedPlans(t *testing.T) {
	t.Parallel()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tc := range []struct {
		sql   string
		args  []any
		index string
	}{
		{copiesSQL, []any{"m1@shop.test", "sink.message"}, "USING INDEX events_message"},
		{sessionAttemptPageSQL, []any{1, 0, 501}, "USING INDEX sink_attempts_session"},
		{attemptsSQL(2, []string{"a.message IN (?)", "(lower(a.sender) = lower(?) AND a.time_ns >= ? AND a.time_ns <= ? AND a.message = 0)"}),
			[]any{"a@x.test", "b@x.test", 1, "s@x.test", 0, 1}, "USING INDEX sink_attempts_recipient"},
	} {
		plan := queryPlan(t, st, tc.sql, tc.args...)
		if first := strings.Join(plan, "; "); !strings.Contains(plan[0], tc.index) {
			t.Errorf("plan %q: the first step does not use %s", first, tc.index)
		}
	}
}

// queryPlan returns the details of SQLite's plan for sql, one per step.
func queryPlan(t *testing.T, st *store.Store, sql string, args ...any) []string {
	t.Helper()
	rows, err := st.DB().Query("EXPLAIN QUERY PLAN "+sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return plan
}

// TestSinkAdapterReceivedByReply: a message without a Message-ID is found
// through the relay's attempt that the sink accepted "as 1" at its
// listener, with the attempt that left it; a number the sink no longer
// holds (or holds for another message) is gone, and a reply from an
// address that is not the sink's is not the sink's copy.
func TestSinkAdapterReceivedByReply(t *testing.T) {
	t.Parallel()
	a, addr := runningSinkAdapter(t)
	since := time.Now().Add(-time.Second)
	const bob = "bob@example.test"
	if err := sendPlain(addr, "a@shop.test", bob, "Subject: no id\r\n\r\nx\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := sendPlain(addr, "other@shop.test", bob, "Subject: another\r\n\r\ny\r\n"); err != nil {
		t.Fatal(err)
	}
	host, _, _ := strings.Cut(addr, ":")
	q := web.ReceivedQuery{Sender: "A@shop.test", Recipients: []string{bob}, Since: since, Accepted: []web.AcceptedAs{
		{Address: addr, Recipient: bob, Copy: 1, Reply: "250 2.0.0 Message accepted as 1"},
		{Address: addr, Recipient: bob, Copy: 2, Reply: "250 2.0.0 Message accepted as 2"},   // another sender's
		{Address: addr, Recipient: bob, Copy: 99, Reply: "250 2.0.0 Message accepted as 99"}, // not held
		{Address: host + ":1", Recipient: bob, Copy: 1, Reply: "250 2.0.0 Message accepted as 1"},
	}}
	var got web.Received
	var err error
	for deadline := time.Now().Add(20 * time.Second); len(got.Attempts) < 1; time.Sleep(10 * time.Millisecond) {
		q.Until = time.Now()
		if got, err = a.Received(context.Background(), q); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("attempts %+v, want the one that left copy 1", got.Attempts)
		}
	}
	if len(got.Copies) != 1 || got.Copies[0].ID != "1" || got.Copies[0].Code != 250 || got.Copies[0].Listener != "mx" {
		t.Errorf("copies %+v, want copy 1 accepted on mx", got.Copies)
	}
	if len(got.Attempts) != 1 || got.Attempts[0].Copy != "1" {
		t.Errorf("attempts %+v, want the one that left copy 1", got.Attempts)
	}
	if len(got.Gone) != 2 || got.Gone[0].ID != "2" || got.Gone[1].ID != "99" {
		t.Errorf("gone %+v, want 2 (another message's) and 99", got.Gone)
	}
}
