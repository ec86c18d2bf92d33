package sink

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

func TestSetRulesAtRuntime(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, nil)
	addr := addrOf(t, s, "mx")
	if got := rcptReply(t, addr, "a@x.test", "u@rt.test"); got != 250 {
		t.Fatalf("before: got %d", got)
	}
	if err := s.SetRules([]Rule{{Stage: "rcpt", Recipient: "*@rt.test", Reply: "550 5.7.1 new rule"}}); err != nil {
		t.Fatal(err)
	}
	if got := rcptReply(t, addr, "a@x.test", "u@rt.test"); got != 550 {
		t.Fatalf("after SetRules: got %d, want 550", got)
	}
	if rs := s.Rules(); len(rs) != 1 || rs[0].Reply != "550 5.7.1 new rule" {
		t.Errorf("Rules() = %+v", rs)
	}
	if err := s.SetRules([]Rule{{Stage: "rcpt", Reply: "bad"}}); err == nil {
		t.Error("SetRules took a bad rule")
	}
	if err := s.SetRules([]Rule{{Stage: "rcpt", Listener: "nope", Reply: "550"}}); err == nil {
		t.Error("SetRules took a rule for an unknown listener")
	}
	if got := rcptReply(t, addr, "a@x.test", "u@rt.test"); got != 550 {
		t.Fatalf("a failed SetRules must keep the old rules: got %d", got)
	}
	cfg := DefaultConfig()
	cfg.Rules = []Rule{{Stage: "rcpt", Recipient: "*@rt.test", Reply: "451 4.7.1 reloaded"}}
	if err := s.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if got := rcptReply(t, addr, "a@x.test", "u@rt.test"); got != 451 {
		t.Fatalf("after Reload: got %d, want 451", got)
	}
	evs, err := s.store.Events(context.Background(), events.Filter{Kinds: []string{events.SinkRules}})
	if err != nil || len(evs) != 2 || !strings.Contains(string(evs[1].Payload), "reloaded") {
		t.Errorf("sink.rules events: %v %+v", err, evs)
	}
}

func TestSeededProbabilityIsReproducible(t *testing.T) {
	t.Parallel()
	codes := func(seed int64) string {
		s, _ := testSink(t, nil, nil)
		s.seed = seed
		addr := addrOf(t, s, "mx")
		c := dial(t, addr)
		c.greet()
		c.expect(250, "", "MAIL FROM:<a@x.test>")
		out := ""
		for i := 0; i < 24; i++ {
			code, _ := c.cmd("RCPT TO:<rcpt550p50+n%d@sink.test>", i)
			out += fmt.Sprint(code / 100)
			if code == 250 {
				c.expect(250, "", "RSET")
				c.expect(250, "", "MAIL FROM:<a@x.test>")
			}
		}
		return out
	}
	a, b, other := codes(42), codes(42), codes(43)
	if a != b {
		t.Errorf("same seed, different runs: %s and %s", a, b)
	}
	if a == other {
		t.Errorf("different seeds gave the same run %s", a)
	}
	fives := 0
	for _, c := range a {
		if c == '5' {
			fives++
		}
	}
	if fives == 0 || fives == len(a) {
		t.Errorf("50%% gave %d rejections of %d", fives, len(a))
	}
}

func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	addr := addrOf(t, s, "mx")
	c := dial(t, addr)
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- s.Shutdown(ctx)
	}()
	for i := 0; i < 2000 && !s.draining.Load(); i++ {
		time.Sleep(2 * time.Millisecond)
	}
	// New connections are refused once shutdown begins...
	if _, err := (&dialer{}).dial(addr); err == nil {
		t.Error("a new connection was taken after Shutdown began")
	}
	// ...while the transaction in flight goes on to the end; then the
	// session gets the shutdown's 421 (RFC 5321 3.8: the client reads it
	// after its next command).
	c.expect(250, "", "RCPT TO:<u@sink.test>")
	c.expect(354, "", "DATA")
	if code, _ := c.body(testMsg); code != 250 {
		t.Fatalf("in-flight message: got %d", code)
	}
	c.expect(421, "4.3.2 sink.relaylab.test shutting down, try again later", "QUIT")
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	var n int
	st.DB().QueryRow(`SELECT COUNT(*) FROM sink_sessions WHERE messages = 1`).Scan(&n)
	if n != 1 {
		t.Errorf("the in-flight session was not recorded by Shutdown")
	}
	evs, err := st.Events(context.Background(), events.Filter{Kinds: []string{"sink."}})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range evs {
		kinds[e.Kind]++
	}
	if kinds[events.SinkMessage] != 1 || kinds[events.SinkSession] < 1 {
		t.Errorf("events: %v", kinds)
	}
}

func TestReplyEventsForFailuresOnly(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(451, "", "RCPT TO:<defer@sink.test>")
	c.expect(250, "", "RCPT TO:<ok@sink.test>")
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	evs, err := st.Events(context.Background(), events.Filter{Kinds: []string{events.SinkReply}})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Recipient != "defer@sink.test" || !strings.Contains(string(evs[0].Payload), `"code":451`) || !strings.Contains(string(evs[0].Payload), `"stage":"rcpt"`) {
		t.Fatalf("sink.reply events: %+v", evs)
	}
}

func TestFlushAfterQuit(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	for i := 0; i < 20; i++ {
		c := dial(t, addrOf(t, s, "mx"))
		c.greet()
		c.expect(250, "", "MAIL FROM:<a@x.test>")
		c.expect(451, "", "RCPT TO:<rcpt451+n%d@sink.test>", i)
		c.expect(221, "", "QUIT")
		if err := s.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		as, err := Attempts(context.Background(), st.DB(), fmt.Sprintf("rcpt451+n%d@sink.test", i))
		if err != nil || len(as) != 1 {
			t.Fatalf("after Flush: %v %+v", err, as)
		}
	}
	// All of them in one query, in the order they happened.
	all, err := AllAttempts(context.Background(), st.DB())
	if err != nil || len(all) != 20 {
		t.Fatalf("AllAttempts: %v, %d attempts", err, len(all))
	}
	for i, a := range all {
		if want := fmt.Sprintf("rcpt451+n%d@sink.test", i); a.Recipient != want || a.Reply.Code != 451 || a.Client == "" {
			t.Errorf("attempt %d: %+v, want %s refused with 451", i, a, want)
		}
	}
}

// SetRules (the web UI's rules editor) refuses a rule on a DMARC, SPF or
// DKIM result while verification is off, with the error the configuration
// file gets for it; with verification on it takes the rule.
func TestSetRulesNeedsVerify(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, nil)
	before := []Rule{{Stage: "rcpt", Recipient: "*@rt.test", Reply: "550 5.7.1 kept"}}
	if err := s.SetRules(before); err != nil {
		t.Fatal(err)
	}
	for _, r := range []Rule{
		{Stage: "data-end", DMARC: "reject", Reply: "550 5.7.26 no"},
		{Stage: "data-end", SPF: "fail|softfail", Reply: "550 5.7.23 no"},
		{Stage: "data-end", DKIM: "none", Reply: "550 5.7.20 no"},
	} {
		rules := []Rule{{Stage: "rcpt", Reply: "451 4.7.1 first"}, r}
		cfg := DefaultConfig()
		cfg.Rules = rules
		want := cfg.Validate("sink")
		if want == nil || !strings.Contains(want.Error(), "never matches") {
			t.Fatalf("the configuration file takes %+v: %v", r, want)
		}
		err := s.SetRules(rules)
		if err == nil || err.Error() != want.Error() {
			t.Errorf("SetRules(%+v) with verification off:\ngot  %v\nwant %v", r, err, want)
		}
		if got := s.Rules(); len(got) != 1 || got[0].Reply != before[0].Reply {
			t.Errorf("a refused SetRules changed the rules to %+v", got)
		}
	}
	if err := s.SetVerifier(VerifyConfig{Enabled: true}, fakeVerifier{}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRules([]Rule{{Stage: "data-end", DMARC: "reject", Reply: "550 5.7.26 no"}}); err != nil {
		t.Errorf("SetRules with verification on: %v", err)
	}
}
