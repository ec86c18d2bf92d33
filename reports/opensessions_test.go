package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestAddSinkRecordOpenSessions: after a kill -9 of the sink, its record
// has rows for sessions that never ended, and the log no sink.session
// event for them. The report counts every session the record has, says
// how many have no end, and says why their replies after the data
// outnumber those before it (only their stored messages' replies are
// known), instead of counting the ended sessions alone beside replies
// that did not add up.
func TestAddSinkRecordOpenSessions(t *testing.T) {
	t.Parallel()
	rec := fakeRecord{
		fakeSink: fakeSink{{Time: t0, Listener: "mx", Recipient: "a@x.test", Stage: "data-end", Code: 250}},
		// 2 sessions ended with 1 message each; 3 cut short stored 4.
		replies:  []SinkReply{{"connect", 220, 2}, {"mail", 250, 2}, {"data", 354, 2}, {"data-end", 250, 6}},
		sessions: 5,
	}
	d := &Data{SinkSessions: 2} // the log's sink.session events
	if err := d.AddSinkRecord(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if d.SinkSessions != 5 || d.SinkSessionsOpen != 3 {
		t.Fatalf("sessions %d, open %d; want 5, 3", d.SinkSessions, d.SinkSessionsOpen)
	}
	note := "3 of the 5 sink sessions have no end recorded (cut short, as by a kill -9 of the sink, or still open)"
	for _, c := range []struct{ format, want string }{
		{"text", "sink sessions  5 (3 of them cut short or still open: no end recorded)"},
		{"text", "  note: " + note},
		{"markdown", "5 sink sessions (3 of them cut short or still open: no end recorded), "},
		{"markdown", "Note: " + note},
		{"html", "5 sink sessions (3 of them cut short or still open: no end recorded), "},
		{"html", "<p><small>Note: " + note},
		{"json", `"sink_sessions_open": 3`},
	} {
		var b bytes.Buffer
		if err := Write(&b, c.format, d); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), c.want) {
			t.Errorf("%s lacks %q:\n%s", c.format, c.want, b.String())
		}
	}

	// Every session ended: no count apart, no note, no JSON key.
	ended := &Data{SinkSessions: 5}
	if err := ended.AddSinkRecord(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	var text, js bytes.Buffer
	if err := WriteText(&text, ended); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, ended); err != nil {
		t.Fatal(err)
	}
	var v struct{ Summary map[string]json.RawMessage }
	if err := json.Unmarshal(js.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if _, ok := v.Summary["sink_sessions_open"]; ok || strings.Contains(text.String(), "no end recorded") || ended.SinkSessionsOpen != 0 {
		t.Errorf("every session ended, yet open %d, JSON %s, text:\n%s", ended.SinkSessionsOpen, v.Summary["sink_sessions_open"], text.String())
	}
}
