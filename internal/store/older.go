package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// A store an older relaylab wrote lacks some of this build's migrations.
// Migrating it is for good: the older relaylab refuses it afterwards
// (ErrNewerStore), and a serve of it that was running cannot start again,
// under systemd's Restart=on-failure a restart loop. So only the commands
// that own a store (serve, sink, relay, replay) migrate it, never while
// another process has it open; the others open it with NoMigrate and
// refuse it, saying how to upgrade it.

// ErrOlderStore is what an *OlderStoreError is: a store that lacks
// migrations this relaylab has, which Open was not to apply.
var ErrOlderStore = errors.New("the store was written by an older relaylab")

// errNoStore is Open's error, with NoMigrate, for a file without
// relaylab's tables (an empty one, someone else's database).
var errNoStore = errors.New("not a relaylab store: it has no schema_migrations table, and this command does not create one (relaylab serve, sink, relay or replay start a store)")

// OlderStoreError is Open's error for a store that lacks migrations of
// this relaylab when Options.NoMigrate is set, or when another process
// has the store open (Migrating): nothing was changed.
type OlderStoreError struct {
	Path    string   // the store
	Pending []string // the migrations it lacks, by name, in order
	// HeldBy names the other processes that have the store open ("process
	// 4242 (relaylab serve --db relaylab.db)"); "" when none is known.
	HeldBy string
	// Migrating says that Open would have migrated the store but for
	// HeldBy.
	Migrating bool
}

func (e *OlderStoreError) Error() string {
	what := fmt.Sprintf("store: %s was written by an older relaylab: it lacks %s", e.Path, pendingText(e.Pending))
	if e.Migrating {
		return what + fmt.Sprintf(", and it is open in %s, so it was not upgraded (nothing was changed): that may be the older relaylab, which could then neither go on with the store nor start again on it (\"the store was written by a newer relaylab\"; under systemd's Restart=on-failure, a restart loop). Stop that process, back the store up (README: The store: upgrades and backups), and start this relaylab on it again; or give this one a store of its own with --db", e.HeldBy)
	}
	held := ""
	if e.HeldBy != "" {
		held = fmt.Sprintf(" once %s, which has it open (the older relaylab?), has stopped", e.HeldBy)
	}
	return what + ", which only relaylab serve, sink and relay apply (the relaylab that wrote the store cannot open it afterwards), so this command leaves it as it is and stops. Start relaylab serve (or sink/relay) on it once to upgrade it" + held + "; back it up first (README: The store: upgrades and backups)"
}

// Is makes the error an ErrOlderStore.
func (e *OlderStoreError) Is(target error) bool { return target == ErrOlderStore }

// pendingText says which migrations a store lacks: "1 migration
// (0400_web_events_time.sql)", "3 migrations (0301_a.sql..0400_b.sql)".
func pendingText(names []string) string {
	switch len(names) {
	case 0:
		return "no migration"
	case 1:
		return "1 migration (" + names[0] + ")"
	}
	return fmt.Sprintf("%d migrations (%s..%s)", len(names), names[0], names[len(names)-1])
}

// Unmigrated reports, as an *OlderStoreError, that the relaylab store db
// (opened read-only will do) at path lacks migrations of this relaylab;
// nil when it has them all. A store a newer relaylab wrote is an
// ErrNewerStore, as Open says it. It changes nothing: for a command that
// looks at a store before it opens it.
func Unmigrated(ctx context.Context, db *sql.DB, path string) error {
	pending, applied, err := pendingMigrations(ctx, db)
	switch {
	case err != nil:
		return fmt.Errorf("store: %s: %w", path, err)
	case len(pending) == 0:
		return nil
	case applied == 0:
		return fmt.Errorf("store: %s: %w", path, errNoStore)
	}
	return &OlderStoreError{Path: path, Pending: migrationNames(pending)}
}
