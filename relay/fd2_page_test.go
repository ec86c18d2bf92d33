package relay

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// TestListPage: the queue pages by a cursor either way, newest or
// oldest first, with filters by state, recipient and domain and the
// total they match; messages queued at one instant are neither skipped
// nor listed twice.
func TestListPage(t *testing.T) {
	t.Parallel()
	// Nothing is sent: the path's host refuses connections.
	h := newHarness(t, testConfig(closedAddr(t)), Options{})
	ctx := context.Background()
	var ids []string // oldest first
	for i := range 7 {
		to := "x@a.test"
		if i%2 == 1 {
			to = "Someone@B.test"
		}
		ids = append(ids, h.enqueue("s@s.test", to))
		if i != 2 && i != 3 { // 2, 3 and 4 at one instant
			h.v.Advance(time.Second)
		}
	}
	h.settle()
	order := func(ms []MessageInfo) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	// The newest first, as List has them (its order within an instant).
	all, err := h.r.List(ctx, QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	newest := order(all)
	if len(newest) != 7 || newest[0] != ids[6] || newest[6] != ids[0] {
		t.Fatalf("List: %v, want the 7 newest first (%v queued)", newest, ids)
	}

	var got []string
	f := QueueFilter{Limit: 3}
	for pages := 0; ; pages++ {
		p, err := h.r.ListPage(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != 7 {
			t.Errorf("page %d: total %d, want 7", pages, p.Total)
		}
		got = append(got, order(p.Messages)...)
		if !p.More {
			break
		}
		f.After = p.Messages[len(p.Messages)-1].ID
	}
	if !slices.Equal(got, newest) {
		t.Errorf("paged newest first: %v, want %v", got, newest)
	}

	// Oldest first, and the page before a message.
	p, err := h.r.ListPage(ctx, QueueFilter{Limit: 3, Oldest: true})
	if err != nil {
		t.Fatal(err)
	}
	oldest := slices.Clone(newest)
	slices.Reverse(oldest)
	if !slices.Equal(order(p.Messages), oldest[:3]) || !p.More || p.Earlier {
		t.Errorf("oldest first: %v more %v earlier %v, want %v, more, not earlier", order(p.Messages), p.More, p.Earlier, oldest[:3])
	}
	p, err = h.r.ListPage(ctx, QueueFilter{Limit: 2, BeforeID: newest[4]})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(order(p.Messages), newest[2:4]) || !p.More || !p.Earlier {
		t.Errorf("before %s: %v more %v earlier %v, want %v, both", newest[4], order(p.Messages), p.More, p.Earlier, newest[2:4])
	}

	// Filters: recipient substring and domain, any case; the total is
	// the filter's.
	for _, c := range []struct {
		f    QueueFilter
		want int
	}{
		{QueueFilter{Domain: "b.test"}, 3},
		{QueueFilter{Domain: "@B.TEST"}, 3},
		{QueueFilter{Domain: "test"}, 0},
		{QueueFilter{Recipient: "someone@"}, 3},
		{QueueFilter{Recipient: "X@A"}, 4},
		{QueueFilter{Domain: "a.test", State: "waiting"}, 4},
		{QueueFilter{Domain: "a.test", State: StateDelivered}, 0},
		{QueueFilter{Recipient: "%"}, 0},
	} {
		p, err := h.r.ListPage(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != c.want || len(p.Messages) != c.want {
			t.Errorf("%+v: total %d, %d listed, want %d", c.f, p.Total, len(p.Messages), c.want)
		}
	}

	// A cursor message deleted since is still a place to page from.
	if err := h.r.Delete(ctx, newest[2]); err != nil {
		t.Fatal(err)
	}
	p, err = h.r.ListPage(ctx, QueueFilter{Limit: 2, After: newest[2]})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(order(p.Messages), newest[3:5]) {
		t.Errorf("after deleted %s: %v, want %v", newest[2], order(p.Messages), newest[3:5])
	}
	if _, err := h.r.ListPage(ctx, QueueFilter{After: "nope"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("after an unknown id: %v, want ErrNotFound", err)
	}
}
