package web

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
)

// fm22Sink and fm22Relay are the fakes with listeners whose
// state the test sets.
type fm22Sink struct {
	*fakeSink
	state *listenerState
}

type fm22Relay struct {
	*fakeRelay
	state *listenerState
}

type listenerState struct {
	mu sync.Mutex
	m  map[string]error
}

func (l *listenerState) Accepting() map[string]error {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]error{}
	for k, v := range l.m {
		out[k] = v
	}
	return out
}

func (l *listenerState) set(name string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.m[name] = err
}

func (s fm22Sink) Accepting() map[string]error  { return s.state.Accepting() }
func (r fm22Relay) Accepting() map[string]error { return r.state.Accepting() }

var (
	_ ListenerStateAPI = fm22Sink{}
	_ ListenerStateAPI = fm22Relay{}
)

// TestFM22ReadyzListeners: /readyz checks each listener of the sink and
// of the relay's submission that can say whether it accepts: "ok" each
// while they do, and 503 naming the one that stopped, where before it
// said ready with only the store and the stream checked.
func TestFM22ReadyzListeners(t *testing.T) {
	t.Parallel()
	sinkState := &listenerState{m: map[string]error{"mx": nil, "submission": nil}}
	relayState := &listenerState{m: map[string]error{"submission": nil}}
	ts := startServer(t, Options{Sink: fm22Sink{newFakeSink(), sinkState}, Relay: fm22Relay{newFakeRelay(), relayState}})
	readyz := func() (int, map[string]string) {
		t.Helper()
		code, _, body := do(t, "GET", ts.url+"/readyz", "")
		var ready struct {
			Checks map[string]string `json:"checks"`
		}
		if err := json.Unmarshal(body, &ready); err != nil {
			t.Fatalf("/readyz answered %s, not JSON: %v", body, err)
		}
		return code, ready.Checks
	}
	code, checks := readyz()
	for _, k := range []string{"sink:mx", "sink:submission", "relay:submission", "store", "stream"} {
		if checks[k] != "ok" {
			t.Errorf("/readyz with every listener accepting: check %q is %q, want ok (all checks: %v)", k, checks[k], checks)
		}
	}
	if code != 200 {
		t.Errorf("/readyz with every listener accepting: %d, want 200 (checks: %v)", code, checks)
	}
	sinkState.set("mx", errors.New("listener closed"))
	code, checks = readyz()
	if code != 503 || checks["sink:mx"] != "not accepting connections: listener closed" || checks["relay:submission"] != "ok" {
		t.Errorf("/readyz with the sink's mx closed: %d %v, want 503 with sink:mx not accepting and the others ok", code, checks)
	}
	sinkState.set("mx", nil)
	relayState.set("submission", errors.New("accept: too many open files"))
	if code, checks = readyz(); code != 503 || checks["relay:submission"] != "not accepting connections: accept: too many open files" {
		t.Errorf("/readyz with the relay's submission failing: %d %v, want 503 naming relay:submission", code, checks)
	}
}
