package sink

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
)

// A rule's greylist: and bounce: that write a duration of 0 get 0, not
// the default the key stands for when left out (a 0 used to mean 5m, 35d
// and 1m): delay 0s lets the first retry through at once, keep_passed 0s
// greylists each message again, after 0s sends the bounce at once. An
// expiry of 0s would let no retry through: it is refused at its line,
// with what to write.
func TestFKRuleZeroDurations(t *testing.T) {
	t.Parallel()
	cfg, err := decodeSink(t, `sink:
  listeners:
    - {name: mx, listen: "127.0.0.1:0", tls: none}
  bounce: {relay: ""}
  rules:
    - {name: grey, stage: rcpt, recipient: "g@*", greylist: {delay: 0s, keep_passed: 0s}}
    - {name: now, stage: data-end, bounce: {after: 0s}}
`)
	if err != nil {
		t.Fatal(err)
	}
	v := clock.NewVirtual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	s, st := testSink(t, v, func(c *Config) { c.Rules = cfg.Rules })
	addr := addrOf(t, s, "mx")
	for i, step := range []struct {
		advance time.Duration
		want    int
		why     string
	}{
		{0, 451, "first attempt"},
		{time.Second, 250, "a retry a second later, past a delay of 0s"},
		{time.Second, 451, "the next message: with keep_passed 0s, greylisted again"},
		{time.Second, 250, "its retry"},
	} {
		v.Advance(step.advance)
		if got := rcptReply(t, addr, "s@x.test", "g@sink.test"); got != step.want {
			t.Fatalf("step %d (%s): got %d, want %d", i, step.why, got, step.want)
		}
	}

	c := dial(t, addr)
	c.greet()
	if code, text := c.send("s@x.test", "b@sink.test", testMsg); code != 250 {
		t.Fatalf("message: got %d %q", code, text)
	}
	c.expect(221, "", "QUIT")
	var due, at int64
	if err := st.DB().QueryRow(`SELECT b.due_ns, m.time_ns FROM sink_bounces b JOIN sink_messages m ON m.id = b.message`).Scan(&due, &at); err != nil {
		t.Fatal(err)
	}
	if due != at {
		t.Errorf("bounce: {after: 0s} is due %s after the message, want at once", time.Duration(due-at))
	}

	_, err = decodeSink(t, "sink:\n  rules:\n    - stage: rcpt\n      greylist:\n        expiry: 0s\n")
	wantInOrder(t, "expiry: 0s", err, "sink.yaml:5:", "sink.rules[0].greylist.expiry:", "0s would forget each triple at once", "leave expiry out for 4h")
}

// Rule.WithDefaults writes out what a rule's greylist: and bounce: leave
// out, as the sink runs them, and compiles to the same rule; what they
// write (0 too) stays.
func TestFKRuleWithDefaults(t *testing.T) {
	t.Parallel()
	zero := config.Duration(0)
	for _, r := range []Rule{
		{Stage: "rcpt", Greylist: &GreylistRule{}},
		{Stage: "rcpt", Greylist: &GreylistRule{Delay: &zero, Reply: "450 4.7.1 later"}},
		{Stage: "data-end", Bounce: &BounceRule{}},
		{Stage: "data-end", Bounce: &BounceRule{After: &zero}},
	} {
		w := r.WithDefaults()
		if g := w.Greylist; g != nil {
			if g.Delay == nil || g.Expiry == nil || g.KeepPassed == nil || g.Reply == "" {
				t.Errorf("%+v: WithDefaults left a greylist key out: %+v", r.Greylist, g)
			}
			if r.Greylist.Delay == nil && (g.Delay.D() != 5*time.Minute || g.Expiry.D() != 4*time.Hour || g.KeepPassed.D() != 35*24*time.Hour) {
				t.Errorf("greylist defaults %s, %s, %s; want 5m, 4h, 35d", g.Delay, g.Expiry, g.KeepPassed)
			}
			if r.Greylist.Delay != nil && (*g.Delay != 0 || g.Reply != "450 4.7.1 later") {
				t.Errorf("%+v: WithDefaults changed what the rule writes: %+v", r.Greylist, g)
			}
			if r.Greylist.Expiry != nil {
				t.Error("WithDefaults changed the rule it was given")
			}
		}
		if b := w.Bounce; b != nil {
			want := time.Minute
			if r.Bounce.After != nil {
				want = 0
			}
			if b.After == nil || b.After.D() != want || b.Reply == "" {
				t.Errorf("%+v: WithDefaults gave %+v, want after %s and the reply", r.Bounce, b, want)
			}
		}
		a, err := r.compile("r")
		if err != nil {
			t.Fatal(err)
		}
		b, err := w.compile("r")
		if err != nil {
			t.Fatalf("%+v with its defaults: %v", r, err)
		}
		if !reflect.DeepEqual(a.behavior, b.behavior) {
			t.Errorf("%+v: compiled %+v; with its defaults written out %+v", r, a.behavior, b.behavior)
		}
	}
}

// The transcript's line for an asynchronous bounce names the rule or the
// directive that asked for it, as a delay's or a reply's line does; the
// one for a null sender too. It named none.
func TestFKBounceLineNamesRule(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Rules = []Rule{{Name: "late", Stage: "data-end", Recipient: "late@*", Bounce: &BounceRule{}}}
	})
	addr := addrOf(t, s, "mx")
	for i, tc := range []struct{ from, to, want string }{
		{"s@x.test", "late@sink.test", `* accepted; a bounce for <late@sink.test> follows in 1m0s (rule "late")`},
		{"s@x.test", "bounce5m@sink.test", `* accepted; a bounce for <bounce5m@sink.test> follows in 5m0s (directive bounce5m)`},
		{"", "late@sink.test", `no DSN is sent to a null reverse-path (RFC 5321 4.5.5), though rule "late" asks for one`},
	} {
		c := dial(t, addr)
		c.greet()
		if code, text := c.send(tc.from, tc.to, testMsg); code != 250 {
			t.Fatalf("message to %s: got %d %q", tc.to, code, text)
		}
		c.expect(221, "", "QUIT")
		if tr, _ := sessionText(t, st, int64(i+1)); !strings.Contains(tr, tc.want) {
			t.Errorf("transcript lacks %q:\n%s", tc.want, tr)
		}
	}
}

// sender: at stage starttls or auth would never match (clients send
// STARTTLS before MAIL, and AUTH inside a transaction gets 503 before any
// rule): refused at its key and line with why, as recipient: at rset is.
// A pattern that matches the empty sender ("*") does match, and stays.
func TestFKSenderAtStartTLSAndAuthRefused(t *testing.T) {
	t.Parallel()
	for _, stage := range []string{"starttls", "auth"} {
		_, err := decodeSink(t, "sink:\n  rules:\n    - stage: "+stage+"\n      sender: \"bob@*\"\n      reply: \"454 4.7.0 no\"\n")
		wantInOrder(t, "sender at "+stage, err, "sink.yaml:4:", "sink.rules[0].sender:", "never matches", "at stage "+stage, `"bob@*" cannot match it`, "use stage mail or later")
		if _, err := decodeSink(t, "sink:\n  rules:\n    - {stage: "+stage+", sender: \"*\", reply: \"454 4.7.0 no\"}\n"); err != nil {
			t.Errorf("sender \"*\" at %s: %v, want it taken", stage, err)
		}
	}
	if _, err := decodeSink(t, "sink:\n  rules:\n    - {stage: mail, sender: \"bob@*\", reply: \"550 5.7.1 no\"}\n"); err != nil {
		t.Errorf("sender at mail: %v", err)
	}
}

// Two rules asking for the same bounce of one message's recipients make
// one DSN, as an MTA reports a message's failed recipients together, and
// its line names both rules.
func TestBounceLineNamesEveryRule(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Rules = []Rule{
			{Name: "a", Stage: "data-end", Recipient: "a@*", Bounce: &BounceRule{}},
			{Name: "b", Stage: "data-end", Recipient: "b@*", Bounce: &BounceRule{}},
		}
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<s@x.test>")
	c.expect(250, "", "RCPT TO:<a@sink.test>")
	c.expect(250, "", "RCPT TO:<b@sink.test>")
	c.expect(354, "", "DATA")
	if code, text := c.body(testMsg); code != 250 {
		t.Fatalf("message: got %d %q", code, text)
	}
	c.expect(221, "", "QUIT")
	tr, _ := sessionText(t, st, 1)
	if want := `* accepted; a bounce for <a@sink.test>, <b@sink.test> follows in 1m0s (rule "a" and rule "b")`; !strings.Contains(tr, want) {
		t.Errorf("transcript lacks %q:\n%s", want, tr)
	}
}
