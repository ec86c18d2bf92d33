package sink

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestFO24StoreFailuresLogLimited: walk M2. A full disk under load logged
// "sink: storing a message failed" per message and "sink: recording a
// session failed" per session, thousands of lines in seconds. Now each kind
// is logged at its first failure with the error and what to do, then at
// most once a minute (the sink's clock) with a count, and once when it
// works again; every client still gets its 451.
func TestFO24StoreFailuresLogLimited(t *testing.T) {
	t.Parallel()
	s, v, logs, exec := loggedSinkWithSQL(t, nil)
	ctx := context.Background()
	exec(`CREATE TRIGGER fo24m BEFORE INSERT ON sink_messages BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END`)
	exec(`CREATE TRIGGER fo24s BEFORE INSERT ON sink_sessions BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END`)
	addr := addrOf(t, s, "mx")
	session := func(messages int, want int) {
		t.Helper()
		c := dial(t, addr)
		c.greet()
		for i := range messages {
			if code, msg := c.send("a@x.test", "b@sink.test", testMsg); code != want {
				t.Fatalf("message %d: %d %s, want %d", i+1, code, msg, want)
			}
		}
		c.expect(221, "", "QUIT")
		s.Flush(ctx) // its record written, or failed
	}
	lines := func(what string) []string {
		var out []string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, what) {
				out = append(out, l)
			}
		}
		return out
	}
	for range 3 {
		session(2, 451)
	}
	msgs, sessions := lines("sink: storing a message"), lines("sink: recording a session")
	if len(msgs) != 1 || len(sessions) != 1 {
		t.Fatalf("6 messages and 3 sessions that failed logged %d and %d lines, want 1 and 1:\n%s", len(msgs), len(sessions), logs.String())
	}
	for _, w := range []string{"level=ERROR", "failed; its client was answered 452 4.3.1", "check the disk", "at most once a minute", "err=", "disk full (test)", "session="} {
		if !strings.Contains(msgs[0], w) {
			t.Errorf("the message's first line lacks %q:\n%s", w, msgs[0])
		}
	}
	for _, w := range []string{"level=ERROR", "failed; its transcript and attempts are not in the store", "check the disk", "err="} {
		if !strings.Contains(sessions[0], w) {
			t.Errorf("the session's first line lacks %q:\n%s", w, sessions[0])
		}
	}

	v.Advance(time.Minute)
	session(1, 451)
	msgs, sessions = lines("sink: storing a message"), lines("sink: recording a session")
	if len(msgs) != 2 || !strings.Contains(msgs[1], "storing a message failed 6 more times in the last minute") || !strings.Contains(msgs[1], "failures=7") {
		t.Errorf("a minute later, the messages' lines:\n%s\nwant a second saying it failed 6 more times in the last minute, failures=7", strings.Join(msgs, "\n"))
	}
	if len(sessions) != 2 || !strings.Contains(sessions[1], "recording a session failed 3 more times in the last minute") {
		t.Errorf("a minute later, the sessions' lines:\n%s\nwant a second saying it failed 3 more times", strings.Join(sessions, "\n"))
	}

	exec(`DROP TRIGGER fo24m`)
	exec(`DROP TRIGGER fo24s`)
	v.Advance(10 * time.Second) // recoveredAfter
	session(1, 250)
	msgs, sessions = lines("sink: storing a message"), lines("sink: recording a session")
	if len(msgs) != 3 || !strings.Contains(msgs[2], "level=INFO") || !strings.Contains(msgs[2], "storing a message works again, after it failed 7 times") {
		t.Errorf("writes working again, the messages' lines:\n%s\nwant a third saying it works again after 7 failures", strings.Join(msgs, "\n"))
	}
	if len(sessions) != 3 || !strings.Contains(sessions[2], "recording a session works again, after it failed 4 times") {
		t.Errorf("writes working again, the sessions' lines:\n%s\nwant a third saying it works again after 4 failures", strings.Join(sessions, "\n"))
	}
}
