package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeBounceRelayPortZero: with every listener on port 0, and a
// relay port that asks for AUTH (allowed_networks: []), serve hands the
// sink's bounces to its own relay in the process: none is refused for want
// of AUTH or sent to a port picked before the relay took its own, and the
// relay queues it for the sender.
func TestServeBounceRelayPortZero(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "relaylab.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`store:
  path: %s
sink:
  listeners:
    - {name: mx, listen: "127.0.0.1:0", hostname: sink.test}
relay:
  listen: "127.0.0.1:0"
  allowed_networks: []
  users: {app: s3cret}
web:
  listen: "127.0.0.1:0"
`, filepath.Join(dir, "serve.db"))), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errb, done := startServe(t, ctx, cfg)
	deadline := time.Now().Add(60 * time.Second)
	addr := func(re string) string {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(out.String())
		if m == nil || strings.HasSuffix(m[1], ":0") {
			t.Fatalf("no %s in serve's banner:\n%s", re, out.String())
		}
		return m[1]
	}
	webAddr, sinkAddr := addr(`web UI +http://([^/\s]+)/`), addr(`sink mx +smtp://(\S+)`)
	if err := sendPlain(sinkAddr, "owner@shop.test", "bounce0s@example.test", "Subject: bounce me\r\n\r\nhi\r\n"); err != nil {
		t.Fatalf("send to the sink: %v", err)
	}
	bounce := firstBounce(t, webAddr, deadline)
	if bounce["relay"] != ownRelayName || bounce["sent"] != true {
		t.Errorf("the sink's bounce: relay %v, sent %v, error %v; want it sent to %s", bounce["relay"], bounce["sent"], bounce["error"], ownRelayName)
	}
	resp, err := http.Get("http://" + webAddr + "/api/v1/events?kind=relay.queued&recipient=owner@shop.test")
	if err != nil {
		t.Fatal(err)
	}
	var queued struct {
		Events []struct {
			Payload map[string]any `json:"payload"`
		} `json:"events"`
	}
	json.NewDecoder(resp.Body).Decode(&queued)
	resp.Body.Close()
	if len(queued.Events) != 1 || queued.Events[0].Payload["sender"] != "" || queued.Events[0].Payload["client"] != "sink" {
		t.Errorf("relay.queued events for the sender: %+v; want the sink's bounce, with a null sender", queued.Events)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d after SIGINT:\n%s", code, errb.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// firstBounce waits until the serve at webAddr has a sink.bounce event,
// and returns its payload (nil at deadline, which only bounds a hang).
func firstBounce(t *testing.T, webAddr string, deadline time.Time) map[string]any {
	t.Helper()
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + webAddr + "/api/v1/events?kind=sink.bounce")
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Events []struct {
				Payload map[string]any `json:"payload"`
			} `json:"events"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if len(body.Events) > 0 {
			return body.Events[0].Payload
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// startServe runs relaylab serve --config cfg until ctx ends, and returns
// once its banner is out: its stdout, its stderr and its exit code to come.
func startServe(t *testing.T, ctx context.Context, cfg string) (out, errb *syncBuffer, done chan int) {
	t.Helper()
	return startServeArgs(t, ctx, "--config", cfg)
}

// startServeArgs is startServe with serve's arguments given whole.
func startServeArgs(t *testing.T, ctx context.Context, args ...string) (out, errb *syncBuffer, done chan int) {
	t.Helper()
	return startDaemon(t, ctx, append([]string{"serve"}, args...)...)
}

// startDaemon runs a command that serves (serve, sink) until ctx ends,
// and returns once its banner says it runs.
func startDaemon(t *testing.T, ctx context.Context, args ...string) (out, errb *syncBuffer, done chan int) {
	t.Helper()
	out, errb, done = &syncBuffer{}, &syncBuffer{}, make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdin: strings.NewReader(""), stdout: out, stderr: errb, hup: make(chan os.Signal)}, args)
	}()
	deadline := time.Now().Add(60 * time.Second) // bounds a hang, measures nothing
	for !strings.Contains(out.String(), "Ctrl-C stops.") {
		select {
		case code := <-done:
			t.Fatalf("%s exited %d early:\n%s\n%s", args[0], code, out.String(), errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start:\n%s\n%s", args[0], out.String(), errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return out, errb, done
}
