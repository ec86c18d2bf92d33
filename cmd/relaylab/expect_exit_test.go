package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/sink"
)

// sinkStore records one message, sent by relaylab send over loopback, in a
// sink's store and returns the store's path. sendArgs go to send too.
func sinkStore(t *testing.T, rcpt string, sendArgs ...string) string {
	t.Helper()
	path, codes, errs := sendToSink(t, []string{rcpt}, sendArgs...)
	if codes[0] != 0 {
		t.Fatalf("send: exit %d: %s", codes[0], errs[0])
	}
	return path
}

// sendToSink runs relaylab send once for each of rcpts (sendArgs go to
// each) against a sink on a fresh store, and returns the store's path and
// each send's exit code and stderr.
func sendToSink(t *testing.T, rcpts []string, sendArgs ...string) (string, []int, []string) {
	t.Helper()
	var each [][]string
	for _, rcpt := range rcpts {
		each = append(each, append([]string{"--to", rcpt}, sendArgs...))
	}
	return sendEachToSink(t, each)
}

// sendEachToSink runs relaylab send once for each list of arguments
// against a sink on a fresh store, and returns the store's path and each
// send's exit code and stderr.
func sendEachToSink(t *testing.T, each [][]string) (string, []int, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "sink.db")
	st, err := store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff, Clock: clock.Real{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := sink.DefaultConfig()
	cfg.Listeners = []sink.ListenerConfig{sink.DefaultListener("mx", "127.0.0.1:0", "sink.relaylab.test")}
	cfg.Bounce.Relay = ""
	snk, err := sink.New(cfg, sink.Options{Store: st, Clock: clock.Real{}, Logger: slog.New(slog.DiscardHandler), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := snk.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var codes []int
	var errs []string
	for _, sendArgs := range each {
		args := append([]string{"send", "--server", snk.Addrs()["mx"].String(), "--helo", "client.test"}, sendArgs...)
		code, _, errOut := runIn(t, ctx, args...)
		codes, errs = append(codes, code), append(errs, errOut)
	}
	if err := snk.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	return path, codes, errs
}

func writeExpect(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "expect.yaml")
	if err := os.WriteFile(path, []byte("name: app\nexpect:\n"+body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// closedAddr is a loopback address where nothing listens.
func closedAddr(t *testing.T, network string) string {
	t.Helper()
	var addr string
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = c.LocalAddr().String()
		c.Close()
	} else {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = l.Addr().String()
		l.Close()
	}
	return addr
}

func TestExpectVerdictsAndFlagOrder(t *testing.T) {
	t.Parallel()
	const rcpt = "app@example.test"
	db := sinkStore(t, rcpt)
	pass := writeExpect(t, "  recipients:\n    - {match: \""+rcpt+"\", status: delivered, attempts: 1}\n")
	fail := writeExpect(t, "  recipients:\n    - {match: \""+rcpt+"\", attempts: 2}\n")
	junit := filepath.Join(t.TempDir(), "j.xml")

	// Flags after the file, as in "relaylab expect expect.yaml --db sink.db".
	code, out, errOut := runIn(t, context.Background(), "expect", pass, "--db", db, "--junit", junit)
	if code != 0 || !strings.Contains(out, "PASS app") {
		t.Fatalf("passing expectation: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if _, err := os.Stat(junit); err != nil {
		t.Errorf("--junit after the file was not written: %v", err)
	}

	code, out, errOut = runIn(t, context.Background(), "expect", fail, "--db", db)
	// The sink's number for the message names it, as "Message accepted
	// as 1" does.
	if code != 1 || !strings.Contains(out, rcpt+" (message 1): expected 2 attempts, got 1") {
		t.Errorf("failing expectation: exit %d (want 1)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if strings.Contains(out, "(message )") {
		t.Errorf("the output shows an empty message id:\n%s", out)
	}
}

// TestExpectTLSFromSink: tls judges a sink's record by the TLS of the
// session each attempt was in, in plaintext and after STARTTLS.
func TestExpectTLSFromSink(t *testing.T) {
	t.Parallel()
	const rcpt = "app@example.test"
	for _, c := range []struct {
		name string
		args []string
		tls  bool
	}{{"plaintext", nil, false}, {"starttls", []string{"--starttls", "--insecure"}, true}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			db := sinkStore(t, rcpt, c.args...)
			for _, want := range []bool{c.tls, !c.tls} {
				exp := writeExpect(t, fmt.Sprintf("  recipients:\n    - {match: %q, status: delivered, tls: %v}\n", rcpt, want))
				code, out, errOut := runIn(t, context.Background(), "expect", exp, "--db", db)
				if pass := want == c.tls; pass && code != 0 {
					t.Errorf("tls: %v: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", want, code, out, errOut)
				} else if !pass && (code != 1 || !strings.Contains(out, "expected the last attempt")) {
					t.Errorf("tls: %v: exit %d, want 1 with the reason\nstdout:\n%s\nstderr:\n%s", want, code, out, errOut)
				}
			}
		})
	}
}

func TestExpectRuntimeErrorsExit3(t *testing.T) {
	t.Parallel()
	file := writeExpect(t, "  recipients:\n    - {match: \"*\", status: delivered}\n")
	unauthorised := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "a token is required", http.StatusUnauthorized)
	}))
	t.Cleanup(unauthorised.Close)
	closed := closedAddr(t, "tcp")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"connection refused", []string{"--url", "http://" + closed}, 3, "relaylab expect: nothing listens at http://" + closed + " (the connection was refused), so the sink's attempts could not be read: relaylab serve must be running there"},
		{"401", []string{"--url", unauthorised.URL}, 3, "401"},
		{"output not writable", []string{"--db", sinkStore(t, "a@example.test"), "--json", filepath.Join(t.TempDir(), "no", "v.json")}, 3, "v.json"},
		{"bad url", []string{"--url", "127.0.0.1:8025"}, 2, "--url"},
		{"no expect file", []string{"--url", unauthorised.URL, filepath.Join(t.TempDir(), "missing.yaml")}, 2, "missing.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"expect"}, tt.args...)
			if tt.name != "no expect file" {
				args = append(args, file)
			}
			code, out, errOut := runIn(t, context.Background(), args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) || strings.Contains(errOut, "dial tcp") {
				t.Errorf("exit %d (want %d), stderr %q (want %q)\nstdout:\n%s", code, tt.code, errOut, tt.want, out)
			}
		})
	}
}

func TestExpectHelpDocumentsExitCodes(t *testing.T) {
	t.Parallel()
	_, out, _ := runIn(t, context.Background(), "expect", "--help")
	if !strings.Contains(out, "3 when") || !strings.Contains(out, "1 when one failed") {
		t.Errorf("expect --help does not document the exit codes:\n%s", out)
	}
}

// TestExpectHelpExample: the EXPECT.yaml that expect --help shows is one
// that expect takes, and it passes for mail sent over STARTTLS.
func TestExpectHelpExample(t *testing.T) {
	t.Parallel()
	_, example, ok := strings.Cut(expectSynopsis, "):\n\n")
	if !ok {
		t.Fatal("expect --help shows no example")
	}
	example, _, _ = strings.Cut(example, "\n\n")
	var lines []string
	for _, l := range strings.Split(example, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "  "))
	}
	path := filepath.Join(t.TempDir(), "expect.yaml")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := sinkStore(t, "new@example.test", "--starttls", "--insecure")
	if code, out, errOut := runIn(t, context.Background(), "expect", path, "--db", db); code != 0 {
		t.Errorf("the help's example: exit %d\n%s\nstdout:\n%s\nstderr:\n%s", code, strings.Join(lines, "\n"), out, errOut)
	}
}

// TestExpectJSONSinkSummary: expect --db's JSON summary counts the sink's
// sessions and every reply by stage and code, as relaylab report does,
// not 0 sessions and the attempts' last replies.
func TestExpectJSONSinkSummary(t *testing.T) {
	t.Parallel()
	const rcpt = "app@example.test"
	db := sinkStore(t, rcpt)
	// A session the sink never ended (a kill -9 cut it short).
	conn, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(`INSERT INTO sink_sessions (listener, client, start_ns, end_ns) VALUES ('mx', '127.0.0.1:1', 1, 0)`)
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	exp := writeExpect(t, "  recipients:\n    - {match: \""+rcpt+"\", status: delivered}\n")
	js := filepath.Join(t.TempDir(), "v.json")
	if code, out, errOut := runIn(t, context.Background(), "expect", exp, "--db", db, "--json", js); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	data, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"sink_sessions": 2`, `"sink_sessions_open": 1`, `"connect 220"`, `"quit 221"`, `"data-end 250"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("expect --json lacks %s:\n%s", want, data)
		}
	}
}

// TestEveryHelpSaysExitStatus: each command's --help says what it does
// and what its exit statuses mean (version, which only prints, aside), on
// stdout with exit 0, so that "relaylab serve --help | less" shows it.
func TestEveryHelpSaysExitStatus(t *testing.T) {
	t.Parallel()
	for _, c := range commands() {
		if c.name == "version" {
			continue
		}
		code, out, errOut := runIn(t, context.Background(), c.name, "--help")
		if code != 0 || errOut != "" || !strings.Contains(out, "Exit status") {
			t.Errorf("relaylab %s --help: exit %d (want 0), stderr %q (want nothing), and on stdout says nothing of its exit status:\n%s", c.name, code, errOut, out)
		}
	}
}
