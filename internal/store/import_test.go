package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestImport moves a second store's record into the first with its ids
// unchanged, once the second reserved ids above the first's, and refuses
// (copying nothing) when the first was written to in the meantime.
func TestImport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dst, _ := openTest(t)
	for _, m := range []string{"a", "b"} {
		if _, err := dst.Append(ctx, events.Event{Kind: events.RelayQueued, Message: m}); err != nil {
			t.Fatal(err)
		}
	}
	if err := dst.Write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`INSERT INTO sink_sessions (id, listener, client, start_ns, end_ns) VALUES (7, 'mx', '127.0.0.1', 1, 2)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	marks, err := dst.Marks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if marks["events"] != 2 || marks["sink_sessions"] != 7 {
		t.Fatalf("marks %v, want events 2 and sink_sessions 7", marks)
	}

	srcPath := filepath.Join(t.TempDir(), "src.db")
	src, err := Open(ctx, Options{Path: srcPath, Sync: SyncOff})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.ReserveIDs(ctx, marks); err != nil {
		t.Fatal(err)
	}
	e, err := src.Append(ctx, events.Event{Kind: events.SinkSession, Listener: "mx"})
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != 3 {
		t.Errorf("the first event after reserving has id %d, want 3", e.ID)
	}
	var next int64
	if err := src.DB().QueryRow(`SELECT MAX(id) + 1 FROM sink_sessions`).Scan(&next); err != nil || next != 8 {
		t.Errorf("the next session id would be %d (%v), want 8", next, err)
	}
	if err := src.Write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`INSERT INTO sink_sessions (id, listener, client, start_ns, end_ns) VALUES (8, 'mx', '127.0.0.1', 3, 4)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	src.Close()

	last, changed := dst.Changes()
	if err := dst.Import(ctx, srcPath, marks); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	default:
		t.Error("followers of the event log were not told of the imported events")
	}
	evs, err := dst.Events(ctx, events.Filter{AfterID: last})
	if err != nil || len(evs) != 1 || evs[0].ID != 3 || evs[0].Kind != events.SinkSession {
		t.Errorf("imported events %+v (%v), want the one sink.session with id 3", evs, err)
	}
	var sessions int
	dst.DB().QueryRow(`SELECT COUNT(*) FROM sink_sessions`).Scan(&sessions)
	if sessions != 2 {
		t.Errorf("%d sessions after the import, want 2 (the placeholder stays behind)", sessions)
	}

	// Importing the same record again collides on its ids: an error, and
	// nothing half-copied.
	err = dst.Import(ctx, srcPath, marks)
	if err == nil || !strings.Contains(err.Error(), "written to by another process") {
		t.Fatalf("second import: %v, want an error saying the store was written to", err)
	}
	var n int
	dst.DB().QueryRow(`SELECT COUNT(*) FROM events`).Scan(&n)
	if n != 3 {
		t.Errorf("%d events after the failed import, want 3", n)
	}
}

// TestMarksRememberDeletedIDs: the marks are the highest ids ever handed
// out, so that an import never reuses the id of a row deleted since.
func TestMarksRememberDeletedIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openTest(t)
	if err := s.Write(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(`INSERT INTO relay_messages (id, sender, size, created_ns, expires_ns, data) VALUES ('m', 'a@x.test', 1, 1, 0, x'00')`); err != nil {
			return err
		}
		for _, a := range []string{"a@y.test", "b@y.test", "c@y.test"} {
			if _, err := tx.Exec(`INSERT INTO relay_recipients (message_id, address, state, updated_ns) VALUES ('m', ?, 'queued', 1)`, a); err != nil {
				return err
			}
		}
		_, err := tx.Exec(`DELETE FROM relay_recipients WHERE id = 3`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	m, err := s.Marks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m["relay_recipients"] != 3 {
		t.Errorf("relay_recipients mark %d, want 3 (the deleted row's id)", m["relay_recipients"])
	}
}
