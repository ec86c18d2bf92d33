package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/relaylab/relaylab/internal/events"
)

// dialStream opens the event stream with the given query.
func dialStream(t testing.TB, base, query string, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/events/stream"
	if query != "" {
		u += "?" + query
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return websocket.DefaultDialer.DialContext(ctx, u, hdr)
}

// readFrame reads one frame of events.
func readFrame(t testing.TB, c *websocket.Conn) ([]events.Event, error) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(20 * time.Second)) // a hang, not a speed check
	_, data, err := c.ReadMessage()
	if err != nil {
		return nil, err
	}
	var evs []events.Event
	if err := json.Unmarshal(data, &evs); err != nil {
		t.Fatalf("frame is not a JSON array of events: %q: %v", data, err)
	}
	return evs, nil
}

func relayEvent(kind, msg, rcpt string) events.Event {
	return events.Event{Kind: kind, Message: msg, Recipient: rcpt}
}

// TestStreamResume drops the connection mid-stream and reconnects with the
// last id seen: every event arrives exactly once, in order.
func TestStreamResume(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		before int // events in the log before the first connect
		during int // events appended while connected
		dropAt int // events read before dropping
		after  int // events appended while disconnected
	}{
		{"live only", 0, 300, 120, 50},
		{"backlog then live", 250, 100, 300, 80},
		{"drop inside backlog", 1500, 10, 700, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, Options{})
			var (
				mu  sync.Mutex
				all []int64
			)
			add := func(n int) {
				for i := range n {
					id := appendEvents(t, ts.st, relayEvent(events.RelayAttempt, fmt.Sprint("m", i), "a@example.com"))[0].ID
					mu.Lock()
					all = append(all, id)
					mu.Unlock()
				}
			}
			count := func() int {
				mu.Lock()
				defer mu.Unlock()
				return len(all)
			}
			add(tc.before)
			conn, _, err := dialStream(t, ts.url, "after=0", nil)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			go add(tc.during) // appended while the client reads
			var got []int64
			for len(got) < tc.dropAt {
				evs, err := readFrame(t, conn)
				if err != nil {
					t.Fatalf("read after %d events: %v", len(got), err)
				}
				for _, e := range evs {
					got = append(got, e.ID)
				}
			}
			conn.Close() // drop mid-stream, possibly mid-frame
			for count() < tc.before+tc.during {
				time.Sleep(time.Millisecond)
			}
			add(tc.after)
			last := got[len(got)-1]
			conn, _, err = dialStream(t, ts.url, fmt.Sprintf("after=%d", last), nil)
			if err != nil {
				t.Fatalf("redial: %v", err)
			}
			defer conn.Close()
			want := len(all)
			for len(got) < want {
				evs, err := readFrame(t, conn)
				if err != nil {
					t.Fatalf("read after %d of %d events: %v", len(got), want, err)
				}
				for _, e := range evs {
					got = append(got, e.ID)
				}
			}
			if len(got) != len(all) {
				t.Fatalf("got %d events, want %d", len(got), len(all))
			}
			for i := range all {
				if got[i] != all[i] {
					t.Fatalf("event %d: got id %d, want %d (lost or duplicated)", i, got[i], all[i])
				}
			}
		})
	}
}

// TestStreamSlowClient: a client that does not read is dropped with 1013
// and resumes from its last id without loss.
func TestStreamSlowClient(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{ClientBuffer: 2})
	conn, _, err := dialStream(t, ts.url, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	big := strings.Repeat("x", 64<<10)
	const n = 300 // ~20 MB: more than socket buffers hold
	var ids []int64
	for range n {
		e := events.Event{Kind: events.SinkMessage}.WithPayload(map[string]string{"pad": big})
		ids = append(ids, appendEvents(t, ts.st, e)[0].ID)
		waitFollowed(t, ts, ids[len(ids)-1]) // one batch per event
	}
	var got []int64
	var closeErr *websocket.CloseError
	for {
		evs, err := readFrame(t, conn)
		if err != nil {
			if !errors.As(err, &closeErr) {
				t.Fatalf("want the connection closed, got %v", err)
			}
			break
		}
		for _, e := range evs {
			got = append(got, e.ID)
		}
		if len(got) >= n {
			t.Fatalf("the slow client got all %d events; it should have been dropped", n)
		}
	}
	// The server sends 1013 with a resume hint when the close frame still
	// fits; when the client's buffers are full it cannot, and the client sees
	// the TCP connection end (1006). Either way it resumes without loss.
	switch closeErr.Code {
	case websocket.CloseTryAgainLater:
		if !strings.Contains(closeErr.Text, "after=") {
			t.Fatalf("close 1013 without a resume hint: %q", closeErr.Text)
		}
	case websocket.CloseAbnormalClosure:
	default:
		t.Fatalf("close: got %d %q, want %d with a resume hint (or 1006)", closeErr.Code, closeErr.Text, websocket.CloseTryAgainLater)
	}
	if len(got) >= n {
		t.Fatalf("the slow client got all %d events; it should have been dropped", n)
	}
	after := int64(0)
	if len(got) > 0 {
		after = got[len(got)-1]
	}
	conn2, _, err := dialStream(t, ts.url, fmt.Sprint("after=", after), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	for len(got) < n {
		evs, err := readFrame(t, conn2)
		if err != nil {
			t.Fatalf("resume: %v after %d events", err, len(got))
		}
		for _, e := range evs {
			got = append(got, e.ID)
		}
	}
	for i := range ids {
		if got[i] != ids[i] {
			t.Fatalf("event %d: got %d want %d", i, got[i], ids[i])
		}
	}
}

func TestStreamFilter(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	appendEvents(t, ts.st,
		relayEvent(events.RelayDeferred, "m1", "a@example.com"),
		relayEvent(events.RelayBounced, "m1", "b@example.com"),
	)
	for _, tc := range []struct {
		query string
		want  []string // kind/recipient of each event, backlog then live
	}{
		{"kind=relay.bounced", []string{"relay.bounced/b@example.com", "relay.bounced/c@example.com"}},
		{"kind=relay.&recipient=a@example.com", []string{"relay.deferred/a@example.com", "relay.delivered/a@example.com"}},
		{"kind=sink.", []string{"sink.reply/"}},
		{"message=m2", []string{"relay.bounced/c@example.com"}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			conn, _, err := dialStream(t, ts.url, tc.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if tc.query == "kind=relay.bounced" {
				// Live events, appended once this client is connected;
				// the later subtests read them as backlog.
				appendEvents(t, ts.st,
					relayEvent(events.RelayDelivered, "m1", "a@example.com"),
					events.Event{Kind: events.SinkReply},
					relayEvent(events.RelayBounced, "m2", "c@example.com"),
				)
			}
			var got []string
			for len(got) < len(tc.want) {
				evs, err := readFrame(t, conn)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range evs {
					got = append(got, e.Kind+"/"+e.Recipient)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStreamRefused(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{AllowedOrigins: []string{"https://ui.example"}})
	for _, tc := range []struct {
		name, query, origin string
		want                int
	}{
		{"foreign origin", "", "http://evil.example", http.StatusForbidden},
		{"allowed origin", "", "https://ui.example", http.StatusSwitchingProtocols},
		{"own origin", "", ts.url, http.StatusSwitchingProtocols},
		{"bad after", "after=-3", "", http.StatusBadRequest},
		{"bad kind", "kind=<script>", "", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			conn, resp, err := dialStream(t, ts.url, tc.query, h)
			if conn != nil {
				conn.Close()
			}
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

// TestStreamStopsWithServer: ending the server's context closes streams.
func TestStreamStopsWithServer(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	s, err := New(Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.Start(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	conn, _, err := dialStream(t, "http://"+s.Addr(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	appendEvents(t, st, events.Event{Kind: events.SinkSession})
	if evs, err := readFrame(t, conn); err != nil || len(evs) != 1 {
		t.Fatalf("got %v, %v; want one event", evs, err)
	}
	cancel()
	_, err = readFrame(t, conn)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("after stop: got %v, want close 1001", err)
	}
	if err := s.Start(context.Background(), "127.0.0.1:0"); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Start after shutdown: %v, want ErrServerClosed", err)
	}
}

// TestStreamPingPong: the server pings; a client that answers stays, one
// that does not is cut off.
func TestStreamPingPong(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		answer bool
	}{{"answers", true}, {"silent", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := openStore(t, nil)
			s, err := New(Options{Store: st})
			if err != nil {
				t.Fatal(err)
			}
			// The pong window is wide, so that a loaded machine that is
			// slow to answer one ping does not cut the client off; the
			// answering client stays for three windows' worth of pings.
			s.pingEvery, s.pongWait = 50*time.Millisecond, 2*time.Second
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if err := s.Start(ctx, "127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			conn, _, err := dialStream(t, "http://"+s.Addr(), "", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var pings atomic.Int32
			conn.SetPingHandler(func(data string) error {
				pings.Add(1)
				if !tc.answer {
					return nil
				}
				return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
			})
			readErr := make(chan error, 1)
			go func() {
				for {
					conn.SetReadDeadline(time.Now().Add(20 * time.Second)) // a hang, not a speed check
					if _, _, err := conn.ReadMessage(); err != nil {
						readErr <- err
						return
					}
				}
			}()
			if tc.answer {
				// Alive for three pong windows, then still reading.
				for pings.Load() < int32(3*s.pongWait/s.pingEvery) {
					select {
					case err := <-readErr:
						t.Fatalf("a client that answers pings was cut off after %d pings: %v", pings.Load(), err)
					case <-time.After(10 * time.Millisecond):
					}
				}
				return
			}
			select {
			case err := <-readErr:
				if pings.Load() == 0 {
					t.Fatalf("cut off (%v) without a ping", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("a client that never answers pings was not cut off")
			}
		})
	}
}

// TestStreamRefusalsAreJSON: a refused handshake says, in the API's JSON,
// what is wrong (the Origin, or that it is no websocket), not "Forbidden".
func TestStreamRefusalsAreJSON(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	for _, tc := range []struct {
		name   string
		hdr    map[string]string
		status int
		want   []string
	}{
		{"foreign origin", map[string]string{"Origin": "http://evil.example", "Connection": "Upgrade", "Upgrade": "websocket",
			"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="},
			http.StatusForbidden, []string{"another origin", `"http://evil.example"`, "add it to web.allowed_origins"}},
		{"plain GET", nil, http.StatusBadRequest, []string{"not a websocket handshake", "/api/v1/events"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest("GET", ts.url+"/api/v1/events/stream", nil)
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e apiError
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != tc.status {
				t.Fatalf("status %d (want %d), body not the API's JSON error: %v", resp.StatusCode, tc.status, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(e.Error+" "+e.Detail, w) {
					t.Errorf("error %q / %q does not say %q", e.Error, e.Detail, w)
				}
			}
		})
	}
}
