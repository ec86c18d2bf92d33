package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// csvColumnsBefore are the CSV's columns before dsn_not_sent, in their
// places: a column is only ever added at the end.
var csvColumnsBefore = []string{"message", "recipient", "domain", "status", "path", "category", "attempts", "last_reply", "queued", "done",
	"reason", "advice", "late_bounce", "session", "scenario_message", "scenario", "last_reply_by"}

// TestFTCSVDSNNotSentColumn: a late bounce the sink has for a recipient
// it accepted and never sent (it gave up on its bounce relay, or the
// sender was the null sender) has a column of its own at the end of the
// CSV, dsn_not_sent, as the JSON has the key: before, it was only part
// of the reason and advice cells' prose, which a spreadsheet cannot
// filter on. The older columns keep their places.
func TestFTCSVDSNNotSentColumn(t *testing.T) {
	t.Parallel()
	const gaveUp = "it could not send: the bounce relay 127.0.0.1:43501 refused the DSN for good with 550 5.1.1 No such user here (a permanent reply)"
	const null = "it did not send: the message had a null sender (MAIL FROM:<>): no DSN is sent to it (RFC 5321 4.5.5, RFC 3464 2)"
	accepted := func(from, rcpt string, n int) SinkAttempt {
		return SinkAttempt{Time: t0.Add(time.Duration(n) * time.Second), Listener: "mx", Client: "127.0.0.1:40000", Sender: from, Recipient: rcpt, Stage: "data-end", Code: 250, Enhanced: "2.0.0", Text: "accepted"}
	}
	src := bouncingSink{fakeSink: fakeSink{accepted("rcpt550@s.test", "gaveup@x.test", 0), accepted("", "null@x.test", 1), accepted("app@s.test", "ok@x.test", 2)},
		bounces: []SinkBounce{{Recipient: "gaveup@x.test", Sender: "rcpt550@s.test", Reply: "550 5.1.1 gone", NotSent: gaveUp}, {Recipient: "null@x.test", Reply: "550 5.1.1 gone", NotSent: null}}}
	d, err := FromSink(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, d); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs[0]) <= len(csvColumnsBefore) || !slices.Equal(recs[0][:len(csvColumnsBefore)], csvColumnsBefore) {
		t.Fatalf("header %q: want %q, then the new columns", recs[0], csvColumnsBefore)
	}
	if next := recs[0][len(csvColumnsBefore)]; next != "dsn_not_sent" {
		t.Errorf("column %d is %q, want dsn_not_sent, added after last_reply_by", len(csvColumnsBefore)+1, next)
	}
	want := map[string]string{"gaveup@x.test": gaveUp, "null@x.test": null, "ok@x.test": ""}
	for _, row := range csvRows(t, d) {
		if got := row["dsn_not_sent"]; got != want[row["recipient"]] {
			t.Errorf("%s: dsn_not_sent %q, want %q", row["recipient"], got, want[row["recipient"]])
		}
	}
}

// replayUnsentBounceLog is a replay's store: the relay delivered m1 to
// two recipients and m2 to one, the sink's record has both messages
// under their Message-IDs, and the sink's bounce of null@x.test was not
// sent (the message had the null sender), that of late@x.test was.
func replayUnsentBounceLog() fakeLog {
	var l fakeLog
	add := func(sec int, kind, msg, rcpt string, p map[string]any) {
		l = append(l, events.Event{ID: int64(len(l) + 1), Time: t0.Add(time.Duration(sec) * time.Second), Kind: kind, Message: msg, Recipient: rcpt}.WithPayload(p))
	}
	deliver := func(sec int, msg, mid, rcpt string) {
		add(sec, events.RelayQueued, msg, rcpt, map[string]any{"message_id": mid})
		add(sec, events.RelayAttempt, msg, rcpt, map[string]any{"attempt": 1, "path": "sink", "reply": map[string]any{"stage": "dot", "code": 250, "enhanced": "2.0.0", "text": "accepted"}})
		add(sec, events.RelayDelivered, msg, rcpt, map[string]any{"path": "sink"})
	}
	deliver(0, "m1", "scenario.msg-1.1@relaylab.test", "null@x.test")
	deliver(0, "m1", "scenario.msg-1.1@relaylab.test", "ok@x.test")
	add(0, events.SinkMessage, "scenario.msg-1.1@relaylab.test", "", map[string]any{"id": 4, "from": "", "to": []string{"null@x.test", "ok@x.test"}, "code": 250})
	deliver(1, "m2", "scenario.msg-2.1@relaylab.test", "late@x.test")
	add(1, events.SinkMessage, "scenario.msg-2.1@relaylab.test", "late@x.test", map[string]any{"id": 5, "from": "app@s.test", "to": []string{"late@x.test"}, "code": 250})
	add(60, events.SinkBounce, "", "null@x.test", map[string]any{"bounce": 1, "message": 4, "recipient": "null@x.test", "to": "", "reply": "550 5.1.1 gone", "sent": false,
		"error": "", "skipped": "the message had a null sender (MAIL FROM:<>): no DSN is sent to it"})
	add(61, events.SinkBounce, "", "late@x.test", map[string]any{"bounce": 2, "message": 5, "recipient": "late@x.test", "to": "app@s.test", "reply": "550 5.1.1 gone", "sent": true, "error": ""})
	return l
}

// TestFTReplayStoreUnsentSinkBounce: on a replay's store (relay and sink
// in one log), a recipient the relay delivered and the sink had a late
// bounce for that it never sent is said so, as on a sink's own record:
// dsn_not_sent in the CSV and JSON, the count in the summary, the note
// in the text. Before, Load read no sink.bounce event, so such a
// recipient read as plainly delivered in every format.
func TestFTReplayStoreUnsentSinkBounce(t *testing.T) {
	t.Parallel()
	d, err := Load(context.Background(), replayUnsentBounceLog())
	if err != nil {
		t.Fatal(err)
	}
	const want = "it did not send: the message had a null sender (MAIL FROM:<>): no DSN is sent to it"
	by := map[string]*Recipient{}
	for _, r := range d.Recipients {
		by[r.Address] = r
	}
	if got := by["null@x.test"].DSNNotSent; got != want {
		t.Errorf("null@x.test: DSNNotSent %q, want %q", got, want)
	}
	for _, a := range []string{"ok@x.test", "late@x.test"} {
		if got := by[a].DSNNotSent; got != "" {
			t.Errorf("%s: DSNNotSent %q, want none (no bounce, or one sent)", a, got)
		}
	}
	if n := Summarize(d).SinkBouncesNotSent; n != 1 {
		t.Errorf("summary: %d late bounces not sent, want 1", n)
	}
	for _, row := range csvRows(t, d) {
		if w := map[string]string{"null@x.test": want}[row["recipient"]]; row["dsn_not_sent"] != w {
			t.Errorf("csv %s: dsn_not_sent %q, want %q", row["recipient"], row["dsn_not_sent"], w)
		}
	}
	var j bytes.Buffer
	if err := WriteJSON(&j, d); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Recipients []map[string]any `json:"recipients"`
	}
	if err := json.Unmarshal(j.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Recipients {
		if r["address"] == "null@x.test" && (r["dsn_not_sent"] != want || r["dsn"] != false) {
			t.Errorf("json: %v, want dsn_not_sent %q and dsn false", r, want)
		}
	}
	var txt bytes.Buffer
	if err := WriteText(&txt, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "null@x.test (message msg-1 (queue id m1)): delivered\n  late bounce not sent: the sink accepted the message and has a bounce for this recipient that "+want) {
		t.Errorf("text:\n%s\nwant null@x.test with its unsent bounce", txt.String())
	}
}
