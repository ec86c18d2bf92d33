package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// l3SinkRecord is the sink's record of a store the relay wrote too: its
// attempts with their messages, its bounces, and a session count.
type l3SinkRecord struct {
	atts    []SinkMessageAttempt
	bounces []SinkBounce
}

func (f l3SinkRecord) AllAttempts(ctx context.Context) ([]SinkAttempt, error) {
	return WithoutMessages(f.atts), nil
}
func (f l3SinkRecord) AllMessageAttempts(context.Context) ([]SinkMessageAttempt, error) {
	return f.atts, nil
}
func (f l3SinkRecord) AllBounces(context.Context) ([]SinkBounce, error) { return f.bounces, nil }
func (f l3SinkRecord) SinkReplies(context.Context) ([]SinkReply, int, error) {
	return []SinkReply{{"connect", 220, 9}}, 9, nil
}

var (
	_ SinkRecord        = l3SinkRecord{}
	_ SinkMessageSource = l3SinkRecord{}
	_ SinkBounceSource  = l3SinkRecord{}
)

// l3ServeStore is a serve's store: the relay's record of five
// recipients, and the sink's of the relay's attempts and of mail other
// clients sent straight to it (one to an address the relay also sent
// to, with the same reply, between the relay's tries).
func l3ServeStore() (*Data, l3SinkRecord) {
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	lat := func(ms float64) *float64 { return &ms }
	d := &Data{SinkReplies: map[string]int{}, messageIDs: map[string]string{"m1": "a@shop.test", "m3": "p@shop.test"}}
	d.Recipients = []*Recipient{
		{Message: "m1", Address: "defer2+x@example.test", Status: "delivered", Queued: t0, Attempts: []Attempt{
			{Time: at(0), Try: 1, Stage: "rcpt", Code: 451, Latency: lat(5)},
			{Time: at(2 * time.Minute), Try: 2, Stage: "rcpt", Code: 451, Latency: lat(5)},
			{Time: at(4 * time.Minute), Try: 3, Stage: "dot", Code: 250, Latency: lat(5)}}},
		{Message: "m2", Address: "rcpt550@example.test", Status: "bounced", Queued: t0, Attempts: []Attempt{
			{Time: at(10 * time.Second), Try: 1, Stage: "rcpt", Code: 550, Enhanced: "5.1.1", Latency: lat(5)}}},
		{Message: "m3", Address: "plain@example.test", Status: "delivered", Queued: t0, Attempts: []Attempt{
			{Time: at(20 * time.Second), Try: 1, Stage: "dot", Code: 250, Latency: lat(5)}}},
		// The relay gave up waiting for the reply (5 min); the sink
		// recorded its reply a minute later, when its delay ended.
		{Message: "m4", Address: "delay6m@example.test", Status: "deferred", Queued: t0, Attempts: []Attempt{
			{Time: at(5 * time.Minute), Try: 1, Stage: "rcpt", Error: "rcpt: reading the reply: i/o timeout", Latency: lat(300000)}}},
	}
	sa := func(d time.Duration, sender, rcpt, stage string, code int, by string, session, msg int64, id string) SinkMessageAttempt {
		return SinkMessageAttempt{Message: msg, MessageID: id, SinkAttempt: SinkAttempt{Time: at(d), Listener: "mx", Client: "127.0.0.1:4000",
			Sender: sender, Recipient: rcpt, Stage: stage, Code: code, By: by, Session: session}}
	}
	rec := l3SinkRecord{atts: []SinkMessageAttempt{
		sa(-time.Millisecond, "app@shop.test", "defer2+x@example.test", "rcpt", 451, "directive defer2", 1, 0, ""),
		sa(10*time.Second-time.Millisecond, "app@shop.test", "rcpt550@example.test", "rcpt", 550, "directive rcpt550", 2, 0, ""),
		// Two messages to plain@ at once: the later is another
		// client's, whose Message-ID is not the relay's message's.
		sa(20*time.Second-2*time.Millisecond, "app@shop.test", "plain@example.test", "data-end", 250, "", 3, 3, "<p@shop.test>"),
		sa(20*time.Second-time.Millisecond, "other@app.test", "plain@example.test", "data-end", 250, "", 10, 7, "<q@app.test>"),
		sa(30*time.Second, "other@app.test", "greylist@example.test", "rcpt", 451, "directive greylist", 9, 0, ""),
		sa(time.Minute, "other@app.test", "defer2+x@example.test", "rcpt", 451, "directive defer2", 11, 0, ""),
		sa(2*time.Minute-time.Millisecond, "app@shop.test", "defer2+x@example.test", "rcpt", 451, "directive defer2", 5, 0, ""),
		sa(4*time.Minute-time.Millisecond, "app@shop.test", "defer2+x@example.test", "data-end", 250, "", 6, 4, "<a@shop.test>"),
		sa(6*time.Minute, "app@shop.test", "delay6m@example.test", "rcpt", 250, "", 4, 0, ""),
	}, bounces: []SinkBounce{
		// The sink's late bounce of the relay's message 4: the relay's
		// record has it, not the other client's record of the address.
		{Recipient: "defer2+x@example.test", Reply: "550 5.1.1 gone", Message: 4, Time: at(5 * time.Minute)},
	}}
	return d, rec
}

// TestL3RelayAttemptsCarryTheSinksRecord: on a store the relay and the
// sink both wrote (a serve's), each relay attempt the sink answered has
// what the sink recorded of it (what chose the reply, its session), in
// the text's timeline and the JSON; the sink's records of mail from
// other clients are listed apart, after the relay's recipients, and
// counted in the summary, in no other count. Before, the report dropped
// the sink's record of a relay's store but for its reply counts.
func TestL3RelayAttemptsCarryTheSinksRecord(t *testing.T) {
	t.Parallel()
	d, rec := l3ServeStore()
	if err := d.AddSinkRecord(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	type tie struct {
		by      string
		session int64
	}
	want := map[string][]tie{
		"defer2+x@example.test": {{"directive defer2", 1}, {"directive defer2", 5}, {"", 6}},
		"rcpt550@example.test":  {{"directive rcpt550", 2}},
		"plain@example.test":    {{"", 3}},
		"delay6m@example.test":  {{"", 4}},
	}
	for _, r := range d.Recipients {
		for i, a := range r.Attempts {
			if got := (tie{a.By, a.SinkSession}); got != want[r.Address][i] {
				t.Errorf("%s attempt %d: by %q, sink session %d; want %+v (the sink's record of that attempt)", r.Address, i+1, got.by, got.session, want[r.Address][i])
			}
		}
	}
	if d.FromSink || len(d.Recipients) != 4 {
		t.Fatalf("the relay's recipients were replaced or added to: from sink %v, %d recipients", d.FromSink, len(d.Recipients))
	}
	others := map[string]*Recipient{}
	for _, r := range d.OtherSenders {
		others[r.Address+" "+r.Message] = r
	}
	for _, k := range []string{"greylist@example.test ", "defer2+x@example.test ", "plain@example.test 7"} {
		if others[k] == nil {
			t.Errorf("no record of other senders for %q; have %v", k, others)
		}
	}
	if len(d.OtherSenders) != 3 {
		t.Errorf("%d records of other senders, want 3: %v", len(d.OtherSenders), others)
	}
	if r := others["defer2+x@example.test "]; r != nil && (r.DSN || r.LateBounce != nil || r.Status != "deferred") {
		t.Errorf("the other client's record of defer2+x took the sink's bounce of the relay's message: dsn %v, status %s", r.DSN, r.Status)
	}
	if s := Summarize(d); s.OtherSenders != 3 || s.Recipients != 4 || Get(s.ByStatus, "deferred") != 1 {
		t.Errorf("summary: %d other senders' records, %d recipients, %d deferred; want 3, 4 and 1 (the relay's alone)", s.OtherSenders, s.Recipients, Get(s.ByStatus, "deferred"))
	}

	var text bytes.Buffer
	if err := Write(&text, "text", d); err != nil {
		t.Fatal(err)
	}
	got := text.String()
	relayPart, otherPart, found := strings.Cut(got, "\nfrom other senders, as the sink saw them")
	if !found {
		t.Fatalf("the text has no section of other senders' records:\n%s", got)
	}
	for _, w := range []string{"\n  #2  +2m0s 451  (by directive defer2)\n", "\nother senders 3 records: the sink's records of mail that did not come from this store's relay"} {
		if !strings.Contains(regexp.MustCompile(` {3,}`).ReplaceAllString(relayPart, " "), w) {
			t.Errorf("the text's relay part lacks %q:\n%s", w, relayPart)
		}
	}
	for _, w := range []string{"\ngreylist@example.test (session 9): deferred", "(by directive greylist)", "nothing if the sender retries"} {
		if !strings.Contains(otherPart, w) {
			t.Errorf("the other senders' part lacks %q:\n%s", w, otherPart)
		}
	}
	var js struct {
		Summary      map[string]any
		Recipients   []struct{ Attempts []map[string]any }
		OtherSenders []struct{ Address string } `json:"other_senders"`
	}
	var b bytes.Buffer
	if err := Write(&b, "json", d); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	if js.Summary["other_senders"] != float64(3) || len(js.OtherSenders) != 3 || js.Recipients[0].Attempts[0]["sink_session"] == nil {
		t.Errorf("JSON: summary other_senders %v, %d other_senders, first attempt %v; want 3, 3 and its sink_session", js.Summary["other_senders"], len(js.OtherSenders), js.Recipients[0].Attempts[0])
	}
	for _, f := range []string{"markdown", "html", "junit"} {
		var b bytes.Buffer
		if err := Write(&b, f, d); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "3 records from other senders: ") {
			t.Errorf("%s: no count of the other senders' records:\n%s", f, b.String())
		}
	}
}

// TestL3NoOtherSendersWithoutThem: a store whose sink saw the relay's
// mail alone (a replay's) gets no other senders' records, no line or
// key for them, and no change to the relay's recipients but the ties.
func TestL3NoOtherSendersWithoutThem(t *testing.T) {
	t.Parallel()
	d, rec := l3ServeStore()
	var own []SinkMessageAttempt
	for _, a := range rec.atts {
		if a.Sender == "app@shop.test" {
			own = append(own, a)
		}
	}
	rec.atts = own
	if err := d.AddSinkRecord(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if len(d.OtherSenders) != 0 {
		t.Errorf("records of other senders where there are none: %+v", d.OtherSenders)
	}
	for _, f := range Formats {
		var b bytes.Buffer
		if err := Write(&b, f, d); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "other senders") || strings.Contains(b.String(), "other_senders") {
			t.Errorf("%s speaks of other senders where there are none:\n%s", f, b.String())
		}
	}
}
