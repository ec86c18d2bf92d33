package sink

import (
	"context"
	"testing"
)

// A 2xx reply written in a rule goes on the wire with its own text instead
// of go-smtp's default.
func TestRuleSuccessReplyText(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Rules = []Rule{
			{Stage: "mail", Sender: "custom@*", Reply: "250 2.1.0 sender noted"},
			{Stage: "rcpt", Recipient: "custom@*", Reply: "250 2.1.5 custom rcpt text"},
			{Stage: "data-end", Recipient: "custom@*", Reply: "250 2.0.0 custom text"},
			{Stage: "rcpt", Recipient: "plain@*", Reply: "251 forwarded elsewhere"},
		}
	})
	addr := addrOf(t, s, "mx")
	tests := []struct {
		name            string
		from, to        string
		mail, rcpt, end string // the reply text after the code
		endCode         int
	}{
		{"every stage custom", "custom@x.test", "custom@sink.test", "2.1.0 sender noted", "2.1.5 custom rcpt text", "2.0.0 custom text", 250},
		{"no enhanced code", "a@x.test", "plain@sink.test", "2.1.0 Sender <a@x.test> OK", "forwarded elsewhere", "", 250},
		{"default", "a@x.test", "someone@sink.test", "2.1.0 Sender <a@x.test> OK", "", "2.0.0 Message accepted as", 250},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, addr)
			c.greet()
			check := func(what string, code int, got, want string, prefix bool) {
				t.Helper()
				if want == "" {
					return
				}
				if code/100 != 2 || (prefix && len(got) < len(want)) || (!prefix && got != want) || (prefix && got[:len(want)] != want) {
					t.Errorf("%s: got %d %q, want 2xx %q", what, code, got, want)
				}
			}
			code, msg := c.cmd("MAIL FROM:<%s>", tc.from)
			check("MAIL", code, msg, tc.mail, false)
			code, msg = c.cmd("RCPT TO:<%s>", tc.to)
			check("RCPT", code, msg, tc.rcpt, false)
			c.expect(354, "", "DATA")
			code, msg = c.body(testMsg)
			if code != tc.endCode {
				t.Fatalf("after the dot: got %d %q, want %d", code, msg, tc.endCode)
			}
			check("after the dot", code, msg, tc.end, tc.end != "2.0.0 custom text")
		})
	}
	// The stored outcome carries the rule's text too.
	var text string
	t.Run("stored", func(t *testing.T) {
		c := dial(t, addr)
		c.greet()
		if code, msg := c.send("custom@x.test", "custom@sink.test", testMsg); code != 250 || msg != "2.0.0 custom text" {
			t.Fatalf("got %d %q", code, msg)
		}
		if err := st.DB().QueryRowContext(context.Background(), `SELECT text FROM sink_messages WHERE mail_from = 'custom@x.test' ORDER BY id DESC LIMIT 1`).Scan(&text); err != nil {
			t.Fatal(err)
		}
		if text != "custom text" {
			t.Errorf("stored text %q, want %q", text, "custom text")
		}
	})
}
