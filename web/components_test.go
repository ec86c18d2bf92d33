package web

import (
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

func componentServer(t *testing.T) (*testServer, *fakeRelay, *fakeSink) {
	t.Helper()
	relay, sink, probe := filledFakes()
	return startServer(t, Options{Relay: relay, Sink: sink, Probe: probe}), relay, sink
}

// TestEndpoints calls every endpoint that passes through to a component,
// with good and bad input.
func TestEndpoints(t *testing.T) {
	t.Parallel()
	ts, _, _ := componentServer(t)
	for _, tc := range []struct {
		method, path, body string
		want               int
		has                string // a substring of the body
	}{
		{"GET", "/api/v1/messages/evil-1", "", 200, `"id":"evil-1"`},
		{"GET", "/api/v1/messages/none", "", 404, `not found`},
		{"POST", "/api/v1/messages", `{"from":"a@example.org","to":["b@example.com"],"subject":"hi","text":"hello"}`, 202, `"id":"q1"`},
		{"POST", "/api/v1/messages", `{"from":"","to":["b@example.com"],"raw":"From: a@example.org\r\nDate: Mon, 2 Jan 2006 15:04:05 +0000\r\nSubject: x\r\n\r\nbody"}`, 202, `"id":`},
		{"POST", "/api/v1/messages", `{"from":"a@example.org","to":[]}`, 400, `at least one recipient`},
		{"POST", "/api/v1/messages", `{"from":"a@example.org","to":["not an address"]}`, 400, `to[0]`},
		{"POST", "/api/v1/messages", `{"from":"a@example.org","to":["b@example.com"],"raw":"x","subject":"y"}`, 400, `either raw`},
		{"POST", "/api/v1/messages", `{"from":"a@example.org","to":["b@example.com"],"headers":[{"name":"X-A\r\nBcc","value":"v"}]}`, 400, `headers[0]`},
		{"POST", "/api/v1/messages", `{"from":"a@example.org","to":["b@example.com"],"bogus":1}`, 400, `unknown field`},
		// A built field given again would be in the message twice.
		{"POST", "/api/v1/messages", `{"from":"a@example.org","to":["b@example.com"],"headers":[{"name":"X-Ok","value":"v"},{"name":"from","value":"c@example.org"}]}`, 400, `headers[1]: from is written from the from field`},
		{"POST", "/api/v1/messages", `{"from":"a@example.org","to":["b@example.com"],"headers":[{"name":"Date","value":"Mon, 2 Jan 2006 15:04:05 +0000"}]}`, 400, `send the whole message as raw`},
		{"POST", "/api/v1/messages", `{"from":`, 400, `not valid JSON`},
		{"POST", "/api/v1/messages", `{"from":"x@invalid.test","to":["b@example.com"]}`, 400, `refused by policy`},
		{"GET", "/api/v1/queue", "", 200, `"order-2"`},
		{"GET", "/api/v1/queue?limit=x", "", 400, `limit`},
		{"POST", "/api/v1/queue/order-2/retry", "", 202, `retry scheduled`},
		{"POST", "/api/v1/queue/nope/retry", "", 404, `not queued`},
		{"DELETE", "/api/v1/queue/nope", "", 404, `not queued`},
		// An attempt under way: not now, where it was a 500 (walk M).
		{"DELETE", "/api/v1/queue/busy", "", 409, `in flight to b@r.test`},
		// The store refused it: try again (503), not the message's fault
		// (it was a 400, walk O).
		{"POST", "/api/v1/messages", `{"from":"x@full.test","to":["b@example.com"],"subject":"hi","text":"hello"}`, 503, `disk is full`},
		{"GET", "/api/v1/suppressions", "", 200, `"address":"gone@example.com"`},
		{"DELETE", "/api/v1/suppressions/gone@example.com", "", 204, ``},
		{"GET", "/api/v1/suppressions", "", 200, `"suppressions":[]`},
		{"DELETE", "/api/v1/suppressions/nobody@example.com", "", 404, `not suppressed`},
		{"DELETE", "/api/v1/suppressions/not-an-address", "", 400, `bad address`},
		{"GET", "/api/v1/sink/sessions", "", 200, `"id":"s1"`},
		{"GET", "/api/v1/sink/sessions?listener=mx9", "", 200, `"sessions":[]`},
		{"GET", "/api/v1/sink/sessions?limit=-1", "", 400, `limit`},
		{"GET", "/api/v1/sink/sessions/s1", "", 200, `"transcript":[`},
		{"GET", "/api/v1/sink/sessions/s9", "", 404, `no session`},
		{"GET", "/api/v1/sink/messages/r1", "", 200, `"id":"r1"`},
		{"GET", "/api/v1/sink/messages/r9", "", 404, `no message`},
		{"GET", "/api/v1/sink/messages/r1/body.html", "", 200, `hello`},
		{"GET", "/api/v1/sink/rules", "", 200, `"yaml":"rules:`},
		{"PUT", "/api/v1/sink/rules", `{"yaml":"rules: []\n"}`, 200, `"yaml":"rules: []\n"`},
		{"PUT", "/api/v1/sink/rules", `{"yaml":"nonsense"}`, 400, `sink.yaml:1`},
		{"PUT", "/api/v1/sink/rules", `[1,2]`, 400, `not valid JSON`},
		{"GET", "/api/v1/probe/results", "", 200, `"dnsbl:zen.example"`},
		{"GET", "/api/v1/probe/history?target=192.0.2.10", "", 200, `"status":"ok"`},
		{"GET", "/api/v1/probe/history?limit=abc", "", 400, `limit`},
		{"GET", "/openapi.yaml", "", 200, `openapi: 3.1`},
		{"GET", "/api/v1/reports", "", 200, `"recipients"`},
		{"GET", "/api/v1/reports?format=csv", "", 200, ``},
		{"GET", "/api/v1/reports?format=html", "", 200, `<html`},
		{"GET", "/api/v1/reports?format=pdf", "", 400, `want one of`},
		{"GET", "/api/v1/reports/summary", "", 200, `"recipients":`},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			code, _, body := do(t, tc.method, ts.url+tc.path, tc.body)
			if code != tc.want || !strings.Contains(string(body), tc.has) {
				t.Fatalf("got %d %s\nwant %d with %q", code, body, tc.want, tc.has)
			}
			if code >= 400 {
				wantAPIError(t, body)
			}
		})
	}
	// Delete last: the queue test above lists order-2.
	if code, _, body := do(t, "DELETE", ts.url+"/api/v1/queue/order-2", ""); code != 204 {
		t.Fatalf("delete: %d %s", code, body)
	}
}

func TestBodyIsSandboxed(t *testing.T) {
	t.Parallel()
	ts, _, _ := componentServer(t)
	code, hdr, body := do(t, "GET", ts.url+"/api/v1/messages/evil-1/body.html", "")
	if code != 200 || !strings.Contains(string(body), "<script>") {
		t.Fatalf("got %d %q", code, body)
	}
	for k, want := range map[string]string{
		"Content-Security-Policy": bodyCSP,
		"Content-Type":            "text/html; charset=utf-8",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "SAMEORIGIN",
	} {
		if got := hdr.Get(k); got != want {
			t.Errorf("%s: got %q, want %q", k, got, want)
		}
	}
	if _, hdr, _ := do(t, "GET", ts.url+"/api/v1/reports?format=html", ""); hdr.Get("Content-Security-Policy") != bodyCSP {
		t.Errorf("HTML report CSP: %q", hdr.Get("Content-Security-Policy"))
	}
	_, hdr, _ = do(t, "GET", ts.url+"/", "")
	if got := hdr.Get("Content-Security-Policy"); got != pageCSP || !strings.Contains(got, "script-src 'self'") || strings.Contains(got, "unsafe") {
		t.Errorf("page CSP: %q", got)
	}
	if hdr.Get("X-Frame-Options") != "DENY" {
		t.Errorf("page X-Frame-Options: %q", hdr.Get("X-Frame-Options"))
	}
}

// TestComponentsMissing: without the sink, relay or probes, their
// endpoints say so with 503.
func TestComponentsMissing(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	for _, tc := range []struct{ method, path, who string }{
		{"GET", "/api/v1/messages/x", "relay"},
		{"GET", "/api/v1/messages/x/body.html", "relay"},
		{"POST", "/api/v1/messages", "relay"},
		{"GET", "/api/v1/queue", "relay"},
		{"POST", "/api/v1/queue/x/retry", "relay"},
		{"DELETE", "/api/v1/queue/x", "relay"},
		{"GET", "/api/v1/suppressions", "relay"},
		{"DELETE", "/api/v1/suppressions/a@b.c", "relay"},
		{"GET", "/api/v1/sink/sessions", "sink"},
		{"GET", "/api/v1/sink/sessions/x", "sink"},
		{"GET", "/api/v1/sink/messages/x", "sink"},
		{"GET", "/api/v1/sink/messages/x/body.html", "sink"},
		{"GET", "/api/v1/sink/rules", "sink"},
		{"PUT", "/api/v1/sink/rules", "sink"},
		{"GET", "/api/v1/probe/results", "probe"},
		{"GET", "/api/v1/probe/history", "probe"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			t.Parallel()
			code, _, body := do(t, tc.method, ts.url+tc.path, "")
			if code != http.StatusServiceUnavailable {
				t.Fatalf("got %d %s, want 503", code, body)
			}
			if e := wantAPIError(t, body); !strings.Contains(e.Error, tc.who+" is not running") {
				t.Fatalf("error %q does not name the %s", e.Error, tc.who)
			}
		})
	}
}

func TestTimelines(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	at := testEpoch
	appendEvents(t, ts.st,
		events.Event{Kind: events.RelayQueued, Time: at, Message: "m1", Recipient: "a@example.com"}.WithPayload(map[string]any{"sender": "s@example.org"}),
		events.Event{Kind: events.RelayQueued, Time: at, Message: "m1", Recipient: "b@example.com"}.WithPayload(map[string]any{"sender": "s@example.org"}),
		events.Event{Kind: events.RelayAttempt, Time: at.Add(time.Second), Message: "m1", Recipient: "a@example.com"},
		events.Event{Kind: events.RelayDeferred, Time: at.Add(time.Second), Message: "m1", Recipient: "a@example.com"},
		events.Event{Kind: events.RelayBounced, Time: at.Add(time.Second), Message: "m1", Recipient: "b@example.com"}.WithPayload(map[string]any{"category": "mailbox_unknown"}),
		events.Event{Kind: events.RelayDelivered, Time: at.Add(time.Minute), Message: "m1", Recipient: "a@example.com"},
		events.Event{Kind: events.RelayQueued, Time: at.Add(time.Minute), Message: "m2", Recipient: "a@example.com"}.WithPayload(map[string]any{"sender": "t@example.org"}),
	)
	var tl Timeline
	getJSON(t, ts.url+"/api/v1/messages/m1/timeline", &tl)
	if len(tl.Events) != 6 || len(tl.Recipients) != 2 {
		t.Fatalf("timeline: %d events, %d recipients; want 6 and 2", len(tl.Events), len(tl.Recipients))
	}
	for i, want := range []struct {
		rcpt, state string
		n           int
	}{{"a@example.com", "delivered", 4}, {"b@example.com", "bounced", 2}} {
		r := tl.Recipients[i]
		if r.Recipient != want.rcpt || r.State != want.state || len(r.Events) != want.n {
			t.Errorf("recipient %d: got %s %s with %d events, want %+v", i, r.Recipient, r.State, len(r.Events), want)
		}
	}
	var rt struct {
		Timelines []RecipientTimeline `json:"timelines"`
	}
	getJSON(t, ts.url+"/api/v1/recipients/a@example.com/timeline", &rt)
	if len(rt.Timelines) != 2 || rt.Timelines[0].Message != "m1" || rt.Timelines[0].State != "delivered" || rt.Timelines[1].State != "queued" {
		t.Fatalf("recipient timelines: %+v", rt.Timelines)
	}
	var ml struct {
		Messages []MessageSummary `json:"messages"`
	}
	getJSON(t, ts.url+"/api/v1/messages", &ml)
	if len(ml.Messages) != 2 || ml.Messages[0].ID != "m2" || ml.Messages[1].From != "s@example.org" ||
		ml.Messages[1].States["a@example.com"] != "delivered" || ml.Messages[1].States["b@example.com"] != "bounced" {
		t.Fatalf("messages: %+v", ml.Messages)
	}
	getJSON(t, ts.url+"/api/v1/messages?before="+itoa(ml.Messages[0].EventID), &ml)
	if len(ml.Messages) != 1 || ml.Messages[0].ID != "m1" {
		t.Fatalf("messages before m2: %+v", ml.Messages)
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{}) // virtual clock at testEpoch
	reply := func(code int) map[string]any { return map[string]any{"reply": map[string]any{"code": code}} }
	appendEvents(t, ts.st,
		events.Event{Kind: events.RelayDelivered, Time: testEpoch.Add(-90 * time.Second)},
		events.Event{Kind: events.RelayDelivered, Time: testEpoch.Add(-10 * time.Second)},
		events.Event{Kind: events.RelayDeferred, Time: testEpoch.Add(-10 * time.Second)},
		events.Event{Kind: events.RelayBounced, Time: testEpoch.Add(-5 * time.Second)}.WithPayload(map[string]any{"category": "spam"}),
		events.Event{Kind: events.RelayBounced, Time: testEpoch.Add(-2 * time.Hour)}.WithPayload(map[string]any{"category": "old"}),
		events.Event{Kind: events.RelayAttempt, Time: testEpoch.Add(-5 * time.Second)}.WithPayload(reply(550)),
		events.Event{Kind: events.SinkReply, Time: testEpoch.Add(-5 * time.Second)}.WithPayload(map[string]any{"code": 451, "stage": "rcpt"}),
	)
	var st Stats
	getJSON(t, ts.url+"/api/v1/stats?window=2m&buckets=2", &st)
	if st.BucketSeconds != 60 || len(st.Delivered) != 2 {
		t.Fatalf("buckets: %+v", st)
	}
	if st.Delivered[0] != 1 || st.Delivered[1] != 1 || st.Deferred[1] != 1 || st.Bounced[1] != 1 {
		t.Errorf("series: delivered %v deferred %v bounced %v", st.Delivered, st.Deferred, st.Bounced)
	}
	if st.BounceReasons["spam"] != 1 || st.BounceReasons["old"] != 0 { // reply codes: TestStatsRelayAndSinkApart
		t.Errorf("categories %v", st.BounceReasons)
	}
}

// TestStatsRelayAndSinkApart: the relay delivering to relaylab's own sink
// writes each refusal twice (the relay.attempt that got it, the sink.reply
// that gave it) and each success once (the sink logs no sink.reply for
// it). The stats count the relay's and the sink's replies apart, each
// once; before, one count of both made failures look twice as common as
// deliveries. The log is that of swaks sending defer2+you@ and
// rcpt550+gone@ through the relay (the 550's DSN delivered to the sink),
// and greylist@ straight to the sink.
func TestStatsRelayAndSinkApart(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	at := testEpoch.Add(-time.Minute)
	attempt := func(rcpt string, code int) events.Event {
		return events.Event{Kind: events.RelayAttempt, Time: at, Recipient: rcpt}.WithPayload(map[string]any{"path": "local-sink", "reply": map[string]any{"stage": "rcpt", "code": code}})
	}
	refusal := func(rcpt, stage string, code int) events.Event {
		return events.Event{Kind: events.SinkReply, Time: at, Recipient: rcpt}.WithPayload(map[string]any{"stage": stage, "code": code})
	}
	taken := func(rcpt string, code int) events.Event {
		return events.Event{Kind: events.SinkMessage, Time: at, Recipient: rcpt}.WithPayload(map[string]any{"to": []string{rcpt}, "code": code})
	}
	appendEvents(t, ts.st,
		attempt("defer2+you@example.test", 451), refusal("defer2+you@example.test", "rcpt", 451),
		attempt("rcpt550+gone@example.test", 550), refusal("rcpt550+gone@example.test", "rcpt", 550),
		taken("sender@example.test", 250), attempt("sender@example.test", 250), // the DSN
		refusal("greylist@example.test", "rcpt", 451), // straight to the sink
		attempt("defer2+you@example.test", 451), refusal("defer2+you@example.test", "rcpt", 451),
		taken("defer2+you@example.test", 250), attempt("defer2+you@example.test", 250),
		// A message refused after the dot is stored, and its refusal is a
		// sink.reply: one reply. A dropped one got no reply at all.
		attempt("dot552@example.test", 552), taken("dot552@example.test", 552), refusal("dot552@example.test", "data-end", 552),
		attempt("dotdrop@example.test", 0), taken("dotdrop@example.test", 0),
	)
	// Decoded by name, so that a server without the fields fails here
	// rather than the build.
	var st struct {
		Relay map[string]int `json:"relay_reply_codes"`
		Sink  map[string]int `json:"sink_reply_codes"`
	}
	getJSON(t, ts.url+"/api/v1/stats?window=1h&buckets=1", &st)
	wantRelay := map[string]int{"451": 2, "550": 1, "250": 2, "552": 1, "none": 1}
	wantSink := map[string]int{"451": 3, "550": 1, "250": 2, "552": 1}
	if !maps.Equal(st.Relay, wantRelay) {
		t.Errorf("relay_reply_codes %v, want %v: each relay attempt's reply once", st.Relay, wantRelay)
	}
	if !maps.Equal(st.Sink, wantSink) {
		t.Errorf("sink_reply_codes %v, want %v: each reply the sink gave once", st.Sink, wantSink)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	code, _, body := do(t, "GET", url, "")
	if code != 200 {
		t.Fatalf("GET %s: %d %s", url, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, body)
	}
}

// TestTimelineAsyncBounce: a DSN that comes back after the upstream took
// the message appends relay.bounced after relay.delivered. Every state the
// API gives follows the latest terminal event, as the reports do; a
// deferral after a terminal event changes nothing.
func TestTimelineAsyncBounce(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	at := testEpoch
	appendEvents(t, ts.st,
		events.Event{Kind: events.RelayQueued, Time: at, Message: "m1"}.WithPayload(map[string]any{"to": []string{"a@example.com", "b@example.com"}}),
		events.Event{Kind: events.RelayDelivered, Time: at.Add(time.Second), Message: "m1", Recipient: "a@example.com"},
		events.Event{Kind: events.RelayDelivered, Time: at.Add(time.Second), Message: "m1", Recipient: "b@example.com"},
		events.Event{Kind: events.RelayBounced, Time: at.Add(time.Hour), Message: "m1", Recipient: "a@example.com"}.WithPayload(map[string]any{"async": true, "previous_state": "delivered"}),
		events.Event{Kind: events.RelayDeferred, Time: at.Add(2 * time.Hour), Message: "m1", Recipient: "b@example.com"},
	)
	want := map[string]string{"a@example.com": "bounced", "b@example.com": "delivered"}
	var tl Timeline
	getJSON(t, ts.url+"/api/v1/messages/m1/timeline", &tl)
	for _, r := range tl.Recipients {
		if r.State != want[r.Recipient] {
			t.Errorf("message timeline: %s is %q, want %q", r.Recipient, r.State, want[r.Recipient])
		}
	}
	for addr, st := range want {
		var rt struct {
			Timelines []RecipientTimeline `json:"timelines"`
		}
		getJSON(t, ts.url+"/api/v1/recipients/"+addr+"/timeline", &rt)
		if len(rt.Timelines) != 1 || rt.Timelines[0].State != st {
			t.Errorf("recipient timeline of %s: %+v, want state %q", addr, rt.Timelines, st)
		}
	}
	var ml struct {
		Messages []MessageSummary `json:"messages"`
	}
	getJSON(t, ts.url+"/api/v1/messages", &ml)
	if len(ml.Messages) != 1 {
		t.Fatalf("messages: %+v", ml.Messages)
	}
	for addr, st := range want {
		if got := ml.Messages[0].States[addr]; got != st {
			t.Errorf("message list: %s is %q, want %q", addr, got, st)
		}
	}
}
