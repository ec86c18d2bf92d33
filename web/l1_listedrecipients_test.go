package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// l1Refusal is a sink.reply refusing the data of a transaction to rcpts,
// as the sink writes it for several: no recipient, the recipients listed.
func l1Refusal(at time.Time, rcpts ...string) events.Event {
	return events.Event{Kind: events.SinkReply, Time: at, Listener: "mx"}.
		WithPayload(map[string]any{"session": 1, "stage": "data", "code": 554, "enhanced": "5.7.1", "text": "no", "recipients": rcpts})
}

// l1Stored is a sink.message to rcpts, as the sink writes it (the
// recipient only when there is one), with its reply code after the final
// dot: 250, or a refusal (whose sink.reply follows).
func l1Stored(at time.Time, msgID string, code int, rcpts ...string) events.Event {
	e := events.Event{Kind: events.SinkMessage, Time: at, Message: msgID, Listener: "mx"}
	if len(rcpts) == 1 {
		e.Recipient = rcpts[0]
	}
	return e.WithPayload(map[string]any{"id": 1, "code": code, "to": rcpts})
}

// l1DataEnd is the sink.reply of a refusal after the final dot.
func l1DataEnd(at time.Time, code int, rcpts ...string) events.Event {
	e := events.Event{Kind: events.SinkReply, Time: at, Listener: "mx"}
	p := map[string]any{"session": 1, "stage": "data-end", "code": code}
	if len(rcpts) == 1 {
		e.Recipient = rcpts[0]
	} else {
		p["recipients"] = rcpts
	}
	return e.WithPayload(p)
}

// l1Kinds lists the kinds of evs.
func l1Kinds(evs []events.Event) string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return strings.Join(out, " ")
}

// l1Timelines reads rcpt's page, one "recipient message side state
// [kinds]" a timeline, joined by " | ".
func l1Timelines(t *testing.T, ts *testServer, rcpt string) string {
	t.Helper()
	var rt struct {
		Timelines []RecipientTimeline `json:"timelines"`
	}
	getJSON(t, ts.url+"/api/v1/recipients/"+rcpt+"/timeline", &rt)
	var got []string
	for _, x := range rt.Timelines {
		got = append(got, strings.Join(strings.Fields(x.Recipient+" "+x.Message+" "+x.Side+" "+x.State), " ")+" ["+l1Kinds(x.Events)+"]")
	}
	return strings.Join(got, " | ")
}

// TestL1RefusedAfterTheDotIsNotAccepted: a message the sink refuses after
// its final dot is stored first (its sink.message carries the refusal's
// code), then its sink.reply is logged: on a recipient's page that is one
// timeline, refused (or deferred), which a retry the sink takes joins;
// the message is not "accepted" with its refusal in a timeline of its
// own. Before, the stored message read as accepted whatever its code,
// and the refusal that followed started another timeline.
func TestL1RefusedAfterTheDotIsNotAccepted(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	sec := func(n int) time.Time { return testEpoch.Add(time.Duration(n) * time.Second) }
	appendEvents(t, ts.st,
		l1Stored(sec(0), "1@vm", 552, "dot552@x.test"), l1DataEnd(sec(0), 552, "dot552@x.test"),
		l1Stored(sec(1), "2@vm", 552, "e@x.test", "dot552@x.test"), l1DataEnd(sec(1), 552, "e@x.test", "dot552@x.test"),
		l1Stored(sec(2), "3@vm", 451, "f@x.test"), l1DataEnd(sec(2), 451, "f@x.test"),
		l1Stored(sec(3), "3@vm", 250, "f@x.test"),
	)
	for _, tc := range []struct{ rcpt, want string }{
		{"dot552@x.test", "dot552@x.test 1@vm sink refused [sink.message sink.reply] | dot552@x.test 2@vm sink refused [sink.message sink.reply]"},
		{"e@x.test", "e@x.test 2@vm sink refused [sink.message sink.reply]"},
		{"f@x.test", "f@x.test 3@vm sink accepted [sink.message sink.reply sink.message]"},
	} {
		if g := l1Timelines(t, ts, tc.rcpt); g != tc.want {
			t.Errorf("%s's sink timelines: %s\nwant %s: a message refused after its dot is one timeline with its refusal, not accepted", tc.rcpt, g, tc.want)
		}
	}
}

// TestL1ListedRecipientsFindTheirEvents: a refusal of a transaction's data
// with several recipients (a sink.reply that lists them and names none in
// its recipient key), and a message the sink took for several, are found
// by each recipient they list, whatever the case of its letters: by
// /api/v1/events?recipient=, on a recipient's page (in the sink's
// timeline of the address as the event spells it, where a refusal and the
// message that followed it are one timeline), and by the stream's
// recipient= filter, backlog and live alike. Before, ?recipient= and the
// recipient's page found them for no recipient (the refusal of DATA to
// b and C was in neither's timeline), and the stream sent them to no
// recipient's filter.
func TestL1ListedRecipientsFindTheirEvents(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	sec := func(n int) time.Time { return testEpoch.Add(time.Duration(n) * time.Second) }
	appendEvents(t, ts.st,
		l1Refusal(sec(0), "b@x.test", "C@x.test"),
		l1Stored(sec(1), "1@vm", 250, "b@x.test", "d@x.test"),
		sinkReplyEvent(sec(2), "c@x.test", 451),
		l1Refusal(sec(3), "e@x.test", "f@x.test"),
	)
	for _, tc := range []struct{ rcpt, want string }{
		{"b@x.test", "sink.reply sink.message"},
		{"B@X.TEST", "sink.reply sink.message"},
		{"c@x.test", "sink.reply sink.reply"},
		{"d@x.test", "sink.message"},
		{"f@x.test", "sink.reply"},
		{"g@x.test", ""},
	} {
		var page eventPage
		getJSON(t, ts.url+"/api/v1/events?recipient="+tc.rcpt, &page)
		if got := l1Kinds(page.Events); got != tc.want {
			t.Errorf("/api/v1/events?recipient=%s: kinds [%s], want [%s]: an event about several recipients is each one's", tc.rcpt, got, tc.want)
		}
	}
	for _, tc := range []struct{ rcpt, want string }{
		// The refusal, then the message that followed it: one timeline.
		{"b@x.test", "b@x.test 1@vm sink accepted [sink.reply sink.message]"},
		// As each event spells the address: C@ in the refusal, c@ in the 451.
		{"c@x.test", "c@x.test sink deferred [sink.reply] | C@x.test sink refused [sink.reply]"},
		{"f@x.test", "f@x.test sink refused [sink.reply]"},
	} {
		if g := l1Timelines(t, ts, tc.rcpt); g != tc.want {
			t.Errorf("%s's timelines: %s\nwant %s: an event about several recipients is in each one's, as the event spells it", tc.rcpt, g, tc.want)
		}
	}

	conn, _, err := dialStream(t, ts.url, "recipient=c@x.test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var got []string
	read := func(n int) {
		t.Helper()
		for len(got) < n {
			evs, err := readFrame(t, conn)
			if err != nil {
				t.Fatalf("the stream's recipient=c@x.test sent the events of %v, then nothing (%v); want %d: is an event listing c@x.test (any case) sent to it?", got, err, n)
			}
			for _, e := range evs {
				got = append(got, fmt.Sprint(e.Time.Sub(testEpoch)))
			}
		}
	}
	read(2) // the backlog: the refusal listing C@, the 451 to c@
	appendEvents(t, ts.st,
		l1Refusal(sec(10), "a@x.test", "b@x.test"), // not c's
		l1Stored(sec(11), "2@vm", 250, "b@x.test", "c@X.test"),
		sinkReplyEvent(sec(12), "C@x.test", 421),
	)
	read(4)
	if g := strings.Join(got, " "); g != "0s 2s 11s 12s" {
		t.Errorf("the stream's recipient=c@x.test sent the events of %s, want those of 0s 2s (backlog) 11s 12s (live): an event listing c, whatever its case, and none that does not", g)
	}
}

// TestL1ListedSpellingOnce: an event that lists two spellings of one
// address (a transaction to B@x and b@x, which a receiver may take as two
// mailboxes) is one event of the address's, not two: each spelling's
// query finds it.
func TestL1ListedSpellingOnce(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	appendEvents(t, ts.st, l1Refusal(testEpoch, "B@x.test", "b@x.test"))
	var page eventPage
	getJSON(t, ts.url+"/api/v1/events?recipient=b@x.test", &page)
	var ids []int64
	for _, e := range page.Events {
		ids = append(ids, e.ID)
	}
	if len(ids) != 1 {
		t.Errorf("/api/v1/events?recipient=b@x.test: events %v, want the refusal once: each spelling's query finds it, and readEvents keeps it once", ids)
	}
}

// TestL1SpellingsUseTheirIndexes: the spellings of an address are looked
// up in ranges of the index on the events' recipient column and of
// event_recipients' key, never by a scan of either.
func TestL1SpellingsUseTheirIndexes(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	q, args := spellingsQuery("Defer2+t1@example.test")
	plan, err := store.QueryPlan(context.Background(), st.DB(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"events_recipient (recipient>? AND recipient<?)", "event_recipients USING PRIMARY KEY (recipient>? AND recipient<?)"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan\n%s\nwant a search %s", plan, want)
		}
	}
	if strings.Contains(plan, "SCAN") {
		t.Errorf("plan\n%s\nwant no scan: each casing of the first letters bounds a range of each index", plan)
	}
}
