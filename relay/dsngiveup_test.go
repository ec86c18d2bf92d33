package relay

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/dsn"
)

// TestGivenUpDSNSaysWhatHappened: the DSN for a recipient the retry
// policy gave up on says what is true of it (walk M). After a connection
// that broke off after the data, the server may have delivered the
// message: the DSN said it was never delivered and to send it again,
// though the recipient had eight copies. After max_attempts, the relay
// did not retry "for as long as the message may wait": it made as many
// attempts as its policy allows. An expiry at max_age still says so.
func TestGivenUpDSNSaysWhatHappened(t *testing.T) {
	t.Parallel()
	r, err := New(testConfig("127.0.0.1:2525"), Options{Store: openStore(t, clock.NewVirtual(epoch)), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	explain := func(rep Reply, attempts int, aged bool) string {
		e := dsnEntry{c: claimed{address: "b@r.test"}, o: outcome{path: "primary", host: "mx.r.test", reply: rep, verdict: r.classify.Classify(rep), attempts: attempts},
			expired: true, aged: aged}
		return dsn.Explain(dsn.Report{ReportingMTA: "relay.s.test", Recipients: []dsn.Recipient{r.dsnRecipient(e, dsn.ActionFailed, epoch)}})
	}
	for _, aged := range []bool{false, true} {
		text := explain(Reply{Stage: "dot", Text: "reading the reply: EOF"}, 8, aged)
		if !strings.Contains(text, "may have been delivered") || !strings.Contains(text, "ask the recipient whether the message arrived") || strings.Contains(text, "never delivered") {
			t.Errorf("lost after the data (aged %v):\n%s", aged, text)
		}
	}
	text := explain(Reply{Stage: "rcpt", Code: 451, Enhanced: "4.7.1", Text: "try later"}, 2, false)
	if !strings.Contains(text, "made 2 attempts, as many as its retry policy allows") || strings.Contains(text, "as long as the message may wait") {
		t.Errorf("max_attempts:\n%s", text)
	}
	text = explain(Reply{Stage: "rcpt", Code: 451, Enhanced: "4.7.1", Text: "try later"}, 9, true)
	if !strings.Contains(text, "as long as the message may wait") {
		t.Errorf("max_age:\n%s", text)
	}
}
