package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/relay"
)

// TestQueueShowEventReason: queue show gives the reason of the
// recipient's last outcome event where it says more than the category
// table's: a hold that outlasts the message says it will expire unsent,
// where show printed the table's "held by the sending window" alone; an
// expired recipient says the retry policy gave up and after which
// failure, where it printed the last failure's "..., so it is retried".
func TestQueueShowEventReason(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	held := relay.Reply{Stage: "shaping", Text: "outside the sending windows of route default"}
	will := "held by the sending window; the message expires at 2026-01-01T00:51:00Z, before the route's sending window opens at 2026-01-01T02:00:00Z, so it will expire unsent unless the shaping changes"
	db, id := queueStore(t, relay.StateQueued)
	setRecipient(t, db, id, relay.StateDeferred, time.Now().Add(time.Hour), "primary", "", held, "shaping", "held by the sending window", events.RelayDeferred,
		map[string]any{"reply": held, "category": "shaping", "reason": will, "advice": "nothing; it is sent when the route's sending window opens"})
	code, out, errOut := runIn(t, ctx, "queue", "show", id, "--db", db)
	if code != 0 || !strings.Contains(out, "category shaping: "+will+"\n") {
		t.Errorf("queue show of a hold past the expiry: exit %d, want the event's reason %q\nstdout %s\nstderr %s", code, will, out, errOut)
	}

	servfail := relay.Reply{Stage: "dns", Enhanced: "4.4.3", Text: "MX lookup for r.test: SERVFAIL"}
	db, id = queueStore(t, relay.StateQueued)
	setRecipient(t, db, id, relay.StateExpired, time.Time{}, "direct", "", servfail, "expired", "the DNS server failed; this says nothing about the domain, so it is retried", events.RelayExpired,
		map[string]any{"reply": servfail, "category": "dns-failure", "last_category": "dns-failure",
			"reason": "the retry policy gave up: the message is older than the maximum age (queued 1h0m0s ago)", "advice": "check the resolvers"})
	code, out, errOut = runIn(t, ctx, "queue", "show", id, "--db", db)
	if want := "category expired: the retry policy gave up: the message is older than the maximum age (queued 1h0m0s ago) (the last attempt failed as dns-failure)\n"; code != 0 ||
		!strings.Contains(out, want) || strings.Contains(out, "so it is retried") {
		t.Errorf("queue show of an expired recipient: exit %d, want %q and no 'so it is retried'\nstdout %s\nstderr %s", code, want, out, errOut)
	}
	// The relay's own failure has an enhanced code and no reply code:
	// show and list give it, as --json does.
	if want := "last reply: 4.4.3 dns: MX lookup for r.test: SERVFAIL\n"; !strings.Contains(out, want) {
		t.Errorf("queue show: want %q\nstdout %s", want, out)
	}
	code, out, errOut = runIn(t, ctx, "queue", "list", "--db", db, "--state", "all")
	if want := "4.4.3 dns: MX lookup for r.test: SERVFAIL"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("queue list: exit %d, want %q\nstdout %s\nstderr %s", code, want, out, errOut)
	}
}

// TestQueueRetryDBAloneSeesRest: queue retry with --db alone, on a store
// whose relay ran with paths of its own, says a recipient held by its
// path's rest stays held until the rest ends, as with --config, and notes
// that without --config it cannot see windows and caps; it said the
// recipient was due now and sent within 2s, and made it due.
func TestQueueRetryDBAloneSeesRest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateQueued)
	until := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	rest := "not tried: destination path:primary rests until " + until.Format(time.RFC3339) + " after 421 4.7.0 too busy"
	holdByRest(t, db, id, until, rest, relay.Reply{Code: 451, Enhanced: "4.3.0", Text: "try later"})
	code, out, errOut := runIn(t, ctx, "queue", "retry", id, "--db", db)
	if code != 0 || strings.Contains(out, "sends them within") || !strings.Contains(out, "b@r.test held until "+until.Format(time.RFC3339)+": shaping: "+rest) ||
		!strings.Contains(out, "without --config") {
		t.Errorf("queue retry --db: exit %d, want b@r.test held until %s and a note on --config\nstdout %s\nstderr %s", code, until.Format(time.RFC3339), out, errOut)
	}
	code, out, errOut = runIn(t, ctx, "queue", "show", id, "--db", db)
	if want := "next attempt " + until.Format(time.RFC3339) + "\n"; code != 0 || !strings.Contains(out, want) {
		t.Errorf("queue show after the retry: exit %d, want %q\nstdout %s\nstderr %s", code, want, out, errOut)
	}
}
