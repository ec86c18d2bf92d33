package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// clearingSink is a fake sink whose record the API may reset and delete:
// it counts the calls and holds messages "1" and "2" (a bounce still due
// quotes "2").
type clearingSink struct {
	*fakeSink
	mu            sync.Mutex
	resets, clrs  int
	deleted       []string
	forgotten     SinkForgotten
	keptByBounces int64
}

var _ SinkClearAPI = (*clearingSink)(nil)

func newClearingSink() *clearingSink {
	return &clearingSink{fakeSink: newFakeSink(), forgotten: SinkForgotten{Pairs: 2, Messages: 1, Greylist: 3, BeforeSession: 9}}
}

// calls are the resets, clears and deletions the sink saw.
func (c *clearingSink) calls() (resets, clears, deleted int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resets, c.clrs, len(c.deleted)
}

func (c *clearingSink) Reset(ctx context.Context) (SinkForgotten, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.resets++
	return c.forgotten, nil
}

func (c *clearingSink) Clear(ctx context.Context) (SinkCleared, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clrs++
	return SinkCleared{Deleted: SinkDeleted{Messages: 4, Sessions: 3, Attempts: 5, Events: 9}, KeptMessages: c.keptByBounces, Forgotten: c.forgotten}, nil
}

func (c *clearingSink) DeleteMessage(ctx context.Context, id string) (SinkDeleted, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch id {
	case "1":
		c.deleted = append(c.deleted, id)
		return SinkDeleted{Messages: 1, Events: 1}, nil
	case "2":
		return SinkDeleted{}, fmt.Errorf("%w: sink message 2 is quoted by a bounce the sink sends at 2026-03-01T12:00:00Z", ErrConflict)
	case "x":
		return SinkDeleted{}, fmt.Errorf("%w: %q is not a sink message id", ErrInvalid, id)
	}
	return SinkDeleted{}, fmt.Errorf("%w: no sink message %s", ErrNotFound, id)
}

// TestSinkClearEndpoints: POST /api/v1/sink/reset answers what the sink
// forgot, DELETE /api/v1/sink/messages what it deleted and forgot (with
// why some messages were kept), DELETE /api/v1/sink/messages/{id} the
// rows of one message, or 400, 404 or 409.
func TestSinkClearEndpoints(t *testing.T) {
	t.Parallel()
	sk := newClearingSink()
	sk.keptByBounces = 1
	ts := startServer(t, Options{Sink: sk})

	code, _, body := do(t, "POST", ts.url+"/api/v1/sink/reset", "")
	var f SinkForgotten
	if code != http.StatusOK || json.Unmarshal(body, &f) != nil || f != sk.forgotten {
		t.Errorf("reset: %d %s; want 200 and %+v", code, body, sk.forgotten)
	}
	for _, key := range []string{`"pairs":2`, `"messages":1`, `"greylist":3`, `"before_session":9`} {
		if !strings.Contains(string(body), key) {
			t.Errorf("reset: %s lacks %s (relaylab sink reset --json's keys)", body, key)
		}
	}

	code, _, body = do(t, "DELETE", ts.url+"/api/v1/sink/messages", "")
	var c SinkCleared
	if code != http.StatusOK || json.Unmarshal(body, &c) != nil || c.Deleted.Messages != 4 || c.Forgotten != sk.forgotten || c.KeptMessages != 1 ||
		!strings.Contains(c.Note, "bounces still due") {
		t.Errorf("clear: %d %s", code, body)
	}

	code, _, body = do(t, "DELETE", ts.url+"/api/v1/sink/messages/1", "")
	if code != http.StatusOK || !strings.Contains(string(body), `"deleted":{"messages":1,"sessions":0,"attempts":0,"bounces":0,"events":1}`) {
		t.Errorf("delete 1: %d %s", code, body)
	}
	for _, tc := range []struct {
		id   string
		code int
		want string
	}{
		{"2", http.StatusConflict, "bounce the sink sends at"},
		{"x", http.StatusBadRequest, "not a sink message id"},
		{"77", http.StatusNotFound, "no sink message 77"},
	} {
		code, _, body := do(t, "DELETE", ts.url+"/api/v1/sink/messages/"+tc.id, "")
		if e := wantAPIError(t, body); code != tc.code || !strings.Contains(e.Detail, tc.want) {
			t.Errorf("delete %s: %d %+v; want %d, %q", tc.id, code, e, tc.code, tc.want)
		}
	}
	if r, c, d := sk.calls(); r != 1 || c != 1 || d != 1 {
		t.Errorf("the sink saw %d resets, %d clears, %d deletions; want one each", r, c, d)
	}
}

// TestSinkClearGuarded: the writes are guarded as every API write is: a
// page of another origin is refused (403), and with a token configured a
// caller without it is refused (401); nothing reaches the sink. Without a
// sink, the endpoints answer 503.
func TestSinkClearGuarded(t *testing.T) {
	t.Parallel()
	sk := newClearingSink()
	open := startServer(t, Options{Sink: sk})
	token := startServer(t, Options{Sink: sk, Auth: Auth{Token: "s3cret"}})
	none := startServer(t, Options{})
	for _, req := range []struct{ method, path string }{
		{"POST", "/api/v1/sink/reset"},
		{"DELETE", "/api/v1/sink/messages"},
		{"DELETE", "/api/v1/sink/messages/1"},
	} {
		if code, _, body := do(t, req.method, open.url+req.path, "", "Origin", "http://127.0.0.2:9"); code != http.StatusForbidden {
			t.Errorf("%s %s from another origin: %d %s, want 403", req.method, req.path, code, body)
		}
		if code, _, body := do(t, req.method, token.url+req.path, ""); code != http.StatusUnauthorized {
			t.Errorf("%s %s without the token: %d %s, want 401", req.method, req.path, code, body)
		}
		if code, _, body := do(t, req.method, token.url+req.path, "", "Authorization", "Bearer s3cret"); code != http.StatusOK {
			t.Errorf("%s %s with the token: %d %s, want 200", req.method, req.path, code, body)
		}
		if code, _, body := do(t, req.method, none.url+req.path, ""); code != http.StatusServiceUnavailable {
			t.Errorf("%s %s without a sink: %d %s, want 503", req.method, req.path, code, body)
		}
	}
	if r, c, d := sk.calls(); r != 1 || c != 1 || d != 1 {
		t.Errorf("the sink saw %d resets, %d clears, %d deletions; want one each, those with the token", r, c, d)
	}
	// A sink that cannot be cleared says so, and what to run instead.
	plain := startServer(t, Options{Sink: newFakeSink()})
	code, _, body := do(t, "DELETE", plain.url+"/api/v1/sink/messages", "")
	if e := wantAPIError(t, body); code != http.StatusServiceUnavailable || !strings.Contains(e.Detail, "relaylab sink clear") {
		t.Errorf("a sink without SinkClearAPI: %d %+v", code, e)
	}
}

// TestSinkClearSpec: the answers' fields are the spec's, each described.
func TestSinkClearSpec(t *testing.T) {
	t.Parallel()
	for name, v := range map[string]any{"SinkForgotten": SinkForgotten{}, "SinkDeleted": SinkDeleted{}, "SinkCleared": SinkCleared{}} {
		props, ok := specProperties(t, name)
		if !ok {
			t.Errorf("openapi.yaml has no schema %s", name)
			continue
		}
		fields := jsonFields(v)
		for key := range fields {
			if _, ok := props[key]; !ok {
				t.Errorf("%s.%s is not in the spec", name, key)
			}
		}
		for key := range props {
			if _, ok := fields[key]; !ok {
				t.Errorf("the spec's %s.%s is no field", name, key)
			}
		}
	}
}
