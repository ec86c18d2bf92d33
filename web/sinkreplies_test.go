package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// countingSink is a sink that counts its replies and lists its attempts.
type countingSink struct {
	*fakeSink
	tally    SinkReplyTally
	attempts []SinkAttempt
}

var (
	_ SinkRepliesAPI  = countingSink{}
	_ SinkAttemptsAPI = countingSink{}
)

func (c countingSink) Replies(context.Context) (SinkReplyTally, error) { return c.tally, nil }

func (c countingSink) Attempts(context.Context) ([]SinkAttempt, error) { return c.attempts, nil }

// refusalLog is a log with one sink.reply event, a refusal, as a sink
// writes it, and its session.
func refusalLog() []events.Event {
	return []events.Event{
		{Time: testEpoch, Kind: events.SinkReply, Recipient: "550@x.test", Listener: "mx", Payload: json.RawMessage(`{"session":1,"stage":"rcpt","code":550}`)},
		{Time: testEpoch, Kind: events.SinkSession, Listener: "mx", Payload: json.RawMessage(`{}`)},
	}
}

// TestReportCountsEverySinkReply: the web's reports count every reply the
// sink gave, the successes too, and on a store without relay mail show
// the recipients as the sink saw them, as relaylab report --db does;
// before, they counted the refusals of the log alone.
func TestReportCountsEverySinkReply(t *testing.T) {
	t.Parallel()
	snk := countingSink{
		fakeSink: newFakeSink(),
		tally: SinkReplyTally{Sessions: 2, Counts: []SinkReplyCount{
			{"connect", 220, 2}, {"data-end", 250, 1}, {"rcpt", 250, 1}, {"rcpt", 550, 1},
		}},
		attempts: []SinkAttempt{
			{Time: testEpoch, Listener: "mx", Client: "127.0.0.1", Recipient: "app@x.test", Stage: "data-end", Code: 250, Enhanced: "2.0.0"},
			{Time: testEpoch, Listener: "mx", Client: "127.0.0.1", Recipient: "550@x.test", Stage: "rcpt", Code: 550, Enhanced: "5.1.1"},
		},
	}
	ts := startServer(t, Options{Sink: snk})
	appendEvents(t, ts.st, refusalLog()...)

	code, _, body := do(t, "GET", ts.url+"/api/v1/reports/summary", "")
	if code != 200 {
		t.Fatalf("summary: %d %s", code, body)
	}
	var s struct {
		Recipients  int `json:"recipients"`
		SinkReplies []struct {
			Key   string `json:"key"`
			Count int    `json:"count"`
		} `json:"sink_replies"`
		ByPath []struct {
			Key string `json:"key"`
		} `json:"by_path"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, c := range s.SinkReplies {
		got[c.Key] = c.Count
	}
	for k, n := range map[string]int{"connect 220": 2, "data-end 250": 1, "rcpt 250": 1, "rcpt 550": 1} {
		if got[k] != n {
			t.Errorf("summary: %s counted %d, want %d (all: %v)", k, got[k], n, got)
		}
	}
	if s.Recipients != 2 || len(s.ByPath) != 1 || s.ByPath[0].Key != "mx" {
		t.Errorf("summary: %d recipients, by path %v; want the sink's 2, on mx", s.Recipients, s.ByPath)
	}

	code, _, body = do(t, "GET", ts.url+"/api/v1/reports?format=text", "")
	text := strings.Join(strings.Fields(string(body)), " ")
	for _, want := range []string{"data-end 250 1", "connect 220 2", "as the sink saw them"} {
		if code != 200 || !strings.Contains(text, want) {
			t.Errorf("text report (%d) lacks %q:\n%s", code, want, body)
		}
	}
}

// TestReportSinkWithoutReplyCounts: a sink that cannot count its replies
// leaves the log's refusals as they were.
func TestReportSinkWithoutReplyCounts(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{Sink: newFakeSink()})
	appendEvents(t, ts.st, refusalLog()...)
	code, _, body := do(t, "GET", ts.url+"/api/v1/reports/summary", "")
	if code != 200 || !strings.Contains(string(body), `"sink_replies":[{"key":"rcpt 550","count":1}]`) || !strings.Contains(string(body), `"recipients":0`) {
		t.Errorf("summary: %d %s", code, body)
	}
}
