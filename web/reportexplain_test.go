package web

import (
	"context"
	"strings"
	"testing"
	"time"
)

// reportSink is a sink that counts its replies, lists its attempts and
// explains its refusals with a rule of its own.
type reportSink struct{ *attemptsSink }

func (reportSink) Replies(context.Context) (SinkReplyTally, error) {
	return SinkReplyTally{Sessions: 1, Counts: []SinkReplyCount{{Stage: "rcpt", Code: 550, Count: 1}}}, nil
}

func (reportSink) ExplainReply(stage string, code int, enhanced, text string) (Explanation, bool) {
	return Explanation{Category: "our-own", Reason: "the list has a dead address", Advice: "remove it"}, code >= 400
}

// TestReportExplainsSinkRepliesAsThePages: the report of a store the sink
// alone wrote explains its refusals as the sink's pages do (serve's sink
// adapter, with the relay's classify rules first), not with the built-in
// table alone.
func TestReportExplainsSinkRepliesAsThePages(t *testing.T) {
	t.Parallel()
	sk := &attemptsSink{fakeSink: newFakeSink()}
	sk.attempts = append(sk.attempts, PagedAttempt{ID: 1, SinkAttempt: SinkAttempt{Time: time.Unix(1700000000, 0), Recipient: "gone@example.test",
		Sender: "app@shop.test", Stage: "rcpt", Code: 550, Enhanced: "5.1.1", Text: "no such user", Session: 1}})
	ts := startServer(t, Options{Sink: reportSink{sk}})
	code, _, body := do(t, "GET", ts.url+"/api/v1/reports", "")
	if code != 200 || !strings.Contains(string(body), `"category": "our-own"`) || !strings.Contains(string(body), `"advice": "remove it"`) {
		t.Errorf("report: %d %s", code, body)
	}
}

// deferringSink is a sink whose record holds one deferral and counts
// its replies.
type deferringSink struct{ *attemptsSink }

func (deferringSink) Replies(context.Context) (SinkReplyTally, error) {
	return SinkReplyTally{Sessions: 1, Counts: []SinkReplyCount{{Stage: "rcpt", Code: 451, Count: 1}}}, nil
}

// TestReportSinkOnlyOutsideSenderAdvice: the report of a store the sink
// alone wrote does not promise that a deferral is retried (the sender
// was not relaylab's relay: swaks sends once), as relaylab report does
// not; it said "nothing; it is retried".
func TestReportSinkOnlyOutsideSenderAdvice(t *testing.T) {
	t.Parallel()
	sk := &attemptsSink{fakeSink: newFakeSink()}
	sk.attempts = append(sk.attempts, PagedAttempt{ID: 1, SinkAttempt: SinkAttempt{Time: time.Unix(1700000000, 0), Recipient: "grey@example.test",
		Sender: "app@shop.test", Stage: "rcpt", Code: 451, Enhanced: "4.7.1", Text: "greylisted, try again later", Session: 1}})
	ts := startServer(t, Options{Sink: deferringSink{sk}})
	code, _, body := do(t, "GET", ts.url+"/api/v1/reports", "")
	if code != 200 || !strings.Contains(string(body), "nothing if the sender retries") || strings.Contains(string(body), "it is retried") {
		t.Errorf("report: %d %s", code, body)
	}
}
