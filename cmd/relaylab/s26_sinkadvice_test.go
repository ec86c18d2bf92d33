package main

import (
	"strings"
	"testing"
)

// TestSinkDeferralAdviceForAnySender: the web's explanation of a
// deferral the sink gave (the feed, its session and message pages) is
// the one report and expect give for a sender relaylab did not run: it
// clears only if the client retries, which swaks and many applications
// do not. It said "nothing; the next attempt after the greylist delay
// passes", the relay's advice to itself, where the CLI said to send
// again. A refusal's advice stays the classifier's.
func TestSinkDeferralAdviceForAnySender(t *testing.T) {
	t.Parallel()
	a := testSinkAdapter(t)
	x, ok := a.ExplainReply("rcpt", 451, "4.7.1", "Greylisted: try again later")
	if !ok || !strings.HasPrefix(x.Advice, "nothing if the sender retries") || strings.Contains(x.Advice, "the next attempt after") {
		t.Errorf("451 greylisted: advice %q (ok %v), want the advice for a sender that may not retry", x.Advice, ok)
	}
	x, ok = a.ExplainReply("rcpt", 550, "5.1.1", "No such user")
	if !ok || strings.HasPrefix(x.Advice, "nothing if the sender retries") {
		t.Errorf("550: advice %q (ok %v), want the classifier's", x.Advice, ok)
	}
}
