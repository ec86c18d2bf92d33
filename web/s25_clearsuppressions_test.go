package web

import (
	"context"
	"strings"
	"testing"
)

// clearingRelay is a fake relay that can empty its suppression list.
type clearingRelay struct{ *fakeRelay }

func (c clearingRelay) ClearSuppressions(ctx context.Context) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.sup)
	c.sup = nil
	return n, nil
}

// TestS25ClearSuppressions: DELETE /api/v1/suppressions empties the
// list for a test run's clean slate, answering how many it removed; a
// relay that cannot is a 501 that says what to do instead. Only one
// address at a time could be taken off.
func TestS25ClearSuppressions(t *testing.T) {
	t.Parallel()
	f := newFakeRelay()
	f.sup = []Suppression{{Address: "a@x.test"}, {Address: "b@x.test"}}
	s := listen(t, Options{Relay: clearingRelay{f}})
	code, _, body := do(t, "DELETE", "http://"+s.Addr()+"/api/v1/suppressions", "")
	if code != 200 || !strings.Contains(string(body), `"removed":2`) {
		t.Fatalf("DELETE /api/v1/suppressions: %d %s; want 200 removed 2", code, body)
	}
	if l, _ := f.Suppressions(context.Background()); len(l) != 0 {
		t.Errorf("after the clear the list holds %v", l)
	}
	s2 := listen(t, Options{Relay: newFakeRelay()})
	code, _, body = do(t, "DELETE", "http://"+s2.Addr()+"/api/v1/suppressions", "")
	if code != 501 || !strings.Contains(string(body), "/api/v1/suppressions/{address}") {
		t.Errorf("a relay that cannot clear: %d %s; want 501 saying to take addresses off one at a time", code, body)
	}
}
