package web

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestW14NULIsReplacement: a NUL (and another control that is no text)
// in a message's subject, body or header, or in a session's EHLO, is
// U+FFFD in the API, as a byte that is not text is: it was "\u0000" in
// the sink's API and a box on the page.
func TestW14NULIsReplacement(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	sink := newFakeSink()
	ts := startServer(t, Options{Store: st, Sink: sink})
	raw := "From: a@shop.test\r\nSubject: NUL \x00 here\x01\r\nX-Tab: a\tb\r\n\r\nbody \x00 end\x7f\r\nline two\r\n"
	d := DecodeMessage([]byte(raw))
	d.ID = "5"
	sink.mu.Lock()
	sink.msgs["5"] = d
	sink.sessions = []SinkSession{{ID: "9", Listener: "mx", HELO: "x\x00y", Transcript: []Line{{Dir: "c", Text: "EHLO x\x00y"}}}}
	sink.mu.Unlock()
	addInbox(t, st, inboxRow{id: 5, session: 9, from: "a@shop.test", rcpts: "b@example.test", raw: raw, code: 250})

	_, _, body := do(t, "GET", ts.url+"/api/v1/sink/messages/5", "")
	var m MessageDetail
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if m.Subject != "NUL \ufffd here\ufffd" || m.Text != "body \ufffd end\ufffd\r\nline two\r\n" {
		t.Errorf("subject %q, text %q: want each control U+FFFD, line ends kept", m.Subject, m.Text)
	}
	for _, h := range m.Headers {
		if h.Name == "X-Tab" && h.Value != "a\tb" {
			t.Errorf("X-Tab %q: a tab is text", h.Value)
		}
	}
	if p := inbox(t, ts.url, ""); len(p.Messages) != 1 || p.Messages[0].Subject != "NUL \ufffd here\ufffd" {
		t.Errorf("inbox %+v: want the subject with U+FFFD", p.Messages)
	}
	_, _, body = do(t, "GET", ts.url+"/api/v1/sink/sessions/9", "")
	if strings.Contains(string(body), `\u0000`) || !strings.Contains(string(body), "EHLO x\ufffdy") {
		t.Errorf("session %s: want the NUL of the EHLO as U+FFFD", body)
	}
	_, _, body = do(t, "GET", ts.url+"/api/v1/sink/sessions", "")
	if strings.Contains(string(body), `\u0000`) {
		t.Errorf("sessions %s: want no NUL", body)
	}
}
