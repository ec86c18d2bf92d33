package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// faPagingSink is a fake sink whose session "7" made n attempts and left
// m messages, given a page at a time (SessionPageAPI); the cursors are
// the attempts' and messages' places, from 1. It records the queries.
type faPagingSink struct {
	*fakeSink
	n, m    int
	mu      sync.Mutex
	queries []SessionPageQuery
}

var _ SessionPageAPI = (*faPagingSink)(nil)

func (p *faPagingSink) SessionPage(ctx context.Context, id string, q SessionPageQuery) (SinkSession, error) {
	p.mu.Lock()
	p.queries = append(p.queries, q)
	p.mu.Unlock()
	if id != "7" {
		return p.fakeSink.Session(ctx, id)
	}
	if q.Limit <= 0 {
		q.Limit = DefaultSessionPage
	}
	ss := SinkSession{ID: "7", Listener: "mx", Client: "127.0.0.1:40000", Start: time.Now(), End: time.Now(), LastReply: "451 4.7.1 try later (at rcpt)",
		AttemptsTotal: &p.n, MessagesTotal: &p.m}
	for i := q.AttemptsAfter + 1; i <= int64(p.n) && len(ss.Attempts) < q.Limit; i++ {
		ss.Attempts = append(ss.Attempts, SessionAttempt{Recipient: fmt.Sprintf("r%d@example.test", i), Reply: "550 5.1.1 no such user (at rcpt)"})
		if len(ss.Attempts) == q.Limit && i < int64(p.n) {
			ss.AttemptsNext = strconv.FormatInt(i, 10)
		}
	}
	for i := q.MessagesAfter + 1; i <= int64(p.m) && len(ss.Messages) < q.Limit; i++ {
		ss.Messages = append(ss.Messages, strconv.FormatInt(i, 10))
		if len(ss.Messages) == q.Limit && i < int64(p.m) {
			ss.MessagesNext = strconv.FormatInt(i, 10)
		}
	}
	return ss, nil
}

// TestFASessionPageParams: /api/v1/sink/sessions/{id} hands limit=,
// attempts_after= and messages_after= to a sink that pages (the default
// page without them), refuses bad ones with a 400 naming the parameter
// and what it takes, and tells a sink that cannot page from a request
// for a page (501), while it still answers the session without them.
func TestFASessionPageParams(t *testing.T) {
	t.Parallel()
	ps := &faPagingSink{fakeSink: newFakeSink(), n: 1203, m: 3}
	ts := startServer(t, Options{Sink: ps})
	url := ts.url + "/api/v1/sink/sessions/7"

	code, _, body := do(t, "GET", url, "")
	var ss SinkSession
	if err := json.Unmarshal(body, &ss); err != nil || code != 200 {
		t.Fatalf("GET: %d %s", code, body)
	}
	if len(ss.Attempts) != DefaultSessionPage || ss.AttemptsNext != "500" || ss.AttemptsTotal == nil || *ss.AttemptsTotal != 1203 || ss.MessagesNext != "" || len(ss.Messages) != 3 {
		t.Errorf("the first page: %d attempts, next %q, total %v, messages %v next %q", len(ss.Attempts), ss.AttemptsNext, ss.AttemptsTotal, ss.Messages, ss.MessagesNext)
	}
	if !strings.Contains(string(body), `"attempts_total":1203`) || !strings.Contains(string(body), `"attempts_next":"500"`) || !strings.Contains(string(body), `"messages_total":3`) {
		t.Errorf("the JSON %.300s lacks attempts_total, attempts_next or messages_total", body)
	}
	do(t, "GET", url+"?limit=20&attempts_after=1200&messages_after=2", "")
	ps.mu.Lock()
	got := fmt.Sprint(ps.queries)
	ps.mu.Unlock()
	if want := fmt.Sprint([]SessionPageQuery{{Limit: DefaultSessionPage}, {Limit: 20, AttemptsAfter: 1200, MessagesAfter: 2}}); got != want {
		t.Errorf("the sink was asked %s, want %s", got, want)
	}

	for _, tc := range []struct{ query, error, detail string }{
		{"limit=5001", "bad limit", "limit=5001: at most 5000"},
		{"limit=-3", "bad limit", `limit="-3": want a non-negative integer`},
		{"attempts_after=abc", "bad attempts_after", `attempts_after="abc": want a non-negative integer: give the attempts_next of the page before`},
		{"messages_after=-1", "bad messages_after", "give the messages_next of the page before"},
		{"attempts_after=", `query parameter "attempts_after" is empty`, "give attempts_after a value"},
	} {
		code, _, body := do(t, "GET", url+"?"+tc.query, "")
		e := wantAPIError(t, body)
		if code != http.StatusBadRequest || !strings.Contains(e.Error, tc.error) || !strings.Contains(e.Detail, tc.detail) {
			t.Errorf("?%s: %d %+v, want 400 with %q and %q", tc.query, code, e, tc.error, tc.detail)
		}
	}

	plain := newFakeSink()
	plain.sessions = []SinkSession{{ID: "3", Listener: "mx", Attempts: []SessionAttempt{{Recipient: "a@example.test", Reply: "250 ok"}}}}
	old := startServer(t, Options{Sink: plain})
	if code, _, body := do(t, "GET", old.url+"/api/v1/sink/sessions/3", ""); code != 200 || !strings.Contains(string(body), "a@example.test") {
		t.Errorf("a sink that cannot page, no page asked: %d %s", code, body)
	}
	code, _, body = do(t, "GET", old.url+"/api/v1/sink/sessions/3?attempts_after=1", "")
	if e := wantAPIError(t, body); code != http.StatusNotImplemented || !strings.Contains(e.Detail, "leave out limit, attempts_after and messages_after") {
		t.Errorf("a sink that cannot page, a page asked: %d %+v, want 501 saying what to leave out", code, e)
	}
}
