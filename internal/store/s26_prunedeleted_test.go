package store

import (
	"context"
	"testing"
	"time"
)

// TestPruneSaysWhichSinkMessagesWent: a prune appends a sink.deleted
// event naming the sink messages each transaction deleted, as the sink's
// own deletes do, so that an open Inbox drops their rows; it kept
// showing them, with links to pages that were gone. A dry run appends
// none.
func TestPruneSaysWhichSinkMessagesWent(t *testing.T) {
	t.Parallel()
	s, vc := openTest(t)
	now := vc.Now()
	old, recent, cut := now.Add(-48*time.Hour), now.Add(-time.Hour), now.Add(-24*time.Hour)
	p := pruneSeed{t, s}
	for id := int64(1); id <= 3; id++ {
		p.session(id, old)
		p.message(id, id, old)
	}
	p.session(4, recent)
	p.message(4, 4, recent)
	p.session(5, old)
	p.message(5, 5, old)
	p.bounce(5, old, "due") // kept: a bounce still due quotes it

	if _, err := s.Prune(context.Background(), cut, PruneOptions{DryRun: true}); err != nil {
		t.Fatal(err)
	}
	p.wantIDs(`SELECT payload FROM events WHERE kind = 'sink.deleted'`)

	if _, err := s.Prune(context.Background(), cut, PruneOptions{Batch: 2}); err != nil {
		t.Fatal(err)
	}
	p.wantIDs(`SELECT id FROM sink_messages ORDER BY id`, "4", "5")
	p.wantIDs(`SELECT payload FROM events WHERE kind = 'sink.deleted' ORDER BY id`,
		`{"ids":[1,2],"by":"prune"}`, `{"ids":[3],"by":"prune"}`)

	// Nothing more to prune: no event that names nothing.
	if _, err := s.Prune(context.Background(), cut, PruneOptions{Batch: 2}); err != nil {
		t.Fatal(err)
	}
	if n := len(p.ids(`SELECT id FROM events WHERE kind = 'sink.deleted'`)); n != 2 {
		t.Errorf("%d sink.deleted events after a prune that deleted nothing, want the 2 of before", n)
	}
}
