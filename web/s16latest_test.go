package web

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// TestSinkLatest: /api/v1/sink/messages/latest is the newest message, or
// with q= the newest that matches, in its JSON, raw, body.html and parts
// forms; none, or none that matches, is a 404 that says which; a q= that
// does not read is a 400, as on the inbox.
func TestSinkLatest(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	_, sink, _ := filledFakes()
	ts := startServer(t, Options{Store: st, Sink: sink})
	api := ts.url + "/api/v1/sink/messages/latest"

	code, _, body := do(t, "GET", api, "")
	if e := wantAPIError(t, body); code != 404 || e.Error != "no message in the sink" || !strings.Contains(e.Detail, "once your client has read that reply the message is here") {
		t.Errorf("an empty sink: %d %+v, want 404 no message in the sink, the message is here once the reply was read", code, e)
	}

	addInbox(t, st, inboxMessages()...)
	sink.mu.Lock()
	sink.raw = map[string][]byte{}
	for _, r := range inboxMessages() {
		id := itoa(r.id)
		sink.msgs[id] = MessageDetail{ID: id, From: r.from, To: strings.Split(r.rcpts, "\n"), HTML: "<p>message " + id + "</p>"}
		sink.raw[id] = []byte(r.raw)
	}
	sink.mu.Unlock()

	for q, want := range map[string]string{
		"":                  "4",
		"to:carol@":         "2",
		"app@shop":          "4",
		"app@shop -to:dave": "3",
		"is:accepted":       "3",
		"from:<>":           "3",
	} {
		u := api
		if q != "" {
			u += "?q=" + url.QueryEscape(q)
		}
		code, _, body := do(t, "GET", u, "")
		var m MessageDetail
		if err := json.Unmarshal(body, &m); code != 200 || err != nil || m.ID != want {
			t.Errorf("latest q=%q: %d %s, want message %s", q, code, body, want)
		}
	}
	code, h, body := do(t, "GET", api+"/raw?q="+url.QueryEscape("to:carol"), "")
	if code != 200 || string(body) != inboxMessages()[1].raw || !strings.Contains(h.Get("Content-Disposition"), `"2.eml"`) || h.Get("Content-Security-Policy") != rawCSP {
		t.Errorf("latest/raw to:carol: %d %q %v, want message 2 as 2.eml", code, body, h)
	}
	code, h, body = do(t, "GET", api+"/body.html?q=subject:bounce+OR+undelivered", "")
	if code != 404 {
		t.Errorf("latest/body.html with words no message has: %d %s, want 404", code, body)
	}
	code, h, body = do(t, "GET", api+"/body.html?q=undelivered", "")
	if code != 200 || !strings.Contains(string(body), "message 3") || h.Get("Content-Security-Policy") != bodyCSP {
		t.Errorf("latest/body.html undelivered: %d %q CSP %q, want message 3's body under bodyCSP", code, body, h.Get("Content-Security-Policy"))
	}
	code, h, body = do(t, "GET", api+"/parts/1?q=dropped", "")
	if code != 200 || string(body) != "x\r\n" || !strings.Contains(h.Get("Content-Disposition"), "4-part-1.txt") {
		t.Errorf("latest/parts/1 dropped: %d %q %q, want message 4's body as 4-part-1.txt", code, body, h.Get("Content-Disposition"))
	}

	for _, tc := range []struct {
		path          string
		code          int
		error, detail string
	}{
		{"?q=to:nobody", 404, "no message matches q", `none of the 4 messages the sink holds matches q="to:nobody"`},
		{"/raw?q=to:nobody", 404, "no message matches q", ""},
		{"/parts/1?q=to:nobody", 404, "no message matches q", ""},
		{"?q=frm:x", 400, `unknown qualifier "frm:" in q`, "from:, to:"},
		{"/raw?q=" + strings.Repeat("a", 201), 400, "bad q", "200"},
		{"?limit=1", 400, `unknown query parameter "limit"`, "only q"},
		{"/parts/0", 400, `bad part "0"`, "1.2"},
	} {
		code, _, body := do(t, "GET", api+tc.path, "")
		e := wantAPIError(t, body)
		if code != tc.code || e.Error != tc.error || !strings.Contains(e.Detail, tc.detail) {
			t.Errorf("latest%s: %d %+v, want %d %q with %q", tc.path, code, e, tc.code, tc.error, tc.detail)
		}
	}
	none := startServer(t, Options{Store: st})
	if code, _, _ := do(t, "GET", none.url+"/api/v1/sink/messages/latest", ""); code != 503 {
		t.Errorf("without a sink: %d, want 503", code)
	}
}

// TestNoLatestBounded: a latest whose search read the newest
// maxInboxScan messages and found none says so, and where to read on.
func TestNoLatestBounded(t *testing.T) {
	t.Parallel()
	msg, detail := noLatest(InboxPage{Total: 9000, Next: "4001", Searched: maxInboxScan}, inboxQuery{searching: true}, "to:bob")
	if msg != "no message matches q among the newest 5000" || !strings.Contains(detail, "/api/v1/sink/messages?q=...&before=4001") {
		t.Errorf("%q: %q", msg, detail)
	}
}
