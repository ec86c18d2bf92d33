package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestFS22SinkMessageMailOfAnEarlierStore: a store written before
// migration 0109 gets, when it is opened, the columns for what each sink
// message's MAIL declared (mail_body, smtputf8) and its notes; a message
// stored before has NULL in the first two (not known: the sink says so,
// rather than "nothing declared") and no notes, and one stored after has
// its values.
func TestFS22SinkMessageMailOfAnEarlierStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := Open(ctx, Options{Path: path, Sync: SyncOff})
	if err != nil {
		t.Fatal(err)
	}
	// Back to the schema before 0109, with one message in it.
	for _, q := range []string{
		`ALTER TABLE sink_messages DROP COLUMN mail_body`,
		`ALTER TABLE sink_messages DROP COLUMN smtputf8`,
		`ALTER TABLE sink_messages DROP COLUMN notes`,
		`DELETE FROM schema_migrations WHERE version = 109`,
		`INSERT INTO sink_messages (id, session_id, listener, time_ns, mail_from, rcpts, size, attempt, code, raw)
			VALUES (1, 1, 'mx', 1, 'a@x.test', 'b@y.test', 1, 1, 250, 'x')`,
	} {
		if err := st.Write(ctx, func(tx *Tx) error { _, err := tx.Exec(q); return err }); err != nil {
			t.Fatalf("%s: %v (is migrations/0109_sink_message_mail.sql there?)", q, err)
		}
	}
	st.Close()
	st, err = Open(ctx, Options{Path: path, Sync: SyncOff})
	if err != nil {
		t.Fatalf("opening a store from before migration 0109: %v", err)
	}
	defer st.Close()
	if err := st.Write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`INSERT INTO sink_messages (id, session_id, listener, time_ns, mail_from, rcpts, size, attempt, code, raw, mail_body, smtputf8, notes)
			VALUES (2, 1, 'mx', 2, 'a@x.test', 'b@y.test', 1, 1, 250, 'x', '8BITMIME', 1, '["a note"]')`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var name string
	if err := st.DB().QueryRowContext(ctx, `SELECT name FROM schema_migrations WHERE version = 109`).Scan(&name); err != nil || name != "0109_sink_message_mail.sql" {
		t.Errorf("schema_migrations has %q (%v) for version 109, want 0109_sink_message_mail.sql", name, err)
	}
	type row struct {
		body  sql.NullString
		utf8  sql.NullBool
		notes string
	}
	want := map[int64]row{
		1: {notes: ""}, // NULL, NULL: not known
		2: {body: sql.NullString{String: "8BITMIME", Valid: true}, utf8: sql.NullBool{Bool: true, Valid: true}, notes: `["a note"]`},
	}
	for id, w := range want {
		var got row
		if err := st.DB().QueryRowContext(ctx, `SELECT mail_body, smtputf8, notes FROM sink_messages WHERE id = ?`, id).Scan(&got.body, &got.utf8, &got.notes); err != nil {
			t.Fatal(err)
		}
		if got != w {
			t.Errorf("message %d: mail_body %v, smtputf8 %v, notes %q; want %v, %v, %q", id, got.body, got.utf8, got.notes, w.body, w.utf8, w.notes)
		}
	}
}
