package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// testEpoch is the virtual clock's start in tests.
var testEpoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func openStore(t testing.TB, c clock.Clock) *store.Store {
	t.Helper()
	if c == nil {
		c = clock.NewVirtual(testEpoch)
	}
	st, err := store.Open(context.Background(), store.Options{
		Path: filepath.Join(t.TempDir(), "relaylab.db"), Sync: store.SyncOff, Clock: c,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// testServer is a Server running behind httptest, following its store.
type testServer struct {
	*Server
	st  *store.Store
	url string
}

// startServer runs a server over a fresh store (or opts.Store) until the
// test ends.
func startServer(t testing.TB, opts Options) *testServer {
	t.Helper()
	if opts.Store == nil {
		opts.Store = openStore(t, nil)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	for !s.hub.running.Load() {
		time.Sleep(time.Millisecond)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		cancel()
		<-done
		hs.Close()
	})
	return &testServer{Server: s, st: opts.Store, url: hs.URL}
}

func appendEvents(t testing.TB, st *store.Store, evs ...events.Event) []events.Event {
	t.Helper()
	var out []events.Event
	err := st.Write(context.Background(), func(tx *store.Tx) error {
		for _, e := range evs {
			e, err := tx.Append(e)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return out
}

// do sends a request and returns the status and the body. A "Host" pair
// among the headers sets the request's Host (as a browser sends it after
// DNS rebinding); a websocket's 101 returns without reading the body.
func do(t testing.TB, method, url, body string, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s (Host %s): %v", method, url, req.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return resp.StatusCode, resp.Header, nil // a websocket: nothing to read until it ends
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// wantAPIError checks that body is our JSON error.
func wantAPIError(t testing.TB, body []byte) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
		t.Fatalf("want a JSON error {error, detail}, got %q (%v)", body, err)
	}
	return e
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// serve runs one request through h without a network.
func serve(t testing.TB, h http.Handler, method, path, body string, hdr ...string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// listen runs a server from opts on a real loopback listener, as a browser
// needs, until the test ends; opts.Store defaults to a fresh store on the
// machine's clock and opts.Logger to none. Each of before changes the
// server before it starts (a test's shorter timeouts).
func listen(t *testing.T, opts Options, before ...func(*Server)) *Server {
	t.Helper()
	if opts.Store == nil {
		opts.Store = openStore(t, clock.Real{})
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range before {
		f(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx, "127.0.0.1:0"); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Shutdown(context.Background())
		cancel()
	})
	return s
}

// filledFakes returns fakes holding fillFakes' content, hostile mail
// included, with its remote resources at a loopback address where nothing
// listens.
func filledFakes() (*fakeRelay, *fakeSink, *fakeProbe) {
	relay, sink, probe := newFakeRelay(), newFakeSink(), &fakeProbe{}
	fillFakes(relay, sink, probe, "http://127.0.0.2:9")
	return relay, sink, probe
}

// addSinkMessage records in st that the sink stored message id in session.
func addSinkMessage(t testing.TB, st *store.Store, id, session int64) {
	t.Helper()
	err := st.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO sink_messages (id, session_id, listener, time_ns, mail_from, rcpts, size, attempt, code, raw)
			VALUES (?, ?, 'mx', 0, 'a@shop.test', 'b@example.test', 1, 1, 250, x'41')`, id, session)
		return err
	})
	if err != nil {
		t.Fatalf("add sink message %d: %v", id, err)
	}
}
