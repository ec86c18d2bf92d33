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

// mxLog is a relay's log of an mx path as the relay writes it: every host
// of one try is a relay.attempt with the same "attempt" number, its reply
// an object with the stage.
func mxLog() fakeLog {
	var l fakeLog
	add := func(min int, kind, rcpt string, p map[string]any) {
		e := events.Event{ID: int64(len(l) + 1), Time: t0.Add(time.Duration(min) * time.Minute), Kind: kind, Message: "m1", Recipient: rcpt}
		if p != nil {
			e = e.WithPayload(p)
		}
		l = append(l, e)
	}
	att := func(min int, rcpt string, try int, host, stage string, code int, enh, text string, extra map[string]any) {
		p := map[string]any{"attempt": try, "path": "direct", "host": host,
			"reply": map[string]any{"stage": stage, "code": code, "enhanced": enh, "text": text}}
		for k, v := range extra {
			p[k] = v
		}
		add(min, events.RelayAttempt, rcpt, p)
	}
	// mx1 greets with 554, mx2 takes the message, in one try.
	add(0, events.RelayQueued, "skip@x.test", nil)
	att(0, "skip@x.test", 1, "mx1.x.test", "greeting", 554, "5.7.1", "go away", nil)
	att(0, "skip@x.test", 1, "mx2.x.test", "data", 250, "2.0.0", "ok", nil)
	add(0, events.RelayDelivered, "skip@x.test", map[string]any{"attempts": 1})
	// Every MX host greets with 521: bounced at once, in one try.
	add(0, events.RelayQueued, "nomail@y.test", nil)
	att(0, "nomail@y.test", 1, "mx1.y.test", "greeting", 521, "5.3.2", "no mail here", nil)
	att(0, "nomail@y.test", 1, "mx2.y.test", "greeting", 521, "5.3.2", "no mail here", nil)
	add(0, events.RelayBounced, "nomail@y.test", map[string]any{"attempts": 1, "category": "greeting-refused"})
	// The last host greets 554: deferred, and the next try delivers.
	add(0, events.RelayQueued, "later@z.test", nil)
	att(0, "later@z.test", 1, "mx1.z.test", "greeting", 554, "5.7.1", "busy", map[string]any{
		"walk_stopped": "the walk down the MX hosts stopped at the path's max_mx_sessions (1): 1 sessions of this attempt reached SMTP; not tried: mx2.z.test"})
	add(0, events.RelayDeferred, "later@z.test", map[string]any{"attempts": 1, "category": "greeting-refused"})
	att(10, "later@z.test", 2, "mx1.z.test", "data", 250, "2.0.0", "ok", nil)
	add(10, events.RelayDelivered, "later@z.test", map[string]any{"attempts": 2})
	return l
}

// TestAttemptsCountTries: attempts, attempt_times and the intervals count
// delivery tries as the relay numbers them, so that mail that went to a
// second MX host (or was bounced at once after every host greeted 521) in
// one try has 1 attempt; no_attempt_after_5xx leaves 5xx greetings out.
func TestAttemptsCountTries(t *testing.T) {
	t.Parallel()
	d, err := Load(context.Background(), mxLog())
	if err != nil {
		t.Fatal(err)
	}
	x, err := decodeExp(t, `
recipients:
  - {match: "skip@x.test", status: delivered, attempts: 1, attempt_times: [0s], last_reply: "250 *", any_reply: "554 *"}
  - {match: "nomail@y.test", status: bounced, attempts: 1, category: greeting-refused}
  - {match: "later@z.test", status: delivered, attempts: 2, attempt_times: [0s, 10m], min_interval: 10m}
aggregate: {no_attempt_after_5xx: true}
`)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Evaluate(d, x) {
		if !r.Pass {
			t.Errorf("%s failed: %s", r.Name, r.Message)
		}
	}
	if s := Summarize(d); s.Attempts != 4 {
		t.Errorf("summary attempts = %d, want 4 tries (1 + 1 + 2), not the 5 hosts", s.Attempts)
	}

	// A wrong count says that attempts counts tries, and the timeline
	// marks each host with its try.
	x, _ = decodeExp(t, "recipients:\n  - {match: \"skip@x.test\", attempts: 2}\n")
	res := Evaluate(d, x)
	for _, want := range []string{"expected 2 attempts, got 1 (attempts counts delivery tries, not hosts",
		"\n  #1  +0s         direct       mx1.x.test               554 5.7.1 go away\n  #1  +0s         direct       mx2.x.test               250 2.0.0 ok"} {
		if res[0].Pass || !strings.Contains(res[0].Message, want) {
			t.Errorf("failure %q\nwant it to contain %q", res[0].Message, want)
		}
	}
}

// TestNoAttemptAfter5xxStillFails: a 5xx that refuses the message (here
// at RCPT) followed by another try on the same path still fails, and the
// failure names the reply, its stage and its try.
func TestNoAttemptAfter5xxStillFails(t *testing.T) {
	t.Parallel()
	l := fakeLog{
		{ID: 1, Time: t0, Kind: events.RelayQueued, Message: "m1", Recipient: "a@x.test"},
	}
	for i, p := range []map[string]any{
		{"attempt": 1, "path": "direct", "host": "mx1", "reply": map[string]any{"stage": "rcpt", "code": 550, "enhanced": "5.1.1", "text": "no such user"}},
		{"attempt": 2, "path": "direct", "host": "mx1", "reply": map[string]any{"stage": "rcpt", "code": 250, "enhanced": "2.1.5", "text": "ok"}},
	} {
		l = append(l, events.Event{ID: int64(i + 2), Time: t0.Add(time.Duration(i) * time.Hour), Kind: events.RelayAttempt, Message: "m1", Recipient: "a@x.test"}.WithPayload(p))
	}
	d, _ := Load(context.Background(), l)
	res := Evaluate(d, Expectations{Aggregate: AggregateExpectation{NoAttemptAfter5xx: true}})
	if want := "a@x.test was tried again after 550 5.1.1 (at rcpt, attempt 1)"; res[0].Pass || !strings.Contains(res[0].Message, want) {
		t.Errorf("no_attempt_after_5xx = %+v, want a failure with %q", res[0], want)
	}
}

// TestWalkStoppedShown: the note of a cap that stopped the walk down the
// MX hosts is on its attempt's line in the text timeline, in the JSON and
// in the HTML.
func TestWalkStoppedShown(t *testing.T) {
	t.Parallel()
	d, _ := Load(context.Background(), mxLog())
	var later *Recipient
	for _, r := range d.Recipients {
		if r.Address == "later@z.test" {
			later = r
		}
	}
	note := "the walk down the MX hosts stopped at the path's max_mx_sessions (1): 1 sessions of this attempt reached SMTP; not tried: mx2.z.test"
	var text bytes.Buffer
	WriteTimeline(&text, later)
	lines := strings.Split(text.String(), "\n")
	if !strings.HasSuffix(lines[0], "554 5.7.1 busy  (note: "+note+")") || strings.Contains(lines[1], "note") {
		t.Errorf("timeline:\n%s", text.String())
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, d); err != nil {
		t.Fatal(err)
	}
	var v struct{ Recipients []Recipient }
	if err := json.Unmarshal(js.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	for _, r := range v.Recipients {
		if r.Address == "later@z.test" && (r.Attempts[0].WalkStopped != note || r.Attempts[0].Try != 1 || r.Attempts[1].Try != 2) {
			t.Errorf("json attempts = %+v", r.Attempts)
		}
	}
	var h bytes.Buffer
	if err := WriteHTML(&h, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.String(), "<small>note: the walk down the MX hosts stopped at the path&#39;s max_mx_sessions (1)") {
		t.Errorf("html lacks the walk_stopped note")
	}
}

// TestImpossibleLastExpectations: expectations of the last reply that no
// recipient can meet are refused at their file, line and key: a delivered
// recipient whose last reply would be a 4xx, a last_reply whose code part
// before a * disagrees with last_code, and an empty glob written out.
func TestImpossibleLastExpectations(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ yaml, want string }{
		{"recipients:\n  - match: x\n    status: delivered\n    last_reply: \"451 *\"\n",
			`exp.yaml:4:17: recipients[0].last_reply: "451 *" begins with 451 but status delivered ends with a 2xx reply: the expectation can never hold`},
		{"recipients:\n  - match: x\n    status: delivered\n    last_reply: \"5*\"\n", `"5*" begins with 5 but status delivered ends with a 2xx reply`},
		{"recipients:\n  - match: x\n    last_code: \"250\"\n    last_reply: \"550*\"\n",
			`exp.yaml:4:17: recipients[0].last_reply: "550*" begins with 550 but last_code is 250: the expectation can never hold`},
		{"recipients:\n  - match: x\n    last_code: 2xx\n    last_reply: \"4?1 *\"\n", `"4?1 *" begins with 4?1 but last_code is 2xx`},
		{"recipients:\n  - match: x\n    last_reply: \"\"\n", `exp.yaml:3:17: recipients[0].last_reply: an empty glob matches no reply`},
		{"recipients:\n  - match: x\n    any_reply: ''\n", `exp.yaml:3:16: recipients[0].any_reply: an empty glob matches no reply`},
		{"recipients:\n  - {match: x, no_reply: \"\"}\n", `recipients[0].no_reply: an empty glob matches no reply`},
	} {
		_, err := decodeExp(t, tc.yaml)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
	for _, y := range []string{
		"recipients:\n  - {match: x, status: delivered, last_reply: \"250 2.0.0 *\", last_code: 2xx}\n",
		"recipients:\n  - {match: x, status: delivered, last_reply: \"2*\"}\n",
		"recipients:\n  - {match: x, status: delivered, last_reply: \"*queued*\"}\n",
		"recipients:\n  - {match: x, status: bounced, last_reply: \"5?? *\", last_code: \"550\"}\n",
		"recipients:\n  - {match: x, last_reply: \" 421 *\"}\n",
	} {
		if _, err := decodeExp(t, y); err != nil {
			t.Errorf("%q: %v", y, err)
		}
	}
}
