package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/relay"
)

// TestFlagMistakesInALine: a flag a command does not have is answered
// in two lines, with the flags probably meant and where they are listed,
// and a value a flag does not take in one line naming the flag and what
// it wants, neither with the whole usage after it; an unknown command
// names the one probably meant; --demo-interval without --demo, which
// it would not change, is refused. Exit 2 each.
func TestFlagMistakesInALine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--port", "2525"}, "relaylab serve: no flag --port: did you mean --relay-listen, --sink-listen or --web-listen (each takes an address, host:port)?\n" +
			"see relaylab serve --help for its flags\n"},
		{[]string{"serve", "--listen", "127.0.0.1:2525"}, "relaylab serve: no flag --listen: did you mean --relay-listen, --sink-listen or --web-listen?\n" +
			"see relaylab serve --help for its flags\n"},
		{[]string{"sink", "--port", "2525"}, "relaylab sink: no flag --port: did you mean --listen (it takes an address, host:port)?\nsee relaylab sink --help for its flags\n"},
		{[]string{"send", "--file", "m.eml"}, "relaylab send: no flag --file: did you mean --data or --body-file?\nsee relaylab send --help for its flags\n"},
		{[]string{"config", "--show-secret"}, "relaylab config: no flag --show-secret: did you mean --show-secrets?\nsee relaylab config --help for its flags\n"},
		{[]string{"prune", "--zebra"}, "relaylab prune: no flag --zebra\nsee relaylab prune --help for its flags\n"},
		{[]string{"serve", "--demo-interval", "10"}, "relaylab serve: --demo-interval \"10\": want a duration such as 30s, 5m or 1h30m\n"},
		{[]string{"servee"}, "relaylab: unknown command \"servee\"; did you mean serve?\nsee \"relaylab help\" for the commands\n"},
		{[]string{"sink", "resett"}, "relaylab sink: no action \"resett\": the sink takes reset, clear, explain, sessions, or flags alone to run; did you mean relaylab sink reset? (relaylab sink --help)\n"},
		{[]string{"sink", "session"}, "relaylab sink: no action \"session\": the sink takes reset, clear, explain, sessions, or flags alone to run; did you mean relaylab sink sessions? (relaylab sink --help)\n"},
		{[]string{"serve", "--demo-interval", "1s", "--db", "/nonexistent/never.db"}, "relaylab serve: --demo-interval 1s without --demo: it spaces the sample messages --demo sends, and without --demo none are sent; add --demo, or leave --demo-interval out\n"},
	} {
		// A guard only: a command that ran would not return.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		code, out, errOut := runIn(t, ctx, tc.args...)
		cancel()
		if code != 2 || out != "" || errOut != tc.want {
			t.Errorf("%q: exit %d, stdout %q, stderr\n%s\nwant exit 2 and\n%s", tc.args, code, out, errOut, tc.want)
		}
	}
}

// TestQueueShowInflight: a recipient left in flight in a store no relay
// runs on is said to have been in flight when the relay stopped, and to
// be queued again at its next start, not "inflight after 0 attempt(s)".
func TestQueueShowInflight(t *testing.T) {
	t.Parallel()
	db, id := queueStore(t, relay.StateInflight)
	code, out, errOut := runIn(t, context.Background(), "queue", "show", id, "--db", db)
	want := "recipient b@r.test: in flight when the relay stopped (after 0 attempts): no relay runs on this store now; " +
		"relaylab serve or relay queues it again, due at once, when it next starts on it\n"
	if code != 0 || !strings.Contains(out, want) {
		t.Errorf("queue show: exit %d\n%s%s\nwant %q", code, out, errOut, want)
	}
	db, id = queueStore(t, relay.StateQueued)
	if code, out, _ := runIn(t, context.Background(), "queue", "show", id, "--db", db); code != 0 || !strings.Contains(out, "recipient b@r.test: queued after 0 attempts\n") {
		t.Errorf("queue show of a queued message: exit %d\n%s", code, out)
	}
	if got := recipientState(relay.StateInflight, 2, "process 42 (relaylab serve)"); got != "in flight: attempt 3 under way, by process 42 (relaylab serve)" {
		t.Errorf("in flight under a running relay: %q", got)
	}
}
