package scenario

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/reports"
)

// replayWait replays a scenario whose sink makes the relay wait, and fails
// the test (instead of hanging it) if the replay does not end in a minute
// of wall time.
// It returns the scenario's first message's recipient and, by event kind,
// the virtual times of the replay's events after its queueing (and, as
// "session start", of the sink's sessions' starts).
func replayWait(t *testing.T, yaml string) (*reports.Recipient, map[string][]time.Duration) {
	t.Helper()
	sc, err := Parse("wait.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := filepath.Join(t.TempDir(), "wait.db")
	out, err := Run(ctx, sc, Options{DB: db})
	if err != nil {
		t.Fatalf("replay: %v (a sink that waits on the virtual clock must not stall the replay)", err)
	}
	var r *reports.Recipient
	for _, rc := range out.Data.Recipients {
		if rc.Message == "msg-1" {
			r = rc
		}
	}
	if r == nil {
		t.Fatalf("no recipient of msg-1 in %+v", out.Data.Recipients)
	}
	st, err := store.Open(ctx, store.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.DB().QueryContext(ctx, `SELECT kind, time_ns FROM events UNION ALL SELECT 'session start', start_ns FROM sink_sessions ORDER BY 2`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	at := map[string][]time.Duration{}
	for rows.Next() {
		var kind string
		var ns int64
		if err := rows.Scan(&kind, &ns); err != nil {
			t.Fatal(err)
		}
		at[kind] = append(at[kind], time.Unix(0, ns).Sub(r.Queued))
	}
	return r, at
}

// TestReplaySinkWaits replays sink delays and tarpits: the driver moves the
// virtual clock while the relay waits for the sink's reply, and the relay's
// stage timeouts run on the same virtual clock.
func TestReplaySinkWaits(t *testing.T) {
	t.Parallel()
	t.Run("delay under the command timeout delivers", func(t *testing.T) {
		t.Parallel()
		r, at := replayWait(t, `name: delay
seed: 1
messages:
  - {from: a@shop.test, to: ["delay30s@example.test"]}
`)
		if r.Status != "delivered" || len(r.Attempts) != 1 {
			t.Fatalf("status %s after %d attempts, want delivered after 1: %+v", r.Status, len(r.Attempts), r.Attempts)
		}
		// The attempt starts at once; the sink answers the RCPT 30 s later,
		// and the relay records its attempt when it ends.
		if got := at["session start"]; len(got) != 1 || got[0] != 0 {
			t.Errorf("sink sessions started at %v, want [0s]", got)
		}
		if got := r.Attempts[0].Time.Sub(r.Queued); got != 30*time.Second {
			t.Errorf("attempt recorded at +%s, want +30s (the reply after the sink's 30 s delay)", got)
		}
		if got := r.Done.Sub(r.Queued); got != 30*time.Second {
			t.Errorf("delivered at +%s, want +30s (after the sink's 30 s delay)", got)
		}
	})
	t.Run("delay over the command timeout times out", func(t *testing.T) {
		t.Parallel()
		r, at := replayWait(t, `name: delay-timeout
seed: 1
relay:
  paths:
    - {name: slow, host: "sink", command_timeout: 1m}
  retry: {kind: list, schedule: [10m], max_age: 15m, bounce_max_age: 15m}
messages:
  - {from: a@shop.test, to: ["delay2m@example.test"]}
`)
		if r.Status != "expired" || len(r.Attempts) < 2 {
			t.Fatalf("status %s after %d attempts, want expired after 2 or more: %+v", r.Status, len(r.Attempts), r.Attempts)
		}
		for i, a := range r.Attempts {
			if a.Code != 0 || !strings.Contains(a.Error, "timeout") {
				t.Errorf("attempt %d: reply %d %q, error %q; want the relay's read timeout", i+1, a.Code, a.Text, a.Error)
			}
		}
		// Each attempt ends when the relay's 1 min command timeout does,
		// not when the sink's 2 min delay would have.
		if got := at[events.RelayAttempt]; len(got) < 2 || got[0] != time.Minute || got[1] != 12*time.Minute {
			t.Errorf("attempts recorded at %v, want 1m0s and 12m0s first (a 1m timeout, the 10m retry, a 1m timeout)", got)
		}
	})
	t.Run("tarpit completes", func(t *testing.T) {
		t.Parallel()
		r, _ := replayWait(t, `name: tarpit
seed: 1
messages:
  - {from: a@shop.test, to: ["tarpit1s@example.test"]}
`)
		if r.Status != "delivered" || len(r.Attempts) != 1 {
			t.Fatalf("status %s after %d attempts, want delivered after 1: %+v", r.Status, len(r.Attempts), r.Attempts)
		}
		if got := r.Done.Sub(r.Queued); got < 10*time.Second {
			t.Errorf("delivered at +%s, want at least +10s (one byte a second of a reply)", got)
		}
	})
}
