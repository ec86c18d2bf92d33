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

// TestFR23aQueueRetryReadsRecordedRest: queue retry --db (no --config)
// of mail whose own 421 rested its destination, on a path the built-in
// configuration lacks, says it is held until the rest's end, as the
// store recorded it on the attempt (begun 20 minutes ago, longer than
// the built-in path's backoff). It said "due now", and the running relay
// then held it all the same.
func TestFR23aQueueRetryReadsRecordedRest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateQueued)
	until := time.Now().Add(40 * time.Minute).UTC().Truncate(time.Second)
	rep := relay.Reply{Stage: "mail", Code: 421, Enhanced: "4.7.0", Text: "slow down"}
	st, _ := openTestRelay(t, db)
	if err := st.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(`UPDATE relay_recipients SET state = ?, due_ns = ?, attempts = 1, path = 'prova', host = '127.0.0.1:2525', code = 421, enhanced = '4.7.0', reply = 'slow down', category = 'rate-limited'
			WHERE message_id = ?`, relay.StateDeferred, until.UnixNano(), id); err != nil {
			return err
		}
		_, err := tx.Append(events.Event{Kind: events.RelayAttempt, Time: time.Now().Add(-20 * time.Minute), Message: id, Recipient: "b@r.test", Path: "prova", Target: "127.0.0.1:2525"}.WithPayload(map[string]any{
			"attempt": 1, "path": "prova", "host": "127.0.0.1:2525", "reply": rep,
			"rest": map[string]any{"destination": "path:prova", "until": until},
		}))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, out, errOut := runIn(t, ctx, "queue", "retry", id, "--db", db)
	want := "  b@r.test held until " + until.Format(time.RFC3339) + ": shaping: not tried: destination path:prova rests until " + until.Format(time.RFC3339) + " after 421 4.7.0 slow down"
	if code != 0 || !strings.Contains(out, want) || strings.Contains(out, "due now") {
		t.Errorf("queue retry: exit %d\nstdout %s\nstderr %s\nwant the line %q and no \"due now\"", code, out, errOut, want)
	}
}

// TestFR23aQueueShowWaitingForTurn: queue show and list of a recipient
// claimed but waiting for its turn in a rate, as the store has it, say
// so and that no connection is made for it; the crashed relay's note
// says so too. They called it an attempt under way (or cut off).
func TestFR23aQueueShowWaitingForTurn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateInflight)
	wait := "waiting for its turn in the rate of destination path:prova (0.1 a second): it goes out at 2026-03-01T12:00:10Z"
	st, _ := openTestRelay(t, db)
	if err := st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE relay_recipients SET hold = ? WHERE message_id = ?`, wait, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, out, errOut := runIn(t, ctx, "queue", "show", id, "--db", db)
	if want := "recipient b@r.test: in flight when the relay stopped (after 0 attempts), " + wait + ", no connection made for it"; code != 0 || !strings.Contains(out, want) ||
		strings.Contains(out, "held:") || strings.Contains(out, "category") {
		t.Errorf("queue show: exit %d\nstdout %s\nstderr %s\nwant %q, and no held: or category line to say it twice", code, out, errOut, want)
	}
	code, out, errOut = runIn(t, ctx, "queue", "list", "--db", db)
	if code != 0 || !strings.Contains(out, "none yet [not begun: "+wait+"]") || !strings.Contains(errOut, "1 recipient is in flight, waiting for its turn when the relay stopped, but no relay runs on this store: no connection was made for it") {
		t.Errorf("queue list: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	rc := relay.RecipientInfo{State: relay.StateInflight, Hold: &relay.Reply{Stage: "shaping", Text: wait}}
	if got, want := turnState(rc, "process 42 (relaylab serve)"), "in flight, not begun: "+wait+"; attempt 1 begins then, by process 42 (relaylab serve) (no connection is made for it yet)"; got != want {
		t.Errorf("beside a running relay: %q, want %q", got, want)
	}
}

// TestFR23aQueueShowNoExpiryWhenFinished: queue show of a message none of
// whose recipients waits prints no expiry, which no longer applies.
func TestFR23aQueueShowNoExpiryWhenFinished(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct {
		state   string
		expires bool
	}{{relay.StateDelivered, false}, {relay.StateBounced, false}, {relay.StateDeferred, true}} {
		db, id := queueStore(t, tt.state)
		code, out, errOut := runIn(t, ctx, "queue", "show", id, "--db", db)
		if code != 0 || strings.Contains(out, "  expires  ") != tt.expires {
			t.Errorf("queue show of a %s message: exit %d, an expiry printed: %v, want %v\nstdout %s\nstderr %s", tt.state, code, !tt.expires, tt.expires, out, errOut)
		}
	}
}
