package web

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
)

// sessionCountSink is a sink that counts its sessions.
type sessionCountSink struct{ *fakeSink }

var _ SessionCountAPI = sessionCountSink{}

func (c sessionCountSink) SessionCount(ctx context.Context, listener string) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sessions), nil
}

// TestW14SessionsPage: /api/v1/sink/sessions gives next, the before= of
// the older page, when its page is full, and total from a sink that counts
// its sessions, so that a page of 200 of 5,000 does not pass for all.
func TestW14SessionsPage(t *testing.T) {
	t.Parallel()
	sink := newFakeSink()
	for id := 5; id >= 1; id-- {
		sink.sessions = append(sink.sessions, SinkSession{ID: fmt.Sprint(id), Listener: "mx"})
	}
	ts := startServer(t, Options{Sink: sessionCountSink{sink}})
	page := func(q string) (ids []string, next string, total *int) {
		t.Helper()
		_, _, body := do(t, "GET", ts.url+"/api/v1/sink/sessions"+q, "")
		var p sessionPage
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		for _, s := range p.Sessions {
			ids = append(ids, s.ID)
		}
		return ids, p.Next, p.Total
	}
	ids, next, total := page("?limit=2")
	if fmt.Sprint(ids) != "[5 4]" || next != "4" || total == nil || *total != 5 {
		t.Errorf("limit=2: %v next %q total %v, want [5 4] next 4 total 5", ids, next, total)
	}
	ids, next, _ = page("?limit=3&before=" + next)
	if fmt.Sprint(ids) != "[3 2 1]" || next != "1" {
		t.Errorf("before=4: %v next %q, want [3 2 1] and next 1 (a full page)", ids, next)
	}
	if ids, next, _ = page("?limit=10"); len(ids) != 5 || next != "" {
		t.Errorf("limit=10: %v next %q, want all 5 and no next", ids, next)
	}
}
