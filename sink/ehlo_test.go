package sink

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
)

// Every EHLO or HELO meets the rules of stage ehlo, not only the first
// (RFC 5321 4.1.4 lets a client say EHLO again; after STARTTLS it must,
// RFC 3207 4.2), and rules on the HELO name at later stages match the
// name of the last EHLO accepted. A refused EHLO leaves the earlier name.
func TestLaterEHLOMeetsTheRules(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Rules = []Rule{
			{Stage: "ehlo", HELO: "bad.test", Reply: "550 5.7.1 go away, bad.test"},
			{Stage: "helo", HELO: "old.test", Reply: "554 5.7.1 HELO old.test refused"},
			{Stage: "mail", HELO: "second.test", Reply: "451 4.7.1 mail from second.test deferred"},
		}
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.greet() // client.test
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RSET")
	c.expect(550, "5.7.1 go away, bad.test", "EHLO bad.test")
	c.expect(554, "5.7.1 HELO old.test refused", "HELO old.test")
	c.expect(501, "5.5.2 Syntax error in the EHLO argument: control character 0x7f", "EHLO bad\x7f.test")
	// Still client.test: the MAIL rule on second.test does not match.
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RSET")
	c.expect(250, "", "EHLO second.test")
	c.expect(451, "4.7.1 mail from second.test deferred", "MAIL FROM:<a@x.test>")
	// After STARTTLS too; a refused EHLO does not count as the new one.
	c.startTLS()
	c.expect(550, "go away", "EHLO bad.test")
	c.expect(503, "send EHLO again after STARTTLS", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "EHLO third.test")
	if code, msg := c.send("a@x.test", "u@sink.test", testMsg); code != 250 {
		t.Fatalf("after EHLO third.test: %d %q", code, msg)
	}
	c.expect(221, "", "QUIT")
	tr, replies := sessionOf(t, st, 1, 1)
	var helo string
	st.DB().QueryRow(`SELECT helo FROM sink_sessions WHERE id = 1`).Scan(&helo)
	if helo != "third.test" {
		t.Errorf("recorded HELO %q, want third.test, the last name accepted", helo)
	}
	var ehlo []int
	for _, r := range replies {
		if r.Stage == StageEHLO {
			ehlo = append(ehlo, r.Code)
		}
	}
	if got, want := fmt.Sprint(ehlo), "[250 550 554 501 250 550 250]"; got != want {
		t.Errorf("replies at stage ehlo: %s, want %s", got, want)
	}
	if !strings.Contains(tr, "C EHLO bad.test") || !strings.Contains(tr, "S 550 5.7.1 go away, bad.test") {
		t.Errorf("transcript:\n%s", tr)
	}
}

// A delay on stage ehlo holds a later EHLO too, on the sink's clock.
func TestLaterEHLODelay(t *testing.T) {
	t.Parallel()
	v := clock.NewVirtual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s, st := testSink(t, v, func(c *Config) {
		c.Rules = []Rule{{Stage: "ehlo", HELO: "slow.test", Delay: config.Duration(time.Minute)}}
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.greet() // client.test: no delay
	done := make(chan int, 1)
	go func() {
		code, _ := c.cmd("EHLO slow.test")
		done <- code
	}()
	advanceWhenWaiting(t, v, time.Minute)
	if code := <-done; code != 250 {
		t.Fatalf("EHLO slow.test: got %d, want 250 after the delay", code)
	}
	c.expect(221, "", "QUIT")
	tr, _ := sessionOf(t, st, 1, 1)
	if !strings.Contains(tr, "* delay 1m0s (sink.rules[0])") || !strings.Contains(tr, "60.000 S 250-") {
		t.Errorf("the transcript should show the delay and the reply at 60 s:\n%s", tr)
	}
}
