package sink

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// step is one command and the reply it must get (code, and text when set).
type step struct {
	cmd  string
	code int
	text string
}

func run(t *testing.T, addr string, steps []step) *client {
	t.Helper()
	c := dial(t, addr)
	c.greet()
	for _, s := range steps {
		if s.cmd == "<message>" {
			code, msg := c.body(testMsg)
			if code != s.code || !strings.Contains(msg, s.text) {
				t.Fatalf("after the message: got %d %q, want %d %q", code, msg, s.code, s.text)
			}
			continue
		}
		c.expect(s.code, s.text, "%s", s.cmd)
	}
	return c
}

func TestDirectivesOverTCP(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, nil)
	addr := addrOf(t, s, "mx")
	tests := []struct {
		name  string
		steps []step
	}{
		{"rcpt550", []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<rcpt550+alice@sink.test>", 550, "5.1.1"}}},
		{"rcpt with enhanced code", []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<rcpt553-5.1.3@sink.test>", 553, "5.1.3"}}},
		{"unknown user shorthand", []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<unknown@sink.test>", 550, "5.1.1 No such user"}}},
		{"data421 closes", []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<data421@sink.test>", 250, ""}, {"DATA", 421, "4.7.0"}}},
		{"data554 then RSET works", []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<data554@sink.test>", 250, ""}, {"DATA", 554, "5.7.1"}, {"RSET", 250, ""}, {"NOOP", 250, ""}}},
		{"dot552", []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<dot552@sink.test>", 250, ""}, {"DATA", 354, ""}, {"<message>", 552, "5.3.4"}}},
		{"dataend451 keeps the session", []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<dataend451@sink.test>", 250, ""}, {"DATA", 354, ""}, {"<message>", 451, "4.7.1"}, {"MAIL FROM:<a@x.test>", 250, ""}}},
		{"rset421", []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<rset421@sink.test>", 250, ""}, {"RSET", 421, ""}}},
		{"quit554", []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<quit554@sink.test>", 250, ""}, {"QUIT", 554, ""}}},
		{"names are ignored", []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<alice.smith+newsletter@sink.test>", 250, ""}}},
		{"nested MAIL", []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"MAIL FROM:<b@x.test>", 503, "5.5.1"}, {"RSET", 250, ""}, {"MAIL FROM:<b@x.test>", 250, ""}}},
		{"accept", []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<accept@sink.test>", 250, ""}, {"DATA", 354, ""}, {"<message>", 250, "accepted"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run(t, addr, tc.steps)
		})
	}
}

func TestDropAfterDot(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := run(t, addrOf(t, s, "mx"), []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<dropafterdot@sink.test>", 250, ""}, {"DATA", 354, ""}})
	if code, msg := c.body(testMsg); code != 0 {
		t.Fatalf("got a reply after the dot: %d %q", code, msg)
	}
	waitSessions(t, st, 1)
	var code int
	var raw []byte
	if err := st.DB().QueryRow(`SELECT code, raw FROM sink_messages`).Scan(&code, &raw); err != nil {
		t.Fatal(err)
	}
	if code != 0 || string(raw) != testMsg {
		t.Errorf("recorded code %d raw %q", code, raw)
	}
}

func TestRulesOverTCP(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) {
		c.Rules = []Rule{
			{Stage: "ehlo", HELO: "bad.*", Reply: "550 5.7.1 go away"},
			{Stage: "mail", Sender: "/^spam@/", Reply: "553 5.7.1 no spammers"},
			{Stage: "rcpt", Recipient: "*@full.test", Reply: "452 4.2.2 mailbox full"},
			{Stage: "rcpt", Recipient: "*@never.test", Client: "192.0.2.0/24", Reply: "550 5.7.1 not you"},
			{Stage: "rcpt", Recipient: "*@never.test", Client: "127.0.0.0/8", Reply: "550 5.7.1 loopback refused"},
			{Stage: "data-end", Recipient: "*@late.test", Reply: "554 5.6.0 bad content"},
		}
	})
	addr := addrOf(t, s, "mx")
	tests := []struct {
		name  string
		steps []step
	}{
		{"mail", []step{{"MAIL FROM:<spam@x.test>", 553, "no spammers"}}},
		{"rcpt glob", []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<u@FULL.test>", 452, "4.2.2 mailbox full"}}},
		{"client cidr", []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<u@never.test>", 550, "loopback refused"}}},
		{"data-end", []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<u@late.test>", 250, ""}, {"DATA", 354, ""}, {"<message>", 554, "5.6.0 bad content"}}},
		{"no match", []step{{"MAIL FROM:<a@x.test>", 250, ""}, {"RCPT TO:<u@fine.test>", 250, ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run(t, addr, tc.steps)
		})
	}
	t.Run("ehlo", func(t *testing.T) {
		t.Parallel()
		c := dial(t, addr)
		c.read()
		c.expect(550, "go away", "EHLO bad.example")
	})
}

// A piece that looks like a directive but is out of range is a name: the
// RCPT is accepted as before, and both the 250 and the transcript say why.
func TestNotDirectiveIsNoted(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	const note = `"rcpt550-4.7.1" is not a directive: enhanced code class 4 does not match reply 550; taken as a plain name`
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "2.1.5", "RCPT TO:<rcpt550-4.7.1@x.test>")
	c.expect(250, "", "RSET")
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	if code, msg := c.cmd("RCPT TO:<rcpt550-4.7.1@x.test>"); code != 250 || !strings.Contains(msg, note) || !strings.HasPrefix(msg, "2.1.5 ") {
		t.Errorf("RCPT: got %d %q, want 250 2.1.5 with %q", code, msg, note)
	}
	// Its own directive's reply keeps its text, with the note after it.
	if code, msg := c.cmd("RCPT TO:<ok+delay99d@x.test>"); code != 250 || !strings.Contains(msg, "Accepted on request; \"delay99d\" is not a directive: duration 99d is over the 30-day limit") {
		t.Errorf("RCPT ok+delay99d: got %d %q", code, msg)
	}
	// The note is for that reply only.
	if code, msg := c.cmd("RCPT TO:<bob@x.test>"); code != 250 || strings.Contains(msg, "not a directive") {
		t.Errorf("RCPT bob: got %d %q", code, msg)
	}
	// A rejection keeps its reply; the transcript has the note.
	c.expect(550, "5.1.1", "RCPT TO:<rcpt550+rcpt999@x.test>")
	// Many pieces: the reply stays short, the transcript has them all.
	many := strings.Repeat("rcpt999+", 20) + "rcpt998+rcpt997+rcpt996+rcpt995+rcpt994"
	if code, msg := c.cmd("RCPT TO:<%s@x.test>", many); code != 250 || len(msg) > 500 || !strings.Contains(msg, "more in the transcript") {
		t.Errorf("RCPT many: got %d %q (%d octets)", code, msg, len(msg))
	}
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	var tr string
	st.DB().QueryRow(`SELECT transcript FROM sink_sessions`).Scan(&tr)
	// The attempt (what timelines show) carries it, whatever ended it.
	atts, err := Attempts(context.Background(), st.DB(), "rcpt550-4.7.1@x.test")
	if err != nil || len(atts) != 2 {
		t.Fatalf("attempts %+v, %v; want 2", atts, err)
	}
	for _, a := range atts {
		if a.Reply.Code != 250 || !strings.Contains(a.Reply.Text, note) {
			t.Errorf("attempt %d: reply %+v, want 250 with %q", a.Number, a.Reply, note)
		}
	}
	for _, want := range []string{"* " + note, `* "rcpt999" is not a directive: reply code 999 is not between 200 and 599; taken as a plain name`, `"rcpt998" is not a directive`} {
		if !strings.Contains(tr, want) {
			t.Errorf("transcript lacks %q:\n%s", want, tr)
		}
	}
}

// A misspelled directive (greylist5min, not greylist5m) is a name too, and
// said so where a sender's log and a replay's report look: in the 250 to
// its RCPT, in the reply after the final dot (naming the address, for it is
// about every recipient), and in the sink.message event.
func TestMisspelledDirectiveIsNoted(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	const why = `is not a directive: did you mean greylist5m? `
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	if code, msg := c.cmd("RCPT TO:<greylist5min+a@x.test>"); code != 250 || !strings.Contains(msg, `"greylist5min" `+why) {
		t.Errorf("RCPT: got %d %q, want 250 with the note", code, msg)
	}
	c.expect(250, "", "RCPT TO:<bob@x.test>")
	c.expect(354, "", "DATA")
	if code, msg := c.body(testMsg); code != 250 || !strings.Contains(msg, `"greylist5min" in <greylist5min+a@x.test> `+why) || !strings.HasSuffix(msg, "; taken as a plain name") {
		t.Errorf("after the dot: got %d %q, want 250 with the note naming the address", code, msg)
	}
	// A refusal keeps its own words: a relay classifies it by them, and
	// "greylist" in a note would make a 451 read as greylisting.
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<dot451+greylist5min@x.test>")
	c.expect(354, "", "DATA")
	if code, msg := c.body(testMsg); code != 451 || strings.Contains(msg, "not a directive") {
		t.Errorf("a refusal after the dot: got %d %q, want 451 without the note", code, msg)
	}
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	evs, err := st.Events(context.Background(), events.Filter{Kinds: []string{events.SinkMessage}})
	if err != nil || len(evs) != 2 {
		t.Fatalf("%d events, %v; want two sink.message", len(evs), err)
	}
	var p messagePayload
	if err := json.Unmarshal(evs[0].Payload, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Notes) != 1 || !strings.HasPrefix(p.Notes[0], `"greylist5min" in <greylist5min+a@x.test> `+why) {
		t.Errorf("sink.message notes %q, want the one note naming its address", p.Notes)
	}
}
