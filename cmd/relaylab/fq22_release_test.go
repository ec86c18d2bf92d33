package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/relay"
)

// TestFQ22ReleaseNotHeldDueNow: queue release of mail not held says
// "due now" of a next attempt at or before now, not a past time, and the
// time of one still to come.
func TestFQ22ReleaseNotHeldDueNow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateQueued) // queued due at once: due now
	code, out, errOut := runIn(t, ctx, "queue", "release", id, "--db", db)
	want := id + " was not held; nothing to release (b@r.test is queued, due now)"
	if code != 0 || strings.TrimSpace(out) != want {
		t.Errorf("queue release of mail due now: exit %d\ngot  %q\nwant %q (a next attempt already past must read as due now)\n%s", code, strings.TrimSpace(out), want, errOut)
	}
	st, rl := openTestRelay(t, db)
	defer st.Close()
	m, err := rl.Message(ctx, id)
	if err != nil || len(m.Recipients) != 1 || m.Recipients[0].Due.IsZero() {
		t.Fatalf("the queued message: %v, %+v", err, m)
	}
	due := m.Recipients[0].Due
	for _, c := range []struct {
		now  time.Time
		want string
	}{
		{due, "b@r.test is queued, due now"},
		{due.Add(-time.Second), "b@r.test is queued, next attempt " + due.UTC().Format(time.RFC3339)},
	} {
		if got := notHeldLine(ctx, rl, id, "", c.now); !strings.Contains(got, "("+c.want+")") {
			t.Errorf("not held, due %s, now %s:\ngot  %q\nwant it to contain %q", due, c.now, got, c.want)
		}
	}
}

// TestFQ22AdapterOperatorHolds: the web adapter says who holds a
// recipient by hand, since when and why, so that the API's answer to a
// hold of mail already held can name them.
func TestFQ22AdapterOperatorHolds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateQueued)
	st, rl := openTestRelay(t, db)
	defer st.Close()
	if _, err := rl.HoldBy(ctx, id, "", "relaylab queue hold, user root", "bad DNS"); err != nil {
		t.Fatal(err)
	}
	hs, err := relayAdapter{rl: rl}.OperatorHolds(ctx, id)
	if err != nil || len(hs) != 1 || hs[0].Address != "b@r.test" || hs[0].By != "relaylab queue hold, user root" || hs[0].Note != "bad DNS" || hs[0].Since.IsZero() {
		t.Errorf("OperatorHolds: %+v, %v; want b@r.test held by relaylab queue hold, user root, with its time and note", hs, err)
	}
}
