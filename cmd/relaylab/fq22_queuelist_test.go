package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/relay"
)

// fq22Store queues one message a second on a virtual clock, one to each
// address, and returns the store's path and the ids, oldest first.
func fq22Store(t *testing.T, to ...string) (string, []string) {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "q.db")
	st, err := store.Open(ctx, store.Options{Path: db, Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	vc := clock.NewVirtual(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	rl, err := relay.New(relay.DefaultConfig(), relay.Options{Store: st, Clock: vc, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range to {
		id, err := rl.Enqueue(ctx, relay.Submission{From: "a@s.test", Data: []byte("Subject: x\r\n\r\ny\r\n"), Recipients: []relay.Recipient{{Address: a}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		vc.Advance(time.Second) // created apart: the listing's order is known
	}
	return db, ids
}

// TestFQ22QueueListAfterCountsOthers: an empty page after (or before) a
// message says how many match besides that message, in agreement.
func TestFQ22QueueListAfterCountsOthers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, ids := fq22Store(t, "q1@r.test", "x@r.test", "y@r.test")
	oldest, newest := ids[0], ids[2]
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"the only match", []string{"--after", oldest, "--recipient", "q1"},
			"no messages after " + oldest + `: it is the only one that matches (state waiting, a recipient containing "q1")`},
		{"others", []string{"--after", oldest},
			"no messages after " + oldest + ": the 2 others that match (state waiting) come before it"},
		{"before the newest", []string{"--before", newest},
			"no messages before " + newest + ": the 2 others that match (state waiting) come after it"},
		{"a cursor that does not match", []string{"--after", oldest, "--recipient", "x@"},
			"no messages after " + oldest + `: the 1 that matches (state waiting, a recipient containing "x@") comes before it`},
	} {
		code, out, errOut := runIn(t, ctx, append([]string{"queue", "list", "--db", db}, c.args...)...)
		if code != 0 || strings.TrimSpace(out) != c.want {
			t.Errorf("%s: queue list %v: exit %d\ngot  %q\nwant %q\n%s", c.name, c.args, code, strings.TrimSpace(out), c.want, errOut)
		}
	}
	// One other message, after the newest of two that match.
	db2, ids2 := fq22Store(t, "q1@r.test", "q2@r.test")
	want := "no messages after " + ids2[0] + ": the 1 other that matches (state all) comes before it"
	if code, out, errOut := runIn(t, ctx, "queue", "list", "--db", db2, "--state", "all", "--after", ids2[0]); code != 0 || strings.TrimSpace(out) != want {
		t.Errorf("queue list --state all --after the oldest: exit %d\ngot  %q\nwant %q\n%s", code, strings.TrimSpace(out), want, errOut)
	}
}

// TestFQ22QueueListPlainCount: a plain listing says on stderr how many
// match, as the README says; --json without a page or filter does not.
func TestFQ22QueueListPlainCount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, ids := fq22Store(t, "q1@r.test", "q2@r.test")
	code, out, errOut := runIn(t, ctx, "queue", "list", "--db", db)
	if code != 0 || !strings.Contains(out, ids[0]) || !strings.Contains(errOut, "relaylab queue list: 2 of 2 messages (state waiting) are shown, newest first") {
		t.Errorf("plain queue list must say on stderr how many match (the README says it does): exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if strings.Contains(out, "are shown") {
		t.Errorf("the count must go to stderr, so that stdout stays the table:\n%s", out)
	}
	code, out, errOut = runIn(t, ctx, "queue", "list", "--db", db, "--json")
	if code != 0 || !strings.Contains(out, ids[1]) || errOut != "" {
		t.Errorf("queue list --json without a page or filter: exit %d, want the JSON alone and nothing on stderr (as before)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
