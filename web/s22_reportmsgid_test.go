package web

import (
	"encoding/json"
	"testing"
	"time"
)

// TestReportSinkRecordsByMessageID: the web's report of a sink's record
// ties a sender's retry to its message by Message-ID, as relaylab report
// and expect do: two messages to one address, each deferred once after
// the data and then accepted, are two records of two attempts each, not
// split by acceptance alone into one of three and one of one.
func TestReportSinkRecordsByMessageID(t *testing.T) {
	t.Parallel()
	sk := &attemptsSink{fakeSink: newFakeSink()}
	at := time.Unix(1700000000, 0)
	for i, a := range []struct {
		msg  int64
		mid  string
		code int
	}{{1, "a@s.test", 451}, {2, "b@s.test", 451}, {3, "a@s.test", 250}, {4, "b@s.test", 250}} {
		enh, text := "4.3.0", "try again later"
		if a.code == 250 {
			enh, text = "2.0.0", "ok"
		}
		sk.attempts = append(sk.attempts, PagedAttempt{ID: int64(i + 1), SinkAttempt: SinkAttempt{Time: at.Add(time.Duration(i) * time.Minute),
			Recipient: "u@example.test", Sender: "app@shop.test", Stage: "data-end", Code: a.code, Enhanced: enh, Text: text,
			Session: int64(i + 1), Message: a.msg, MessageID: a.mid}})
	}
	ts := startServer(t, Options{Sink: reportSink{sk}})
	code, _, body := do(t, "GET", ts.url+"/api/v1/reports", "")
	var r struct {
		Recipients []struct {
			Attempts []json.RawMessage `json:"attempts"`
		} `json:"recipients"`
	}
	if err := json.Unmarshal(body, &r); code != 200 || err != nil {
		t.Fatalf("report: %d %v %s", code, err, body)
	}
	var got []int
	for _, rc := range r.Recipients {
		got = append(got, len(rc.Attempts))
	}
	if len(got) != 2 || got[0] != 2 || got[1] != 2 {
		t.Errorf("records' attempts %v, want [2 2] (one record per message, its retry joined by Message-ID)\n%s", got, body)
	}
}
