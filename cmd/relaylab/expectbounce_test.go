package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/reports"
	"github.com/relaylab/relaylab/web"
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

// TestExpectSaysWhyNoDSN: an expected DSN that the sink has not sent is
// a failure that says why: its relay refused it, or it is not sent yet,
// instead of only "none was".
func TestExpectSaysWhyNoDSN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		row, want string
	}{
		{`error) VALUES (1, 1, 'a@shop.test', 'late@example.test', '550 5.1.1 no such user', 'connecting to the bounce relay 127.0.0.1:2587: connection refused')`,
			"none was (the sink has a bounce for it that it could not send: connecting to the bounce relay 127.0.0.1:2587: connection refused)"},
		{`error) VALUES (1, 1, 'a@shop.test', 'late@example.test', '550 5.1.1 no such user', '')`,
			"none was (the sink has a bounce for it that is due at 1970-01-01T00:00:00Z and not sent yet"},
	} {
		db := sinkStore(t, "late@example.test")
		conn, err := sql.Open("sqlite3", db)
		if err != nil {
			t.Fatal(err)
		}
		_, err = conn.Exec(`INSERT INTO sink_bounces (message, due_ns, sender, recipient, reply, ` + tc.row)
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		file := writeExpect(t, "  recipients:\n    - {match: late@example.test, dsn: sent}\n")
		if code, out, errOut := runIn(t, context.Background(), "expect", "--db", db, file); code != 1 || !strings.Contains(out, tc.want) {
			t.Errorf("exit %d (want 1), stdout %q (want %q)\nstderr: %s", code, out, tc.want, errOut)
		}
	}
}

// TestRemoteBouncesFromTheEventLog: expect --url reads the sink's
// bounces from the serve's sink.bounce events, page by page; one not sent
// (NOTIFY ruled it out, or sending failed) says why.
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
	if len(got) != 3 || got[0].Recipient != "a@x.test" || got[0].NotSent != "" || got[2].Reply != "552 5.2.2 full" ||
		got[1].Recipient != "b@x.test" || got[1].NotSent != "it did not send: NOTIFY=NEVER" {
		t.Errorf("bounces %+v, want a@x.test's and c@x.test's sent, b@x.test's not sent for NOTIFY=NEVER", got)
	}
}

// TestSinkBounceGoesToItsSender: a recipient the sink accepted from two
// senders has a record per sender, and a bounce the sink sent for one of
// the messages is judged on that sender's record only, read with --db
// (sink_bounces.sender) as with --url (the sink.bounce event's "to", the
// sender the DSN went to), instead of on both.
func TestSinkBounceGoesToItsSender(t *testing.T) {
	t.Parallel()
	db, codes, errs := sendEachToSink(t, [][]string{
		{"--to", "late@example.test", "--from", "app@shop.test"},
		{"--to", "late@example.test", "--from", "news@shop.test"},
	})
	for i, c := range codes {
		if c != 0 {
			t.Fatalf("send %d: exit %d: %s", i, c, errs[i])
		}
	}
	conn, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`INSERT INTO sink_bounces (message, due_ns, sender, recipient, reply, sent_ns) VALUES (2, 1, 'news@shop.test', 'late@example.test', '550 5.1.1 no such user', 2)`); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	check := func(name string, src reports.SinkAttemptSource) {
		t.Helper()
		d, err := reports.FromSink(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		dsn := map[string]bool{}
		for _, r := range d.Recipients {
			dsn[r.Sender] = r.DSN
		}
		if len(d.Recipients) != 2 || dsn["app@shop.test"] || !dsn["news@shop.test"] {
			t.Errorf("%s: DSN by sender %v, want news@shop.test's record alone to have it", name, dsn)
		}
	}
	st, err := store.Open(context.Background(), store.Options{Path: db, Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	check("--db", sinkAttempts{db: st.DB()})

	// The same through a serve's API: its attempts, and the bounce as the
	// sink's sink.bounce event gives it.
	atts, err := sinkAttempts{db: st.DB()}.AllMessageAttempts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var webAtts []web.SinkAttempt
	for _, a := range atts {
		webAtts = append(webAtts, web.SinkAttempt{Time: a.Time, Listener: a.Listener, Client: a.Client, Sender: a.Sender, Recipient: a.Recipient,
			Stage: a.Stage, Code: a.Code, Enhanced: a.Enhanced, Text: a.Text, TLS: a.TLS, Message: a.Message})
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/v1/sink/attempts":
			json.NewEncoder(w).Encode(map[string]any{"attempts": webAtts})
		case r.URL.Path == "/api/v1/events" && r.URL.Query().Get("after") == "0":
			io.WriteString(w, `{"events":[{"id":3,"kind":"sink.bounce","recipient":"late@example.test","payload":{"to":"news@shop.test","recipient":"late@example.test","reply":"550 5.1.1 no such user","sent":true}}],"next":3}`)
		case r.URL.Path == "/api/v1/events":
			io.WriteString(w, `{"events":[],"next":3}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	check("--url", remoteAttempts{base: srv.URL, client: srv.Client()})
}
