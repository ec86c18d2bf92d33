package web

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestS16WVSinkMessageReply: /api/v1/sink/messages/{id} and .../latest
// give the sink's reply after the final dot (code and reply, as the
// inbox lists them), the listener and the From field, so that a CI test
// reading latest tells a message the sink refused after the data (and
// stored all the same) from one it accepted.
func TestS16WVSinkMessageReply(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	_, sink, _ := filledFakes()
	ts := startServer(t, Options{Store: st, Sink: sink})
	raw := "From: Shop <app@shop.test>\r\nSubject: s\r\n\r\nhi\r\n"
	addInbox(t, st,
		inboxRow{id: 1, session: 1, from: "app@shop.test", rcpts: "bob@example.test", raw: raw, code: 250, listener: "mx"},
		inboxRow{id: 2, session: 1, from: "app@shop.test", rcpts: "bob@example.test", raw: raw, code: 550, enhanced: "5.7.1", text: "Rejected by rule", listener: "sub"})
	sink.mu.Lock()
	for _, id := range []string{"1", "2"} {
		m := DecodeMessage([]byte(raw))
		m.ID = id
		sink.msgs[id] = m
	}
	sink.msgs["x"] = MessageDetail{ID: "x"} // not in the store: no reply to give
	sink.mu.Unlock()
	type detail struct {
		ID         string `json:"id"`
		Listener   string `json:"listener"`
		HeaderFrom string `json:"header_from"`
		Code       *int   `json:"code"`
		Reply      string `json:"reply"`
	}
	for _, tc := range []struct {
		path, listener, reply string
		code                  int
	}{
		{"/api/v1/sink/messages/1", "mx", "250 Message accepted as 1", 250},
		{"/api/v1/sink/messages/2", "sub", "550 5.7.1 Rejected by rule", 550},
		{"/api/v1/sink/messages/latest", "sub", "550 5.7.1 Rejected by rule", 550},
		{"/api/v1/sink/messages/latest?q=is:accepted", "mx", "250 Message accepted as 1", 250},
	} {
		code, _, body := do(t, "GET", ts.url+tc.path, "")
		var d detail
		if code != 200 || json.Unmarshal(body, &d) != nil {
			t.Fatalf("%s: %d %s", tc.path, code, body)
		}
		if d.Code == nil || *d.Code != tc.code || d.Reply != tc.reply || d.Listener != tc.listener || d.HeaderFrom != "Shop <app@shop.test>" {
			t.Errorf("%s: %s\nwant code %d, reply %q, listener %q, header_from %q", tc.path, body, tc.code, tc.reply, tc.listener, "Shop <app@shop.test>")
		}
	}
	code, _, body := do(t, "GET", ts.url+"/api/v1/sink/messages/x", "")
	var d detail
	if code != 200 || json.Unmarshal(body, &d) != nil || d.Code != nil || d.Reply != "" {
		t.Errorf("a message the store does not hold: %d %s, want no code nor reply", code, body)
	}
}

// TestS16WVSinkMessageSpec: openapi.yaml gives the sink's message its
// code and reply, does not call every stored message accepted, and says
// that an attachment's bytes are served (.../parts/{part}); an attempt's
// id is a string, given in the answer with every attempt too.
func TestS16WVSinkMessageSpec(t *testing.T) {
	t.Parallel()
	spec := string(openAPISpec)
	for _, gone := range []string{"summary: A message the sink accepted.", "Their bytes are not served", "absent from the answer with every attempt"} {
		if strings.Contains(spec, gone) {
			t.Errorf("openapi.yaml still says %q", gone)
		}
	}
	for _, want := range []string{"SinkMessageDetail:", `code: {type: integer, description: "the sink's reply code after the final dot`,
		"Each part's bytes are served\n            by .../parts/{part}", `id: {type: string, description: "the attempt's id`} {
		if !strings.Contains(spec, want) {
			t.Errorf("openapi.yaml lacks %q", want)
		}
	}
}
