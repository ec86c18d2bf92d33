package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/relay"
)

// TestFR22QueueReleaseTwice: queue release of mail not held exits 0 and
// says so, as a second queue hold does (Postfix's postsuper -H and -h
// take either twice); a release or hold of finished mail, or of an id
// the store lacks, stays exit 1 saying why and what to do.
func TestFR22QueueReleaseTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateQueued)
	rep := relay.Reply{Stage: "rcpt", Code: 451, Enhanced: "4.7.1", Text: "try later"}
	next := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	setRecipient(t, db, id, relay.StateDeferred, next, "primary", "mx.r.test", rep, "greylisting", "greylisted", events.RelayDeferred,
		map[string]any{"reply": rep, "category": "greylisting", "reason": "greylisted", "advice": "nothing; it is retried"})

	code, out, errOut := runIn(t, ctx, "queue", "release", id, "--db", db)
	if want := id + " was not held; nothing to release (b@r.test is deferred, next attempt 2030-01-02T03:04:05Z)\n"; code != 0 || out != want || errOut != "" {
		t.Errorf("queue release of mail never held: exit %d\nstdout %q\nstderr %q\nwant exit 0 and %q", code, out, errOut, want)
	}
	if code, _, errOut = runIn(t, ctx, "queue", "hold", id, "--db", db); code != 0 {
		t.Fatalf("queue hold: exit %d\n%s", code, errOut)
	}
	code, out, _ = runIn(t, ctx, "queue", "hold", id, "--db", db)
	if code != 0 || !strings.Contains(out, id+": nothing changed; already held: b@r.test held by relaylab queue hold, user ") || !strings.Contains(out, " since ") {
		t.Errorf("queue hold again: exit %d\n%s", code, out)
	}
	if code, _, errOut = runIn(t, ctx, "queue", "release", id, "b@r.test", "--db", db); code != 0 {
		t.Fatalf("queue release: exit %d\n%s", code, errOut)
	}
	code, out, errOut = runIn(t, ctx, "queue", "release", id, "b@r.test", "--db", db)
	if want := "recipient b@r.test of " + id + " was not held; nothing to release (it is deferred, due now)"; code != 0 || !strings.HasPrefix(out, want) || errOut != "" {
		t.Errorf("queue release again: exit %d\nstdout %q\nstderr %q\nwant exit 0 and %q...", code, out, errOut, want)
	}

	done, doneID := queueStore(t, relay.StateDelivered)
	for _, verb := range []string{"release", "hold"} {
		code, out, errOut = runIn(t, ctx, "queue", verb, doneID, "--db", done)
		if code != 1 || !strings.Contains(errOut, doneID+" is delivered") || !strings.Contains(errOut, "nothing to "+verb) || !strings.Contains(errOut, "its history stays") || out != "" {
			t.Errorf("queue %s of a delivered message: exit %d\nstdout %q\nstderr %q\nwant exit 1 saying it is delivered", verb, code, out, errOut)
		}
		code, _, errOut = runIn(t, ctx, "queue", verb, "nosuchid", "--db", done)
		if code != 1 || !strings.Contains(errOut, `no message with id "nosuchid"`) || !strings.Contains(errOut, "relaylab queue list --state all") {
			t.Errorf("queue %s of an unknown id: exit %d\n%s", verb, code, errOut)
		}
	}
}

// TestFR22QueueListUnknownCursor: queue list --after or --before an id
// the store never had is bad input (exit 2, as the README's usage errors
// are), naming the flag and the id and how to get a valid one. It was
// exit 1, as for a message that is gone.
func TestFR22QueueListUnknownCursor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, id := queueStore(t, relay.StateQueued)
	for _, flag := range []string{"--after", "--before"} {
		code, out, errOut := runIn(t, ctx, "queue", "list", "--db", db, flag, "NOSUCHID")
		for _, want := range []string{"queue list: " + flag + " NOSUCHID: no message with that id", "the last id a listing printed", "leave out " + flag} {
			if code != 2 || !strings.Contains(errOut, want) || out != "" {
				t.Errorf("queue list %s NOSUCHID: exit %d, want 2 and %q\nstdout %q\nstderr %q", flag, code, want, out, errOut)
			}
		}
	}
	if code, out, errOut := runIn(t, ctx, "queue", "list", "--db", db, "--after", id); code != 0 || !strings.Contains(out, "no messages after "+id) {
		t.Errorf("queue list --after a known id: exit %d\n%s%s", code, out, errOut)
	}
}
