package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExpectSaysTheRelayHoldsIt: over --url, a recipient the sink
// deferred that the serve's relay now holds (its destination rests after
// another message's 421) fails with the hold, its end and what to do
// (a domain of their own for 421 tests, or a lower backoff); it failed
// with advice about a 4xx from the receiver alone.
func TestExpectSaysTheRelayHoldsIt(t *testing.T) {
	t.Parallel()
	const relayEvents = `{"events":[
{"id":1,"time":"2026-01-02T03:04:05Z","kind":"relay.queued","message":"m1","recipient":"defer2@example.test"},
{"id":2,"time":"2026-01-02T03:04:05Z","kind":"relay.attempt","message":"m1","recipient":"defer2@example.test","path":"sink","payload":{"attempt":1,"path":"sink","host":"127.0.0.1","reply":{"stage":"rcpt","code":451,"enhanced":"4.7.1","text":"Deferred on request"}}},
{"id":3,"time":"2026-01-02T03:04:05Z","kind":"relay.deferred","message":"m1","recipient":"defer2@example.test","path":"sink","payload":{"category":"policy","reason":"the receiver's policy defers the message for now","reply":{"stage":"rcpt","code":451,"enhanced":"4.7.1","text":"Deferred on request"}}},
{"id":4,"time":"2026-01-02T03:04:10Z","kind":"relay.deferred","message":"m1","recipient":"defer2@example.test","path":"sink","payload":{"category":"destination-backoff","next_attempt":"2026-01-02T03:14:10Z","reason":"nothing was sent to this recipient","reply":{"stage":"shaping","code":0,"text":"not tried: destination path:sink rests until 2026-01-02T03:14:10Z after 421 4.7.0 busy to d421@example.test (message m2)"}}}],"next":4}`
	srv := fakeServeAPI(t, `{"attempts":[{"time":"2026-01-02T03:04:05Z","listener":"mx","client":"127.0.0.1","sender":"app@shop.test","recipient":"defer2@example.test","stage":"rcpt","code":451,"enhanced":"4.7.1","text":"Deferred on request","session":1}]}`, relayEvents)
	file := filepath.Join(t.TempDir(), "x.yaml")
	if err := os.WriteFile(file, []byte("name: held\nexpect:\n  recipients:\n    - {match: \"defer2@example.test\", status: delivered}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn(t, context.Background(), "expect", "--url", srv.URL, file)
	for _, want := range []string{"held +5s", "now held by the relay's shaping until 2026-01-02T03:14:10Z (destination-backoff): not tried: destination path:sink rests",
		"what to do about the hold: the relay sends nothing to this destination until 2026-01-02T03:14:10Z", "a recipient domain of their own", "backoff"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q\nstdout:\n%s\nstderr %s", want, out, errOut)
		}
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
}

// TestExpectURLJSONLeavesOutSinkCounts: over --url, whose API has the
// sink's attempts and not every session and reply, the --json summary
// has no sink_sessions and sink_replies; it said 0 sessions and counted
// the replies of the attempts alone.
func TestExpectURLJSONLeavesOutSinkCounts(t *testing.T) {
	t.Parallel()
	srv := fakeServeAPI(t, `{"attempts":[{"time":"2026-01-02T03:04:05Z","listener":"mx","client":"127.0.0.1","sender":"app@shop.test","recipient":"ok@example.test","stage":"data","code":250,"enhanced":"2.0.0","text":"queued","message":1,"session":1}]}`, "")
	dir := t.TempDir()
	file, js := filepath.Join(dir, "x.yaml"), filepath.Join(dir, "v.json")
	if err := os.WriteFile(file, []byte("name: ok\nexpect:\n  recipients:\n    - {match: \"ok@example.test\", status: delivered}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn(t, context.Background(), "expect", "--url", srv.URL, "--json", js, file)
	b, err := os.ReadFile(js)
	if code != 0 || err != nil {
		t.Fatalf("exit %d, %v\n%s\n%s", code, err, out, errOut)
	}
	for _, key := range []string{`"sink_sessions"`, `"sink_replies"`} {
		if strings.Contains(string(b), key) {
			t.Errorf("the JSON has %s over --url:\n%s", key, b)
		}
	}
	if !strings.Contains(string(b), `"sink_messages": 1`) {
		t.Errorf("the JSON lacks sink_messages:\n%s", b)
	}
}

// fakeServeAPI stands for a relaylab serve's API, for expect --url: the
// sink's attempts as attempts gives them (JSON), the relay's events (a
// page of /api/v1/events?kind=relay.) as relayEvents gives them, or none
// when it is "", and every other page of events empty.
func fakeServeAPI(t *testing.T, attempts, relayEvents string) *httptest.Server {
	t.Helper()
	return fakeServeAPIWith(t, attempts, relayEvents, nil)
}

// fakeServeAPIWith is fakeServeAPI that answers the paths of pages too,
// each with its JSON (/api/v1/suppressions: the relay's list).
func fakeServeAPIWith(t *testing.T, attempts, relayEvents string, pages map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		q := r.URL.Query()
		page, ok := pages[r.URL.Path]
		switch {
		case ok:
			io.WriteString(w, page)
		case r.URL.Path == "/api/v1/sink/attempts":
			io.WriteString(w, attempts)
		case r.URL.Path == "/api/v1/events" && relayEvents != "" && q.Get("kind") == "relay." && q.Get("after") == "0":
			io.WriteString(w, relayEvents)
		case r.URL.Path == "/api/v1/events":
			io.WriteString(w, `{"events":[],"next":0}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestExpectNamesAHoldBeforeAnyTry: a recipient the relay held before its
// first try (its destination resting after another message's 421) never
// reached the sink; expect names it and the hold, where it said "found 0"
// and suggested another address.
func TestExpectNamesAHoldBeforeAnyTry(t *testing.T) {
	t.Parallel()
	const relayEvents = `{"events":[
{"id":1,"time":"2026-01-02T03:04:05Z","kind":"relay.queued","message":"m1","recipient":"defer2+y@example.test"},
{"id":2,"time":"2026-01-02T03:04:06Z","kind":"relay.deferred","message":"m1","recipient":"defer2+y@example.test","path":"sink","payload":{"category":"destination-backoff","next_attempt":"2026-01-02T03:14:10Z","reason":"nothing was sent to this recipient","reply":{"stage":"shaping","code":0,"text":"not tried: destination path:sink rests until 2026-01-02T03:14:10Z after 421 4.7.0 busy to data421x1+x@example.test (message m2)"}}}],"next":2}`
	srv := fakeServeAPI(t, `{"attempts":[{"time":"2026-01-02T03:04:05Z","listener":"mx","client":"127.0.0.1","sender":"app@shop.test","recipient":"data421x1+x@example.test","stage":"data","code":421,"enhanced":"4.7.0","text":"busy","session":1}]}`, relayEvents)
	file := filepath.Join(t.TempDir(), "x.yaml")
	if err := os.WriteFile(file, []byte("name: held\nexpect:\n  recipients:\n    - {match: \"defer2+y@example.test\", status: delivered}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn(t, context.Background(), "expect", "--url", srv.URL, file)
	if code != 1 || strings.Contains(out, "found 0") || !strings.Contains(out, "defer2+y@example.test") ||
		!strings.Contains(out, "what to do about the hold: the relay sends nothing to this destination until 2026-01-02T03:14:10Z") {
		t.Errorf("exit %d (want 1)\nstdout:\n%s\nstderr %s", code, out, errOut)
	}
}
