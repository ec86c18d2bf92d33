package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// logOf builds an event log: each add is one event at t0 plus min
// minutes.
type logOf struct {
	t *testing.T
	l fakeLog
}

func (b *logOf) add(min int, kind, msg, rcpt string, p map[string]any) {
	e := events.Event{ID: int64(len(b.l) + 1), Time: t0.Add(time.Duration(min) * time.Minute), Kind: kind, Message: msg, Recipient: rcpt, Path: "sink"}
	if p != nil {
		e = e.WithPayload(p)
	}
	b.l = append(b.l, e)
}

func (b *logOf) load() *Data {
	b.t.Helper()
	d, err := Load(context.Background(), b.l)
	if err != nil {
		b.t.Fatal(err)
	}
	return d
}

func rep(stage string, code int, enh, text string) map[string]any {
	return map[string]any{"stage": stage, "code": code, "enhanced": enh, "text": text}
}

// TestLateBounceInTimeline: a bounce that came after delivery (the
// relay.bounced with async: true) is a line of the timeline with its
// reply, enhanced code and time, and is in the JSON; the timeline's only
// line was the 250. A late bounce the relay relayed on to the sender (the
// relay.queued of the DSN carries bounce_for) is the DSN the sender got
// once that DSN is delivered: dsn: sent and dsn_status judge it; they
// said no DSN was sent. The
// last_code a bounced recipient's 250 fails says that the bounce came
// later, and what judges it.
func TestLateBounceInTimeline(t *testing.T) {
	t.Parallel()
	b := &logOf{t: t}
	b.add(0, events.RelayQueued, "m1", "late@x.test", nil)
	b.add(0, events.RelayAttempt, "m1", "late@x.test", map[string]any{"attempt": 1, "path": "sink", "host": "127.0.0.1",
		"reply": rep("dot", 250, "2.0.0", "Message accepted as 1")})
	b.add(0, events.RelayDelivered, "m1", "late@x.test", nil)
	b.add(2, events.RelayBounced, "m1", "late@x.test", map[string]any{"async": true, "previous_state": "delivered",
		"reply": rep("async", 550, "5.1.1", "The mailbox does not exist"), "category": "invalid-recipient",
		"reason": "the mailbox does not exist", "reporting_mta": "mx.x.test"})
	b.add(2, events.RelayQueued, "b1", "shop@shop.test", map[string]any{"sender": "", "bounce_for": "m1"})
	b.add(2, events.RelayAttempt, "b1", "shop@shop.test", map[string]any{"attempt": 1, "path": "sink", "host": "127.0.0.1",
		"reply": rep("dot", 250, "2.0.0", "Message accepted as 2")})
	b.add(2, events.RelayDelivered, "b1", "shop@shop.test", nil)
	d := b.load()
	r := d.Recipients[0]
	if r.Address != "late@x.test" || r.Status != "bounced" || r.LateBounce == nil || !r.DSN || r.DSNStatus != "5.1.1" {
		t.Fatalf("got %+v (late bounce %+v), want bounced with the late bounce and a DSN of 5.1.1", r, r.LateBounce)
	}
	var tl strings.Builder
	WriteTimeline(&tl, r)
	want := "  DSN +2m0s                    mx.x.test                late bounce after delivery: 550 5.1.1 The mailbox does not exist  (invalid-recipient)\n"
	if !strings.Contains(tl.String(), want) {
		t.Errorf("timeline lacks the late bounce %q:\n%s", want, tl.String())
	}
	js, _ := json.Marshal(r)
	if !strings.Contains(string(js), `"late_bounce":{"time":"2026-05-01T09:02:00Z","code":550,"enhanced":"5.1.1"`) {
		t.Errorf("JSON lacks the late bounce: %s", js)
	}
	x := &Expectations{Recipients: []RecipientExpectation{{Match: "late@x.test", Status: "bounced", DSN: "sent", DSNStatus: "5.1.1", LastCode: "5xx"}}}
	res := Evaluate(d, *x)
	if len(res) != 1 || res[0].Pass {
		t.Fatalf("got %+v, want last_code 5xx to fail on the 250", res)
	}
	msg := res[0].Message
	for _, w := range []string{`expected the last reply to be 5xx, got "250 2.0.0 Message accepted as 1" (the last attempt's reply, which took the message; the late bounce 2m0s later reported "550 5.1.1 The mailbox does not exist"`} {
		if !strings.Contains(msg, w) {
			t.Errorf("message lacks %q:\n%s", w, msg)
		}
	}
	if strings.Contains(msg, "DSN") && strings.Contains(msg, "expected a DSN") {
		t.Errorf("dsn fails although the bounce was relayed on:\n%s", msg)
	}
}

// TestDeliveredCategoryIsTheLastReplys: a recipient deferred with 421 and
// then held while its destination rested (another message's 421) is
// delivered with the 421's category, not the hold's; the holds are lines
// of the timeline (folded when in a row). It said destination-backoff,
// with the reason "nothing was sent to this recipient", and showed no
// hold. One only held keeps the hold's category, with a reason that says
// it was held before it was sent.
func TestDeliveredCategoryIsTheLastReplys(t *testing.T) {
	t.Parallel()
	b := &logOf{t: t}
	held := func(min int, rcpt string) {
		b.add(min, events.RelayDeferred, "m1", rcpt, map[string]any{"category": "destination-backoff",
			"reason": "nothing was sent to this recipient; its destination answered another message with a 421",
			"reply":  rep("shaping", 0, "", "not tried: destination path:sink rests until 2026-01-05T09:30:00Z after a 421 or rate limit")})
	}
	b.add(0, events.RelayQueued, "m1", "r1@x.test", nil)
	b.add(0, events.RelayAttempt, "m1", "r1@x.test", map[string]any{"attempt": 1, "path": "sink", "host": "127.0.0.1", "reply": rep("rcpt", 421, "4.7.0", "[TSS04] deferred")})
	b.add(0, events.RelayDeferred, "m1", "r1@x.test", map[string]any{"category": "rate-limited", "reason": "the receiver is throttling us", "reply": rep("rcpt", 421, "4.7.0", "[TSS04] deferred")})
	held(15, "r1@x.test")
	held(20, "r1@x.test")
	b.add(30, events.RelayAttempt, "m1", "r1@x.test", map[string]any{"attempt": 2, "path": "sink", "host": "127.0.0.1", "reply": rep("dot", 250, "2.0.0", "ok")})
	b.add(30, events.RelayDelivered, "m1", "r1@x.test", nil)
	b.add(0, events.RelayQueued, "m1", "r2@x.test", nil)
	held(1, "r2@x.test")
	b.add(31, events.RelayAttempt, "m1", "r2@x.test", map[string]any{"attempt": 1, "path": "sink", "host": "127.0.0.1", "reply": rep("dot", 250, "2.0.0", "ok")})
	b.add(31, events.RelayDelivered, "m1", "r2@x.test", nil)
	d := b.load()
	r1, r2 := d.Recipients[0], d.Recipients[1]
	if r1.Category != "rate-limited" || r1.Reason != "the receiver is throttling us" {
		t.Errorf("r1: category %q, reason %q; want the 421's", r1.Category, r1.Reason)
	}
	if r2.Category != "destination-backoff" || strings.Contains(r2.Reason, "nothing was sent") || !strings.Contains(r2.Reason, "held it back before it was sent") {
		t.Errorf("r2: category %q, reason %q; want the hold's category, and a reason that says it was held", r2.Category, r2.Reason)
	}
	var tl strings.Builder
	WriteTimeline(&tl, r1)
	want := "  #1  +0s         sink         127.0.0.1                421 4.7.0 [TSS04] deferred\n" +
		"  held +20m0s     sink         (the relay's shaping)    not tried: destination path:sink rests until 2026-01-05T09:30:00Z after a 421 or rate limit  (destination-backoff)  (2 times from +15m0s to +20m0s; the last shown)\n" +
		"  #2  +30m0s      sink         127.0.0.1                250 2.0.0 ok\n"
	if tl.String() != want {
		t.Errorf("timeline:\n%s\nwant:\n%s", tl.String(), want)
	}
	res := Evaluate(d, Expectations{Recipients: []RecipientExpectation{{Match: "r1@x.test", Status: "delivered", Category: "rate-limited"}}})
	if !res[0].Pass {
		t.Errorf("category rate-limited fails: %s", res[0].Message)
	}
}

// TestTimelineFoldsRepeats: an expired recipient whose every try got the
// same 452 shows the run as one line with its count, so that the
// outcome is not buried under a hundred lines; the JSON keeps them all.
func TestTimelineFoldsRepeats(t *testing.T) {
	t.Parallel()
	r := &Recipient{Address: "full@x.test", Status: "expired", Queued: t0}
	r.Attempts = append(r.Attempts, Attempt{Time: t0, Try: 1, Path: "sink", Host: "127.0.0.1", Code: 421, Enhanced: "4.3.2", Text: "busy"})
	for i := 2; i <= 110; i++ {
		r.Attempts = append(r.Attempts, Attempt{Time: t0.Add(time.Duration(i) * time.Hour), Try: i, Path: "sink", Host: "127.0.0.1", Code: 452, Enhanced: "4.2.2", Text: "mailbox full"})
	}
	r.Attempts = append(r.Attempts, Attempt{Time: t0.Add(111 * time.Hour), Try: 111, Path: "sink", Host: "127.0.0.1", Code: 451, Enhanced: "4.3.0", Text: "later"})
	var b bytes.Buffer
	WriteTimeline(&b, r)
	want := "  #1  +0s         sink         127.0.0.1                421 4.3.2 busy\n" +
		"  #2-#110 +2h0m0s ... +110h0m0s sink 127.0.0.1 452 4.2.2 mailbox full  (109 times)\n" +
		"  #111 +111h0m0s  sink         127.0.0.1                451 4.3.0 later\n"
	if b.String() != want {
		t.Errorf("timeline:\n%s\nwant:\n%s", b.String(), want)
	}
	js, _ := json.Marshal(r)
	if n := strings.Count(string(js), `"code":452`); n != 109 {
		t.Errorf("JSON has %d attempts with 452, want all 109", n)
	}
}

// TestHTMLShowsHoldsAndLateBounce: the HTML report's timeline of a
// recipient lists its holds and its late bounce, as the text does; it
// listed the attempts alone.
func TestHTMLShowsHoldsAndLateBounce(t *testing.T) {
	t.Parallel()
	r := &Recipient{Address: "a@x.test", Status: "bounced", Queued: t0,
		Attempts:   []Attempt{{Time: t0, Try: 1, Path: "sink", Host: "127.0.0.1", Code: 250, Enhanced: "2.0.0", Text: "ok"}},
		Holds:      []Hold{{Time: t0.Add(time.Minute), Path: "sink", Text: "not tried: destination path:sink rests", Category: "destination-backoff"}},
		LateBounce: &LateBounce{Time: t0.Add(2 * time.Minute), Code: 550, Enhanced: "5.1.1", Text: "no such user", ReportingMTA: "mx.x.test"}}
	var b bytes.Buffer
	if err := WriteHTML(&b, &Data{First: t0, Last: t0.Add(2 * time.Minute), Recipients: []*Recipient{r}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"held &#43;1m0s sink (the relay&#39;s shaping) not tried: destination path:sink rests (destination-backoff)", "DSN &#43;2m0s mx.x.test late bounce after delivery: 550 5.1.1 no such user"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the HTML lacks %q", want)
		}
	}
}

// TestHTMLTimelineFollowsText: the HTML timeline has the text's lines in
// the text's order: holds between the attempts they came between, and
// holds in a row folded with their count. It listed every hold, one line
// each, after all the attempts.
func TestHTMLTimelineFollowsText(t *testing.T) {
	t.Parallel()
	r := &Recipient{Address: "a@x.test", Status: "delivered", Queued: t0,
		Attempts: []Attempt{{Time: t0, Try: 1, Path: "sink", Host: "127.0.0.1", Code: 421, Enhanced: "4.7.0", Text: "slow down"},
			{Time: t0.Add(30 * time.Minute), Try: 2, Path: "sink", Host: "127.0.0.1", Code: 250, Enhanced: "2.0.0", Text: "ok"}}}
	for _, m := range []int{5, 10, 20} {
		r.Holds = append(r.Holds, Hold{Time: t0.Add(time.Duration(m) * time.Minute), Path: "sink", Text: "not tried: rests", Category: "destination-backoff"})
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, &Data{First: t0, Last: t0.Add(30 * time.Minute), Recipients: []*Recipient{r}}); err != nil {
		t.Fatal(err)
	}
	h := strings.ReplaceAll(strings.ReplaceAll(b.String(), "&#43;", "+"), "&#39;", "'")
	want := []string{"<code>#1 +0s sink 127.0.0.1 421 4.7.0 slow down</code>",
		"<code>held +20m0s sink (the relay's shaping) not tried: rests (destination-backoff) (3 times from +5m0s to +20m0s; the last shown)</code>",
		"<code>#2 +30m0s sink 127.0.0.1 250 2.0.0 ok</code>"}
	last := -1
	for _, w := range want {
		i := strings.Index(h, w)
		if i < 0 {
			t.Fatalf("the HTML lacks %q:\n%s", w, h)
		}
		if i < last {
			t.Errorf("%q is out of time order", w)
		}
		last = i
	}
	if n := strings.Count(h, "not tried: rests"); n != 1 {
		t.Errorf("the HTML shows %d holds, want the 3 folded into 1", n)
	}
}

// TestHeldLineAligned: a hold's line has its path, host and text in the
// attempts' columns; "held" pushed them one column right.
func TestHeldLineAligned(t *testing.T) {
	t.Parallel()
	r := &Recipient{Address: "a@x.test", Status: "deferred", Queued: t0,
		Attempts: []Attempt{{Time: t0, Try: 1, Path: "sink", Host: "127.0.0.1", Code: 451, Text: "later"}},
		Holds:    []Hold{{Time: t0.Add(time.Minute), Path: "sink", Text: "not tried"}}}
	var b bytes.Buffer
	WriteTimeline(&b, r)
	lines := strings.Split(b.String(), "\n")
	if len(lines) < 2 || strings.Index(lines[0], "sink") != strings.Index(lines[1], "sink") || strings.Index(lines[0], "451") != strings.Index(lines[1], "not tried") {
		t.Errorf("columns do not line up:\n%s", b.String())
	}
}

// TestTriedThenHeldKeepsItsWhy: a recipient deferred by its own 451 and
// then held while its destination rests (another message's 421) keeps
// the 451's category and reason, with the hold told beside them; it read
// "destination-backoff: nothing was sent to this recipient" under a
// timeline whose first line was the 451 sent to it.
func TestTriedThenHeldKeepsItsWhy(t *testing.T) {
	t.Parallel()
	b := &logOf{t: t}
	b.add(0, events.RelayQueued, "m1", "d@x.test", nil)
	b.add(0, events.RelayAttempt, "m1", "d@x.test", map[string]any{"attempt": 1, "path": "sink", "host": "127.0.0.1", "reply": rep("rcpt", 451, "4.7.1", "Deferred on request")})
	b.add(0, events.RelayDeferred, "m1", "d@x.test", map[string]any{"category": "policy", "reason": "the receiver's policy defers the message for now", "advice": "wait",
		"reply": rep("rcpt", 451, "4.7.1", "Deferred on request")})
	b.add(1, events.RelayDeferred, "m1", "d@x.test", map[string]any{"category": "destination-backoff",
		"reason": "nothing was sent to this recipient; its destination answered another message with a 421", "next_attempt": t0.Add(11 * time.Minute),
		"reply": rep("shaping", 0, "", "not tried: destination path:sink rests until 2026-05-01T09:11:00Z after 421 4.7.0 busy to o@x.test (message m2)")})
	d := b.load()
	r := d.Recipients[0]
	reason, _ := r.why()
	if r.Category != "policy" || !strings.HasPrefix(reason, "the receiver's policy defers the message for now; now held by the relay's shaping until 2026-05-01T09:11:00Z (destination-backoff): not tried") {
		t.Errorf("category %q, why %q; want the 451's, with the hold beside it", r.Category, reason)
	}
	var text bytes.Buffer
	if err := WriteText(&text, d); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "nothing was sent") || !strings.Contains(text.String(), "d@x.test (message m1): deferred, policy\n") {
		t.Errorf("text:\n%s", text.String())
	}
}

// TestReplayStoreOrderAndNames: on a replay's store (replay --db), where
// many messages are queued at one virtual instant, recipients come in the
// scenario's order of messages, not by the random queue id, and each
// names its message as the verdicts do ("msg-2"), beside its queue id.
func TestReplayStoreOrderAndNames(t *testing.T) {
	t.Parallel()
	b := &logOf{t: t}
	for i, id := range []string{"zq", "ab", "mm"} { // queue ids against the scenario's order
		b.add(0, events.RelayQueued, id, "r@x.test", map[string]any{"message_id": ScenarioMessageID("", i+1, 1767600000000000000)})
	}
	d := b.load()
	var got []string
	for _, r := range d.Recipients {
		got = append(got, r.label())
	}
	want := "r@x.test (message msg-1 (queue id zq)), r@x.test (message msg-2 (queue id ab)), r@x.test (message msg-3 (queue id mm))"
	if strings.Join(got, ", ") != want {
		t.Errorf("order and names:\n%s\nwant:\n%s", strings.Join(got, ", "), want)
	}
	if js, _ := json.Marshal(d.Recipients[0]); !strings.Contains(string(js), `"message":"zq","scenario_message":"msg-1"`) {
		t.Errorf("json: %s", js)
	}
}

// TestNoDSNSaysNotifyNever: a failed dsn: sent of a recipient queued with
// NOTIFY=NEVER says that NOTIFY is why none was sent; it said "none was".
func TestNoDSNSaysNotifyNever(t *testing.T) {
	t.Parallel()
	b := &logOf{t: t}
	b.add(0, events.RelayQueued, "m1", "n@x.test", map[string]any{"notify": "NEVER"})
	b.add(0, events.RelayAttempt, "m1", "n@x.test", map[string]any{"attempt": 1, "path": "sink", "host": "127.0.0.1", "reply": rep("rcpt", 550, "5.1.1", "no such user")})
	b.add(0, events.RelayBounced, "m1", "n@x.test", map[string]any{"category": "invalid-recipient"})
	res := Evaluate(b.load(), Expectations{Recipients: []RecipientExpectation{{Match: "n@x.test", DSN: "sent"}}})
	if res[0].Pass || !strings.Contains(res[0].Message, "expected a DSN to be sent, none was: the recipient was queued with NOTIFY=NEVER (notify: [NEVER]), which asks that no DSN be sent") {
		t.Errorf("got %+v", res[0])
	}
}

// TestReplyOfSeveralLinesInTimeline: a reply of several lines (the sink's
// rules and big receivers send them; the relay keeps their lines apart
// with "\n") goes on under its first line's text in the text timeline,
// where the second line started at column 0, and the HTML report keeps
// its line breaks.
func TestReplyOfSeveralLinesInTimeline(t *testing.T) {
	t.Parallel()
	b := &logOf{t: t}
	b.add(0, events.RelayQueued, "m1", "gone@x.test", nil)
	b.add(0, events.RelayAttempt, "m1", "gone@x.test", map[string]any{"attempt": 1, "path": "sink", "host": "127.0.0.1",
		"reply": rep("rcpt", 550, "5.7.1", "first line\nsecond line")})
	b.add(0, events.RelayBounced, "m1", "gone@x.test", map[string]any{"category": "policy", "reason": "refused"})
	d := b.load()
	var text bytes.Buffer
	WriteTimeline(&text, d.Recipients[0])
	lines := strings.Split(strings.TrimRight(text.String(), "\n"), "\n")
	var first, second int
	for i, l := range lines {
		if strings.Contains(l, "first line") {
			first = strings.Index(l, "first line")
			if i+1 < len(lines) {
				second = strings.Index(lines[i+1], "second line")
			}
		}
	}
	if first <= 0 || second != first-len("550 5.7.1 ") {
		t.Errorf("second line not under the first's text:\n%s", text.String())
	}
	var html bytes.Buffer
	if err := WriteHTML(&html, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), "code{white-space:pre-line}") || !strings.Contains(html.String(), "first line\nsecond line") {
		t.Errorf("the HTML report does not keep the reply's line break")
	}
}
