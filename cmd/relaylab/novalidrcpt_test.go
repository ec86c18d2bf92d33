package main

import (
	"strings"
	"testing"
)

// TestSinkPagesExplainNoValidRecipients: the sink's 554 5.5.1 to DATA
// after every RCPT was refused is explained on its pages as the
// consequence it is, as relaylab report and expect explain it; the
// classifier read it as an unclassified refusal ("read the reply text"),
// a second failure in the feed for each refused recipient of a
// pipelining sender.
func TestSinkPagesExplainNoValidRecipients(t *testing.T) {
	t.Parallel()
	v, ok := (sinkAdapter{}).explainReply("data", 554, "5.5.1", "No valid recipients")
	if !ok || v.Category != "no-valid-recipients" || !strings.Contains(v.Reason, "a consequence of those refusals") || !strings.Contains(v.Advice, "read the RCPT TO replies") {
		t.Errorf("explained %v: %+v", ok, v)
	}
	if v, _ := (sinkAdapter{}).explainReply("rcpt", 554, "5.5.1", "No valid recipients"); v.Category == "no-valid-recipients" {
		t.Errorf("a 554 at RCPT read as the consequence of refusals: %+v", v)
	}
}
