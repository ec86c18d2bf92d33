package sink

import (
	"context"
	"strings"
	"testing"
)

// A rule with per: message counts attempts by Message-ID: a message
// without one has no count, so the rule does not apply, and the
// transcript says so (it used to pass unseen).
func TestPerMessageWithoutMessageIDIsNoted(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Rules = []Rule{
			{Name: "once", Stage: "data-end", Per: "message", Attempt: "1", Reply: "451 4.3.0 try again"},
			{Name: "other domain", Stage: "data-end", Per: "message", Recipient: "*@elsewhere.test", Attempt: "1", Reply: "451 4.3.0 no"},
		}
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	noID := "From: a@sender.test\r\nSubject: no id\r\n\r\nHello.\r\n"
	if code, msg := c.send("a@x.test", "u@sink.test", noID); code != 250 {
		t.Fatalf("without a Message-ID: got %d %q, want 250", code, msg)
	}
	if code, msg := c.send("a@x.test", "u@sink.test", testMsg); code != 451 {
		t.Fatalf("with a Message-ID: got %d %q, want 451", code, msg)
	}
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	ss, err := SessionByID(context.Background(), st.DB(), 1)
	if err != nil {
		t.Fatal(err)
	}
	want := `* rule "once" (per: message, attempt: "1") did not apply: the message has no Message-ID`
	if n := strings.Count(ss.Transcript, want); n != 1 {
		t.Errorf("transcript has %d notes %q, want 1:\n%s", n, want, ss.Transcript)
	}
	if strings.Contains(ss.Transcript, `rule "other domain"`) {
		t.Errorf("a rule that would not match anyway is noted:\n%s", ss.Transcript)
	}
}
