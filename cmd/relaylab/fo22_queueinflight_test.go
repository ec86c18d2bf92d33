package main

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/relay"
)

// TestFO22QueueListInflightOfAStoppedRelay: walk L4. queue list on a
// store no relay runs on showed a recipient left in flight as "inflight
// 0 -", with no word of what becomes of it: a note on stderr now says
// that the relay stopped during the attempt and that its next start
// queues it again, as queue show says. Beside a running relay the
// recipient is being attempted, and there is no note; nor for a listing
// with nothing in flight.
func TestFO22QueueListInflightOfAStoppedRelay(t *testing.T) {
	t.Parallel()
	const note = "1 recipient is in flight, but no relay runs on this store: the relay stopped (a crash, a kill) during the attempt; relaylab serve or relay queues each again, due at once, when it next starts on it"
	db, id := queueStore(t, relay.StateInflight)
	for _, args := range [][]string{{"queue", "list", "--db", db}, {"queue", "list", "--db", db, "--json"}} {
		code, out, errOut := runIn(t, context.Background(), args...)
		if code != 0 || !strings.Contains(out, id) || !strings.Contains(errOut, note) {
			t.Errorf("%q: exit %d\nstdout %s\nstderr %s\nwant the row and, on stderr, %q", args, code, out, errOut, note)
		}
	}
	qdb, _ := queueStore(t, relay.StateQueued)
	if code, _, errOut := runIn(t, context.Background(), "queue", "list", "--db", qdb); code != 0 || strings.Contains(errOut, "in flight") {
		t.Errorf("nothing in flight: exit %d, stderr %q; want no note", code, errOut)
	}
	if runtime.GOOS != "linux" {
		return // which process runs a relay is read from /proc
	}
	holdStore(t, db, "serve", "--db", db)
	if code, _, errOut := runIn(t, context.Background(), "queue", "list", "--db", db); code != 0 || strings.Contains(errOut, "no relay runs") {
		t.Errorf("beside a running relay: exit %d, stderr %q; want no note", code, errOut)
	}
}
