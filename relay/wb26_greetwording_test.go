package relay

import (
	"strings"
	"testing"
)

// TestNoGreetingReasonReadsOnce: the reason for a server that never
// greets a plaintext client said "at the greeting (the server's first
// reply) (no greeting within ...)", two asides in a row; it says the
// stage and the timeout once, in one sentence.
func TestNoGreetingReasonReadsOnce(t *testing.T) {
	t.Parallel()
	v := builtinVerdict(t, Reply{Stage: "greeting", Text: "no greeting within 8s (the path's command_timeout); the port may expect TLS from the first byte (tls: implicit on the path, usually port 465): reading the reply: i/o timeout"})
	if v.Category != "connection" || strings.Contains(v.Reason, ") (") || !strings.Contains(v.Reason, "command_timeout") || !strings.Contains(v.Reason, "greeting") {
		t.Errorf("verdict %+v, want category connection and a reason naming the greeting and command_timeout without two asides in a row", v)
	}
}
