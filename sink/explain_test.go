package sink

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

// explainConfig has rules, a profile mapping and two listeners; the
// recipients' directives come with each envelope.
func explainConfig(t *testing.T) Config {
	t.Helper()
	cfg, err := decodeSink(t, `sink:
  listeners:
    - {name: mx, listen: "127.0.0.1:0"}
    - {name: mx2, listen: "127.0.0.1:0"}
  profiles: {corp.test: microsoft}
  rules:
    - {name: grey, stage: rcpt, recipient: "*@grey.test", greylist: {delay: 5m}}
    - {name: flaky, stage: rcpt, recipient: "*@flaky.test", probability: 0.3, reply: "451 4.4.2 try again"}
    - {stage: rcpt, recipient: "second@*", attempt: "2-", reply: "550 5.7.1 no more"}
    - {name: mx2 is down, stage: connect, listener: mx2, reply: "421 4.3.2 not accepting mail"}
    - {name: lottery, stage: data-end, header: "/^Subject:.*lottery/", reply: "550 5.7.1 Message content rejected"}
    - {stage: data-end, recipient: "*@late.test", bounce: {after: 10m, reply: "550 5.1.1 no such user"}}
`)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Bounce.Relay = ""
	return cfg
}

// stepOf is the step of stage (and recipient, at rcpt) in steps.
func stepOf(t *testing.T, steps []Step, stage Stage, rcpt string) Step {
	t.Helper()
	for _, st := range steps {
		if st.Stage == stage && st.Recipient == rcpt {
			return st
		}
	}
	t.Fatalf("no step %s %s in %+v", stage, rcpt, steps)
	return Step{}
}

func code(a Answer) int {
	if a.Reply == nil {
		return 0
	}
	return a.Reply.Code
}

// TestExplain: what the sink would answer, stage by stage, and what chose
// it, from its own decision over rules, profiles and directives.
func TestExplain(t *testing.T) {
	t.Parallel()
	cfg := explainConfig(t)
	env := Envelope{HELO: "client.test", From: "a@shop.test", To: []string{
		"nosuchuser@gmail.test", "rcpt550@x.test", "bob@flaky.test", "blocked@corp.test", "defer2+run@x.test",
		"y@grey.test", "greylist5min@x.test", "z@late.test", "bounce5m+q@x.test", "ok@x.test"}}
	steps, err := Explain(cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		rcpt string
		code int
		by   string
	}{
		{"nosuchuser@gmail.test", 550, "profile gmail (domain gmail.test), rules[0]"},
		{"rcpt550@x.test", 550, "directive rcpt550"},
		{"blocked@corp.test", 550, "profile microsoft (domain corp.test), rules[1]"},
		{"defer2+run@x.test", 451, "directive defer2"},
		{"y@grey.test", 451, `rule "grey"`},
		{"ok@x.test", 250, "directive ok"},
		{"z@late.test", 250, ""},
	} {
		st := stepOf(t, steps, StageRcpt, tc.rcpt)
		if code(st.Answer) != tc.code || st.By != tc.by {
			t.Errorf("rcpt %s: %d by %q, want %d by %q", tc.rcpt, code(st.Answer), st.By, tc.code, tc.by)
		}
	}
	// Which profile answers for a domain, and why.
	if st := stepOf(t, steps, StageRcpt, "blocked@corp.test"); st.Profile != `profile microsoft answers for corp.test: sink.profiles maps "corp.test" to it` {
		t.Errorf("corp.test: profile %q", st.Profile)
	}
	if st := stepOf(t, steps, StageRcpt, "nosuchuser@gmail.test"); st.Profile != `profile gmail (built in) answers for gmail.test: its domains: list "gmail.test"` {
		t.Errorf("gmail.test: profile %q", st.Profile)
	}
	// A probability is said, not drawn: the chance, then the normal reply.
	st := stepOf(t, steps, StageRcpt, "bob@flaky.test")
	if len(st.Chances) != 1 || st.Chances[0].Probability != 0.3 || code(st.Chances[0].Answer) != 451 || st.Chances[0].By != `rule "flaky"` || code(st.Answer) != 250 || st.By != "" {
		t.Errorf("flaky: %+v", st)
	}
	// What depends on history is said.
	if st := stepOf(t, steps, StageRcpt, "defer2+run@x.test"); len(st.History) != 1 || !strings.Contains(st.History[0], `directive "defer2" acts on attempts 1 to 2`) {
		t.Errorf("defer2: history %q", st.History)
	}
	if st := stepOf(t, steps, StageRcpt, "y@grey.test"); len(st.History) != 1 || !strings.Contains(st.History[0], "greylisting (grey)") {
		t.Errorf("grey: history %q", st.History)
	}
	// A piece that is no directive: noted, and in the 250.
	if st := stepOf(t, steps, StageRcpt, "greylist5min@x.test"); len(st.Notes) != 1 || !strings.Contains(st.Wire[len(st.Wire)-1], `"greylist5min" is not a directive`) {
		t.Errorf("greylist5min: %+v", st)
	}
	end := stepOf(t, steps, StageDataEnd, "")
	if code(end.Answer) != 250 || len(end.Bounces) != 2 || end.Bounces[0].For[0] != "z@late.test" || end.Bounces[0].By != "sink.rules[5]" ||
		end.Bounces[1].For[0] != "bounce5m+q@x.test" || end.Bounces[1].By != "directive bounce5m" {
		t.Errorf("data-end: %+v", end)
	}
	if len(end.History) != 1 || !strings.Contains(end.History[0], `rule "lottery" was not tried`) {
		t.Errorf("data-end: history %q, want the content rule named", end.History)
	}

	// At attempt 4, defer2 is used up, and the 250 says so (at 3, the
	// first it lets through, it says nothing, as a session); greylisting
	// lets a retry through; the rule on attempts 2- answers.
	env = Envelope{From: "a@shop.test", To: []string{"defer2+run@x.test", "y@grey.test", "second@x.test"}, Attempt: 4}
	if steps, err = Explain(cfg, env); err != nil {
		t.Fatal(err)
	}
	if st := stepOf(t, steps, StageRcpt, "defer2+run@x.test"); code(st.Answer) != 250 || st.By != "directive defer2 (done)" || !strings.Contains(st.Wire[0], `directive "defer2" is used up`) {
		t.Errorf("defer2 at attempt 4: %+v", st)
	}
	if st := stepOf(t, steps, StageRcpt, "y@grey.test"); code(st.Answer) != 250 {
		t.Errorf("grey at attempt 4: %+v", st)
	}
	if st := stepOf(t, steps, StageRcpt, "second@x.test"); code(st.Answer) != 550 || st.By != "sink.rules[2]" || len(st.History) != 1 || !strings.Contains(st.History[0], "attempts 2-") {
		t.Errorf("second at attempt 4: %+v", st)
	}

	// Quoted, a local part that needs quotes is taken, and Postmaster
	// needs no domain.
	if _, err := Explain(cfg, Envelope{From: `"a..b"@shop.test`, To: []string{`"x\"y"@x.test`, "Postmaster"}}); err != nil {
		t.Errorf("quoted local parts and Postmaster: %v", err)
	}
	// A connect rule of listener mx2 closes the connection: nothing after.
	steps, err = Explain(cfg, Envelope{Listener: "mx2", To: []string{"a@x.test"}})
	if err != nil || len(steps) != 1 || code(steps[0].Answer) != 421 || !steps[0].Closes || steps[0].By != `rule "mx2 is down"` {
		t.Errorf("mx2: %v %+v", err, steps)
	}
	// Bad arguments, in the sink's words.
	for _, tc := range []struct {
		env  Envelope
		want string
	}{
		{Envelope{Listener: "MX2"}, `no listener is named "MX2" (defined: "mx", "mx2"); names are case-sensitive: did you mean "mx2"?`},
		{Envelope{To: []string{"a@b..test"}}, `recipient "a@b..test": the sink would answer 553`},
		{Envelope{HELO: "bad name"}, `EHLO name "bad name": the sink would answer 501`},
		// Read as written between the angle brackets, as the sink reads
		// a path (walk V2: these were explained as 250s).
		{Envelope{To: []string{"a..b@c.test"}}, `recipient "a..b@c.test": the sink would answer 553 5.1.3: the local part "a..b" has two dots in a row`},
		{Envelope{From: `""@x.test`, To: []string{"a@x.test"}}, `sender "\"\"@x.test": the sink would answer 553 5.1.7: the local part is empty`},
		{Envelope{From: "x", To: []string{"a@x.test"}}, `sender "x": the sink would answer 501 5.5.2`},
	} {
		if _, err := Explain(cfg, tc.env); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.env, err, tc.want)
		}
	}
}

// TestExplainAgreesWithSession: explain's "reply by" words and codes are
// those a real session records, for the same envelope and configuration.
func TestExplainAgreesWithSession(t *testing.T) {
	t.Parallel()
	cfg := explainConfig(t)
	rcpts := []string{"nosuchuser@gmail.test", "rcpt550@x.test", "blocked@corp.test", "defer2+agree@x.test", "y@grey.test", "fine@x.test"}
	steps, err := Explain(cfg, Envelope{HELO: "client.test", From: "a@shop.test", To: rcpts, Client: netip.MustParseAddr("127.0.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	s, st := testSink(t, nil, func(c *Config) { *c = cfg })
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@shop.test>")
	for _, r := range rcpts {
		c.cmd("RCPT TO:<%s>", r)
	}
	c.cmd("QUIT")
	waitSessions(t, st, 1)
	all, err := AllAttempts(context.Background(), st.DB())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Attempt{}
	for _, a := range all {
		got[a.Recipient] = a
	}
	for _, r := range rcpts {
		want := stepOf(t, steps, StageRcpt, r)
		a, ok := got[r]
		if !ok || a.Reply.Code != code(want.Answer) || a.By != want.By {
			t.Errorf("%s: the session gave %d by %q; explain said %d by %q", r, a.Reply.Code, a.By, code(want.Answer), want.By)
		}
	}
}
