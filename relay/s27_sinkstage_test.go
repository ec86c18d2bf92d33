package relay

import "testing"

// TestS27SinkStageLHLO: relaylab load --lmtp names LMTP's greeting
// command's stage lhlo; its refusals are explained as EHLO's are, not
// with the classifier's generic reading of an unknown stage.
func TestS27SinkStageLHLO(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"lhlo": "ehlo", "data-end": "dot", "connect": "greeting", "rcpt": "rcpt"} {
		if got := SinkStage(in); got != want {
			t.Errorf("SinkStage(%q) = %q, want %q", in, got, want)
		}
	}
}
