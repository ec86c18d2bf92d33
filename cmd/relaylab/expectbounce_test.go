package main

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

// TestExpectJudgesTheSinksBounces: a recipient the sink accepted and then
// bounced (a bounce rule or directive) has its DSN judged by dsn and
// dsn_status on the sink's record, instead of those keys being refused
// and "the sink bounced it later" being impossible to assert.
func TestExpectJudgesTheSinksBounces(t *testing.T) {
	t.Parallel()
	db := sinkStore(t, "late@example.test")
	// The sink's bounce, as its bouncer records one it sent.
	conn, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`INSERT INTO sink_bounces (message, due_ns, sender, recipient, reply, sent_ns) VALUES (1, 1, 'a@shop.test', 'late@example.test', '550 5.1.1 no such user', 2)`); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	for _, tt := range []struct {
		body string
		code int
		want string
	}{
		{"  recipients:\n    - {match: late@example.test, status: delivered, dsn: sent, dsn_status: \"5.1.1\"}\n", 0, "PASS"},
		{"  recipients:\n    - {match: late@example.test, dsn: none}\n", 1, "expected no DSN"},
		{"  recipients:\n    - {match: late@example.test, dsn_status: \"4.\"}\n", 1, "expected a DSN with status 4., got 5.1.1"},
	} {
		file := writeExpect(t, tt.body)
		code, out, errOut := runIn(t, context.Background(), "expect", "--db", db, file)
		if code != tt.code || !strings.Contains(out, tt.want) {
			t.Errorf("%s: exit %d (want %d), stdout %q (want %q)\nstderr: %s", tt.body, code, tt.code, out, tt.want, errOut)
		}
	}
}

// TestRemoteBouncesFromTheEventLog: expect --url reads the sink's sent
// bounces from the serve's sink.bounce events, page by page, and leaves
// out those not sent (NOTIFY ruled them out, or sending failed).
func TestRemoteBouncesFromTheEventLog(t *testing.T) {
	t.Parallel()
	pages := map[string]string{
		"0": `{"events":[{"id":3,"kind":"sink.bounce","recipient":"a@x.test","payload":{"recipient":"a@x.test","reply":"550 5.1.1 gone","sent":true}},
			{"id":4,"kind":"sink.bounce","recipient":"b@x.test","payload":{"recipient":"b@x.test","reply":"550 5.1.1 gone","sent":false,"skipped":"NOTIFY=NEVER"}}],"next":4}`,
		"4": `{"events":[{"id":9,"kind":"sink.bounce","recipient":"c@x.test","payload":{"recipient":"c@x.test","reply":"552 5.2.2 full","sent":true}}],"next":9}`,
		"9": `{"events":[],"next":9}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/events" || r.URL.Query().Get("kind") != "sink.bounce" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, pages[r.URL.Query().Get("after")])
	}))
	defer srv.Close()
	got, err := remoteAttempts{base: srv.URL, client: srv.Client()}.AllBounces(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Recipient != "a@x.test" || got[1].Reply != "552 5.2.2 full" {
		t.Errorf("bounces %+v, want a@x.test's and c@x.test's", got)
	}
}
