package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// While serve drains, its web UI still answers, and /readyz says 503
// "stopping" with what it still waits for, so that a load balancer or a
// monitor takes it out; the UI stopped first, and /readyz was refused for
// the whole drain. Needs web.Server.SetStopping (web-stopping.patch).
func TestS17FRReadyzWhileDraining(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	info, _, done := serveOnLoopback(t, ctx)
	readyz := func() (int, map[string]any) {
		t.Helper()
		resp, err := http.Get(strings.TrimSuffix(info.Web, "/") + "/readyz")
		if err != nil {
			t.Fatalf("/readyz: %v", err)
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	if code, body := readyz(); code != 200 {
		t.Fatalf("/readyz before the stop: %d %v", code, body)
	}
	txn := dialLines(t, info.Sink["mx"])
	txn.want("EHLO busy.test", "250")
	txn.want("MAIL FROM:<a@x.test>", "250")
	cancel() // SIGTERM
	// The sink's idle sessions are told at once; this one is in a
	// transaction, and holds the drain until it ends.
	// serve sees the end of the context a moment after it.
	code, body := readyz()
	for deadline := time.Now().Add(time.Minute); code == 200 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) { // bounds a hang, measures nothing
		code, body = readyz()
	}
	checks, _ := body["checks"].(map[string]any)
	if code != 503 || body["status"] != "stopping" || checks["stopping"] != "draining 1 sink session, 0 submission sessions, 0 deliveries" {
		t.Errorf("/readyz while draining: %d %v", code, body)
	}
	txn.want("RCPT TO:<u@sink.test>", "250")
	txn.want("DATA", "354")
	txn.want("Subject: late\r\n\r\nStill taken.\r\n.", "250")
	txn.stop421("the session after its transaction")
	if code := <-done; code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
}
