package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/relay"
)

// TestQueueRetryHoldPastExpiry: queue retry of a recipient whose hold
// ends after its message expires says it expires unsent first, as queue
// show does, and leaves its next attempt at the expiry (the relay's last
// try); it said "held until" the hold's end alone, and moved the next
// attempt past the expiry (left alone in the fifteenth session).
func TestQueueRetryHoldPastExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateQueued)
	now := time.Now().UTC().Truncate(time.Second)
	expires, until := now.Add(time.Hour), now.Add(2*time.Hour)
	rest := "not tried: destination path:primary rests until " + until.Format(time.RFC3339) + " after 421 4.7.0 too busy"
	st, _ := openTestRelay(t, db)
	if err := st.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(`UPDATE relay_messages SET expires_ns = ? WHERE id = ?`, expires.UnixNano(), id); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE relay_recipients SET state = ?, due_ns = ?, attempts = 1, path = 'primary', code = 451, enhanced = '4.3.0', reply = 'try later',
			hold = ?, category = 'destination-backoff', reason = 'the destination rests' WHERE message_id = ?`, relay.StateDeferred, expires.UnixNano(), rest, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, out, errOut := runIn(t, ctx, "queue", "retry", id, "--db", db)
	want := "b@r.test held until " + until.Format(time.RFC3339) + ", after the message expires at " + expires.Format(time.RFC3339) + ": it expires unsent then"
	if code != 0 || !strings.Contains(out, want) {
		t.Errorf("queue retry of a hold past the expiry: exit %d, want %q\nstdout %s\nstderr %s", code, want, out, errOut)
	}
	code, out, errOut = runIn(t, ctx, "queue", "show", id, "--db", db)
	if want := "next attempt " + expires.Format(time.RFC3339) + "\n"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("queue show after the retry: exit %d, want %q (the expiry, the relay's last try)\nstdout %s\nstderr %s", code, want, out, errOut)
	}
}
