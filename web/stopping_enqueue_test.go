package web

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestEnqueueWhileStopping: once the process is stopping, POST
// /api/v1/messages is refused with 503 and Retry-After, as the relay's
// submission answers 421 4.3.2; it queued the message, which then waited
// for the next start (walk FR).
func TestEnqueueWhileStopping(t *testing.T) {
	t.Parallel()
	ts, relay, _ := componentServer(t)
	body := `{"from":"a@example.org","to":["b@example.com"],"subject":"hi","text":"hello"}`
	ts.SetStopping(func() string { return "draining 0 deliveries" })
	resp, err := http.Post(ts.url+"/api/v1/messages", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	got := string(b)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(got, "relaylab is stopping") {
		t.Errorf("POST while stopping: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), got)
	}
	relay.mu.Lock()
	n := len(relay.enqueued)
	relay.mu.Unlock()
	if n != 0 {
		t.Errorf("%d messages queued while stopping, want none", n)
	}
}
