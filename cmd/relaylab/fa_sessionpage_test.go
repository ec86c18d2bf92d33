package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/web"
)

// faSessions is a store written row by row: session 7 made 1,234 attempts
// (each refused with its own 550 but the last, a 451) and left 1,100
// messages; session 8 made two attempts; session 9 none, refused at MAIL.
func faSessions(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "s.db"), Sync: store.SyncOff,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.Write(context.Background(), func(tx *store.Tx) error {
		for _, id := range []int{7, 8, 9} {
			replies := `[{"stage":"mail","code":553,"enhanced":"5.7.1","text":"sender refused"}]`
			if id != 9 {
				replies = `[]`
			}
			if _, err := tx.Exec(`INSERT INTO sink_sessions (id, listener, client, start_ns, end_ns, transcript, replies) VALUES (?, 'mx', '127.0.0.1:40000', 1, 2, '0.000 S 220 hi', ?)`,
				id, replies); err != nil {
				return err
			}
		}
		add := func(session int, rcpt string, code int, text string) error {
			_, err := tx.Exec(`INSERT INTO sink_attempts (session_id, time_ns, sender, recipient, attempt, stage, code, enhanced, text)
				VALUES (?, 1, 'a@shop.test', ?, 1, 'rcpt', ?, '', ?)`, session, rcpt, code, text)
			return err
		}
		for i := range 1234 {
			code, text := 550, fmt.Sprintf("no user %d", i)
			if i == 1233 {
				code, text = 451, "try again"
			}
			if err := add(7, fmt.Sprintf("r%d@example.test", i), code, text); err != nil {
				return err
			}
			if i%50 == 0 { // another session's attempts come between
				if err := add(8, fmt.Sprintf("s%d@example.test", i), 250, "ok"); err != nil {
					return err
				}
			}
		}
		for range 1100 {
			if _, err := tx.Exec(`INSERT INTO sink_messages (session_id, listener, time_ns, mail_from, rcpts, size, attempt, code, raw)
				VALUES (7, 'mx', 1, 'a@shop.test', 'b@example.test', 1, 1, 250, x'41')`); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Session 8 had 25 attempts above; keep its first two.
	if err := st.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(`DELETE FROM sink_attempts WHERE session_id = 8 AND id NOT IN (SELECT id FROM sink_attempts WHERE session_id = 8 ORDER BY id LIMIT 2)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return st
}

// faServe serves the web API over st's sink tables.
func faServe(t *testing.T, st *store.Store) string {
	t.Helper()
	srv, err := web.New(web.Options{Store: st, Logger: slog.New(slog.DiscardHandler), Sink: sinkAdapter{db: st.DB()}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); srv.Run(ctx) }()
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); cancel(); <-done })
	return hs.URL
}

// faGet asks url and decodes a 200's JSON into out; it returns the status
// and the body.
func faGet(t *testing.T, url string, out any) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("GET %s: %v in %.300s", url, err, b)
		}
	}
	return resp.StatusCode, string(b)
}

// faPage is the paging part of a session's answer.
type faPage struct {
	Attempts      []web.SessionAttempt `json:"attempts"`
	AttemptsTotal *int                 `json:"attempts_total"`
	AttemptsNext  string               `json:"attempts_next"`
	Messages      []string             `json:"messages"`
	MessagesTotal *int                 `json:"messages_total"`
	MessagesNext  string               `json:"messages_next"`
	LastReply     string               `json:"last_reply"`
	Transcript    []web.Line           `json:"transcript"`
}

// TestFASessionPages: a session's page holds at most a page of its
// attempts and message ids (500 by default), with how many it has of
// each and the cursor of the next page; following the cursors reads
// every one once, in order, whatever the limit, and the last page has
// no cursor, also when it is exactly full. It held all 1,234 attempts
// and 1,100 ids in one body before.
func TestFASessionPages(t *testing.T) {
	t.Parallel()
	url := faServe(t, faSessions(t)) + "/api/v1/sink/sessions/"
	var first faPage
	if code, body := faGet(t, url+"7", &first); code != 200 {
		t.Fatalf("GET session 7: %d %s", code, body)
	}
	if len(first.Attempts) != web.DefaultSessionPage || first.AttemptsTotal == nil || *first.AttemptsTotal != 1234 || first.AttemptsNext == "" {
		t.Errorf("first page: %d attempts, total %v, next %q; want %d, 1234 and a next", len(first.Attempts), first.AttemptsTotal, first.AttemptsNext, web.DefaultSessionPage)
	}
	if len(first.Messages) != web.DefaultSessionPage || first.MessagesTotal == nil || *first.MessagesTotal != 1100 || first.MessagesNext != first.Messages[len(first.Messages)-1] {
		t.Errorf("first page: %d messages, total %v, next %q; want %d, 1100 and the last id as next", len(first.Messages), first.MessagesTotal, first.MessagesNext, web.DefaultSessionPage)
	}
	// The session's last reply is its last attempt's, not its page's.
	if first.LastReply != "451 try again (at rcpt)" || len(first.Transcript) != 1 {
		t.Errorf("last reply %q, transcript %v; want the 451 of the 1,234th attempt and the transcript", first.LastReply, first.Transcript)
	}

	for _, limit := range []int{400, 617, 1234, 5000} {
		var rcpts, ids []string
		for after, pages := "0", 0; ; pages++ {
			var p faPage
			if code, body := faGet(t, fmt.Sprintf("%s7?limit=%d&attempts_after=%s", url, limit, after), &p); code != 200 {
				t.Fatalf("limit=%d attempts_after=%s: %d %s", limit, after, code, body)
			}
			if len(p.Attempts) > limit || pages > 10 {
				t.Fatalf("limit=%d: a page of %d attempts, page %d", limit, len(p.Attempts), pages)
			}
			for _, a := range p.Attempts {
				rcpts = append(rcpts, a.Recipient)
			}
			if p.AttemptsNext == "" {
				break
			}
			after = p.AttemptsNext
		}
		for after := "0"; ; {
			var p faPage
			faGet(t, fmt.Sprintf("%s7?limit=%d&messages_after=%s", url, limit, after), &p)
			ids = append(ids, p.Messages...)
			if p.MessagesNext == "" || len(ids) > 1100 {
				break
			}
			after = p.MessagesNext
		}
		if len(rcpts) != 1234 || rcpts[0] != "r0@example.test" || rcpts[1233] != "r1233@example.test" || len(slices.Compact(slices.Clone(rcpts))) != 1234 {
			t.Errorf("limit=%d: the pages read %d attempts (%v ... ), want r0 to r1233 once each", limit, len(rcpts), rcpts[:min(3, len(rcpts))])
		}
		if len(ids) != 1100 || !slices.IsSortedFunc(ids, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y }) ||
			len(slices.Compact(slices.Clone(ids))) != 1100 {
			t.Errorf("limit=%d: the pages read %d message ids, want 1100 once each, in order", limit, len(ids))
		}
	}

	// Past the end: nothing, the totals, no cursor.
	var past faPage
	faGet(t, url+"7?attempts_after=999999999&messages_after=999999999", &past)
	if len(past.Attempts) != 0 || past.AttemptsNext != "" || past.AttemptsTotal == nil || *past.AttemptsTotal != 1234 || len(past.Messages) != 0 || past.MessagesNext != "" {
		t.Errorf("past the end: %d attempts next %q total %v, %d messages next %q", len(past.Attempts), past.AttemptsNext, past.AttemptsTotal, len(past.Messages), past.MessagesNext)
	}
	// A small session is one page, and says so; one without attempts
	// says 0.
	var small, none faPage
	faGet(t, url+"8", &small)
	if len(small.Attempts) != 2 || small.AttemptsNext != "" || small.AttemptsTotal == nil || *small.AttemptsTotal != 2 || small.MessagesTotal == nil || *small.MessagesTotal != 0 {
		t.Errorf("session 8: %d attempts, next %q, totals %v %v; want 2, none, 2 and 0", len(small.Attempts), small.AttemptsNext, small.AttemptsTotal, small.MessagesTotal)
	}
	_, body := faGet(t, url+"9", &none)
	if none.AttemptsTotal == nil || *none.AttemptsTotal != 0 || !strings.Contains(body, `"attempts_total":0`) || none.LastReply != "553 5.7.1 sender refused (at mail)" {
		t.Errorf("session 9: %s; want attempts_total 0 and the refusal at MAIL", body)
	}
}

// TestFASessionPageBadParams: a bad limit or cursor is a 400 that names
// the parameter and what it takes, as the other paged endpoints answer.
func TestFASessionPageBadParams(t *testing.T) {
	t.Parallel()
	url := faServe(t, faSessions(t)) + "/api/v1/sink/sessions/7"
	for _, tc := range []struct{ query, error, detail string }{
		{"limit=5001", "bad limit", "limit=5001: at most 5000"},
		{"limit=-1", "bad limit", `limit="-1": want a non-negative integer`},
		{"limit=many", "bad limit", `limit="many"`},
		{"attempts_after=-5", "bad attempts_after", "give the attempts_next of the page before"},
		{"attempts_after=x1", "bad attempts_after", `attempts_after="x1": want a non-negative integer`},
		{"messages_after=1.5", "bad messages_after", "give the messages_next of the page before"},
		{"after=3", `unknown query parameter "after"`, "attempts_after"},
	} {
		code, body := faGet(t, url+"?"+tc.query, nil)
		var e struct{ Error, Detail string }
		json.Unmarshal([]byte(body), &e)
		if code != http.StatusBadRequest || !strings.Contains(e.Error, tc.error) || !strings.Contains(e.Detail, tc.detail) {
			t.Errorf("?%s: %d %s, want 400 with %q and %q", tc.query, code, body, tc.error, tc.detail)
		}
	}
	if code, body := faGet(t, url+"?limit=5000&attempts_after=0&messages_after=0", nil); code != 200 {
		t.Errorf("the largest page from the first: %d %.200s", code, body)
	}
}

// TestFASessionListLastReply: the list gives each session the reply of
// its last attempt (by id), or its refusal when it made none, and reads
// only that attempt: the attempts before it in session 10 cannot be
// read at all (a code that is no number), and the list is still
// answered. It read every attempt of every session listed before, to
// keep the last.
func TestFASessionListLastReply(t *testing.T) {
	t.Parallel()
	st := faSessions(t)
	if err := st.Write(context.Background(), func(tx *store.Tx) error {
		if _, err := tx.Exec(`INSERT INTO sink_sessions (id, listener, client, start_ns, end_ns) VALUES (10, 'mx', '127.0.0.1:40001', 1, 2)`); err != nil {
			return err
		}
		for _, code := range []any{"unreadable", "unreadable", 452} {
			if _, err := tx.Exec(`INSERT INTO sink_attempts (session_id, time_ns, sender, recipient, attempt, stage, code, enhanced, text)
				VALUES (10, 1, 'a@shop.test', 'full@example.test', 1, 'rcpt', ?, '4.2.2', 'mailbox full')`, code); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var list struct {
		Sessions []web.SinkSession `json:"sessions"`
	}
	if code, body := faGet(t, faServe(t, st)+"/api/v1/sink/sessions", &list); code != 200 {
		t.Fatalf("GET the list: %d %s", code, body)
	}
	want := map[string]string{
		"10": "452 4.2.2 mailbox full (at rcpt)",
		"9":  "553 5.7.1 sender refused (at mail)",
		"8":  "250 ok (at rcpt)",
		"7":  "451 try again (at rcpt)",
	}
	for _, s := range list.Sessions {
		if s.LastReply != want[s.ID] {
			t.Errorf("session %s: last reply %q, want %q", s.ID, s.LastReply, want[s.ID])
		}
		if s.Category == "" && s.ID != "8" {
			t.Errorf("session %s: last reply %q unexplained", s.ID, s.LastReply)
		}
		if s.AttemptsTotal != nil || s.Attempts != nil {
			t.Errorf("session %s in the list has attempts %v, total %v", s.ID, s.Attempts, s.AttemptsTotal)
		}
		delete(want, s.ID)
	}
	if len(want) > 0 {
		t.Errorf("sessions not listed: %v", want)
	}
	// The list carries the first listMessageIDs of them
	// (TestSessionListCapsMessageIDs).
	if len(list.Sessions) == 4 && (len(list.Sessions[3].Messages) != listMessageIDs || list.Sessions[3].MessagesTotal == nil || *list.Sessions[3].MessagesTotal != 1100) {
		t.Errorf("session 7 lists %d messages of %v, want %d of 1100", len(list.Sessions[3].Messages), list.Sessions[3].MessagesTotal, listMessageIDs)
	}
}

// TestFALastAttemptsPlan: the list's last attempts are found through the
// session index and then by id, without a scan.
func TestFALastAttemptsPlan(t *testing.T) {
	t.Parallel()
	st := faSessions(t)
	plan := strings.Join(queryPlan(t, st, lastAttemptsSQL(2), 7, 8), "; ")
	for _, want := range []string{"USING COVERING INDEX sink_attempts_session (session_id=?)", "USING INTEGER PRIMARY KEY (rowid=?)"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan %q lacks %q", plan, want)
		}
	}
	if strings.Contains(plan, "SCAN") {
		t.Errorf("plan %q scans", plan)
	}
}

// TestFASessionPagesLive: over a running sink, one connection looping
// MAIL, RCPT (one refused, two accepted) and DATA: its page holds its
// attempts in the order /api/v1/sink/attempts gives them, a page at a
// time, and its messages.
func TestFASessionPagesLive(t *testing.T) {
	t.Parallel()
	r := startClearRig(t)
	c, err := smtp.Dial(r.addr)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		if err := c.Mail("app@ci.test"); err != nil {
			t.Fatal(err)
		}
		for _, rcpt := range []string{"full@example.test", fmt.Sprintf("a%d@example.test", i), fmt.Sprintf("b%d@example.test", i)} {
			c.Rcpt(rcpt) // full@ is refused (452)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "Subject: %d\r\n\r\nhi\r\n", i)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	c.Quit()
	r.sessions(t, 1)
	var all attemptsPage // in the order recorded, as the session's page
	r.call(t, "GET", "/api/v1/sink/attempts?after=0", &all)
	var want []string
	for _, a := range all.Attempts {
		want = append(want, a.Recipient+" "+strconv.Itoa(a.Code))
	}
	var list struct {
		Sessions []web.SinkSession `json:"sessions"`
	}
	r.call(t, "GET", "/api/v1/sink/sessions", &list)
	if len(list.Sessions) != 1 {
		t.Fatalf("%d sessions, want 1", len(list.Sessions))
	}
	id := list.Sessions[0].ID
	var got, msgs []string
	var p faPage
	msgsAfter := "0"
	for after := "0"; len(got) <= len(want); after = p.AttemptsNext {
		p = faPage{}
		query := "?limit=4&attempts_after=" + after
		if msgsAfter != "" {
			query += "&messages_after=" + msgsAfter
		}
		if code, body := r.call(t, "GET", "/api/v1/sink/sessions/"+id+query, &p); code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		for _, a := range p.Attempts {
			code, _, _ := strings.Cut(a.Reply, " ")
			got = append(got, a.Recipient+" "+code)
		}
		if msgsAfter != "" {
			msgs = append(msgs, p.Messages...)
			msgsAfter = p.MessagesNext // "" once the last page is read
		}
		if p.AttemptsTotal == nil || *p.AttemptsTotal != 18 || p.MessagesTotal == nil || *p.MessagesTotal != 6 {
			t.Fatalf("totals %v %v, want 18 attempts and 6 messages", p.AttemptsTotal, p.MessagesTotal)
		}
		if p.AttemptsNext == "" {
			break
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") || len(want) != 18 {
		t.Errorf("pages of 4:\n got %v\nwant %v (18)", got, want)
	}
	if !slices.Equal(msgs, list.Sessions[0].Messages) || len(msgs) != 6 {
		t.Errorf("messages paged %v, the list's %v; want the same 6", msgs, list.Sessions[0].Messages)
	}
	if p.LastReply != list.Sessions[0].LastReply || !strings.HasPrefix(p.LastReply, "250 ") {
		t.Errorf("the page's last reply %q, the list's %q; want the same 250 after the last DATA", p.LastReply, list.Sessions[0].LastReply)
	}
}
