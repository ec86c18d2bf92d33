package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestWALShrinksAfterALongRead: a read transaction held while 40 MB are
// written lets the WAL grow past walSizeLimit (nothing can be
// checkpointed under the reader's snapshot); once the reader is gone and
// the WAL is checkpointed and reused, it is cut back to the limit. It
// kept its largest size until a clean stop (walk O: 207 MB after a 25 s
// read).
func TestWALShrinksAfterALongRead(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "s.db")
	ctx := context.Background()
	s, err := Open(ctx, Options{Path: path, Sync: SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	write := func(size int) {
		t.Helper()
		if err := s.Write(ctx, func(tx *Tx) error {
			_, err := tx.Exec(`INSERT INTO relay_messages (id, sender, size, data, created_ns, expires_ns) VALUES (hex(randomblob(8)), '', ?, zeroblob(?), 0, 0)`, size, size)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	walSize := func() int64 {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	reader, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := reader.QueryRow(`SELECT COUNT(*) FROM relay_messages`).Scan(&n); err != nil { // the snapshot starts here
		t.Fatal(err)
	}
	for range 40 {
		write(1 << 20)
	}
	if got := walSize(); got <= walSizeLimit {
		t.Fatalf("WAL %d bytes under the reader, want more than %d (the test's premise)", got, walSizeLimit)
	}
	reader.Rollback()
	// The automatic checkpoint runs at a commit once the reader is gone;
	// the commit after it starts the WAL over and cuts it back.
	for range 3 {
		write(1)
		if _, err := s.conn.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			t.Fatal(err)
		}
	}
	if got := walSize(); got > walSizeLimit {
		t.Errorf("WAL %d bytes after the reader ended, want at most %d", got, walSizeLimit)
	}
}
