package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/relay"
)

// TestQueueShowHeldBeforeAnyReply: a recipient that shaping held before
// any server answered shows no last reply, and the hold under held:, not
// the hold as if a server had given it.
func TestQueueShowHeldBeforeAnyReply(t *testing.T) {
	t.Parallel()
	db, id := queueStore(t, relay.StateQueued)
	hold := "not tried: destination r.test rests until 2026-01-02T03:04:05Z after 421 4.7.0 from the path primary"
	st, _ := openTestRelay(t, db)
	if err := st.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE relay_recipients SET state = ?, due_ns = ?, path = 'primary', hold = ?, category = 'shaping', reason = 'held' WHERE message_id = ?`,
			relay.StateDeferred, time.Now().Add(time.Hour).UnixNano(), hold, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, out, errOut := runIn(t, context.Background(), "queue", "show", id, "--db", db)
	if code != 0 || !strings.Contains(out, "    last reply: none yet (no server has answered)\n") || !strings.Contains(out, "    held: "+hold+"\n") ||
		strings.Contains(out, "last reply: shaping") {
		t.Errorf("queue show: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	// queue list says it too, in its LAST REPLY column.
	code, out, errOut = runIn(t, context.Background(), "queue", "list", "--db", db)
	if code != 0 || !strings.Contains(out, "none yet [held by shaping: "+hold+"]") {
		t.Errorf("queue list: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}

// TestQueueRetryHeldSaysWhatHolds: retry names what holds (a cap, a window
// or a destination's rest), not "no cap, window or destination's rest".
func TestQueueRetryHeldSaysWhatHolds(t *testing.T) {
	t.Parallel()
	db, id := queueStore(t, relay.StateQueued)
	until := time.Now().Add(3 * time.Hour).UTC().Truncate(time.Second)
	rep := relay.Reply{Stage: "shaping", Text: "path primary reached its warm-up cap for the day; it opens again at " + until.Format(time.RFC3339)}
	setRecipient(t, db, id, relay.StateDeferred, until, "primary", "", rep, "shaping", "held", events.RelayDeferred, map[string]any{"reply": rep})
	code, out, errOut := runIn(t, context.Background(), "queue", "retry", id, "--db", db, "--config", warmingConfig(t))
	if code != 0 || !strings.Contains(out, "which a retry cannot lift (a cap, window or destination's rest)") {
		t.Errorf("queue retry: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}
