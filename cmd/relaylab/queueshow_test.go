package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/relay"
)

// setRecipient leaves the message's recipient as a relay that ran would
// have: its row in state with reply and category, and the event of that
// outcome with its advice.
func setRecipient(t *testing.T, db, id, state string, due time.Time, path, host string, rep relay.Reply, category, reason, kind string, pl map[string]any) {
	t.Helper()
	st, _ := openTestRelay(t, db)
	defer st.Close()
	var dueNS any
	if !due.IsZero() {
		dueNS = due.UnixNano()
	}
	if err := st.Write(context.Background(), func(tx *store.Tx) error {
		if _, err := tx.Exec(`UPDATE relay_recipients SET state = ?, due_ns = ?, attempts = 1, path = ?, host = ?, code = ?, enhanced = ?, reply = ?, category = ?, reason = ?
			WHERE message_id = ?`, state, dueNS, path, host, rep.Code, rep.Enhanced, rep.Text, category, reason, id); err != nil {
			return err
		}
		_, err := tx.Append(events.Event{Kind: kind, Time: time.Now(), Message: id, Recipient: "b@r.test", Path: path}.WithPayload(pl))
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// TestQueueShowAdvice: show prints the advice of every recipient's last
// outcome, and --json has it with the reply's stage; a path without a host
// (held before any host) prints no empty host.
func TestQueueShowAdvice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateQueued)
	rep := relay.Reply{Stage: "auth", Text: "the server does not offer AUTH on this connection"}
	setRecipient(t, db, id, relay.StateDeferred, time.Now().Add(time.Hour), "primary", "", rep, "auth-not-offered", "no AUTH offered", events.RelayDeferred,
		map[string]any{"reply": rep, "category": "auth-not-offered", "reason": "no AUTH offered", "advice": "set tls: required on the path"})
	code, out, errOut := runIn(t, ctx, "queue", "show", id, "--db", db)
	if code != 0 || !strings.Contains(out, "    advice: set tls: required on the path\n") || !strings.Contains(out, "category auth-not-offered: no AUTH offered") ||
		!strings.Contains(out, "    path primary\n") || strings.Contains(out, " host \n") {
		t.Errorf("queue show: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	code, out, errOut = runIn(t, ctx, "queue", "show", id, "--db", db, "--json")
	var m relay.MessageInfo
	if err := json.Unmarshal([]byte(out), &m); code != 0 || err != nil || len(m.Recipients) != 1 {
		t.Fatalf("queue show --json: exit %d, %v\nstdout %s\nstderr %s", code, err, out, errOut)
	}
	if rc := m.Recipients[0]; rc.Advice != "set tls: required on the path" || rc.Reply.Stage != "auth" {
		t.Errorf("--json recipient %+v: want the advice and stage auth", rc)
	}
}

// TestQueueShowSuppressed: a suppressed recipient shows why and what to do.
func TestQueueShowSuppressed(t *testing.T) {
	t.Parallel()
	db, id := queueStore(t, relay.StateQueued)
	setRecipient(t, db, id, relay.StateSuppressed, time.Time{}, "", "", relay.Reply{}, "", "", events.RelaySuppressed,
		map[string]any{"reason": "the address is on the suppression list: a test", "advice": "remove it with `relaylab suppress remove`"})
	code, out, errOut := runIn(t, context.Background(), "queue", "show", id, "--db", db)
	if code != 0 || !strings.Contains(out, "reason: the address is on the suppression list: a test") || !strings.Contains(out, "advice: remove it with") {
		t.Errorf("queue show: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}

// TestQueueRetryHeld: a retry of a recipient that shaping holds says it
// stays held, until when and why, not that it is sent within 2s.
func TestQueueRetryHeld(t *testing.T) {
	t.Parallel()
	db, id := queueStore(t, relay.StateQueued)
	until := time.Now().Add(3 * time.Hour).UTC().Truncate(time.Second)
	rep := relay.Reply{Stage: "shaping", Text: "path primary reached its warm-up cap for the day; it opens again at " + until.Format(time.RFC3339)}
	setRecipient(t, db, id, relay.StateDeferred, until, "primary", "", rep, "shaping", "held", events.RelayDeferred, map[string]any{"reply": rep})
	code, out, errOut := runIn(t, context.Background(), "queue", "retry", id, "--db", db, "--config", warmingConfig(t))
	if code != 0 || strings.Contains(out, "sends them within") || !strings.Contains(out, "b@r.test held until "+until.Format(time.RFC3339)+": shaping: path primary reached its warm-up cap") {
		t.Errorf("queue retry: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}

// TestQueueDeletedMessage: show, retry and delete of a message deleted by
// hand say so and where its history is, not to look in queue list.
func TestQueueDeletedMessage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateQueued)
	if code, _, errOut := runIn(t, ctx, "queue", "delete", id, "--db", db); code != 0 {
		t.Fatalf("delete: exit %d: %s", code, errOut)
	}
	for _, verb := range []string{"show", "retry", "delete"} {
		code, _, errOut := runIn(t, ctx, "queue", verb, id, "--db", db)
		if code != 1 || !strings.Contains(errOut, id+" was deleted from the queue by hand at ") || !strings.Contains(errOut, "relaylab report") || strings.Contains(errOut, "queue list") {
			t.Errorf("queue %s after a delete: exit %d\nstderr %s", verb, code, errOut)
		}
	}
}

// TestQueueRetryHeldAgreesWithShow: after a retry of a recipient that
// shaping holds, queue show and queue list give as its next attempt the
// hold's end that the retry named. show said "next attempt" at the retry's
// time (the relay then held it again, until the hold's end and later),
// beside "held until" the hold's end in retry's output.
func TestQueueRetryHeldAgreesWithShow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateQueued)
	until := time.Now().Add(3 * time.Hour).UTC().Truncate(time.Second)
	rep := relay.Reply{Stage: "shaping", Text: "path primary reached its warm-up cap for the day; it opens again at " + until.Format(time.RFC3339)}
	setRecipient(t, db, id, relay.StateDeferred, until.Add(4*time.Second), "primary", "", rep, "shaping", "held", events.RelayDeferred, map[string]any{"reply": rep})
	cfg := warmingConfig(t)
	code, out, errOut := runIn(t, ctx, "queue", "retry", id, "--db", db, "--config", cfg)
	if code != 0 || !strings.Contains(out, "a retry cannot lift") || !strings.Contains(out, "b@r.test held until "+until.Format(time.RFC3339)) {
		t.Errorf("queue retry: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	code, out, errOut = runIn(t, ctx, "queue", "show", id, "--db", db)
	if want := "next attempt " + until.Format(time.RFC3339) + "\n"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("queue show after the retry: exit %d, want %q\nstdout %s\nstderr %s", code, want, out, errOut)
	}
	code, out, errOut = runIn(t, ctx, "queue", "list", "--db", db)
	if want := until.Format(time.RFC3339) + "  shaping: path primary"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("queue list after the retry: exit %d, want NEXT %q\nstdout %s\nstderr %s", code, want, out, errOut)
	}
}

// TestQueueListAllNamesStage: queue list --state all names the stage of a
// last reply, as the waiting list does, and a suppressed recipient's
// LAST REPLY is its suppression's reason. --state all printed "reading the
// reply: EOF" where the waiting list printed "dot: reading the reply: EOF",
// and nothing for a suppressed one.
func TestQueueListAllNamesStage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateQueued)
	rep := relay.Reply{Stage: "dot", Text: "reading the reply: EOF"}
	setRecipient(t, db, id, relay.StateDeferred, time.Now().Add(time.Hour), "primary", "mx.r.test", rep, "connection", "cut", events.RelayDeferred,
		map[string]any{"reply": rep, "category": "connection"})
	for _, state := range []string{"waiting", "all", "deferred"} {
		code, out, errOut := runIn(t, ctx, "queue", "list", "--db", db, "--state", state)
		if code != 0 || !strings.Contains(out, "dot: reading the reply: EOF") {
			t.Errorf("queue list --state %s: exit %d, want the stage dot named\nstdout %s\nstderr %s", state, code, out, errOut)
		}
	}
	db2, id2 := queueStore(t, relay.StateQueued)
	setRecipient(t, db2, id2, relay.StateSuppressed, time.Time{}, "", "", relay.Reply{}, "", "", events.RelaySuppressed,
		map[string]any{"reason": "the address is on the suppression list: complained (added by hand)"})
	for _, state := range []string{"all", "suppressed"} {
		code, out, errOut := runIn(t, ctx, "queue", "list", "--db", db2, "--state", state)
		if code != 0 || !strings.Contains(out, "the address is on the suppression list: complained (added by hand)") {
			t.Errorf("queue list --state %s: exit %d, want the suppression's reason as the last reply\nstdout %s\nstderr %s", state, code, out, errOut)
		}
	}
	// A reason quoting a reply of several lines stays on its row (walk N:
	// the lines after the first read as rows of their own).
	db3, id3 := queueStore(t, relay.StateQueued)
	setRecipient(t, db3, id3, relay.StateSuppressed, time.Time{}, "", "", relay.Reply{}, "", "", events.RelaySuppressed,
		map[string]any{"reason": "the address is on the suppression list: 550 5.1.1 no such\nmailbox here\nsee the help (invalid-recipient, from a bounce)"})
	code, out, errOut := runIn(t, ctx, "queue", "list", "--db", db3, "--state", "suppressed")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(lines) != 2 || !strings.Contains(lines[1], "no such mailbox here see the help") {
		t.Errorf("queue list --state suppressed: exit %d, want the header and one row\nstdout %s\nstderr %s", code, out, errOut)
	}
}

// warmingConfig writes a configuration whose path primary has a warm-up
// cap, so that a hold naming it holds under the configuration in force
// (a hold whose cause the configuration no longer has is lifted).
func warmingConfig(t *testing.T) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "relaylab.yaml")
	if err := os.WriteFile(f, []byte("relay:\n  paths:\n    - {name: primary, host: \"127.0.0.1:43526\", warmup: [50, 100], warmup_start: \"2026-01-01\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}
