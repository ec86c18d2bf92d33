package web

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/store"
)

// inboxRow is a message as the sink stores it (sink/record.go).
type inboxRow struct {
	id, session      int64
	from, rcpts, raw string
	code             int
	enhanced, text   string
	listener         string
	size             int
}

// addInbox stores rows in sink_messages, in one commit.
func addInbox(t testing.TB, st *store.Store, rows ...inboxRow) {
	t.Helper()
	err := st.Write(context.Background(), func(tx *store.Tx) error {
		for _, r := range rows {
			size := r.size
			if size == 0 {
				size = len(r.raw)
			}
			_, err := tx.Exec(`INSERT INTO sink_messages (id, session_id, listener, time_ns, mail_from, rcpts, size, attempt, code, enhanced, text, raw)
				VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`, r.id, r.session, cmp.Or(r.listener, "mx"), testEpoch.UnixNano()+r.id, r.from, r.rcpts, size,
				r.code, r.enhanced, r.text, []byte(r.raw))
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("add sink messages: %v", err)
	}
}

// inbox asks the server for a page of the inbox.
func inbox(t *testing.T, base, query string) InboxPage {
	t.Helper()
	code, _, body := do(t, "GET", base+"/api/v1/sink/messages"+query, "")
	if code != 200 {
		t.Fatalf("GET /api/v1/sink/messages%s: %d %s", query, code, body)
	}
	var p InboxPage
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("GET /api/v1/sink/messages%s: %v: %s", query, err, body)
	}
	return p
}

// ids are the page's message ids, in order.
func (p InboxPage) ids() string {
	var out []string
	for _, m := range p.Messages {
		out = append(out, m.ID)
	}
	return strings.Join(out, ",")
}

// inboxMessages are four messages: an encoded subject and From, a folded
// subject, a null sender, and one the sink dropped after the data.
func inboxMessages() []inboxRow {
	return []inboxRow{
		{id: 1, session: 10, from: "app@shop.test", rcpts: "alice@example.test\nbob@example.test",
			raw:  "From: =?UTF-8?Q?Caf=C3=A9_Shop?= <news@shop.test>\r\nSubject: =?UTF-8?B?w4lkaXRpb24gZCfDqXTDqQ==?=\r\n\r\nbody about invoices\r\n",
			code: 250, enhanced: "2.0.0", text: "Message accepted as 1"},
		{id: 2, session: 11, from: "billing@shop.test", rcpts: "carol@example.test",
			raw:  "From: Billing <billing@shop.test>\r\nSubject: Your\r\n invoice 42\r\nSubject: a second subject\r\n\r\nhi\r\n",
			code: 250, enhanced: "2.0.0", text: "Message accepted as 2"},
		{id: 3, session: 11, from: "", rcpts: "app@shop.test",
			raw:  "From: MAILER-DAEMON@mx.example.test\r\nSubject: Undelivered Mail Returned to Sender\r\n\r\n...\r\n",
			code: 250, enhanced: "2.0.0"},
		{id: 4, session: 12, from: "app@shop.test", rcpts: "dave@example.test", raw: "Subject: dropped\r\n\r\nx\r\n"},
	}
}

// TestInbox: /api/v1/sink/messages lists what the sink received, newest
// first, with the envelope, the From and Subject fields decoded and the
// reply after the dot; before= pages, after= reads what came since.
func TestInbox(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	_, sink, _ := filledFakes()
	ts := startServer(t, Options{Store: st, Sink: sink})
	addInbox(t, st, inboxMessages()...)

	p := inbox(t, ts.url, "")
	if p.ids() != "4,3,2,1" || p.Total != 4 || p.Next != "" || p.Searched != 0 {
		t.Fatalf("inbox %s total %d next %q searched %d, want 4,3,2,1 total 4 and no next", p.ids(), p.Total, p.Next, p.Searched)
	}
	first, last := p.Messages[3], p.Messages[0]
	if first.HeaderFrom != "Café Shop <news@shop.test>" || first.Subject != "Édition d'été" || first.From != "app@shop.test" ||
		strings.Join(first.To, " ") != "alice@example.test bob@example.test" || first.Session != "10" || first.Listener != "mx" ||
		first.Reply != "250 2.0.0 Message accepted as 1" || first.Code != 250 || first.Size == 0 || !first.Time.Equal(testEpoch.Add(1)) {
		t.Errorf("message 1: %+v", first)
	}
	if p.Messages[2].Subject != "Your invoice 42" {
		t.Errorf("message 2: subject %q, want the first Subject field unfolded", p.Messages[2].Subject)
	}
	// The sink stores no text for its own success, and said this.
	if got := p.Messages[1].Reply; got != "250 2.0.0 Message accepted as 3" {
		t.Errorf("message 3: reply %q, want the sink's 250 2.0.0 Message accepted as 3", got)
	}
	if last.Code != 0 || !strings.HasPrefix(last.Reply, "no reply") || last.HeaderFrom != "" {
		t.Errorf("message 4: %+v, want no reply and no From field", last)
	}
	if p := inbox(t, ts.url, "?limit=3"); p.ids() != "4,3,2" || p.Next != "2" {
		t.Errorf("limit=3: %s next %q, want 4,3,2 next 2", p.ids(), p.Next)
	}
	if p := inbox(t, ts.url, "?limit=3&before=2"); p.ids() != "1" || p.Next != "" {
		t.Errorf("before=2: %s next %q, want 1 and no next", p.ids(), p.Next)
	}
	// after= reads up, oldest first.
	if p := inbox(t, ts.url, "?after=2"); p.ids() != "3,4" || p.Next != "" {
		t.Errorf("after=2: %s next %q, want 3,4 and no next", p.ids(), p.Next)
	}
	if p := inbox(t, ts.url, "?after=0&limit=3"); p.ids() != "1,2,3" || p.Next != "3" {
		t.Errorf("after=0 limit=3: %s next %q, want 1,2,3 next 3", p.ids(), p.Next)
	}
	if p := inbox(t, ts.url, "?after=1&before=4"); p.ids() != "2,3" || p.Next != "" {
		t.Errorf("after=1 before=4: %s next %q, want 2,3 and no next", p.ids(), p.Next)
	}
	for _, q := range []string{"?limit=x", "?limit=1001", "?before=-1", "?after=x", "?q=" + strings.Repeat("a", 201), "?page=2"} {
		if code, _, body := do(t, "GET", ts.url+"/api/v1/sink/messages"+q, ""); code != 400 {
			t.Errorf("%s: %d %s, want 400", q, code, body)
		}
	}
	none := startServer(t, Options{Store: st})
	if code, _, _ := do(t, "GET", none.url+"/api/v1/sink/messages", ""); code != 503 {
		t.Errorf("without a sink: %d, want 503", code)
	}
	for name, v := range map[string]any{"InboxPage": InboxPage{}, "InboxMessage": InboxMessage{}} {
		props, _ := specProperties(t, name)
		for key, field := range jsonFields(v) {
			if _, ok := props[key]; !ok {
				t.Errorf("openapi.yaml: schema %s has no property %q (%s.%s)", name, key, name, field)
			}
		}
	}
}

// TestInboxSearch: q= keeps the messages whose subject (decoded), From
// field, envelope sender, a recipient or body holds the text, in any case.
func TestInboxSearch(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	_, sink, _ := filledFakes()
	ts := startServer(t, Options{Store: st, Sink: sink})
	addInbox(t, st, inboxMessages()...)
	for q, want := range map[string]string{
		"ÉDITION":     "1", // an encoded-word, decoded, any case
		"café":        "1", // the From field's display name
		"INVOICE 42":  "2", // a folded subject, unfolded
		"carol@":      "2", // a recipient
		"billing@":    "2",
		"mailer-daem": "3",
		"app@shop":    "4,3,1", // the sender, or a recipient (3, a bounce)
		"invoices":    "1",     // in the body (its text)
		"  dropped  ": "4",
	} {
		p := inbox(t, ts.url, "?q="+url.QueryEscape(q))
		if p.ids() != want || p.Searched != 4 || p.Total != 4 {
			t.Errorf("q=%q: %q searched %d total %d, want %q, 4 searched of 4", q, p.ids(), p.Searched, p.Total, want)
		}
	}
	if p := inbox(t, ts.url, "?q=app@shop&limit=1"); p.ids() != "4" || p.Next != "4" || p.Searched != 1 {
		t.Errorf("q=app@shop limit=1: %s next %q searched %d, want 4, next 4, 1 searched", p.ids(), p.Next, p.Searched)
	}
	if p := inbox(t, ts.url, "?q=app@shop&limit=2&after=0"); p.ids() != "1,3" || p.Next != "3" || p.Searched != 3 {
		t.Errorf("q=app@shop limit=2 after=0: %s next %q searched %d, want 1,3, next 3, 3 searched", p.ids(), p.Next, p.Searched)
	}
}

// TestInboxSearchBounded: one search request reads at most maxInboxScan
// messages, says how many, and its next goes on from there to the older
// ones, so that a search of a large store answers in bounded time and
// misses nothing.
func TestInboxSearchBounded(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	_, sink, _ := filledFakes()
	ts := startServer(t, Options{Store: st, Sink: sink})
	n := maxInboxScan + 10
	rows := make([]inboxRow, n)
	for i := range rows {
		rows[i] = inboxRow{id: int64(i + 1), session: 1, from: "app@shop.test", rcpts: "r@example.test", code: 250,
			raw: fmt.Sprintf("Subject: routine %d\r\n\r\nx\r\n", i+1)}
	}
	rows[4].raw = "Subject: The needle\r\n\r\nx\r\n"
	addInbox(t, st, rows...)
	p := inbox(t, ts.url, "?q=needle")
	if p.ids() != "" || p.Searched != maxInboxScan || p.Next != itoa(int64(n-maxInboxScan+1)) || p.Total != n {
		t.Fatalf("first page: %q searched %d next %q total %d, want none, %d searched, next %d", p.ids(), p.Searched, p.Next, p.Total, maxInboxScan, n-maxInboxScan+1)
	}
	p = inbox(t, ts.url, "?q=needle&before="+p.Next)
	if p.ids() != "5" || p.Searched != n-maxInboxScan || p.Next != "" {
		t.Fatalf("second page: %q searched %d next %q, want 5, %d searched and no next", p.ids(), p.Searched, p.Next, n-maxInboxScan)
	}
}
