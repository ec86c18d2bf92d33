package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/web"
)

// clearRig is a running sink and the web API over it, as serve wires them.
type clearRig struct {
	addr, url, path string
	st              *store.Store
}

func startClearRig(t *testing.T) clearRig {
	t.Helper()
	path, st, sk := startSinkStore(t)
	srv, err := web.New(web.Options{Store: st, Logger: slog.New(slog.DiscardHandler), Sink: sinkAdapter{sk: sk, db: st.DB()}})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); srv.Run(rctx) }()
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { // before the sink's and the store's (startSinkStore)
		hs.Close()
		cancel()
		<-done
	})
	return clearRig{addr: sk.HostPorts()["mx"], url: hs.URL, path: path, st: st}
}

// call sends method path and decodes the JSON answer into out (when not
// nil); it returns the status and the body.
func (r clearRig) call(t *testing.T, method, path string, out any) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, r.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode, string(b)
}

// sessions waits until the sink has recorded n sessions in all.
func (r clearRig) sessions(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < 2000; i++ {
		var got int
		r.st.DB().QueryRow(`SELECT COUNT(*) FROM sink_sessions WHERE end_ns > 0`).Scan(&got)
		if got >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("fewer than %d sessions recorded", n)
}

type attemptsPage struct {
	Attempts []web.SinkAttempt `json:"attempts"`
}

// TestWebSinkResetAndClear: a CI job's clean slate over HTTP, against a
// running sink. POST /api/v1/sink/reset makes "defer2" defer twice again
// and marks the attempts before it; DELETE /api/v1/sink/messages/{id}
// deletes one message, whose page then says it was deleted; DELETE
// /api/v1/sink/messages leaves no message, session or attempt, and a
// fresh count.
func TestWebSinkResetAndClear(t *testing.T) {
	t.Parallel()
	r := startClearRig(t)
	for i, want := range []int{451, 451, 250} {
		if got := rcptCode(t, r.addr, "defer2+ci@example.test"); got != want {
			t.Fatalf("first test, attempt %d: %d, want %d", i+1, got, want)
		}
	}
	msg := "From: app@ci.test\r\nTo: b@example.test\r\nSubject: hi\r\nMessage-ID: <one@ci.test>\r\n\r\nHello.\r\n"
	if err := sendPlain(r.addr, "app@ci.test", "b@example.test", msg); err != nil {
		t.Fatal(err)
	}
	r.sessions(t, 4)

	var f web.SinkForgotten
	if code, body := r.call(t, "POST", "/api/v1/sink/reset", &f); code != 200 || f.Pairs != 2 || f.BeforeSession != 4 {
		t.Fatalf("reset: %d %s; want 2 pairs forgotten, before session 4", code, body)
	}
	var page attemptsPage
	r.call(t, "GET", "/api/v1/sink/attempts", &page)
	if len(page.Attempts) != 4 {
		t.Fatalf("%d attempts before the reset, want 4", len(page.Attempts))
	}
	for _, a := range page.Attempts {
		if !a.BeforeReset {
			t.Errorf("attempt of session %d is not marked before_reset", a.Session)
		}
	}
	if got := rcptCode(t, r.addr, "defer2+ci@example.test"); got != 451 {
		t.Fatalf("after the reset: %d, want 451 (defer2 from the start)", got)
	}
	r.sessions(t, 5)
	r.call(t, "GET", "/api/v1/sink/attempts", &page)
	if last := page.Attempts[len(page.Attempts)-1]; last.BeforeReset || last.Attempt != 1 {
		t.Errorf("the attempt after the reset: %+v; want attempt 1, not before_reset", last)
	}

	var one struct{ Deleted web.SinkDeleted }
	if code, body := r.call(t, "DELETE", "/api/v1/sink/messages/1", &one); code != 200 || one.Deleted.Messages != 1 || one.Deleted.Events != 1 {
		t.Fatalf("delete message 1: %d %s", code, body)
	}
	if code, body := r.call(t, "GET", "/api/v1/sink/messages/1", nil); code != 404 || !strings.Contains(body, "sink message 1 was deleted") {
		t.Errorf("the deleted message's page: %d %s; want a 404 that says it was deleted", code, body)
	}
	if code, body := r.call(t, "GET", "/api/v1/sink/messages/1/raw", nil); code != 404 || !strings.Contains(body, "was deleted") {
		t.Errorf("the deleted message's .eml: %d %s", code, body)
	}
	if code, body := r.call(t, "GET", "/api/v1/sink/messages/99", nil); code != 404 || strings.Contains(body, "deleted") {
		t.Errorf("a message never stored: %d %s; want a plain 404", code, body)
	}
	if code, body := r.call(t, "DELETE", "/api/v1/sink/messages/1", nil); code != 404 {
		t.Errorf("delete message 1 again: %d %s; want 404", code, body)
	}

	if err := sendPlain(r.addr, "app@ci.test", "b@example.test", msg); err != nil {
		t.Fatal(err)
	}
	r.sessions(t, 6)
	var c web.SinkCleared
	if code, body := r.call(t, "DELETE", "/api/v1/sink/messages", &c); code != 200 || c.Deleted.Messages != 1 || c.Deleted.Sessions != 6 ||
		c.Deleted.Attempts != 6 || c.KeptMessages != 0 || c.Forgotten.Pairs != 2 || c.Note != "" {
		t.Fatalf("clear: %d %s", code, body)
	}
	var inbox web.InboxPage
	r.call(t, "GET", "/api/v1/sink/messages", &inbox)
	var sessions struct{ Sessions []web.SinkSession }
	r.call(t, "GET", "/api/v1/sink/sessions", &sessions)
	r.call(t, "GET", "/api/v1/sink/attempts", &page)
	if inbox.Total != 0 || len(sessions.Sessions) != 0 || len(page.Attempts) != 0 {
		t.Errorf("after the clear: %d messages, %d sessions, %d attempts; want none", inbox.Total, len(sessions.Sessions), len(page.Attempts))
	}
	for i, want := range []int{451, 451, 250} {
		if got := rcptCode(t, r.addr, "defer2+ci@example.test"); got != want {
			t.Fatalf("after the clear, attempt %d: %d, want %d", i+1, got, want)
		}
	}
}

// TestSinkClearCommand: relaylab sink clear deletes the record of a
// store a sink runs on, which counts from the start again at its next
// connection; its errors name "sink clear", as sink reset's name "sink
// reset".
func TestSinkClearCommand(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := startClearRig(t)
	for i, want := range []int{451, 451, 250} {
		if got := rcptCode(t, r.addr, "defer2+cli@example.test"); got != want {
			t.Fatalf("attempt %d: %d, want %d", i+1, got, want)
		}
	}
	r.sessions(t, 3)
	code, out, errOut := runIn(t, ctx, "sink", "clear", "--db", r.path)
	if code != 0 || !strings.Contains(out, "deleted the sink's 0 messages, 3 sessions, 3 attempts") || !strings.Contains(out, "forgot the attempt counters of 1 (sender, recipient) pair") {
		t.Fatalf("sink clear: exit %d\n%s%s", code, out, errOut)
	}
	if got := rcptCode(t, r.addr, "defer2+cli@example.test"); got != 451 {
		t.Errorf("after sink clear: %d, want 451 (defer2 from the start)", got)
	}
	code, out, _ = runIn(t, ctx, "sink", "clear", "--db", r.path, "--json")
	if code != 0 || !strings.Contains(out, `"deleted": {`) || !strings.Contains(out, `"forgotten": {`) {
		t.Errorf("sink clear --json: exit %d\n%s", code, out)
	}
	none := filepath.Join(t.TempDir(), "none.db")
	for _, cmd := range []string{"clear", "reset"} {
		code, _, errOut := runIn(t, ctx, "sink", cmd, "--db", none)
		if code != 2 || !strings.HasPrefix(errOut, "relaylab sink "+cmd+": no store at") {
			t.Errorf("sink %s of no store: exit %d, %q; want exit 2 and relaylab sink %s: no store at ...", cmd, code, errOut, cmd)
		}
	}
}
