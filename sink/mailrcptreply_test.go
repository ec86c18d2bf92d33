package sink

import "testing"

// The sink's 250 to MAIL and RCPT carries the enhanced codes of RFC 3463
// 3.2 (X.1.0 for the sender, X.1.5 for the recipient) in plain words,
// instead of go-smtp's "2.0.0 Roger, accepting mail from" and "2.0.0 I'll
// make sure <x> gets this"; a rule's own 250 keeps its own text.
func TestMailRcptReplyWords(t *testing.T) {
	t.Parallel()
	_, _, addr := itSink(t, func(c *Config) {
		c.Rules = []Rule{
			{Stage: "mail", Sender: "custom@*", Reply: "250 2.1.0 sender noted"},
			{Stage: "rcpt", Recipient: "custom@*", Reply: "250 2.1.5 custom rcpt text"},
		}
	})
	c := hsGreeted(t, addr)
	hsExchanges(t, c, []exchange{
		{"MAIL FROM:<a@client.test>", "250 2.1.0 Sender <a@client.test> OK"},
		{"RCPT TO:<b@sink.test>", "250 2.1.5 Recipient <b@sink.test> OK"},
		{"RCPT TO:<defer1@sink.test>", "451 "},
		{`RCPT TO:<"john doe"@sink.test>`, `250 2.1.5 Recipient <"john doe"@sink.test> OK`},
		{"RCPT TO:<custom@sink.test>", "250 2.1.5 custom rcpt text"},
		{"RSET", "250 "},
		{"MAIL FROM:<>", "250 2.1.0 Sender <> OK"},
		{"RSET", "250 "},
		{`MAIL FROM:<"jane doe"@client.test>`, `250 2.1.0 Sender <"jane doe"@client.test> OK`},
		{"RSET", "250 "},
		{"MAIL FROM:<custom@client.test>", "250 2.1.0 sender noted"},
	})
}
