package web

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// TestStoreHealth: /metrics carries the store's failed commits and size
// and the Go runtime's and the process's series; a store whose writes
// fail (its file deleted) makes /readyz 503 with the reason, where it
// stayed 200 while every message got 451, and counts the failure.
func TestStoreHealth(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{Relay: newFakeRelay()})
	appendEvents(t, ts.st, events.Event{Kind: events.SinkMessage})
	code, _, body := do(t, "GET", ts.url+"/metrics", "")
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	for _, want := range []string{`relaylab_store_write_failures_total 0`, `go_goroutines `, `go_build_info{`, `process_cpu_seconds_total `} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if m := regexp.MustCompile(`relaylab_store_size_bytes (\d+)`).FindSubmatch(body); m == nil || string(m[1]) == "0" {
		t.Errorf("metrics give no store size: %q", m)
	}
	if code, _, _ := do(t, "GET", ts.url+"/readyz", ""); code != 200 {
		t.Fatalf("readyz on a healthy store: %d", code)
	}

	if err := os.Remove(ts.st.Path()); err != nil {
		t.Fatal(err)
	}
	err := ts.st.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Append(events.Event{Kind: events.SinkMessage})
		return err
	})
	if err == nil {
		t.Fatal("a write after the store's file was deleted succeeded")
	}
	code, _, body = do(t, "GET", ts.url+"/readyz", "")
	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if jerr := json.Unmarshal(body, &ready); jerr != nil {
		t.Fatal(jerr)
	}
	if code != 503 || ready.Status != "not ready" || !strings.HasPrefix(ready.Checks["store"], "writes failing: store: ") || !strings.Contains(ready.Checks["store"], "was deleted") {
		t.Errorf("readyz with writes failing: %d %s", code, body)
	}
	_, _, body = do(t, "GET", ts.url+"/metrics", "")
	if !strings.Contains(string(body), "relaylab_store_write_failures_total 1\n") {
		t.Errorf("metrics do not count the failed commit:\n%s", grepLines(string(body), "relaylab_store"))
	}
}

// TestQueueDepthUnreadable: when the queue's depth cannot be read, the
// scrape still serves every other metric and leaves the gauge out,
// where it gave -1, a value that reads as a depth.
func TestQueueDepthUnreadable(t *testing.T) {
	t.Parallel()
	relay := newFakeRelay()
	relay.depthErr = errors.New("database is locked")
	ts := startServer(t, Options{Relay: relay})
	code, _, body := do(t, "GET", ts.url+"/metrics", "")
	if code != 200 || strings.Contains(string(body), "relaylab_queue_depth ") || !strings.Contains(string(body), "relaylab_deliveries_total 0\n") {
		t.Errorf("metrics with the depth unreadable: %d\n%s", code, grepLines(string(body), "relaylab_"))
	}
}

// grepLines keeps the lines of text that contain s.
func grepLines(text, s string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
