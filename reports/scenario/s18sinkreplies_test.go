package scenario

import (
	"testing"

	"github.com/relaylab/relaylab/reports"
)

// TestS18SinkRepliesEveryReply: a replay's summary counts every reply the
// sink gave by stage and code (its greeting, its 250s), as relaylab
// report does on the replay's store, not the refusals alone that the
// event log holds; and its sessions.
func TestS18SinkRepliesEveryReply(t *testing.T) {
	t.Parallel()
	sc, err := Parse("s.yaml", []byte(`name: s
seed: 1
messages:
  - {from: a@shop.test, to: ["ok@example.test", "rcpt550+x@example.test"]}
expect:
  recipients:
    - {match: "ok@example.test", status: delivered}
`))
	if err != nil {
		t.Fatal(err)
	}
	out := replay(t, sc)
	s := reports.Summarize(out.Data)
	got := map[string]int{}
	for _, c := range s.SinkReplies {
		got[c.Key] = c.Count
	}
	// The message and the relay's DSN to a@shop.test, in one session
	// (the path sends up to 100 messages a connection).
	for key, want := range map[string]int{"connect 220": 1, "mail 250": 2, "rcpt 250": 2, "rcpt 550": 1, "data-end 250": 2} {
		if got[key] != want {
			t.Errorf("sink_replies %q = %d, want %d (all: %v)", key, got[key], want, s.SinkReplies)
		}
	}
	if s.SinkSessions != 1 {
		t.Errorf("sink_sessions = %d, want 1", s.SinkSessions)
	}
}
