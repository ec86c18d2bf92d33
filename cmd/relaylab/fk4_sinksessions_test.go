package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/sink"
)

// fk4Session runs one session of lines (commands, each with the code
// its reply must have) against the sink at addr.
func fk4Session(t *testing.T, addr string, steps ...string) {
	t.Helper()
	c, err := textproto.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.ReadResponse(220); err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		c.PrintfLine("%s", s)
		if s == "DATA" {
			c.ReadResponse(354)
			w := c.DotWriter()
			io.WriteString(w, "Subject: hi\r\n\r\nhello\r\n")
			w.Close()
		}
		if _, _, err := c.ReadResponse(0); err != nil && !strings.HasPrefix(s, "RCPT") {
			t.Fatalf("%q: %v", s, err)
		}
	}
}

// sinkOnStore starts a sink recording into a new store, as relaylab
// sink or serve would, and returns the store's path, the sink and its
// listener's address; the sink stops when ctx ends or the test does.
func sinkOnStore(t *testing.T, ctx context.Context) (string, *sink.Sink, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ci.db")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := sink.DefaultConfig()
	cfg.Listeners[0].Listen = "127.0.0.1:0"
	cfg.Bounce.Relay = ""
	sk, err := sink.New(cfg, sink.Options{Store: st, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := sk.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sk.Shutdown(context.Background()) })
	return path, sk, sk.HostPorts()["mx"]
}

// relaylab sink sessions finds the sessions a tester looks for from a
// client's log, in a store (--db): by the client's address, its EHLO
// name, a sender or recipient (either spelling of an IDN domain), a piece
// of the transcript; newest first, a line each with what became of it.
func TestFK4SinkSessionsCommand(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path, sk, addr := sinkOnStore(t, ctx)
	fk4Session(t, addr, "EHLO alpha.client.test", "MAIL FROM:<ann@x.test> SMTPUTF8", "RCPT TO:<rcpt550+bob@bücher.test>", "QUIT")
	fk4Session(t, addr, "EHLO beta.test", "MAIL FROM:<cy@y.test>", "RCPT TO:<dave@sink.test>", "DATA", "NOOP sale 50%_off", "QUIT")
	if err := sk.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		return runIn(t, ctx, append([]string{"sink", "sessions", "--db", path}, args...)...)
	}
	rows := func(out string) []string {
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		return lines[1:] // the header
	}
	code, out, errOut := run()
	if r := rows(out); code != 0 || len(r) != 2 || !strings.Contains(r[0], "beta.test") || !strings.Contains(r[1], "alpha.client.test") {
		t.Fatalf("all sessions: exit %d\n%s%s\nwant 2 rows, the newest first", code, out, errOut)
	}
	if !strings.HasPrefix(out, "ID ") || !strings.Contains(out, "CLIENT") || !strings.Contains(out, "OUTCOME") {
		t.Errorf("the header: %q", strings.SplitN(out, "\n", 2)[0])
	}
	if r := rows(out); !strings.Contains(r[0], "250 2.0.0 Message accepted as") || !strings.Contains(r[1], "550 5.1.1") || !strings.Contains(r[1], "127.0.0.1:") {
		t.Errorf("the rows do not say what became of each session:\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		want string // the HELO of the one row
	}{
		{[]string{"--helo", "ALPHA"}, "alpha.client.test"},
		{[]string{"--to", "Bob+rcpt550@xn--bcher-kva.test"}, ""},
		{[]string{"--to", "rcpt550+bob@xn--bcher-kva.test"}, "alpha.client.test"},
		{[]string{"--from", "CY@y.test"}, "beta.test"},
		{[]string{"--text", "50%_off"}, "beta.test"},
		{[]string{"--client", "127.0.0.1", "--helo", "beta"}, "beta.test"},
	} {
		code, out, errOut := run(tc.args...)
		if tc.want == "" {
			if code != 0 || !strings.HasPrefix(out, "no sessions") {
				t.Errorf("%q: exit %d\n%s%s\nwant none", tc.args, code, out, errOut)
			}
			continue
		}
		if r := rows(out); code != 0 || len(r) != 1 || !strings.Contains(r[0], tc.want) {
			t.Errorf("%q: exit %d\n%s%s\nwant the one row of %s", tc.args, code, out, errOut, tc.want)
		}
	}
	code, out, errOut = run("--limit", "1")
	if r := rows(out); code != 0 || len(r) != 1 || !strings.Contains(r[0], "beta.test") || !strings.Contains(errOut, "--limit") {
		t.Errorf("--limit 1: exit %d\n%s%s\nwant the newest, and a note that there may be more", code, out, errOut)
	}
	code, out, _ = run("--json", "--helo", "alpha")
	var list []struct {
		ID, Client, HELO string
		LastReply        string `json:"last_reply"`
	}
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 1 || list[0].HELO != "alpha.client.test" || !strings.HasPrefix(list[0].LastReply, "550") {
		t.Errorf("--json: exit %d, %v\n%s", code, err, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--client", "client.test"}, `client "client.test" is no IP address`},
		{[]string{"--limit", "0"}, "--limit 0"},
		{[]string{"--url", "http://127.0.0.1:1"}, "--db or --url"},
		{[]string{"extra"}, "takes no arguments"},
	} {
		if code, _, errOut := run(tc.args...); code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
	if code, _, errOut := runIn(t, ctx, "sink", "sessions", "--db", filepath.Join(t.TempDir(), "none.db")); code != 2 || !strings.Contains(errOut, "no store at") {
		t.Errorf("no store: exit %d, %q", code, errOut)
	}
}

// With --url it asks a running serve's API, /api/v1/sink/sessions, with
// the filters as its query parameters, and prints what it answers as it
// prints a store's sessions.
func TestFK4SinkSessionsURL(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var asked url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, pw, _ := r.BasicAuth(); r.URL.Path != "/api/v1/sink/sessions" || u != "ops" || pw != "pw" {
			http.Error(w, "no", http.StatusNotFound)
			return
		}
		mu.Lock()
		asked = r.URL.Query()
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"sessions":[{"id":"7","listener":"mx","client":"192.0.2.1:40000","helo":"app.test","tls":true,"start":"2026-03-01T12:00:00Z","end":"2026-03-01T12:00:01Z","last_reply":"451 4.7.1 Greylisted (at rcpt)"}]}`)
	}))
	defer srv.Close()
	withUser := strings.Replace(srv.URL, "http://", "http://ops:pw@", 1)
	code, out, errOut := runIn(t, context.Background(), "sink", "sessions", "--url", withUser+"/", "--client", "192.0.2.1", "--helo", "app",
		"--from", "a@x.test", "--to", "b@bücher.test", "--text", "50%", "--limit", "5")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "7 ") || !strings.Contains(lines[1], "192.0.2.1:40000") || !strings.Contains(lines[1], "app.test") ||
		!strings.Contains(lines[1], "yes") || !strings.Contains(lines[1], "451 4.7.1 Greylisted (at rcpt)") || !strings.Contains(lines[1], "2026-03-01T12:00:00Z") {
		t.Errorf("the serve's session:\n%s", out)
	}
	mu.Lock()
	defer mu.Unlock()
	want := url.Values{"client": {"192.0.2.1"}, "helo": {"app"}, "from": {"a@x.test"}, "to": {"b@bücher.test"}, "text": {"50%"}, "limit": {"5"}}
	for k, v := range want {
		if asked.Get(k) != v[0] {
			t.Errorf("query %s=%q, want %q (all: %v)", k, asked.Get(k), v[0], asked)
		}
	}
}
