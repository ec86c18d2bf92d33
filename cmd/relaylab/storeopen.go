package main

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/mattn/go-sqlite3"

	"github.com/relaylab/relaylab/internal/store"
)

// The words for a store that cannot be used live here, for the commands
// that read what others recorded (requireStore: queue, suppress, report,
// expect) and for those that record (openStore: serve, sink, relay).

// storeHint says where --db should point when it names no relaylab store.
const storeHint = "point --db at the store that relaylab serve, relay, sink or replay wrote"

// notAStore says why the existing file at path is not a relaylab store,
// or "" when it is one. It looks read-only (mode=ro): looking must not
// change the file, not even its journal mode. An error says it could not
// look: SQLite could not open, lock or read the file (a permission, a
// directory where it cannot create the -shm file, a full disk, another
// program's exclusive lock), or found it damaged. Only SQLite's "file is
// not a database" says the file is not one: a store on a full disk, or
// held by another program, was called foreign, and the advice to start
// a new store led away from one that was fine.
func notAStore(ctx context.Context, path string) (string, error) {
	var n int
	// store.Open records every migration it applies in schema_migrations.
	err := readOnly(ctx, path, func(db *sql.DB) error {
		return db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n)
	})
	if err != nil {
		return lookedAt(path, err)
	}
	if n == 0 {
		return "no schema_migrations table", nil
	}
	return "", nil
}

// lookedAt is notAStore's answer when its look at the file at path
// failed with err: a reason the file is foreign, or an error.
func lookedAt(path string, err error) (string, error) {
	var se sqlite3.Error
	switch {
	case errors.As(err, &se) && se.Code == sqlite3.ErrNotADB:
		return err.Error() + damagedHeader(path), nil
	case errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked):
		// A read, which in WAL mode only an exclusive lock stops.
		return "", errors.New(heldExclusiveText(path, se))
	}
	return "", err
}

// damagedHeader is what to add when SQLite finds no database in the file
// at path (its first 100 bytes are not SQLite's header) though the file
// is sized as a database is, in whole pages: a store whose first page
// was overwritten reads so, and was called foreign with the advice to
// start a new one. "" for a file of another size.
func damagedHeader(path string) string {
	fi, err := os.Stat(path)
	if err != nil || fi.Size() < 4096 || fi.Size()%512 != 0 {
		return ""
	}
	return fmt.Sprintf("; it is sized as an SQLite database is, in whole pages (%d bytes): if it is a relaylab store, its first page, which holds SQLite's header, is damaged, and the way back is a backup (stop relaylab, remove %s-wal and %s-shm if they are there, copy the backup in)",
		fi.Size(), path, path)
}

// readOnly runs fn on the store at path opened read-only, as immutable
// when SQLite cannot create its index beside it (store.ReadOnly).
func readOnly(ctx context.Context, path string, fn func(*sql.DB) error) error {
	return store.ReadOnly(ctx, path, fn)
}

// requireStore refuses a path that is not an existing relaylab store, before
// store.Open would create the file, or switch a foreign SQLite file to WAL
// and add relaylab's tables to it. Commands that act on what serve, relay,
// sink or replay recorded call it; a missing or foreign file is bad input
// (exit 2).
// recordedStore is how the commands that act on a store others recorded
// (queue, suppress, prune, sink reset) start: a logger at warn, the
// configuration of --config (cfgPath), and the store's path (db, else
// store.path), which must hold a relaylab store (requireStore).
func recordedStore(ctx context.Context, e *env, db, cfgPath string) (*slog.Logger, *fileConfig, string, error) {
	log, err := newLogger(e, "warn")
	if err != nil {
		return nil, nil, "", err
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return nil, nil, "", err
	}
	path := storePath(cfg, db)
	if err := requireStore(ctx, path); err != nil {
		return nil, nil, "", err
	}
	return log, cfg, path, nil
}

// absNote is " (ABSOLUTE)" for a relative path, which a message names
// as given: where it was looked for depends on the working directory.
func absNote(path string) string {
	if filepath.IsAbs(path) {
		return ""
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	return " (" + abs + ")"
}

func requireStore(ctx context.Context, path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return usageError("no store at %s%s: %s", path, absNote(path), storeHint)
	case err != nil:
		if err := storeUnderFile(path); err != nil {
			return usageError("%v", err)
		}
		return usageError("store %s: %v", path, err)
	case fi.IsDir():
		return usageError("store %s is a directory: %s", path, storeHint)
	}
	why, err := notAStore(ctx, path)
	if err != nil {
		return unusableStore(path, false, err)
	}
	if why != "" {
		return usageError("%s is not a relaylab store (%s): %s", path, why, storeHint)
	}
	return olderStore(ctx, path)
}

// olderStore refuses a store that lacks migrations of this relaylab (an
// older one wrote it), for the commands that use a store others own:
// only serve, sink and relay upgrade a store, since the relaylab that
// wrote it, which may still run on it, cannot open it afterwards. It
// looks read-only and changes nothing; the refusal (exit 1, for expect 3:
// the store cannot be read as it is) names the processes that have the
// store open.
func olderStore(ctx context.Context, path string) error {
	err := readOnly(ctx, path, func(db *sql.DB) error { return store.Unmigrated(ctx, db, path) })
	var oe *store.OlderStoreError
	switch {
	case errors.As(err, &oe):
		oe.HeldBy = lockHolderNames(path)
		return oe
	case errors.Is(err, store.ErrNewerStore):
		return err
	case err != nil:
		return unusableStore(path, false, err)
	}
	return nil
}

// storeUnderFile is the error for a store path with a file where a
// directory must be on the way to it (notes.txt/relaylab.db), or nil.
func storeUnderFile(path string) error {
	var nd *store.NotADirectoryError
	if errors.As(store.CheckDir(path), &nd) {
		return fmt.Errorf("the store %s cannot be there: %s is a file, not a directory (SQLite keeps a store and its -wal and -shm files in a directory): give --db, or store.path in --config, a path in a directory", path, nd.File)
	}
	return nil
}

// unusableStore is the error for a store that SQLite could not open,
// lock, read or write (err): which file or directory this user may not
// use, and what to do; a damaged store and what to do about it; else err
// with what to check.
func unusableStore(path string, write bool, err error) error {
	if why := storeAccess(path, write, osAccess); why != "" {
		return errors.New(why)
	}
	if why := corruptStoreText(path, err); why != "" {
		return errors.New(why)
	}
	if store.DiskFull(err) {
		return errors.New(diskFullText(path, err))
	}
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked) {
		if write {
			return errors.New(lockedStoreText(path, se))
		}
		return errors.New(heldExclusiveText(path, se))
	}
	return storeOpenError(err)
}

// diskFullText says that the store at path cannot be used for want of
// room on its disk (err), and what to do: a store that is there is fine.
func diskFullText(path string, err error) string {
	why := strings.TrimPrefix(err.Error(), "store: ")
	df := "df " + shellQuote(filepath.Dir(path))
	if fi, serr := os.Stat(path); serr != nil || fi.Size() == 0 {
		return fmt.Sprintf("there is no room for the new store %s: its disk is full (%s); free space on that file system (%s shows it), or give --db a path on a disk with room", path, why, df)
	}
	return fmt.Sprintf("the disk that holds the store %s is full (%s): SQLite needs room beside the store for its write-ahead log and index (%s-wal, %s-shm) even to open it, and room in the log for every write, deletes included, so relaylab prune cannot make room there; nothing in the store is lost. Free space on that file system (%s shows it), or move the store to a disk with room, its -wal and -shm files with it where they are, and point --db there; then run this again",
		path, why, path, path, df)
}

// heldExclusiveText says that another program keeps the store at path
// from being read (err: SQLite's busy): in WAL mode only a program that
// holds it in exclusive locking mode does, or one still recovering it.
func heldExclusiveText(path string, err error) string {
	who := cmp.Or(lockHolderNames(path), "another process")
	return fmt.Sprintf("the store %s is locked by %s (%v), which keeps every other program from reading it (SQLite's exclusive locking mode, PRAGMA locking_mode=EXCLUSIVE, or a store being recovered after a crash): quit that program, or set locking_mode=NORMAL in it and end its transaction, then run this again",
		path, who, err)
}

// openStore opens the store named by --db (or the config), creating it
// when the file does not exist. An existing file that is not a relaylab
// store (not SQLite at all, or someone else's database) is refused before
// store.Open would add relaylab's tables to it.
//
// A command that then fails to start calls abandon instead of Close: it
// closes the store and, when this run created the file and nothing was
// recorded in it, removes it, so that a failed start (an address in use)
// leaves no empty store behind. A store that was there stays.
func openStore(ctx context.Context, c *fileConfig, dbFlag string, log *slog.Logger) (st *store.Store, abandon func(), err error) {
	return openStoreFor(ctx, c, dbFlag, log, true)
}

// openStoreFor is openStore for a command that may only read (write
// false: queue list): it does not try a write first, so that a user who
// may read the store but not write it lists its queue, and opens it
// read-only when SQLite cannot create its files beside it (openReadOnly);
// and it neither creates nor migrates the store (store.Options.NoMigrate):
// the store is the serve's that recorded it. A store is migrated only when no other
// process has it open (store.Options.LockHolder).
func openStoreFor(ctx context.Context, c *fileConfig, dbFlag string, log *slog.Logger, write bool) (st *store.Store, abandon func(), err error) {
	path := c.Store.Path
	if dbFlag != "" {
		path = dbFlag
	}
	fi, err := os.Stat(path)
	created := errors.Is(err, fs.ErrNotExist)
	if err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
		why, err := notAStore(ctx, path)
		if err != nil {
			return nil, nil, unusableStore(path, write, err)
		}
		if why != "" {
			return nil, nil, fmt.Errorf("%s is not a relaylab store (%s): %s, or at a file that does not exist yet to start a new store", path, why, storeHint)
		}
	}
	st, err = store.Open(ctx, store.Options{Path: path, Sync: store.Sync(c.Store.Sync), Logger: log, LockHolder: lockHolderNames, NoMigrate: !write,
		MinFree: c.Store.MinFreeBytes})
	if err != nil && !write {
		st, err = openReadOnly(ctx, path, log, err)
	}
	if err != nil {
		return nil, nil, unusableStore(path, write, err)
	}
	if write {
		if err := tryWrite(ctx, st, path); err != nil {
			st.Close()
			return nil, nil, err
		}
	}
	if c.syncWarning != "" {
		log.Warn(c.syncWarning) // at its file, line and key, as relaylab config says it
	}
	if c.exposed != "" {
		log.Warn(c.exposed)
	}
	if w := readableStore(path); w != "" {
		log.Warn(w)
	}
	abandon = func() {
		// Every fact recorded is an event: asked of the file now, not of
		// what this run wrote, since another process may share the store.
		var n int
		qerr := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&n)
		if err := st.Close(); err != nil || qerr != nil || !created || n != 0 {
			return
		}
		// SQLite removes the WAL when the store's last connection closes:
		// a WAL still there says another process has the store open.
		if _, err := os.Stat(path + "-wal"); err == nil {
			return
		}
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(path + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				log.Warn("could not remove the empty store this failed start created", "path", path+suffix, "err", err)
			}
		}
	}
	return st, abandon, nil
}

// openReadOnly opens the store at path read-only (store.Options.ReadOnly)
// for a command that only reads it, when opening it as usual failed with
// err because SQLite could not create or write the files it keeps beside
// it (a directory this user may not write, a read-only file system); a
// line in the log (stderr) says so. It returns err as it was when the
// store cannot be read so either, or err is of another kind.
func openReadOnly(ctx context.Context, path string, log *slog.Logger, err error) (*store.Store, error) {
	if !store.AccessError(err) {
		return nil, err
	}
	st, rerr := store.Open(ctx, store.Options{Path: path, ReadOnly: true, Logger: log, LockHolder: lockHolderNames})
	if rerr != nil {
		return nil, err
	}
	if log != nil {
		log.Warn(readOnlyNote(path, st.ReadMode()))
	}
	return st, nil
}

// changeRefused is err, or, when it is a change refused by a store
// opened read-only (openReadOnly), what keeps this user from writing the
// store of --db or --config's store.path, and what to do (exit 1).
func changeRefused(db, cfgPath string, err error) error {
	if !errors.Is(err, store.ErrReadOnly) {
		return err
	}
	cfg, cerr := loadConfig(cfgPath) // loaded before the store was opened
	if cerr != nil {
		return err
	}
	return unusableStore(storePath(cfg, db), true, err)
}

// readOnlyNote says that the store at path is read read-only (how), and
// what that means.
func readOnlyNote(path string, how store.ReadMode) string {
	line := fmt.Sprintf("the store %s is opened read-only: this user may not write it or the files SQLite keeps beside it, or its file system is read-only", path)
	if how == store.ReadImmutable {
		line += "; it is read as it is (immutable), so what a process writing it meanwhile adds is not seen"
	}
	return line
}

// tryWrite writes a row of the store as it was, and rolls that back, so
// that a store this process cannot write (a read-only file, a lock another
// program holds) is said at start, naming the file and what to do, rather
// than by a 451 to every message once the command says it runs. (An empty
// transaction would not do: SQLite begins and commits one on a read-only
// file without a word.)
func tryWrite(ctx context.Context, st *store.Store, path string) error {
	err := st.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(`UPDATE schema_migrations SET name = name WHERE version = (SELECT MIN(version) FROM schema_migrations)`); err != nil {
			return err
		}
		return errWriteTried
	})
	var se sqlite3.Error
	switch {
	case errors.Is(err, errWriteTried):
		return nil
	case errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked):
		return errors.New(lockedStoreText(path, se))
	}
	return unusableStore(path, true, err)
}

// errWriteTried rolls tryWrite's write back once it has worked.
var errWriteTried = errors.New("the write worked; rolled back, as it changed nothing")

// lockHolderNames names the other processes that hold the store at path
// open ("process 4242 (sqlite3 relaylab.db)"), "" when none can be told:
// for store.Options.LockHolder, and the lock found at start.
func lockHolderNames(path string) string {
	pids, _ := storeHolders(path)
	var names []string
	for _, pid := range pids {
		names = append(names, describeProcess(pid))
	}
	return strings.Join(names, ", ")
}

// lockedStoreText says that another process holds the store's write lock
// (err), naming it when it can be told, and what to do.
func lockedStoreText(path string, err error) string {
	who := cmp.Or(lockHolderNames(path), "another process")
	return fmt.Sprintf("the store %s is locked for writing by %s (%v), and relaylab records into it: end that program's write transaction (in the sqlite3 shell, COMMIT or ROLLBACK, or quit it), or give relaylab a store of its own with --db",
		path, who, err)
}

// storeOpenError adds what to check to a store.Open error that the file
// system caused: a missing directory, no permission, a read-only place.
func storeOpenError(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrCantOpen, sqlite3.ErrPerm, sqlite3.ErrReadonly, sqlite3.ErrIoErr:
			return fmt.Errorf("%w (check that the directory exists and is writable)", err)
		}
	}
	return err
}

// readableStore warns of the store at path when its file, or the -wal
// or -shm file beside it, may be read by users other than its owner (its
// group, or everyone): a store restored with cp, or made by a relaylab
// before new stores were made 0600, keeps the mode it was given, though
// it holds every message's body and the sink's transcripts. "" when only
// the owner may, and on Windows, whose file modes are not Unix
// permissions. Like a configuration file that shows its secrets
// (exposedSecrets), it is said, and relaylab goes on.
func readableStore(path string) string {
	if runtime.GOOS == "windows" {
		return ""
	}
	var open []string
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(path + suffix); err == nil && fi.Mode().Perm()&0o044 != 0 {
			open = append(open, fmt.Sprintf("%s (mode %04o)", path+suffix, fi.Mode().Perm()))
		}
	}
	if len(open) == 0 {
		return ""
	}
	q := shellQuote(path)
	return fmt.Sprintf("the store's %s can be read by users of this machine other than its owner, and the store holds every message's body and the sink's transcripts: chmod 600 %s %s-wal %s-shm (a store restored with cp, or made by an older relaylab, keeps the mode it was given; new ones are made 0600)",
		strings.Join(open, ", "), q, q, q)
}
