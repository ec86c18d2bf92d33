package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/sink"
	"github.com/relaylab/relaylab/web"
)

// fxPorts hands out the loopback ports of this file's tests, from 43100
// to 43199, each once, skipping any in use.
var fxPorts = struct {
	sync.Mutex
	next int
}{next: 43100}

// fxAddr is a free loopback address with one of fxPorts.
func fxAddr(t *testing.T) string {
	t.Helper()
	fxPorts.Lock()
	defer fxPorts.Unlock()
	for ; fxPorts.next < 43200; fxPorts.next++ {
		addr := fmt.Sprintf("127.0.0.1:%d", fxPorts.next)
		if l, err := net.Listen("tcp", addr); err == nil {
			l.Close()
			fxPorts.next++
			return addr
		}
	}
	t.Fatal("no free port left in 127.0.0.1:43100-43199")
	return ""
}

// fxServe is a sink on a store of its own with the listeners mx and
// slow and rules, and the web API a relaylab serve gives over that store
// and sink; it returns the store's path, the listeners' addresses and
// the API's URL.
func fxServe(t *testing.T, rules string) (db string, mx, slow string, url string, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	db = filepath.Join(t.TempDir(), "serve.db")
	quiet := slog.New(slog.DiscardHandler)
	st, err := store.Open(ctx, store.Options{Path: db, Sync: store.SyncOff, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	mx, slow = fxAddr(t), fxAddr(t)
	cfg := sink.DefaultConfig()
	cfg.Listeners = []sink.ListenerConfig{sink.DefaultListener("mx", mx, "mx.sink.test"), sink.DefaultListener("slow", slow, "slow.sink.test")}
	cfg.Bounce.Relay = ""
	if rules != "" {
		var rc struct {
			Rules []sink.Rule `yaml:"rules"`
		}
		if err := yaml.Unmarshal([]byte(rules), &rc); err != nil {
			t.Fatal(err)
		}
		cfg.Rules = rc.Rules
	}
	sk, err := sink.New(cfg, sink.Options{Store: st, Logger: quiet})
	if err == nil {
		err = sk.Start(ctx)
	}
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	srv, err := web.New(web.Options{Store: st, Logger: quiet, Sink: sinkAdapter{sk: sk, db: st.DB()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		sk.Shutdown(sctx)
		st.Close()
	})
	return db, mx, slow, fxHTTP(t, srv.Handler()), st
}

// fxHTTP serves h on one of fxPorts until the test ends, and returns its
// URL.
func fxHTTP(t *testing.T, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", fxAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: time.Minute}
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close() })
	return "http://" + l.Addr().String()
}

// fxSend sends msg, written with bare line feeds, from from to to at
// addr, and returns the first refusal, nil when the sink accepted it.
func fxSend(addr, from, to, msg string) error {
	return sendPlain(addr, from, to, strings.ReplaceAll(msg, "\n", "\r\n"))
}

// fxDSN is a DSN the sender's MTA (pf.test) writes to app@s.test about
// rcpt, with action and status, returning the headers of the message
// whose Message-ID is orig (none when "").
func fxDSN(rcpt, action, status, orig string) string {
	returned := ""
	if orig != "" {
		returned = "\n--B\nContent-Type: text/rfc822-headers\n\nMessage-ID: " + orig + "\nSubject: order\n"
	}
	return `From: MAILER-DAEMON@pf.test
To: app@s.test
Message-ID: <` + action + `.` + rcpt + `@pf.test>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

about ` + rcpt + `

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; pf.test

Final-Recipient: rfc822; ` + rcpt + `
Action: ` + action + `
Status: ` + status + `
Diagnostic-Code: smtp; 550 ` + status + ` refused
` + returned + `
--B--
`
}

// TestFX22ExpectURLJudgesAsDB: the same expect file judged over --db and
// over --url against the same store gives the same verdicts, where --url
// got three of them wrong: it tied a retry to the wrong message (the API
// gave no Message-ID, so a record ended at any acceptance), it saw no
// DSN of the sender's own MTA (the API listed no message from the null
// sender), and it did not name the sessions refused before RCPT TO.
func TestFX22ExpectURLJudgesAsDB(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, mx, slow, url, st := fxServe(t, `rules:
  - {name: slow-first, stage: data-end, recipient: "order@x.test", header: "Subject: slow", attempt: "1", per: message, reply: "451 4.7.1 try again later"}
  - {name: busy, stage: connect, listener: slow, reply: "421 4.7.0 busy, come back later"}
  - {name: rate, stage: mail, sender: "throttled@s.test", reply: "421 4.7.28 unusual rate"}
`)
	// Message a is deferred after its data, b (another message to the
	// same address) accepted, and then a's retry accepted: a's record is
	// its two tries, b's its one.
	a := "Message-ID: <a@app.test>\nSubject: slow\n\norder a\n"
	if err := fxSend(mx, "app@s.test", "order@x.test", a); err == nil || !strings.Contains(err.Error(), "451") {
		t.Fatalf("the first try of a: %v, want the rule's 451", err)
	}
	for _, msg := range []string{"Message-ID: <b@app.test>\nSubject: fast\n\norder b\n", a} {
		if err := fxSend(mx, "app@s.test", "order@x.test", msg); err != nil {
			t.Fatal(err)
		}
	}
	if err := fxSend(mx, "app@s.test", "rcpt550@x.test", "Subject: x\n\nx\n"); err == nil {
		t.Fatal("rcpt550@x.test was not refused")
	}
	// The sender's MTA gives up on rcpt550@x.test, and warns of a delay
	// of a (by its Message-ID, which only a's record has).
	for _, msg := range []string{fxDSN("rcpt550@x.test", "failed", "5.1.1", ""), fxDSN("order@x.test", "delayed", "4.4.1", "<a@app.test>")} {
		if err := fxSend(mx, "", "app@s.test", msg); err != nil {
			t.Fatal(err)
		}
	}
	// Refused before RCPT TO: at the greeting, and at MAIL FROM.
	if err := fxSend(slow, "app@s.test", "ok@slow.test", "x\n"); err == nil || !strings.Contains(err.Error(), "421") {
		t.Fatalf("at the slow listener: %v, want its 421 greeting", err)
	}
	if err := fxSend(mx, "throttled@s.test", "ok@slow.test", "x\n"); err == nil || !strings.Contains(err.Error(), "421") {
		t.Fatalf("from throttled@s.test: %v, want the rate rule's 421", err)
	}
	// The sessions end when their clients leave: the refused ones are
	// recorded then.
	waitSessions(t, st, 8)
	var a2, b int64
	if err := st.DB().QueryRowContext(ctx, `SELECT (SELECT MAX(id) FROM sink_messages WHERE message_id = 'a@app.test'), (SELECT id FROM sink_messages WHERE message_id = 'b@app.test')`).Scan(&a2, &b); err != nil {
		t.Fatal(err)
	}
	// A page of the attempts has their messages' Message-IDs too.
	var page struct {
		Attempts []web.PagedAttempt `json:"attempts"`
	}
	if err := (remoteAttempts{base: url, client: &http.Client{Timeout: time.Minute}}).get(ctx, "/api/v1/sink/attempts?limit=100", "a page", &page); err != nil {
		t.Fatal(err)
	}
	ids := map[int64]string{}
	for _, at := range page.Attempts {
		ids[at.Message] = at.MessageID
	}
	if ids[a2] != "a@app.test" || ids[b] != "b@app.test" || ids[0] != "" {
		t.Errorf("a page of attempts gives the Message-IDs %v; want a@app.test for message %d, b@app.test for %d, none without a message", ids, a2, b)
	}
	file := filepath.Join(t.TempDir(), "parity.yaml")
	if err := os.WriteFile(file, []byte(fmt.Sprintf(`name: parity
expect:
  recipients:
    - {name: a-retried, match: "order@x.test", message: "%d", status: delivered, attempts: 2, sender_dsn: delayed}
    - {name: b-once, match: "order@x.test", message: "%d", status: delivered, attempts: 1, sender_dsn: none}
    - {name: bounced-to-sender, match: "rcpt550@x.test", status: bounced, sender_dsn: failed, sender_dsn_status: "5.1"}
    - {name: refused-early, match: "ok@slow.test"}
`, a2, b)), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	judged := map[string]string{}
	for _, how := range [][]string{{"--db", db}, {"--url", url}} {
		out := filepath.Join(dir, how[0][2:]+".json")
		code, text, errOut := runIn(t, ctx, "expect", how[0], how[1], "--json", out, file)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1 (refused-early fails)\n%s\n%s", how[0], code, text, errOut)
		}
		// The notes on the sessions refused before RCPT TO name each
		// one's listener, reply and rule, and at MAIL its sender.
		for _, want := range []string{"ok    a-retried", "ok    b-once", "ok    bounced-to-sender", "FAIL  refused-early",
			`listener slow ("421 4.7.0 busy, come back later", by rule "busy")`,
			`listener mx ("421 4.7.28 unusual rate", by rule "rate") from throttled@s.test`} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the verdict lacks %q:\n%s", how[0], want, text)
			}
		}
		judged[how[0]] = text
		var v any
		data, err := os.ReadFile(out)
		if err == nil {
			err = json.Unmarshal(data, &v)
		}
		if err != nil {
			t.Fatalf("%s --json: %v", how[0], err)
		}
		if how[0] == "--db" {
			// Over --url the sink's sessions and replies are not counted
			// (the API's attempts are not all of them): the JSON leaves
			// them out, rather than give wrong ones.
			for _, x := range v.(map[string]any)["verdicts"].([]any) {
				sum := x.(map[string]any)["summary"].(map[string]any)
				delete(sum, "sink_sessions")
				delete(sum, "sink_sessions_open")
				delete(sum, "sink_replies")
			}
		}
		data, _ = json.MarshalIndent(v, "", " ")
		judged[how[0]+" --json"] = string(data)
	}
	for _, what := range []string{"", " --json"} {
		if db, url := judged["--db"+what], judged["--url"+what]; db != url {
			t.Errorf("the verdicts%s differ:\n--db:\n%s\n--url:\n%s", what, db, url)
		}
	}
}

// waitSessions waits until st has recorded n sessions whole (their ends).
func waitSessions(t *testing.T, st *store.Store, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // bounds a hang, measures nothing
	for {
		var ended int
		if err := st.DB().QueryRow(`SELECT COUNT(*) FROM sink_sessions WHERE end_ns > 0`).Scan(&ended); err != nil {
			t.Fatal(err)
		}
		if ended >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions ended of the %d sent", ended, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFX22ExpectURLSkipsWhatWasDeleted: a message from the null sender,
// or a session refused at MAIL FROM, deleted between the reading of the
// attempts and its own (a 404) is left out, as the store would not have
// it, rather than failing the judgement; what was read is read once.
func TestFX22ExpectURLSkipsWhatWasDeleted(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	asked := map[string]int{}
	url := fxHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked[r.URL.Path]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/sink/attempts":
			io.WriteString(w, `{"attempts":[
{"time":"2026-01-02T03:04:05Z","listener":"mx","sender":"","recipient":"app@s.test","stage":"data-end","code":250,"message":7,"session":1},
{"time":"2026-01-02T03:04:06Z","listener":"mx","sender":"","recipient":"app@s.test","stage":"data-end","code":250,"message":8,"session":2}]}`)
		case "/api/v1/sink/messages/8":
			io.WriteString(w, `{"id":"8","from":"","to":["app@s.test"],"received":"2026-01-02T03:04:06Z","size":3}`)
		case "/api/v1/sink/messages/8/raw":
			w.Header().Set("Content-Type", "message/rfc822")
			io.WriteString(w, "x\r\n")
		case "/api/v1/sink/sessions/4":
			io.WriteString(w, `{"id":"4","listener":"mx","transcript":[{"dir":"s","text":"220 ready"},{"dir":"c","text":"MAIL FROM:<throttled@s.test> SIZE=9"},{"dir":"s","text":"421 4.7.28 unusual rate"}]}`)
		case "/api/v1/events":
			if r.URL.Query().Get("kind") == "sink.reply" && r.URL.Query().Get("after") == "0" {
				io.WriteString(w, `{"events":[
{"id":5,"time":"2026-01-02T03:04:07Z","kind":"sink.reply","listener":"mx","payload":{"session":3,"t":0.01,"stage":"mail","code":421,"enhanced":"4.7.28","text":"unusual rate"}},
{"id":6,"time":"2026-01-02T03:04:08Z","kind":"sink.reply","listener":"mx","payload":{"session":1,"t":0.01,"stage":"mail","code":421,"text":"a session with attempts"}},
{"id":7,"time":"2026-01-02T03:04:09Z","kind":"sink.reply","listener":"mx","payload":{"session":4,"t":0.01,"stage":"mail","code":421,"enhanced":"4.7.28","text":"unusual rate"}},
{"id":8,"time":"2026-01-02T03:04:09Z","kind":"sink.reply","listener":"mx","payload":{"session":4,"t":0.02,"stage":"mail","code":421,"enhanced":"4.7.28","text":"a second refusal"}}],"next":8}`)
				return
			}
			io.WriteString(w, `{"events":[],"next":0}`)
		default:
			http.NotFound(w, r)
		}
	}))
	r := remoteAttempts{base: url, client: &http.Client{Timeout: time.Minute}, seen: &remoteSeen{}}
	ctx := context.Background()
	for range 2 {
		if _, err := r.AllMessageAttempts(ctx); err != nil {
			t.Fatal(err)
		}
		mails, err := r.NullSenderMessages(ctx)
		if err != nil || len(mails) != 1 || mails[0].Message != 8 || string(mails[0].Raw) != "x\r\n" || mails[0].Recipients[0] != "app@s.test" {
			t.Errorf("the null sender's messages: %+v, %v; want message 8 alone (7 is deleted)", mails, err)
		}
		early, err := r.EarlyRefusals(ctx)
		if err != nil || len(early) != 2 || early[0].Session != 3 || early[0].Sender != "" || early[0].Code != 421 || early[0].Listener != "mx" ||
			early[1].Session != 4 || early[1].Sender != "throttled@s.test" || early[1].Text != "unusual rate" {
			t.Errorf("the early refusals: %+v, %v; want session 3's 421 at MAIL without a sender (it is deleted) and session 4's first, from throttled@s.test, not session 1's (it has attempts)", early, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for path, want := range map[string]int{"/api/v1/sink/messages/8": 1, "/api/v1/sink/messages/8/raw": 1, "/api/v1/sink/sessions/3": 2, "/api/v1/sink/sessions/4": 1, "/api/v1/sink/messages/7": 2} {
		if asked[path] != want {
			t.Errorf("%s was asked %d times over two judgements, want %d (what was read is kept; what is gone is asked again)", path, asked[path], want)
		}
	}
}
