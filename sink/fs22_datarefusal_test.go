package sink

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// fs22Reply is the part of a sink.reply payload these tests read.
type fs22Reply struct {
	Stage      Stage    `json:"stage"`
	Code       int      `json:"code"`
	Attempt    int      `json:"attempt"`
	Recipient  string   `json:"recipient"`
	Recipients []string `json:"recipients"`
	By         string   `json:"by"`
}

// A refusal of the DATA command (a directive or a rule at stage data) is
// about the recipients accepted at RCPT: its sink.reply event names the
// recipient when there is one (the event's recipient, which a recipient's
// page and ?recipient= read) and lists them when there are several, as a
// refusal after the final dot (or of BDAT LAST) does; each recipient's
// attempt ends there. Before, the event named no one: it is written when
// the session ends, after go-smtp's reset (handleData's deferred reset,
// then Logout) has emptied the session's recipients, so the reply's
// record has to name them when the reply is given. A DATA refused for its
// syntax is about no recipient.
func TestFS22DataRefusalNamesItsRecipients(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Rules = []Rule{{Name: "closing", Stage: "data", Recipient: "*@ruled.test", Reply: "421 4.7.0 Not now: closing"}}
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	// One recipient, refused at DATA by its directive.
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<data554@sink.test>")
	c.expect(554, "5.7.1", "DATA")
	// Two: the refusal is about both.
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<b@sink.test>")
	c.expect(250, "", "RCPT TO:<data554@sink.test>")
	c.expect(554, "5.7.1", "DATA")
	// A DATA with an argument is refused for its syntax: about no one.
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<c@sink.test>")
	if code, msg := c.cmd("DATA now"); code < 500 {
		t.Fatalf("DATA now: got %d %q, want a syntax error", code, msg)
	}
	c.expect(250, "", "RSET")
	// BDAT LAST, refused by the data stage: after the message, for both.
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<e@sink.test>")
	c.expect(250, "", "RCPT TO:<data554@sink.test>")
	if code, msg := c.bdat("hello", true); code != 554 {
		t.Fatalf("BDAT LAST: got %d %q, want 554", code, msg)
	}
	// A rule's 421 at DATA, and the sink closes.
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<d@ruled.test>")
	c.expect(421, "Not now", "DATA")
	waitSessions(t, st, 1)

	ctx := context.Background()
	evs, err := st.Events(ctx, events.Filter{Kinds: []string{events.SinkReply}})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		rcpt string
		p    fs22Reply
	}{
		{"data554@sink.test", fs22Reply{Stage: StageData, Code: 554, Attempt: 1, Recipient: "data554@sink.test", By: "directive data554"}},
		{"", fs22Reply{Stage: StageData, Code: 554, Attempt: 1, Recipients: []string{"b@sink.test", "data554@sink.test"}, By: "directive data554"}},
		{"", fs22Reply{Stage: StageData, Code: 501}},
		{"", fs22Reply{Stage: StageDataEnd, Code: 554, Attempt: 1, Recipients: []string{"e@sink.test", "data554@sink.test"}, By: "directive data554"}},
		{"d@ruled.test", fs22Reply{Stage: StageData, Code: 421, Attempt: 1, Recipient: "d@ruled.test", By: `rule "closing"`}},
	}
	if len(evs) != len(want) {
		t.Fatalf("got %d sink.reply events, want %d (two DATA refusals, DATA's syntax error, BDAT LAST's refusal, the rule's 421): %+v", len(evs), len(want), evs)
	}
	for i, w := range want {
		var p fs22Reply
		if err := json.Unmarshal(evs[i].Payload, &p); err != nil {
			t.Fatalf("event %d: payload %s: %v", i, evs[i].Payload, err)
		}
		if w.p.Code == 501 {
			w.p.By = p.By // go-smtp's or the sink's own syntax reply: not the point
		}
		if evs[i].Recipient != w.rcpt || p.Stage != w.p.Stage || p.Code != w.p.Code || p.Attempt != w.p.Attempt ||
			p.Recipient != w.p.Recipient || !slices.Equal(p.Recipients, w.p.Recipients) || p.By != w.p.By {
			t.Errorf("event %d: recipient %q, payload %s;\nwant recipient %q and stage %s, code %d, attempt %d, recipient %q, recipients %q, by %q: the reply to DATA is about the recipients accepted at RCPT",
				i, evs[i].Recipient, evs[i].Payload, w.rcpt, w.p.Stage, w.p.Code, w.p.Attempt, w.p.Recipient, w.p.Recipients, w.p.By)
		}
	}
	// What a recipient's page and ?recipient= read: the log's events for
	// that recipient.
	for r, n := range map[string]int{"data554@sink.test": 3, "b@sink.test": 1, "e@sink.test": 1, "d@ruled.test": 1} {
		got, err := st.Events(ctx, events.Filter{Kinds: []string{events.SinkReply}, Recipient: r})
		if err != nil || len(got) != n {
			t.Errorf("sink.reply events for %s: %v %+v, want %d: its DATA refusals, those of several that list it too", r, err, got, n)
		}
	}
	// The attempts for a recipient (relaylab expect, reports, the API):
	// each ends at DATA with its refusal.
	for _, w := range []struct {
		rcpt   string
		stages []Stage
		codes  []int
		by     string
	}{
		{"b@sink.test", []Stage{StageData}, []int{554}, "directive data554"},
		{"data554@sink.test", []Stage{StageData, StageData, StageData}, []int{554, 554, 554}, "directive data554"},
		{"e@sink.test", []Stage{StageData}, []int{554}, "directive data554"},
		{"d@ruled.test", []Stage{StageData}, []int{421}, `rule "closing"`},
		{"c@sink.test", []Stage{StageRcpt}, []int{250}, ""},
	} {
		atts, err := Attempts(ctx, st.DB(), w.rcpt)
		if err != nil {
			t.Fatal(err)
		}
		var stages []Stage
		var codes []int
		for _, a := range atts {
			stages, codes = append(stages, a.Stage), append(codes, a.Reply.Code)
			if a.By != w.by {
				t.Errorf("attempt of %s: by %q, want %q", w.rcpt, a.By, w.by)
			}
		}
		if !slices.Equal(stages, w.stages) || !slices.Equal(codes, w.codes) {
			t.Errorf("attempts for %s: stages %v codes %v, want %v %v", w.rcpt, stages, codes, w.stages, w.codes)
		}
	}
}

// A reply's record lists at most maxReplyRcpts recipients and counts the
// others (a listener without limits.max_recipients takes any number, and
// a session keeps up to maxReplies records); a success lists none (it has
// no sink.reply event); and replies folded past maxReplies keep a list only
// when all of them had it.
func TestFS22ReplyRecipientsBounded(t *testing.T) {
	t.Parallel()
	rcpts := make([]rcptState, maxReplyRcpts+50)
	for i := range rcpts {
		rcpts[i] = rcptState{addr: string(rune('a'+i%26)) + "@sink.test", attempt: i + 1}
	}
	refused := replyRecord{Stage: StageData, Code: 554}
	refused.about(rcpts)
	if len(refused.Rcpts) != maxReplyRcpts || refused.MoreRcpts != 50 || refused.Attempt != 1 || refused.Rcpt != "" {
		t.Errorf("a refusal of %d recipients: %d listed, %d more, attempt %d, recipient %q; want %d listed, 50 more, the first's attempt 1, no one recipient",
			len(rcpts), len(refused.Rcpts), refused.MoreRcpts, refused.Attempt, refused.Rcpt, maxReplyRcpts)
	}
	ok := replyRecord{Stage: StageDataEnd, Code: 250}
	ok.about(rcpts[:2])
	if ok.Rcpts != nil || ok.Attempt != 1 {
		t.Errorf("a 250 for two recipients: recipients %q, attempt %d; want none listed, attempt 1", ok.Rcpts, ok.Attempt)
	}

	var f replyFold
	same := replyRecord{Stage: StageData, Code: 554, Rcpts: []string{"a@x.test", "b@x.test"}}
	other := replyRecord{Stage: StageData, Code: 554, Rcpts: []string{"a@x.test", "c@x.test"}}
	for _, rr := range []replyRecord{same, same, same} {
		f.add(rr)
	}
	if recs := f.records(); len(recs) != 2 || !slices.Equal(recs[0].Rcpts, same.Rcpts) {
		t.Errorf("folded refusals of the same recipients: %+v, want them listed", recs)
	}
	f.add(other)
	f.add(other)
	if recs := f.records(); len(recs) != 2 || recs[0].Rcpts != nil || recs[0].Count != 4 {
		t.Errorf("folded refusals of other recipients: %+v, want four folded, none listed", recs)
	}
}
