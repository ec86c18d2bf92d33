package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// restsRelay is a fakeRelay that rests destinations (QueueRestsAPI) and
// can empty its suppression list (SuppressionsClearAPI).
type restsRelay struct {
	*fakeRelay
	rmu   sync.Mutex
	rests []Rest
	ended []string // "DEST by BY"
}

var (
	_ QueueRestsAPI        = (*restsRelay)(nil)
	_ SuppressionsClearAPI = (*restsRelay)(nil)
)

func (f *restsRelay) Rests(ctx context.Context) ([]Rest, error) {
	f.rmu.Lock()
	defer f.rmu.Unlock()
	return append([]Rest(nil), f.rests...), nil
}

func (f *restsRelay) EndRest(ctx context.Context, dest, by string) (EndedRest, error) {
	f.rmu.Lock()
	defer f.rmu.Unlock()
	for i, r := range f.rests {
		if r.Destination == dest {
			f.rests = append(f.rests[:i], f.rests[i+1:]...)
			f.ended = append(f.ended, dest+" by "+by)
			return EndedRest{Rest: r, Released: r.Held}, nil
		}
	}
	return EndedRest{}, fmt.Errorf("%w: %s does not rest now", ErrNotFound, dest)
}

func (f *restsRelay) ClearSuppressions(ctx context.Context) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.sup)
	f.sup = nil
	return n, nil
}

func fw3Rests() *restsRelay {
	return &restsRelay{fakeRelay: &fakeRelay{}, rests: []Rest{{Destination: "path:local-sink:example.test", Path: "local-sink",
		Until: time.Date(2026, 11, 30, 13, 51, 17, 0, time.UTC), Cause: "421 4.7.0 Deferred on request: try again later. to data421@example.test (message m1)", Held: 3}}}
}

// GET /api/v1/rests lists the destinations' rests, and DELETE
// /api/v1/rests/{destination} ends one, naming who asked; a destination
// that does not rest is a 404. Before, no page or route showed a rest or
// ended one: only its end did.
func TestFW3RestsAPI(t *testing.T) {
	t.Parallel()
	f := fw3Rests()
	ts := startServer(t, Options{Relay: f})
	code, _, body := do(t, "GET", ts.url+"/api/v1/rests", "")
	var list struct{ Rests []Rest }
	if err := json.Unmarshal(body, &list); code != 200 || err != nil || len(list.Rests) != 1 || list.Rests[0].Held != 3 {
		t.Fatalf("GET /api/v1/rests: %d %s (%v), want the one rest", code, body, err)
	}
	code, _, body = do(t, "DELETE", ts.url+"/api/v1/rests/path:local-sink:example.test", "")
	var a EndedRest
	if err := json.Unmarshal(body, &a); code != 200 || err != nil || a.Released != 3 || !strings.Contains(a.Detail, "rests it again") {
		t.Fatalf("DELETE a rest: %d %s (%v), want 3 released and what follows", code, body, err)
	}
	if len(f.ended) != 1 || f.ended[0] != "path:local-sink:example.test by the web API" {
		t.Errorf("ended %q, want the rest ended by the web API", f.ended)
	}
	if code, _, body = do(t, "DELETE", ts.url+"/api/v1/rests/path:local-sink:example.test", ""); code != 404 {
		t.Errorf("DELETE a rest that is over: %d %s, want 404", code, body)
	}
	if code, _, body = do(t, "GET", ts.url+"/api/v1/rests", ""); code != 200 || !strings.Contains(string(body), `"rests":[]`) {
		t.Errorf("GET /api/v1/rests with none: %d %s, want an empty list", code, body)
	}
}
