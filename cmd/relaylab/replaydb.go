package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// checkReplayDB looks at the store replay --db is to add its record to,
// before anything opens it. A store another process has open (a running
// relaylab serve) is refused: the replay's messages, sessions and events,
// stamped with the scenario's virtual clock, would appear among that
// process's live ones in its UI and API. A store that already holds events
// is used, as asked, with a warning on w saying what will happen and how
// to keep the replay apart.
func checkReplayDB(ctx context.Context, w io.Writer, path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) || err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
		return nil // a new store
	}
	if err != nil {
		return usageError("--db %s: %v", path, err)
	}
	if !fi.Mode().IsRegular() {
		return usageError("--db %s is not a file: give a store file, or a name that does not exist yet for a new one", path)
	}
	why, err := notAStore(ctx, path)
	if err != nil {
		return unusableStore(path, true, err)
	}
	if why != "" {
		return usageError("--db %s is not a relaylab store (%s): give a file that does not exist yet, and replay creates one", path, why)
	}
	pid, err := openElsewhere(path)
	if err != nil {
		return fmt.Errorf("--db %s: telling whether another process has it open: %w", path, err)
	}
	if pid != 0 {
		return usageError("--db %s is open in another process (pid %d; a running relaylab serve, relay or sink?): the replay's messages, sessions and events, on the scenario's virtual clock, would show up in its UI and API among the live ones; give --db a file that does not exist yet (or leave --db out for a temporary store), or stop that process first", path, pid)
	}
	n, err := countEvents(ctx, path)
	if err != nil {
		return fmt.Errorf("--db %s: %w", path, err)
	}
	if n > 0 {
		fmt.Fprintf(w, "relaylab replay: warning: --db %s already holds %d events; the replay adds its own after them, stamped with the scenario's virtual clock, so the UI, the API and the reports of this store show both together. For a record of the replay alone, give --db a file that does not exist yet.\n", path, n)
	}
	return nil
}

// countEvents counts the events of the store at path, read-only.
func countEvents(ctx context.Context, path string) (int64, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&n)
	return n, err
}
