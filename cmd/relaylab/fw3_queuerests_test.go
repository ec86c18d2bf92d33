package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/relay"
)

// TestQueueRestsAndUnrest: queue rests lists a destination's rest, with
// its end and how much mail it holds, and queue unrest DEST ends it: its
// held mail is due now and the rest is gone from the list, which a retry
// could not do (a retry of the held mail names the command); a destination that does not rest is exit 1 that says how
// to list those that do.
func TestQueueRestsAndUnrest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateQueued)
	until := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	rest := "not tried: destination path:primary rests until " + until.Format(time.RFC3339) + " after 421 4.7.0 try again later"
	holdByRest(t, db, id, until, rest, relay.Reply{})
	code, out, errOut := runIn(t, ctx, "queue", "rests", "--db", db)
	if code != 0 || !strings.Contains(out, "path:primary") || !strings.Contains(out, until.Format(time.RFC3339)) || !strings.Contains(out, "queue unrest DEST") {
		t.Fatalf("queue rests: exit %d, want path:primary until %s\nstdout %s\nstderr %s", code, until.Format(time.RFC3339), out, errOut)
	}
	// A retry, which the rest holds, says how to end it.
	if code, out, _ = runIn(t, ctx, "queue", "retry", id, "--db", db); code != 0 || !strings.Contains(out, "relaylab queue unrest path:primary") {
		t.Errorf("queue retry of mail a rest holds: exit %d, want how to end the rest\nstdout %s", code, out)
	}
	code, out, errOut = runIn(t, ctx, "queue", "unrest", "path:primary", "--db", db)
	if code != 0 || !strings.Contains(out, "ended the rest of path:primary") || !strings.Contains(out, "1 recipient of mail it held due now") {
		t.Fatalf("queue unrest: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	if code, out, _ = runIn(t, ctx, "queue", "rests", "--db", db); code != 0 || !strings.Contains(out, "no destination rests") {
		t.Errorf("queue rests after the unrest: exit %d\nstdout %s", code, out)
	}
	if code, out, _ = runIn(t, ctx, "queue", "show", id, "--db", db); strings.Contains(out, "next attempt "+until.Format(time.RFC3339)) {
		t.Errorf("queue show after the unrest still waits for the rest's end:\n%s", out)
	}
	code, _, errOut = runIn(t, ctx, "queue", "unrest", "path:primary", "--db", db)
	if code != 1 || !strings.Contains(errOut, "does not rest") || !strings.Contains(errOut, "queue rests") {
		t.Errorf("queue unrest of a destination that does not rest: exit %d, stderr %s; want 1 and how to list the rests", code, errOut)
	}
	if code, _, errOut = runIn(t, ctx, "queue", "unrest", "--db", db); code != 2 || !strings.Contains(errOut, "one destination") {
		t.Errorf("queue unrest without a destination: exit %d, stderr %s; want 2", code, errOut)
	}
}

// holdByRest makes message id's recipients deferred until until, held by
// a destination's rest (hold, restText's words), with last as the last
// reply of a server where not zero.
func holdByRest(t *testing.T, db, id string, until time.Time, hold string, last relay.Reply) {
	t.Helper()
	st, _ := openTestRelay(t, db)
	defer st.Close()
	if err := st.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE relay_recipients SET state = ?, due_ns = ?, attempts = 1, path = 'primary', code = ?, enhanced = ?, reply = ?, hold = ?,
			category = 'destination-backoff', reason = 'the destination rests' WHERE message_id = ?`, relay.StateDeferred, until.UnixNano(), last.Code, last.Enhanced, last.Text, hold, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
