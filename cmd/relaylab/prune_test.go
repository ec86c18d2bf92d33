package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// pruneStore makes a store with one finished relay message and one
// deferred, a sink session and two events, all 48 hours old, and returns
// its path.
func pruneStore(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	st, err := store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour).UnixNano()
	err = st.Write(ctx, func(tx *store.Tx) error {
		for _, q := range []string{
			`INSERT INTO sink_sessions (id, listener, client, start_ns, end_ns) VALUES (1, 'mx', '127.0.0.1', ?1, ?1)`,
			`INSERT INTO sink_sessions (id, listener, client, start_ns, end_ns) VALUES (2, 'mx', '127.0.0.1', ?1, ?1)`,
			`INSERT INTO relay_messages (id, sender, size, data, created_ns, expires_ns) VALUES ('done', 'a@x.test', 1, x'41', ?1, ?1)`,
			`INSERT INTO relay_recipients (message_id, address, state, updated_ns) VALUES ('done', 'b@y.test', 'delivered', ?1)`,
			`INSERT INTO relay_messages (id, sender, size, data, created_ns, expires_ns) VALUES ('wait', 'a@x.test', 1, x'41', ?1, ?1)`,
			`INSERT INTO relay_recipients (message_id, address, state, updated_ns, due_ns) VALUES ('wait', 'b@y.test', 'deferred', ?1, ?1)`,
		} {
			if _, err := tx.Exec(q, old); err != nil {
				return err
			}
		}
		for _, e := range []events.Event{{Kind: events.SinkSession}, {Kind: events.RelayDeferred, Message: "wait"}} {
			e.Time = time.Unix(0, old)
			if _, err := tx.Append(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// rowCounts is the rows of the tables prune touches, by table.
func rowCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: path, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string]int{}
	for _, table := range []string{"sink_sessions", "relay_messages", "relay_recipients", "events"} {
		var n int
		if err := st.DB().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func TestPruneCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := pruneStore(t)
	want := map[string]int{"sink_sessions": 2, "relay_messages": 2, "relay_recipients": 2, "events": 2}

	code, out, errOut := runIn(t, ctx, "prune", "--db", path, "--older-than", "1d", "--dry-run")
	if code != 0 || !strings.Contains(out, "would delete 4 rows older than") {
		t.Fatalf("--dry-run: exit %d\n%s%s", code, out, errOut)
	}
	if got := rowCounts(t, path); !equalCounts(got, want) {
		t.Fatalf("--dry-run changed the store: %v, want %v", got, want)
	}

	code, out, errOut = runIn(t, ctx, "prune", "--db", path, "--older-than", "1d", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var res struct {
		Tables []store.Pruned `json:"tables"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	deleted := map[string]int64{}
	for _, tb := range res.Tables {
		deleted[tb.Name()] = tb.Rows
	}
	// The last sink session stays (session ids go on from it), as does
	// the deferred message and its event.
	if deleted["sink_sessions"] != 1 || deleted["relay_messages"] != 1 || deleted["relay_recipients"] != 1 || deleted["events"] != 1 {
		t.Errorf("deleted %v", deleted)
	}
	want = map[string]int{"sink_sessions": 1, "relay_messages": 1, "relay_recipients": 1, "events": 1}
	if got := rowCounts(t, path); !equalCounts(got, want) {
		t.Errorf("left %v, want %v", got, want)
	}

	code, out, _ = runIn(t, ctx, "prune", "--db", path, "--before", "2000-01-01T00:00:00Z", "--vacuum")
	if code != 0 || !strings.Contains(out, "deleted 0 rows") || !strings.Contains(out, "vacuumed") {
		t.Errorf("--vacuum on a store no one else has: exit %d\n%s", code, out)
	}
}

func equalCounts(a, b map[string]int) bool {
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

func TestPruneCommandExitCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := pruneStore(t)
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--db", path}, 2, "--older-than D"},
		{[]string{"--db", path, "--older-than", "1d", "--before", "2020-01-01T00:00:00Z"}, 2, "give one"},
		{[]string{"--db", path, "--older-than", "soon"}, 2, "--older-than"},
		{[]string{"--db", path, "--older-than", "0s"}, 2, "more than 0"},
		{[]string{"--db", path, "--before", "yesterday"}, 2, "RFC 3339"},
		{[]string{"--db", path, "--before", "2999-01-01T00:00:00Z"}, 2, "in the future"},
		{[]string{"--db", path, "--older-than", "1d", "--dry-run", "--vacuum"}, 2, "--vacuum with --dry-run"},
		{[]string{"--db", filepath.Join(t.TempDir(), "none.db"), "--older-than", "1d"}, 2, "no store"},
		{[]string{"--db", path, "extra"}, 2, "no arguments"},
	} {
		code, out, errOut := runIn(t, ctx, append([]string{"prune"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.says) {
			t.Errorf("prune %q: exit %d, want %d saying %q\n%s%s", tc.args, code, tc.code, tc.says, out, errOut)
		}
	}
	if got := rowCounts(t, path); got["events"] != 2 {
		t.Errorf("a refused prune changed the store: %v", got)
	}
}

// TestPruneVacuumRefusedWhileHeld: --vacuum needs the store to itself, so
// it is refused (exit 1, nothing pruned, the holder named) while another
// process, here one that stands for a running serve, has it open; the
// prune alone runs beside it.
func TestPruneVacuumRefusedWhileHeld(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("which process holds a store is read from /proc")
	}
	ctx := context.Background()
	path := pruneStore(t)
	holdStore(t, path, "serve", "--db", path)
	code, out, errOut := runIn(t, ctx, "prune", "--db", path, "--older-than", "1d", "--vacuum")
	if code != 1 || !strings.Contains(errOut, "in use by process") || !strings.Contains(errOut, "nothing was pruned") {
		t.Fatalf("--vacuum beside a holder: exit %d\n%s%s", code, out, errOut)
	}
	if got := rowCounts(t, path); got["events"] != 2 {
		t.Errorf("a refused --vacuum pruned: %v", got)
	}
	code, out, errOut = runIn(t, ctx, "prune", "--db", path, "--older-than", "1d")
	if code != 0 || !strings.Contains(out, "deleted 4 rows") {
		t.Errorf("prune beside a holder: exit %d\n%s%s", code, out, errOut)
	}
}

// seedRetention adds to the store at path, 48 hours old, a soft-bounce
// count, a probe change the webhook delivered and one still waiting for
// it, each with its probe.changed event, and a probe.result event.
func seedRetention(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	old := time.Now().Add(-48 * time.Hour)
	err = st.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(`INSERT INTO relay_soft_bounces (address, count, updated_ns) VALUES ('full@y.test', 1, ?)`, old.UnixNano()); err != nil {
			return err
		}
		if _, err := tx.Append(events.Event{Kind: events.ProbeResult, Target: "x.test", Time: old}); err != nil {
			return err
		}
		for _, hook := range []string{"delivered", "pending"} {
			ev, err := tx.Append(events.Event{Kind: events.ProbeChanged, Target: "x.test", Time: old})
			if err != nil {
				return err
			}
			if _, err := tx.Exec(`INSERT INTO probe_changes (time_ns, target, key, kind, old, new, event_id, webhook) VALUES (?, 'x.test', ?, 'record-changed', 'a', 'b', ?, ?)`,
				old.UnixNano(), "domain x.test "+hook, ev.ID, hook); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// retentionLeft is what is left of seedRetention's rows: soft-bounce
// counts, probe changes, probe events.
func retentionLeft(t *testing.T, path string) [3]int {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: path, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out [3]int
	for i, q := range []string{`SELECT COUNT(*) FROM relay_soft_bounces`, `SELECT COUNT(*) FROM probe_changes`,
		`SELECT COUNT(*) FROM events WHERE kind LIKE 'probe.%'`} {
		if err := st.DB().QueryRow(q).Scan(&out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestPruneCommandProbeAndSoftBounces: prune deletes the soft-bounce
// counts, probe changes and probe events older than the cutoff, which it
// used to leave to grow for ever, and names them in its counts (text,
// --dry-run and --json); a change still waiting for the webhook stays
// with its event.
func TestPruneCommandProbeAndSoftBounces(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := pruneStore(t)
	seedRetention(t, path)

	code, out, errOut := runIn(t, ctx, "prune", "--db", path, "--older-than", "1d", "--dry-run")
	if code != 0 {
		t.Fatalf("--dry-run: exit %d\n%s%s", code, out, errOut)
	}
	for _, line := range []string{"relay_soft_bounces  1", "probe_changes       1", "events (probe.*)    2", "would delete 8 rows"} {
		if !strings.Contains(out, line) {
			t.Errorf("--dry-run does not say %q:\n%s", line, out)
		}
	}
	if got, want := retentionLeft(t, path), [3]int{1, 2, 3}; got != want {
		t.Fatalf("--dry-run changed the store: %v, want %v", got, want)
	}

	code, out, errOut = runIn(t, ctx, "prune", "--db", path, "--older-than", "1d", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, `"table": "events",
      "kinds": "probe.*",
      "rows": 2`) {
		t.Errorf("--json does not count the probe's events apart:\n%s", out)
	}
	// Left: the change still waiting for the webhook and its event.
	if got, want := retentionLeft(t, path), [3]int{0, 1, 1}; got != want {
		t.Errorf("left %v, want %v", got, want)
	}
}
