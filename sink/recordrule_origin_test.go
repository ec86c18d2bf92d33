package sink

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// A reply chosen by a rule, a profile's rule or a directive names what
// chose it: a note in the transcript before it, "by" in its sink.reply
// event and in the attempts it ends. The reply on the wire is the rule's
// own, unchanged.
func TestReplyOrigin(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Rules = []Rule{
			{Name: "twice then ok", Stage: "rcpt", Recipient: "twice@sink.test", Attempt: "1-2", Reply: "451 4.3.0 try again later"},
			{Stage: "mail", Sender: "blocked@x.test", Reply: "550 5.7.1 sender refused"},
			{Stage: "data-end", Recipient: "late@sink.test", Reply: "554 5.6.0 refused after the dot"},
		}
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	if code, text := c.cmd("MAIL FROM:<blocked@x.test>"); code != 550 || text != "5.7.1 sender refused" {
		t.Fatalf("MAIL: got %d %q, want the rule's 550 5.7.1 sender refused as it is", code, text)
	}
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	if code, text := c.cmd("RCPT TO:<twice@sink.test>"); code != 451 || text != "4.3.0 try again later" {
		t.Fatalf("RCPT: got %d %q, want the rule's 451 4.3.0 try again later as it is", code, text)
	}
	c.expect(550, "5.1.1", "RCPT TO:<nosuchuser@gmail.test>")
	c.expect(550, "", "RCPT TO:<rcpt550@sink.test>")
	c.expect(250, "", "RCPT TO:<plain@sink.test>")
	c.expect(250, "", "RCPT TO:<late@sink.test>")
	c.expect(354, "", "DATA")
	if code, text := c.body(testMsg); code != 554 || text != "5.6.0 refused after the dot" {
		t.Fatalf("after the dot: got %d %q, want the rule's 554", code, text)
	}
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)

	ss, err := SessionByID(context.Background(), st.DB(), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{
		{`* reply by sink.rules[1]`, `S 550 5.7.1 sender refused`},
		{`* reply by rule "twice then ok"`, `S 451 4.3.0 try again later`},
		{`* reply by profile gmail (domain gmail.test), rules[0]`, `S 550-5.1.1 `}, // Gmail's reply has several lines
		{`* reply by directive rcpt550`, `S 550 `},
		{`* reply by sink.rules[2]`, `S 554 5.6.0 refused after the dot`},
	} {
		i := strings.Index(ss.Transcript, pair[0]+"\n")
		if i < 0 {
			t.Errorf("transcript lacks %q:\n%s", pair[0], ss.Transcript)
			continue
		}
		next := ss.Transcript[i+len(pair[0])+1:]
		if _, line, _ := strings.Cut(next, " "); !strings.HasPrefix(line, pair[1]) {
			t.Errorf("after %q the transcript has %q, want the reply %q", pair[0], strings.SplitN(next, "\n", 2)[0], pair[1])
		}
	}
	if n := strings.Count(ss.Transcript, "* reply by "); n != 5 {
		t.Errorf("transcript has %d notes of a reply's origin, want 5 (none for the sink's own replies):\n%s", n, ss.Transcript)
	}

	want := map[string]string{
		"twice@sink.test":       `rule "twice then ok"`,
		"nosuchuser@gmail.test": "profile gmail (domain gmail.test), rules[0]",
		"rcpt550@sink.test":     "directive rcpt550",
		"plain@sink.test":       "sink.rules[2]", // the reply after the dot ended its attempt too
		"late@sink.test":        "sink.rules[2]",
	}
	all := attemptsBy(t, st, want)
	for _, a := range all {
		if a.Recipient == "twice@sink.test" && a.Reply.Text != "try again later" {
			t.Errorf("attempt of twice@sink.test: text %q, want the rule's as it is", a.Reply.Text)
		}
	}

	evs, err := st.Events(context.Background(), events.Filter{Kinds: []string{events.SinkReply}})
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[int]string{}
	for _, e := range evs {
		var p struct {
			Code int    `json:"code"`
			By   string `json:"by"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		byCode[p.Code] += p.By + ";"
	}
	for code, by := range map[int]string{550: `sink.rules[1];profile gmail (domain gmail.test), rules[0];directive rcpt550;`, 451: `rule "twice then ok";`, 554: "sink.rules[2];"} {
		if byCode[code] != by {
			t.Errorf("sink.reply events of %d name %q, want %q", code, byCode[code], by)
		}
	}
}

// A greylisting rule's refusal and a drop name the rule as well; the
// sink's own refusals (a limit) name the limit.
func TestReplyOriginGreylistDropLimit(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Listeners[0].Limits.MaxRecipients = 2
		c.Rules = []Rule{
			{Name: "grey", Stage: "rcpt", Recipient: "pa@sink.test", Greylist: &GreylistRule{}},
			{Stage: "data", Recipient: "pb@sink.test", Drop: true},
		}
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(451, "4.7.1", "RCPT TO:<pa@sink.test>")
	c.expect(250, "", "RCPT TO:<pb@sink.test>")
	c.expect(250, "", "RCPT TO:<b@sink.test>")
	c.expect(452, "4.5.3", "RCPT TO:<pd@sink.test>")
	if code, _ := c.cmd("DATA"); code != 0 {
		t.Fatalf("DATA: got %d, want the connection dropped", code)
	}
	waitSessions(t, st, 1)
	want := map[string]string{
		"pa@sink.test": `rule "grey"`,
		"pb@sink.test": "sink.rules[1]",
		"b@sink.test":  "sink.rules[1]",
		"pd@sink.test": "limits.max_recipients",
	}
	attemptsBy(t, st, want)
}

// attemptsBy checks that the store holds one attempt per recipient of
// want, each naming what want says chose its reply, and returns them.
func attemptsBy(t *testing.T, st *store.Store, want map[string]string) []Attempt {
	t.Helper()
	all, err := AllAttempts(context.Background(), st.DB())
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(want) {
		t.Fatalf("attempts: %+v, want one for each of %v", all, want)
	}
	for _, a := range all {
		if a.By != want[a.Recipient] {
			t.Errorf("attempt of %s (%d %s): by %q, want %q", a.Recipient, a.Reply.Code, a.Reply.Text, a.By, want[a.Recipient])
		}
	}
	return all
}
