package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/web"
)

// fw2Queue is a relay with n messages of one recipient each, rN@rN.test
// (r0 first), and its adapter.
func fw2Queue(t *testing.T, n int) (relayAdapter, []string) {
	t.Helper()
	ctx := context.Background()
	st, rl := openTestRelay(t, filepath.Join(t.TempDir(), "q.db"))
	t.Cleanup(func() { st.Close() })
	var ids []string
	for i := range n {
		id, err := rl.Enqueue(ctx, relay.Submission{From: "a@s.test", Data: []byte("Subject: x\r\n\r\ny\r\n"),
			Recipients: []relay.Recipient{{Address: fmt.Sprintf("r%d@r%d.test", i, i)}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return relayAdapter{rl: rl}, ids
}

func entryIDs(es []web.QueueEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

// TestRelayAdapterQueuePage: the web pages the queue as relaylab queue
// list does, oldest first too, with filters and a total; before, it got
// the newest 500 alone and the oldest, most stuck mail was out of reach.
// A cursor naming no message is the caller's mistake (ErrInvalid).
func TestRelayAdapterQueuePage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, ids := fw2Queue(t, 5)
	all, err := a.QueuePage(ctx, web.QueueFilter{Limit: 100, Oldest: true})
	if err != nil || all.Total != 5 || len(all.Entries) != 5 || all.More || all.Earlier {
		t.Fatalf("QueuePage(oldest, 100) = %d entries, total %d, more %v, earlier %v, %v; want all 5", len(all.Entries), all.Total, all.More, all.Earlier, err)
	}
	order := entryIDs(all.Entries)
	if !slices.Equal(slices.Sorted(slices.Values(order)), slices.Sorted(slices.Values(ids))) {
		t.Fatalf("oldest first lists %v, want the ids %v", order, ids)
	}
	p1, err := a.QueuePage(ctx, web.QueueFilter{Limit: 2, Oldest: true})
	if err != nil || !slices.Equal(entryIDs(p1.Entries), order[:2]) || !p1.More || p1.Earlier || p1.Total != 5 {
		t.Fatalf("page 1 = %v (more %v, earlier %v, total %d), %v; want %v, more, total 5", entryIDs(p1.Entries), p1.More, p1.Earlier, p1.Total, err, order[:2])
	}
	p2, err := a.QueuePage(ctx, web.QueueFilter{Limit: 2, Oldest: true, After: order[1]})
	if err != nil || !slices.Equal(entryIDs(p2.Entries), order[2:4]) || !p2.More || !p2.Earlier {
		t.Fatalf("page 2 = %v (more %v, earlier %v), %v; want %v, more and earlier", entryIDs(p2.Entries), p2.More, p2.Earlier, err, order[2:4])
	}
	back, err := a.QueuePage(ctx, web.QueueFilter{Limit: 2, Oldest: true, Before: order[2]})
	if err != nil || !slices.Equal(entryIDs(back.Entries), order[:2]) || back.Earlier || !back.More {
		t.Fatalf("before %s = %v (more %v, earlier %v), %v; want %v", order[2], entryIDs(back.Entries), back.More, back.Earlier, err, order[:2])
	}
	dom, err := a.QueuePage(ctx, web.QueueFilter{Limit: 10, Domain: "@R3.test"})
	if err != nil || dom.Total != 1 || len(dom.Entries) != 1 || dom.Entries[0].Recipients[0] != "r3@r3.test" {
		t.Errorf("domain @R3.test = %+v, %v; want r3's message alone", dom, err)
	}
	rc, err := a.QueuePage(ctx, web.QueueFilter{Limit: 10, Recipient: "r4@"})
	if err != nil || rc.Total != 1 || len(rc.Entries) != 1 || rc.Entries[0].Recipients[0] != "r4@r4.test" {
		t.Errorf("recipient r4@ = %+v, %v; want r4's message alone", rc, err)
	}
	if _, err := a.QueuePage(ctx, web.QueueFilter{Limit: 2, After: "no-such-id"}); !errors.Is(err, web.ErrInvalid) || !strings.Contains(err.Error(), "no-such-id") {
		t.Errorf("after a stale cursor: %v, want ErrInvalid naming it", err)
	}
}

// TestRelayAdapterHold: the web holds and releases as relaylab queue hold
// and release do; a message held whole is listed with its held
// recipients and who held them (it came back with "recipients": null),
// state=held lists it; the relay's errors are the web's 404, 400 and
// their explanations.
func TestRelayAdapterHold(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, ids := fw2Queue(t, 3)
	held, err := a.Hold(ctx, ids[1], "", "the web API", "waiting for DNS")
	if err != nil || !slices.Equal(held, []string{"r1@r1.test"}) {
		t.Fatalf("Hold = %v, %v; want r1@r1.test", held, err)
	}
	q, err := a.Queue(ctx, web.QueueFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var e *web.QueueEntry
	for i := range q {
		if q[i].ID == ids[1] {
			e = &q[i]
		}
	}
	if e == nil || len(e.Recipients) != 1 || len(e.Waiting) != 1 {
		t.Fatalf("the held message in Queue: %+v; want its held recipient listed", e)
	}
	w := e.Waiting[0]
	if w.State != relay.StateHeld || w.OperatorHold == nil || w.OperatorHold.By != "the web API" || w.OperatorHold.Note != "waiting for DNS" || w.OperatorHold.Since.IsZero() || !w.NextAttempt.IsZero() {
		t.Errorf("held recipient = %+v (hold %+v); want state held, held by the web API since a time with its note, no next attempt", w, w.OperatorHold)
	}
	p, err := a.QueuePage(ctx, web.QueueFilter{Limit: 10, State: "held"})
	if err != nil || p.Total != 1 || len(p.Entries) != 1 || p.Entries[0].ID != ids[1] {
		t.Errorf("state held = %+v, %v; want the held message alone", p, err)
	}
	if rel, err := a.Release(ctx, ids[0], "", "the web API"); err != nil || len(rel) != 0 {
		t.Errorf("Release of a message not held = %v, %v; want nothing released and no error (as postsuper -H)", rel, err)
	}
	if _, err := a.Hold(ctx, ids[0], "nobody@r.test", "the web API", ""); !errors.Is(err, web.ErrInvalid) || !strings.Contains(err.Error(), "r0@r0.test") {
		t.Errorf("Hold of a recipient the message lacks = %v; want ErrInvalid naming its recipients", err)
	}
	if _, err := a.Hold(ctx, "no-such-id", "", "the web API", ""); !errors.Is(err, web.ErrNotFound) {
		t.Errorf("Hold of an unknown message = %v; want ErrNotFound", err)
	}
	if _, err := a.RetryNowHeld(ctx, ids[1]); !errors.Is(err, web.ErrInvalid) || !strings.Contains(err.Error(), "POST /api/v1/queue/"+ids[1]+"/release") || strings.Contains(err.Error(), "relaylab queue release") {
		t.Errorf("retry of a held message = %v; want ErrInvalid saying the API's release sends it", err)
	}
	rel, err := a.Release(ctx, ids[1], "", "the web API")
	if err != nil || !slices.Equal(rel, []string{"r1@r1.test"}) {
		t.Errorf("Release = %v, %v; want r1@r1.test", rel, err)
	}
}
