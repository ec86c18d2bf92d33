package web

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRelayPart: relayPart serves a part of a message the relay holds as
// sinkPart does one of the sink's (a DSN's delivery-status part, which
// the relay's message page shows as text), and its errors name the
// relay's paths, not the sink's. The relay had no way to give a part.
func TestRelayPart(t *testing.T) {
	t.Parallel()
	relay := newFakeRelay()
	relay.raw = map[string][]byte{"lb1": []byte(fu1DSN)}
	s, err := New(Options{Store: openStore(t, nil), Relay: relay})
	if err != nil {
		t.Fatal(err)
	}
	get := func(id, part string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/api/v1/messages/"+id+"/parts/"+part, nil)
		r.SetPathValue("id", id)
		r.SetPathValue("part", part)
		w := httptest.NewRecorder()
		s.relayPart(w, r)
		return w
	}
	w := get("lb1", "2")
	if w.Code != 200 || !strings.HasPrefix(w.Body.String(), "Reporting-MTA: dns; sink.relaylab.test\r\n") ||
		w.Header().Get("Content-Type") != "message/delivery-status" || w.Header().Get("Content-Security-Policy") != rawCSP ||
		w.Header().Get("Content-Disposition") != `attachment; filename="lb1-part-2.txt"` {
		t.Errorf("part 2: %d %v %q, want the delivery-status part as an attachment under rawCSP", w.Code, w.Header(), w.Body)
	}
	w = get("lb1", "4")
	if w.Code != 200 || w.Body.String() != "%PDF" || w.Header().Get("Content-Disposition") != `attachment; filename="invoice.pdf"` {
		t.Errorf("part 4: %d %v %q, want invoice.pdf", w.Code, w.Header(), w.Body)
	}
	relay.raw["multi"] = []byte("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: multipart/alternative; boundary=y\r\n\r\n--y\r\n\r\na\r\n--y--\r\n--x--\r\n")
	w = get("multi", "1")
	var e struct{ Error, Detail string }
	if json.Unmarshal(w.Body.Bytes(), &e) != nil || w.Code != 404 || !strings.Contains(e.Detail, "/api/v1/messages/multi/raw") {
		t.Errorf("a multipart's number: %d %s, want a 404 that names the relay's /api/v1/messages/multi/raw", w.Code, w.Body)
	}
}
