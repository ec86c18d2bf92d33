package sink

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/config"
)

// RFC 5321 3.1: after a 554 greeting the sink waits for QUIT, answers it
// with 221 and every other command with 503, instead of closing at once
// (a client's QUIT then read no reply). 421 (RFC 5321 3.8) and 521 (RFC
// 7504 3) still close at once. The record shows every command and reply.
func TestRefusingGreetings(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		for _, n := range []string{"no554", "no550", "no521", "no421"} {
			c.Listeners = append(c.Listeners, DefaultListener(n, "127.0.0.1:0", n+".sink.test"))
		}
		c.Rules = []Rule{
			{Stage: "connect", Listener: "no554", Reply: "554 5.7.1 no service for you"},
			{Stage: "connect", Listener: "no550", Reply: "550 5.7.1 go away"},
			{Stage: "connect", Listener: "no521", Reply: "521 5.3.2 this host accepts no mail"},
			{Stage: "connect", Listener: "no421", Reply: "421 4.3.2 not now"},
		}
	})
	for _, name := range []string{"no554", "no550"} {
		c := dial(t, addrOf(t, s, name))
		if code, _ := c.read(); code/100 != 5 {
			t.Fatalf("%s: greeting %d", name, code)
		}
		c.expect(503, "5.5.1 Bad sequence of commands: no SMTP service here, "+name+".sink.test refused", "EHLO client.test")
		c.expect(503, "5.5.1", "MAIL FROM:<a@x.test>")
		c.expect(503, "5.5.1", "STARTTLS")
		c.expect(503, "5.5.1", "AUTH PLAIN %s", plainIR("alice", "secret"))
		c.expect(503, "5.5.1", "BDAT 7 LAST\r\nhello")
		c.expect(221, "2.0.0 "+name+".sink.test", "QUIT")
		if code, msg := c.read(); code != 0 {
			t.Fatalf("%s: after 221: %d %q, want the connection closed", name, code, msg)
		}
	}
	for _, name := range []string{"no521", "no421"} {
		c := dial(t, addrOf(t, s, name))
		if code, _ := c.read(); code/100 != 4 && code != 521 {
			t.Fatalf("%s: greeting %d", name, code)
		}
		if code, msg := c.read(); code != 0 {
			t.Fatalf("%s: after the greeting: %d %q, want the connection closed", name, code, msg)
		}
	}
	waitSessions(t, st, 4)
	tr, replies := sessionOf(t, st, 4, 1)
	var got []string
	for _, r := range replies {
		got = append(got, fmt.Sprintf("%s:%d", r.Stage, r.Code))
	}
	if want := "[connect:554 ehlo:503 mail:503 starttls:503 auth:503 data-end:503 quit:221]"; fmt.Sprint(got) != want {
		t.Errorf("replies %v, want %s", got, want)
	}
	for _, line := range []string{"S 554 5.7.1 no service for you", "* the greeting refused the connection", "C EHLO client.test",
		"C AUTH PLAIN [credentials]", "C [7 bytes of a BDAT chunk]", "C QUIT", "S 221 2.0.0"} {
		if !strings.Contains(tr, line) {
			t.Errorf("the transcript lacks %q:\n%s", line, tr)
		}
	}
	if strings.Contains(tr, plainIR("alice", "secret")) {
		t.Errorf("the transcript shows credentials:\n%s", tr)
	}
}

// A client that never says QUIT after a 554 greeting is let go after the
// listener's idle timeout, with 421 4.4.2, as one that falls silent in a
// session. The client waits for it with no deadline of its own, so only
// the sink's timeout can end the read.
func TestRefusingGreetingIdle(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Listeners[0].Limits.IdleTimeout = config.Duration(50 * time.Millisecond)
		c.Rules = []Rule{{Stage: "connect", Reply: "554 5.7.1 no service for you"}}
	})
	c := dial(t, addrOf(t, s, "mx"))
	if code, _ := c.read(); code != 554 {
		t.Fatalf("greeting %d, want 554", code)
	}
	c.nc.SetDeadline(time.Time{})
	if code, msg := c.read(); code != 421 || !strings.Contains(msg, "4.4.2") {
		t.Fatalf("got %d %q, want 421 4.4.2 after the idle timeout", code, msg)
	}
	if code, msg := c.read(); code != 0 {
		t.Fatalf("after 421: %d %q, want the connection closed", code, msg)
	}
	tr, _ := sessionOf(t, st, 1, 1)
	if !strings.Contains(tr, "* no command for 50ms (limits.idle_timeout): closing") {
		t.Errorf("the transcript does not say why the sink closed:\n%s", tr)
	}
}
