package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/relay"
)

// TestQueueHoldRelease: queue hold keeps a deferred message from being
// tried, list and show say who held it and since when (and --json), a
// retry refuses it saying how to release it, and queue release makes it
// due again.
func TestQueueHoldRelease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateQueued)
	rep := relay.Reply{Stage: "rcpt", Code: 451, Enhanced: "4.7.1", Text: "try later"}
	setRecipient(t, db, id, relay.StateDeferred, time.Now().Add(time.Hour), "primary", "mx.r.test", rep, "greylisting", "greylisted", events.RelayDeferred,
		map[string]any{"reply": rep, "category": "greylisting", "reason": "greylisted", "advice": "nothing; it is retried"})

	code, out, errOut := runIn(t, ctx, "queue", "hold", id, "--db", db, "--note", "checking\nthe template")
	if code != 0 || !strings.Contains(out, "held 1 recipient of "+id+": b@r.test\n") || !strings.Contains(out, "relaylab queue release "+id) {
		t.Fatalf("queue hold: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runIn(t, ctx, "queue", "hold", id, "b@r.test", "--db", db)
	if code != 0 || !strings.Contains(out, "nothing changed; already held: b@r.test held by relaylab queue hold, user ") {
		t.Errorf("queue hold again: exit %d\n%s", code, out)
	}
	code, out, _ = runIn(t, ctx, "queue", "list", "--db", db)
	if code != 0 || !strings.Contains(out, "held") || !strings.Contains(out, "[held by relaylab queue hold, user ") || !strings.Contains(out, ": checking the template]") {
		t.Errorf("queue list: exit %d, want the held row, who held it and the note on one line:\n%s", code, out)
	}
	if code, out, _ = runIn(t, ctx, "queue", "list", "--db", db, "--state", "held"); code != 0 || !strings.Contains(out, id) {
		t.Errorf("queue list --state held: exit %d\n%s", code, out)
	}
	code, out, _ = runIn(t, ctx, "queue", "show", id, "--db", db)
	if code != 0 || !strings.Contains(out, "recipient b@r.test: held after 1 attempt") || !strings.Contains(out, "    held by hand: by relaylab queue hold, user ") ||
		!strings.Contains(out, "(checking the template)") || strings.Contains(out, "next attempt") || !strings.Contains(out, "advice: nothing is sent to it until it is released") {
		t.Errorf("queue show: exit %d\n%s", code, out)
	}
	code, out, _ = runIn(t, ctx, "queue", "show", id, "--db", db, "--json")
	var m relay.MessageInfo
	if err := json.Unmarshal([]byte(out), &m); code != 0 || err != nil {
		t.Fatalf("queue show --json: exit %d, %v\n%s", code, err, out)
	}
	if h := m.Recipients[0].OperatorHold; h == nil || !strings.HasPrefix(h.By, "relaylab queue hold, user ") || h.Since.IsZero() || h.Note != "checking\nthe template" {
		t.Errorf("--json operator_hold %+v, want by, since and note", h)
	}
	code, out, errOut = runIn(t, ctx, "queue", "retry", id, "--db", db)
	if code != 1 || !strings.Contains(errOut, "a retry does not release a hold") || !strings.Contains(errOut, "relaylab queue release "+id) {
		t.Errorf("queue retry of a held message: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runIn(t, ctx, "queue", "release", id, "--db", db)
	if code != 0 || !strings.Contains(out, "released 1 recipient of "+id+": b@r.test; due now") {
		t.Errorf("queue release: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runIn(t, ctx, "queue", "release", id, "--db", db)
	if code != 0 || !strings.Contains(out, id+" was not held; nothing to release") {
		t.Errorf("queue release of nothing held: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut = runIn(t, ctx, "queue", "hold", id, "c@r.test", "--db", db); code != 1 || !strings.Contains(errOut, "has no recipient c@r.test") {
		t.Errorf("queue hold of another address: exit %d\n%s", code, errOut)
	}
	if code, _, errOut = runIn(t, ctx, "queue", "retry", id, "--db", db, "--note", "x"); code != 2 {
		t.Errorf("--note on retry: exit %d, want 2\n%s", code, errOut)
	}
}

// TestQueueListPages: queue list says how many match and how to page on,
// and --after, --before, --oldest, --recipient and --domain page and
// filter.
func TestQueueListPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "q.db")
	st, rl := openTestRelay(t, db)
	var ids []string
	for i := range 5 {
		to := "b@r.test"
		if i == 0 {
			to = "old@stuck.test"
		}
		id, err := rl.Enqueue(ctx, relay.Submission{From: "a@s.test", Data: []byte("Subject: x\r\n\r\ny\r\n"), Recipients: []relay.Recipient{{Address: to}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		time.Sleep(2 * time.Millisecond) // created_ns apart: the order is known
	}
	st.Close()
	code, out, errOut := runIn(t, ctx, "queue", "list", "--db", db, "--limit", "2")
	if code != 0 || !strings.Contains(errOut, "2 of 5 messages (state waiting) are shown, newest first, and more match") || !strings.Contains(errOut, "--after "+ids[3]+" the next page") ||
		!strings.Contains(out, ids[4]) || strings.Contains(out, ids[2]) {
		t.Errorf("queue list --limit 2: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runIn(t, ctx, "queue", "list", "--db", db, "--limit", "2", "--after", ids[3])
	if code != 0 || !strings.Contains(out, ids[2]) || !strings.Contains(out, ids[1]) || strings.Contains(out, ids[3]) ||
		!strings.Contains(errOut, "--before "+ids[2]+" the page before") {
		t.Errorf("queue list --after: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ = runIn(t, ctx, "queue", "list", "--db", db, "--limit", "1", "--oldest"); code != 0 || !strings.Contains(out, ids[0]) {
		t.Errorf("queue list --oldest: exit %d\n%s", code, out)
	}
	// A filter says how many match, though all are shown.
	if code, out, errOut = runIn(t, ctx, "queue", "list", "--db", db, "--domain", "STUCK.test"); code != 0 || !strings.Contains(out, ids[0]) || strings.Contains(out, ids[1]) ||
		!strings.Contains(errOut, "1 of 1 messages (") || strings.Contains(errOut, "; ") {
		t.Errorf("queue list --domain: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ = runIn(t, ctx, "queue", "list", "--db", db, "--recipient", "old@", "--json"); code != 0 || strings.Count(out, `"id"`) != 2 { // message and recipient
		t.Errorf("queue list --recipient --json: exit %d\n%s", code, out)
	}
	if code, out, _ = runIn(t, ctx, "queue", "list", "--db", db, "--domain", "none.test"); code != 0 || !strings.Contains(out, "no messages (state waiting, a recipient at none.test)") {
		t.Errorf("queue list matching nothing: exit %d\n%s", code, out)
	}
	if code, out, _ = runIn(t, ctx, "queue", "list", "--db", db, "--after", ids[0]); code != 0 || !strings.Contains(out, "no messages after "+ids[0]+": the 4 others that match (state waiting) come before it") {
		t.Errorf("queue list --after the last: exit %d\n%s", code, out)
	}
	if code, _, errOut = runIn(t, ctx, "queue", "list", "--db", db, "--after", "nope"); code != 2 || !strings.Contains(errOut, "--after nope: no message with that id") {
		t.Errorf("queue list --after an unknown id: exit %d\n%s", code, errOut)
	}
	if code, _, _ = runIn(t, ctx, "queue", "list", "--db", db, "--after", ids[1], "--before", ids[2]); code != 2 {
		t.Errorf("--after with --before: exit %d, want 2", code)
	}
}

// TestQueueShowReportsAndSkipped: queue show prints the DSNs from the
// receiving side that report no failure, and the paths an attempt passed
// over, also when the recipient has one attempt.
func TestQueueShowReportsAndSkipped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateQueued)
	ok := relay.Reply{Stage: "dot", Code: 250, Enhanced: "2.0.0", Text: "OK"}
	setRecipient(t, db, id, relay.StateDelivered, time.Time{}, "backup", "backup.test", ok, "", "", events.RelayDelivered, map[string]any{"reply": ok})
	st, _ := openTestRelay(t, db)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	skip := relay.SkippedPath{Path: "primary", Text: "path primary not tried: its destination path:primary rests until 2026-03-01T12:05:00Z after 1 failure: 421 4.3.2 busy"}
	report := relay.DSNReport{Action: "delayed", Status: "4.2.2", Reply: relay.Reply{Stage: "async", Code: 452, Enhanced: "4.2.2", Text: "mailbox full"},
		RemoteMTA: "dns; mx.r.test", Reason: "a delayed DSN: the receiving side is still trying", Advice: "no action needed"}
	if err := st.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Append(events.Event{Kind: events.RelayAttempt, Time: at, Message: id, Recipient: "b@r.test", Path: "backup"}.WithPayload(
			map[string]any{"attempt": 1, "path": "backup", "host": "backup.test", "reply": ok, "skipped": []relay.SkippedPath{skip}})); err != nil {
			return err
		}
		_, err := tx.Append(events.Event{Kind: events.RelayDSNReceived, Time: at.Add(time.Hour), Message: id, Recipient: "b@r.test"}.WithPayload(report))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, out, errOut := runIn(t, ctx, "queue", "show", id, "--db", db)
	for _, want := range []string{
		"    attempts:\n      #1 2026-03-01T12:00:00Z  backup backup.test  250 2.0.0 OK\n        skipped path primary not tried: its destination path:primary rests until 2026-03-01T12:05:00Z after 1 failure: 421 4.3.2 busy\n",
		"    DSN 2026-03-01T13:00:00Z: delayed 452 4.2.2 mailbox full (from dns; mx.r.test) — a delayed DSN: the receiving side is still trying; no action needed\n",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("queue show: exit %d, want %q in\n%s%s", code, want, out, errOut)
		}
	}
}
