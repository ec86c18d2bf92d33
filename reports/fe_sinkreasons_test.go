package reports

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestSinkDropOnPurposeAndNoValidRecipients: a recipient whose last
// attempt the sink dropped on purpose (a dotdrop directive) is explained
// as that, naming the directive, with the retry it asks for and its
// duplicate, not as a server that may be down; the sink's 554 5.5.1 "No
// valid recipients" to DATA reads as a consequence of its RCPT
// refusals, not a refusal of its own to read the text of.
func TestSinkDropOnPurposeAndNoValidRecipients(t *testing.T) {
	t.Parallel()
	d, err := FromSink(context.Background(), fakeSink{
		{Time: t0, Listener: "mx", Client: "127.0.0.1:1", Sender: "app@s.test", Recipient: "dotdrop@x.test", Stage: "data-end",
			Text: "the sink dropped the connection on purpose after the final dot (directive dotdrop)", By: "directive dotdrop"},
		{Time: t0.Add(time.Second), Listener: "mx", Client: "127.0.0.1:2", Sender: "app@s.test", Recipient: "p@x.test", Stage: "data", Code: 554, Enhanced: "5.5.1",
			Text: "No valid recipients: every RCPT TO of this transaction was refused (RFC 5321 3.3)"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		addr          string
		wants, wantno []string
	}{
		{"dotdrop@x.test", []string{"on purpose, as its directive dotdrop asks", "the sender retries it, which it must", "may deliver the message twice"},
			[]string{"check that the receiving server is up"}},
		{"p@x.test", []string{"because it had refused every RCPT TO of the transaction", "not a refusal of its own", "read the RCPT TO replies"},
			[]string{"read the reply text"}},
	} {
		var r *Recipient
		for _, x := range d.Recipients {
			if x.Address == c.addr {
				r = x
			}
		}
		reason, advice := r.why()
		got := reason + " / " + advice
		for _, want := range c.wants {
			if !strings.Contains(got, want) {
				t.Errorf("%s: %q lacks %q", c.addr, got, want)
			}
		}
		for _, no := range c.wantno {
			if strings.Contains(got, no) {
				t.Errorf("%s: %q says %q", c.addr, got, no)
			}
		}
	}
}
