package relay

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/relaylab/relaylab/internal/store"
)

// TestWarnFromOfAnEarlierStore: a store written before the delay-warning
// index gets, when it is opened, the arrival of each waiting recipient
// that may still be warned, and none for one that never will (a DSN's,
// a null sender's, NOTIFY without DELAY, warned already, finished), so
// that its waiting mail is warned as before.
func TestWarnFromOfAnEarlierStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	st, err := store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff})
	if err != nil {
		t.Fatal(err)
	}
	// Back to the schema before 0203, with one recipient of each kind.
	for _, q := range []string{
		`DROP INDEX relay_recipients_unwarned`,
		`ALTER TABLE relay_recipients DROP COLUMN warn_from_ns`,
		`DELETE FROM schema_migrations WHERE version = 203`,
		`INSERT INTO relay_messages (id, sender, is_dsn, size, data, created_ns, expires_ns) VALUES
			('plain', 'a@s.test', 0, 1, 'x', 100, 0), ('dsn', '', 1, 1, 'x', 200, 0)`,
		`INSERT INTO relay_recipients (message_id, address, notify, state, due_ns, warned, updated_ns) VALUES
			('plain', 'deferred@r.test', '', 'deferred', 5, 0, 0),
			('plain', 'delay@r.test', 'FAILURE,DELAY', 'queued', 5, 0, 0),
			('plain', 'never@r.test', 'NEVER', 'deferred', 5, 0, 0),
			('plain', 'warned@r.test', '', 'deferred', 5, 1, 0),
			('plain', 'done@r.test', '', 'delivered', NULL, 0, 0),
			('dsn', 'a@s.test', '', 'deferred', 5, 0, 0)`,
	} {
		if err := st.Write(ctx, func(tx *store.Tx) error { _, err := tx.Exec(q); return err }); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	st.Close()
	st, err = store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	want := map[string]sql.NullInt64{
		"deferred@r.test": {Int64: 100, Valid: true},
		"delay@r.test":    {Int64: 100, Valid: true},
		"never@r.test":    {}, "warned@r.test": {}, "done@r.test": {}, "a@s.test": {},
	}
	rows, err := st.DB().QueryContext(ctx, `SELECT address, warn_from_ns FROM relay_recipients`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var addr string
		var from sql.NullInt64
		if err := rows.Scan(&addr, &from); err != nil {
			t.Fatal(err)
		}
		n++
		if from != want[addr] {
			t.Errorf("%s: warn_from_ns %v, want %v", addr, from, want[addr])
		}
	}
	if n != len(want) {
		t.Errorf("%d recipients, want %d", n, len(want))
	}
}
