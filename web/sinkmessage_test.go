package web

import (
	"testing"
)

// TestSinkMessageSession: a sink message names the session that brought
// it, from the store; one the store does not know names none.
func TestSinkMessageSession(t *testing.T) {
	t.Parallel()
	sink := newFakeSink()
	sink.msgs["9"] = MessageDetail{ID: "9", From: "a@shop.test"}
	sink.msgs["10"] = MessageDetail{ID: "10", From: "a@shop.test"}
	ts := startServer(t, Options{Sink: sink})
	addSinkMessage(t, ts.st, 9, 4711)
	for id, want := range map[string]string{"9": "4711", "10": ""} {
		var m MessageDetail
		getJSON(t, ts.url+"/api/v1/sink/messages/"+id, &m)
		if m.Session != want {
			t.Errorf("message %s: session %q, want %q", id, m.Session, want)
		}
	}
}
