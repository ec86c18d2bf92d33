package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// holdersRelay is a pagingRelay that says who holds its recipients by
// hand (QueueHoldersAPI).
type holdersRelay struct{ *pagingRelay }

var _ QueueHoldersAPI = holdersRelay{}

func (h holdersRelay) OperatorHolds(ctx context.Context, id string) ([]RecipientHold, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []RecipientHold
	for _, e := range h.queue {
		for _, w := range e.Waiting {
			if e.ID == id && w.OperatorHold != nil {
				out = append(out, RecipientHold{Address: w.Address, OperatorHold: *w.OperatorHold})
			}
		}
	}
	return out, nil
}

// TestFQ22HoldAlreadyHeldSaysWho: a hold of mail already held answers
// by whom and since when each recipient is held, as relaylab queue hold
// does, when the relay can say; without that, it does not claim to.
func TestFQ22HoldAlreadyHeldSaysWho(t *testing.T) {
	t.Parallel()
	p := holdersRelay{&pagingRelay{fakeRelay: fw2Queue(2)}}
	ts := startServer(t, Options{Relay: p})
	url := ts.url + "/api/v1/queue/q-001/hold"
	if code, _, body := do(t, "POST", url, `{"note":"bad DNS"}`, "Content-Type", "application/json"); code != 200 {
		t.Fatalf("first hold: %d %s", code, body)
	}
	code, _, body := do(t, "POST", url, "", "Origin", ts.url)
	var a holdAnswer
	if err := json.Unmarshal(body, &a); code != 200 || err != nil {
		t.Fatalf("second hold: %d %s (%v)", code, body, err)
	}
	want := "already held: rq-001@r.test held by the web API since 2026-11-30T02:00:00Z (bad DNS); nothing changed"
	if a.Detail != want || len(a.Held) != 0 || len(a.Holds) != 1 || a.Holds[0].By != "the web API" || a.Holds[0].Note != "bad DNS" {
		t.Errorf("a hold of mail already held must say who holds it and since when:\ngot  %s\nwant detail %q and the hold in \"holds\"", body, want)
	}
	// A relay that cannot say who holds: the answer claims no more.
	q := &pagingRelay{fakeRelay: fw2Queue(2)}
	ts2 := startServer(t, Options{Relay: q})
	for range 2 {
		_, _, body = do(t, "POST", ts2.url+"/api/v1/queue/q-001/hold", "")
	}
	if s := string(body); !strings.Contains(s, "already held") || strings.Contains(s, "by whom") || strings.Contains(s, `"holds"`) {
		t.Errorf("a hold of mail already held, the relay unable to say who holds it: %s; want \"already held\" and no promise of who", s)
	}
}
