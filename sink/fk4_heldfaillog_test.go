package sink

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/internal/testutil"
)

// loggedSinkWithSQL is a sink on a virtual clock that logs into the
// buffer it returns, and a function that runs SQL on its store (a
// trigger that fails writes as a full disk does).
func loggedSinkWithSQL(t *testing.T, edit func(*Config)) (*Sink, *clock.Virtual, *testutil.SyncBuffer, func(string)) {
	t.Helper()
	v := clock.NewVirtual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	logs := &testutil.SyncBuffer{}
	s, st := testSinkLogged(t, filepath.Join(t.TempDir(), "sink.db"), v, slog.New(slog.NewTextHandler(logs, nil)), edit)
	exec := func(sql string) {
		t.Helper()
		if err := st.Write(context.Background(), func(tx *store.Tx) error { _, err := tx.Exec(sql); return err }); err != nil {
			t.Fatal(err)
		}
	}
	return s, v, logs, exec
}

// The attempts a long session holds (past maxHeld) go to the store while
// it goes on; when that write fails, as on a full disk, the log has one
// line with the error and what to do, then at most one a minute with a
// count, then one when it works again, as for the sink's other writes
// (writeFailures). It had a line per failure.
func TestFK4HeldAttemptsFailureLogLimited(t *testing.T) {
	t.Parallel()
	s, v, logs, exec := loggedSinkWithSQL(t, func(c *Config) {
		c.Listeners[0].Limits.MaxRecipients = 1
		c.Listeners[0].Limits.MaxRefusedRecipients = 0
	})
	ctx := context.Background()
	addr := addrOf(t, s, "mx")
	// flood sends n RCPTs in one transaction, all but the first refused
	// (max_recipients 1), each an attempt the session holds.
	flood := func(n int) {
		t.Helper()
		var b strings.Builder
		b.WriteString("EHLO flood.test\r\nMAIL FROM:<a@flood.test>\r\n")
		for i := range n {
			fmt.Fprintf(&b, "RCPT TO:<r%d@lab.test>\r\n", i)
		}
		b.WriteString("QUIT\r\n")
		if codes, _ := pipelined(t, addr, b.String()); len(codes) != n+4 {
			t.Fatalf("%d replies, want %d", len(codes), n+4)
		}
		s.Flush(ctx)
	}
	lines := func() []string {
		var out []string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "attempts") && strings.Contains(l, "sink: storing a session's") {
				out = append(out, l)
			}
		}
		return out
	}
	exec(`CREATE TRIGGER fk4held BEFORE INSERT ON sink_attempts BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END`)
	flood(3 * maxHeld) // held writes fail at 1000, 2000 and 3000 attempts
	got := lines()
	if len(got) != 1 {
		t.Fatalf("3 failed writes of held attempts logged %d lines, want 1:\n%s", len(got), logs.String())
	}
	for _, w := range []string{"level=ERROR", "attempts failed;", "check the disk", "at most once a minute", "disk full (test)", "session="} {
		if !strings.Contains(got[0], w) {
			t.Errorf("the first line lacks %q:\n%s", w, got[0])
		}
	}
	v.Advance(time.Minute)
	flood(maxHeld)
	if got = lines(); len(got) != 2 || !strings.Contains(got[1], "attempts failed 3 more times in the last minute") || !strings.Contains(got[1], "failures=4") {
		t.Errorf("a minute later:\n%s\nwant a second line saying it failed 3 more times, failures=4", strings.Join(got, "\n"))
	}
	exec(`DROP TRIGGER fk4held`)
	v.Advance(recoveredAfter)
	flood(maxHeld)
	if got = lines(); len(got) != 3 || !strings.Contains(got[2], "level=INFO") || !strings.Contains(got[2], "attempts works again, after it failed 4 times") {
		t.Errorf("writes working again:\n%s\nwant a third line saying it works again after 4 failures", strings.Join(got, "\n"))
	}
}
