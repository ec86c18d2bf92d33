package sink

import (
	"context"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// A recipient accepted at RCPT whose transaction ends without a message
// (RSET, QUIT, a new MAIL) is recorded then, but its attempt ended with the
// 2xx to its RCPT: it keeps what chose that reply (a rule, a directive),
// the time of that reply, and its place among the session's attempts.
func TestAcceptedAtRcptKeepsItsByAndTime(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	v := clock.NewVirtual(t0)
	s, st := testSink(t, v, func(c *Config) {
		c.Rules = []Rule{{Name: "default", Stage: "rcpt", Recipient: "*@default.test", Reply: "250 2.1.5 default rule"}}
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "default rule", "RCPT TO:<a@default.test>")
	v.Advance(time.Second)
	c.expect(250, "", "RCPT TO:<ok+r2@x.test>")
	v.Advance(time.Second)
	c.expect(550, "", "RCPT TO:<rcpt550@x.test>")
	v.Advance(time.Second)
	c.expect(250, "", "RSET")
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)

	atts, err := AllAttempts(context.Background(), st.DB())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		rcpt string
		code int
		at   time.Duration
		by   string
	}{
		{"a@default.test", 250, 0, `rule "default"`},
		{"ok+r2@x.test", 250, time.Second, "directive ok"},
		{"rcpt550@x.test", 550, 2 * time.Second, "directive rcpt550"},
	}
	if len(atts) != len(want) {
		t.Fatalf("got %d attempts, want %d: %+v", len(atts), len(want), atts)
	}
	for i, w := range want {
		a := atts[i]
		if a.Recipient != w.rcpt || a.Reply.Code != w.code || !a.Time.Equal(t0.Add(w.at)) || a.By != w.by {
			t.Errorf("attempt %d: got %s %d at %v by %q, want %s %d at %v by %q",
				i, a.Recipient, a.Reply.Code, a.Time.Sub(t0), a.By, w.rcpt, w.code, w.at, w.by)
		}
	}
}
