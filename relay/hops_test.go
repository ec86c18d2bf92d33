package relay

import (
	"context"
	"testing"
)

// TestMessageShowsEveryHop: a message that failed over from a broken
// path to a working one shows both hops of its one attempt, the failed
// one first, instead of only the path that took it (a broken primary
// otherwise passed unseen).
func TestMessageShowsEveryHop(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Paths = append([]PathConfig{{Name: "broken", Host: "127.0.0.1:1", TLS: "none"}}, cfg.Paths...)
	cfg.Routes = []RouteConfig{{Name: "all", Paths: []string{"broken", "primary"}}}
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@s.test", "b@r.test")
	h.runUntil("delivered", h.done(id, 1))
	m, err := h.r.Message(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	hops := m.Recipients[0].Hops
	if len(hops) != 2 || hops[0].Path != "broken" || hops[0].Reply.Code != 0 || hops[0].Reply.Text == "" ||
		hops[1].Path != "primary" || hops[1].Reply.Code != 250 || hops[0].Attempt != 1 || hops[1].Attempt != 1 {
		t.Errorf("hops %+v, want the broken path's failure, then primary's 250, both attempt 1", hops)
	}
}
