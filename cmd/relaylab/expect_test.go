package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/web"
)

// silentListener accepts connections on loopback and never writes a byte,
// as a wedged server does. The connections close when the test ends.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// TestExpectURLTimeout: a server that accepts and never answers gives no
// verdict (exit 3) once --timeout passes, instead of hanging.
func TestExpectURLTimeout(t *testing.T) {
	t.Parallel()
	file := writeExpect(t, "  recipients:\n    - {match: \"*\", status: delivered}\n")
	addr := silentListener(t)
	// The deadline only stops a regression from hanging the suite.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, out, errOut := runIn(t, ctx, "expect", "--url", "http://"+addr, "--timeout", "100ms", file)
	if code != 3 || !strings.Contains(errOut, "did not answer") || !strings.Contains(errOut, "--timeout") {
		t.Errorf("exit %d (want 3), stderr %q (want it to say the server did not answer within --timeout)\nstdout:\n%s", code, errOut, out)
	}

	code, _, errOut = runIn(t, ctx, "expect", "--url", "http://"+addr, "--timeout", "0s", file)
	if code != 2 || !strings.Contains(errOut, "--timeout 0s") {
		t.Errorf("--timeout 0s: exit %d (want 2), stderr %q", code, errOut)
	}
}

// TestExpectFileRefused: an expect file that expects nothing, or that uses
// a check only a replay can make, is bad input (exit 2) naming the file
// and key, not a verdict.
func TestExpectFileRefused(t *testing.T) {
	t.Parallel()
	db := sinkStore(t, "a@example.test")
	for _, tt := range []struct {
		name, body, want string
	}{
		{"no expect section", "", ":2:9: expect: no expectations"},
		{"empty expect section", "  recipients: []\n", ":3:13: expect: no expectations"},
		{"replay only", "  aggregate: {max_concurrent_per_destination: 2}\n", ":3:47: expect.aggregate.max_concurrent_per_destination: applies to replays only"},
		{"bad status", "  recipients:\n    - {match: \"*\", status: nonsense}\n", `:4:28: expect.recipients[0].status: "nonsense" is not a status`},
		// What only a relay has, a sink's record cannot judge: before,
		// category failed every recipient, suppressed: false passed
		// every one. (dsn and dsn_status judge the sink's own bounces.)
		{"category", "  recipients:\n    - {match: \"*\", category: invalid-recipient}\n", `:4:30: expect.recipients[0].category: applies to replays only: a sink's record gives no bounce category`},
		{"suppressed", "  recipients:\n    - {match: \"*\", suppressed: false}\n", `:4:32: expect.recipients[0].suppressed: applies to replays only: a sink's record has no suppression list`},
		{"status expired", "  recipients:\n    - {match: \"*\", status: expired}\n", `:4:28: expect.recipients[0].status: applies to replays only: expired is a relay's verdict; want delivered, bounced, deferred or queued`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := writeExpect(t, tt.body)
			code, out, errOut := runIn(t, context.Background(), "expect", "--db", db, file)
			if code != 2 || !strings.Contains(errOut, file+tt.want) {
				t.Errorf("exit %d (want 2), stderr %q (want %q)\nstdout:\n%s", code, errOut, file+tt.want, out)
			}
		})
	}
}

// TestExpectEmptyValuesRefused: a key of an expect file written out with
// an empty value is bad input (exit 2) naming the file, line and key, not
// a key left out: path: "" passed whatever path a recipient took, and
// name: "" printed a verdict without a name.
func TestExpectEmptyValuesRefused(t *testing.T) {
	t.Parallel()
	db := sinkStore(t, "a@example.test")
	for _, tt := range []struct {
		name, body, want string
	}{
		{"empty path", "name: app\nexpect:\n  recipients:\n    - {match: \"*\", path: \"\"}\n", `:4:26: expect.recipients[0].path: an empty value reads as the key left out`},
		{"empty status", "name: app\nexpect:\n  recipients:\n    - match: \"*\"\n      status: ''\n", `:5:15: expect.recipients[0].status: an empty value`},
		{"empty name", "name: \"\"\nexpect:\n  recipients:\n    - {match: \"*\"}\n", `:1:7: name: an empty name leaves the verdict unnamed`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "expect.yaml")
			if err := os.WriteFile(file, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runIn(t, context.Background(), "expect", "--db", db, file)
			if code != 2 || !strings.Contains(errOut, file+tt.want) {
				t.Errorf("exit %d (want 2), stderr %q (want %q)\nstdout:\n%s", code, errOut, file+tt.want, out)
			}
		})
	}
}

// TestExpectURLUnauthorized: against a serve that wants credentials,
// expect --url says what to set, not only "401 Unauthorized", and keeps a
// password given in --url out of its messages.
func TestExpectURLUnauthorized(t *testing.T) {
	t.Parallel()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "serve.db"), Sync: store.SyncOff,
		Clock: clock.Real{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := web.New(web.Options{Store: st, Logger: slog.New(slog.DiscardHandler), Auth: web.Auth{Token: "s3cret", User: "ops", Password: "pw"}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	withUser := strings.Replace(hs.URL, "http://", "http://ops:wrong@", 1)
	for _, tc := range []struct {
		name, base, token string
		want              []string
	}{
		{"no token", hs.URL, "", []string{"401 Unauthorized", "set RELAYLAB_TOKEN to the serve's web.token", "--url http://USER:PASSWORD@" + strings.TrimPrefix(hs.URL, "http://")}},
		{"wrong token", hs.URL, "nope", []string{"did not take $RELAYLAB_TOKEN", "set RELAYLAB_TOKEN to the serve's web.token"}},
		{"wrong password", withUser, "", []string{"did not take the user and password in --url", "http://ops:xxxxx@"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := remoteAttempts{base: tc.base, token: tc.token, client: &http.Client{Timeout: time.Minute}}
			_, err := r.AllAttempts(context.Background())
			if err == nil {
				t.Fatal("no error from a serve that wants credentials")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "wrong") || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q shows a secret", err)
			}
		})
	}
	// The right token gets past the door (to a 503: this serve runs no sink).
	r := remoteAttempts{base: hs.URL, token: "s3cret", client: &http.Client{Timeout: time.Minute}}
	if _, err := r.AllAttempts(context.Background()); err == nil || strings.Contains(err.Error(), "401") {
		t.Fatalf("with the right token: %v, want the 503 of a serve without a sink", err)
	}
}

// TestExpectURLCountsMessages: the web API's sink attempts carry the
// message each left, so that expect --url counts messages as expect --db
// does (sink_messages was 0 over --url).
func TestExpectURLCountsMessages(t *testing.T) {
	t.Parallel()
	db := sinkStore(t, "app@example.test")
	st, err := store.Open(context.Background(), store.Options{Path: db, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := web.New(web.Options{Store: st, Logger: slog.New(slog.DiscardHandler), Sink: sinkAdapter{db: st.DB()}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	mas, err := remoteAttempts{base: hs.URL, client: &http.Client{Timeout: time.Minute}}.AllMessageAttempts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(mas) != 1 || mas[0].Message == 0 || mas[0].Code != 250 {
		t.Errorf("attempts over the API: %+v, want one accepted with its message", mas)
	}
}
