package relay

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/internal/testutil"
)

// TestFO24QueueFailuresLogLimited: walk M2. A full disk under load logged
// "relay: queueing a submitted message failed" for every message. Now it
// is logged at the first failure with the error and what to do, then at
// most once a minute (the relay's clock) with a count, and once when the
// queue takes messages again; every client still gets its 451 4.3.0.
func TestFO24QueueFailuresLogLimited(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	var logs testutil.SyncBuffer
	cfg := submitConfig(mta.addr)
	cfg.AllowedNetworks = []string{"127.0.0.0/8"}
	h := newHarness(t, cfg, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	exec := func(sql string) {
		t.Helper()
		if err := h.store.Write(context.Background(), func(tx *store.Tx) error { _, err := tx.Exec(sql); return err }); err != nil {
			t.Fatal(err)
		}
	}
	exec(`CREATE TRIGGER fo24 BEFORE INSERT ON relay_messages BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END`)
	c := dialSubmission(t, h.r.Addr().String(), false)
	submit := func(n int, want int) {
		t.Helper()
		for i := range n {
			if err := c.Mail("a@x.test", nil); err != nil {
				t.Fatal(err)
			}
			if err := c.Rcpt("b@y.test", nil); err != nil {
				t.Fatal(err)
			}
			w, err := c.Data()
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("Subject: hi\r\n\r\nHello.\r\n"))
			if err := w.Close(); smtpCode(err) != want && !(want == 250 && err == nil) {
				t.Fatalf("message %d: %v, want %d", i+1, err, want)
			}
		}
	}
	lines := func() []string {
		var out []string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "relay: queueing a submitted message") {
				out = append(out, l)
			}
		}
		return out
	}
	submit(5, 451)
	got := lines()
	if len(got) != 1 {
		t.Fatalf("5 messages the queue refused logged %d lines, want 1:\n%s", len(got), logs.String())
	}
	for _, w := range []string{"level=ERROR", "failed; its client was answered 451 4.3.0", "check the disk", "at most once a minute", "disk full (test)", "client=127.0.0.1:"} {
		if !strings.Contains(got[0], w) {
			t.Errorf("the first line lacks %q:\n%s", w, got[0])
		}
	}
	h.v.Advance(time.Minute)
	submit(1, 451)
	if got = lines(); len(got) != 2 || !strings.Contains(got[1], "queueing a submitted message failed 5 more times in the last minute") || !strings.Contains(got[1], "failures=6") {
		t.Errorf("a minute later, lines:\n%s\nwant a second saying it failed 5 more times in the last minute, failures=6", strings.Join(got, "\n"))
	}
	exec(`DROP TRIGGER fo24`)
	h.v.Advance(10 * time.Second)
	submit(1, 250)
	if got = lines(); len(got) != 3 || !strings.Contains(got[2], "level=INFO") || !strings.Contains(got[2], "queueing a submitted message works again, after it failed 6 times") {
		t.Errorf("the queue taking messages again, lines:\n%s\nwant a third saying it works again after 6 failures", strings.Join(got, "\n"))
	}
}
