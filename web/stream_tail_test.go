package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/relaylab/relaylab/internal/events"
)

// TestStreamTailAndLimit: both ways to the websocket, /api/v1/events/stream
// and /api/v1/events with Upgrade, start at the log's last N events for
// tail=N, and refuse limit with a 400 before the upgrade; the upgraded
// /api/v1/events took both and ignored them, sending the whole log.
func TestStreamTailAndLimit(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	var ids []int64
	for range 5 {
		ids = append(ids, appendEvents(t, ts.st, relayEvent(events.RelayAttempt, "m", "a@example.com"))[0].ID)
	}
	dial := func(path string) (*websocket.Conn, *http.Response, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return websocket.DefaultDialer.DialContext(ctx, "ws"+strings.TrimPrefix(ts.url, "http")+path, nil)
	}
	for _, base := range []string{"/api/v1/events", "/api/v1/events/stream"} {
		c, _, err := dial(base + "?tail=2")
		if err != nil {
			t.Fatalf("%s?tail=2: %v", base, err)
		}
		evs, err := readFrame(t, c)
		c.Close()
		if err != nil || len(evs) != 2 || evs[0].ID != ids[3] || evs[1].ID != ids[4] {
			t.Errorf("%s?tail=2: first frame %+v, %v; want events %d and %d", base, evs, err, ids[3], ids[4])
		}
		c, resp, err := dial(base + "?limit=3")
		if err == nil {
			c.Close()
			t.Errorf("%s?limit=3: upgraded, want a 400", base)
			continue
		}
		if resp == nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s?limit=3: %v, want a 400", base, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		var e apiError
		if json.Unmarshal(b, &e) != nil || !strings.Contains(e.Error+e.Detail, "limit") || e.Detail == "" {
			t.Errorf("%s?limit=3: %s, want an error naming limit, with a detail", base, b)
		}
	}
}

// TestStreamTailZero: tail=0 starts at the log's end, with no backlog,
// on the stream and on a page (whose next is where a stream would start);
// it sent the whole log.
func TestStreamTailZero(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	var last int64
	for range 3 {
		last = appendEvents(t, ts.st, relayEvent(events.RelayAttempt, "m", "a@example.com"))[0].ID
	}
	var page eventPage
	getJSON(t, ts.url+"/api/v1/events?tail=0", &page)
	if len(page.Events) != 0 || page.Next != last {
		t.Errorf("page with tail=0: %d events, next %d; want none and next %d", len(page.Events), page.Next, last)
	}
	for _, base := range []string{"/api/v1/events", "/api/v1/events/stream"} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, _, err := websocket.DefaultDialer.DialContext(ctx, "ws"+strings.TrimPrefix(ts.url, "http")+base+"?tail=0", nil)
		cancel()
		if err != nil {
			t.Fatalf("%s?tail=0: %v", base, err)
		}
		fresh := appendEvents(t, ts.st, relayEvent(events.RelayAttempt, "m", "b@example.com"))[0].ID
		evs, err := readFrame(t, c)
		c.Close()
		if err != nil || len(evs) != 1 || evs[0].ID != fresh {
			t.Errorf("%s?tail=0: first frame %+v, %v; want only the new event %d", base, evs, err, fresh)
		}
	}
}
