// Package store keeps relaylab's state in SQLite: the event log and the
// tables of sink, relay and probe.
//
// There is one writer connection in WAL mode. Writes are group-committed:
// Write queues a function, the writer runs every function queued at that
// moment in one transaction (each in its own savepoint, so that one failure
// does not undo the others) and returns to each caller only after the commit
// that holds its work. Readers use a separate pool and never wait for the
// writer.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mattn/go-sqlite3" // the SQLite driver
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/repeatlog"
)

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("store: closed")

// Sync is how hard a commit pushes to disk.
type Sync string

const (
	// SyncFull fsyncs the WAL on every commit: an acknowledged write
	// survives a power cut. The default.
	SyncFull Sync = "full"
	// SyncNormal survives a crash of the process (kill -9) but not of the
	// machine.
	SyncNormal Sync = "normal"
	// SyncOff leaves flushing to the operating system; for benchmarks of
	// everything but the disk.
	SyncOff Sync = "off"
)

// Options configure Open.
type Options struct {
	Path   string       // the database file; created if missing
	Sync   Sync         // default SyncFull
	Clock  clock.Clock  // stamps events; default clock.Real
	Logger *slog.Logger // default slog.Default()
	// MaxBatch caps the writes in one transaction; default 512.
	MaxBatch int
	// LockHolder, when set, names the other programs that have the
	// store open ("process 4242 (sqlite3 relaylab.db)"); "" when it
	// cannot tell. Open asks it before it opens the file, and does not
	// migrate a store another program has open (*OlderStoreError); a
	// write that found the write lock taken after its busy timeout names
	// them too.
	LockHolder func(path string) string
	// NoMigrate opens the store as it is, for a command that uses a store
	// others own (queue, report, expect): a store that lacks migrations
	// of this build is refused with an *OlderStoreError, a file without
	// relaylab's tables too, and a missing file is not created.
	NoMigrate bool
	// ReadOnly opens the store for reading alone, as NoMigrate does and
	// without writing to the file or beside it (see ReadOnly): for a
	// command that reads a store this user may not write, or one on a
	// read-only file system. Write fails with ErrReadOnly; ReadMode
	// says how it was opened.
	ReadOnly bool
	// MinFree is the room kept free on the store's file system (Room):
	// below it, the sink and the relay's submission refuse new mail at
	// MAIL with 452 4.3.1. 0 checks nothing.
	MinFree int64
}

// Store is an open database.
type Store struct {
	path   string
	w, r   *sql.DB
	conn   *sql.Conn // the writer's one connection
	clock  clock.Clock
	log    *slog.Logger
	reqs   chan *request
	done   chan struct{}
	stopMu sync.RWMutex
	closed bool
	max    int

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt

	guard *fileGuard // the writer's check that the path still names its file
	read  ReadMode   // Options.ReadOnly: how; ReadWrite otherwise
	// lockHolder is Options.LockHolder.
	lockHolder func(path string) string

	// Room's reading of the free space (Options.MinFree), at most once
	// a second: when it was read (Unix ns), what, and whether it could be.
	minFree  uint64
	roomAt   atomic.Int64
	roomFree atomic.Uint64
	roomOK   atomic.Bool

	// failing is the error of the writer's last group commit when it
	// failed (a full disk, the file gone), nil once one succeeds;
	// failures counts the group commits that failed.
	failing  atomic.Pointer[error]
	failures atomic.Uint64
	// lastFail and lastFailNs are the last failed commit's error and time
	// (the store's clock), which Failing reports for recoveredAfter.
	lastFail   atomic.Pointer[error]
	lastFailNs atomic.Int64
	// commitFails throttles the log of commits failing in a row: a line
	// a minute rather than one a commit.
	commitFails repeatlog.Throttle

	notifyMu sync.Mutex
	lastID   int64
	notify   chan struct{}
}

type request struct {
	fn    func(*Tx) error
	err   chan error
	added []events.Event
}

// Open opens (creating if needed) the database at opts.Path and applies any
// migration it has not seen.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Path == "" {
		return nil, errors.New("store: no database path")
	}
	if err := CheckDir(opts.Path); err != nil {
		return nil, err // SQLite's own words: "unable to open database file: not a directory"
	}
	if opts.Sync == "" {
		opts.Sync = SyncFull
	}
	switch opts.Sync {
	case SyncFull, SyncNormal, SyncOff:
	default:
		return nil, fmt.Errorf("store: sync %q: want full, normal or off", opts.Sync)
	}
	opts.NoMigrate = opts.NoMigrate || opts.ReadOnly
	if !opts.NoMigrate {
		createPrivate(opts.Path)
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	// Who else has the store open is asked before this process opens it
	// (see LockHolder): only a store no other process uses is migrated.
	var heldBy string
	if opts.LockHolder != nil {
		heldBy = opts.LockHolder(opts.Path)
	}
	dsn := fmt.Sprintf("file:%s?_journal_mode=WAL&_synchronous=%s&_busy_timeout=10000&cache=private", opts.Path, opts.Sync)
	if opts.NoMigrate {
		// Neither created nor switched to WAL: a store is in WAL mode
		// already, and what is not a store is refused unchanged.
		dsn = fmt.Sprintf("file:%s?mode=rw&_synchronous=%s&_busy_timeout=10000&cache=private", opts.Path, opts.Sync)
	}
	rdsn := fmt.Sprintf("file:%s?_journal_mode=WAL&_busy_timeout=10000&_query_only=1", opts.Path)
	read := ReadWrite
	if opts.ReadOnly {
		var err error
		if read, err = readMode(ctx, opts.Path); err != nil {
			return nil, err
		}
		dsn = readDSN(opts.Path, read) + "&_busy_timeout=10000"
		rdsn = dsn + "&_query_only=1"
	}
	w, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", opts.Path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", opts.Path, err)
	}
	if err := migrate(ctx, w, opts, heldBy); err != nil {
		w.Close()
		var oe *OlderStoreError
		if errors.As(err, &oe) {
			return nil, err // it names the store
		}
		return nil, fmt.Errorf("store: %s: %w", opts.Path, err)
	}
	r, err := sql.Open("sqlite3", rdsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s for reading: %w", opts.Path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	s := &Store{
		path: opts.Path, w: w, r: r, read: read, clock: opts.Clock, log: opts.Logger, max: opts.MaxBatch, lockHolder: opts.LockHolder, minFree: uint64(max(opts.MinFree, 0)),
		reqs:   make(chan *request, 4096),
		done:   make(chan struct{}),
		stmts:  make(map[string]*sql.Stmt),
		notify: make(chan struct{}),
	}
	if err := w.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM events`).Scan(&s.lastID); err != nil {
		s.w.Close()
		s.r.Close()
		return nil, fmt.Errorf("store: %s: %w", opts.Path, err)
	}
	if s.conn, err = w.Conn(ctx); err != nil {
		s.w.Close()
		s.r.Close()
		return nil, fmt.Errorf("store: %s: %w", opts.Path, err)
	}
	// A WAL that a long read let grow (each commit appends while a
	// reader holds an old snapshot) is cut back to walSizeLimit once it
	// is checkpointed and reused; without a limit it kept its largest
	// size, hundreds of megabytes after one slow report, until a clean
	// stop.
	if _, err := s.conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA journal_size_limit = %d`, walSizeLimit)); err != nil {
		s.conn.Close()
		s.w.Close()
		s.r.Close()
		return nil, fmt.Errorf("store: %s: %w", opts.Path, err)
	}
	if s.guard, err = newFileGuard(opts.Path); err != nil {
		s.conn.Close()
		s.w.Close()
		s.r.Close()
		return nil, fmt.Errorf("store: %s: %w", opts.Path, err)
	}
	go s.writer()
	return s, nil
}

// createPrivate creates the store's file at path, empty, for its owner
// alone (mode 0600 less the umask) when there is none: SQLite would make
// it 0644, readable by every user of the machine, though it holds every
// message's body and the sink's transcripts; it makes the -wal and -shm
// files with the database's mode. An empty file is an empty database to
// SQLite. Any failure (a directory missing) is left to SQLite to say.
func createPrivate(path string) {
	if f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	}
}

// walSizeLimit is the size the write-ahead log is cut back to after a
// checkpoint (SQLite's journal_size_limit): well above what a busy sink
// writes between checkpoints (a few MB), so that it costs nothing then.
const walSizeLimit = 32 << 20

// Clock is the clock that stamps this store's events.
func (s *Store) Clock() clock.Clock { return s.clock }

// DB is the read-only pool, for queries.
func (s *Store) DB() *sql.DB { return s.r }

// Write runs fn in a write transaction and returns after that transaction
// has committed (or failed). fn may be run in the same transaction as other
// callers' functions; an error from fn undoes only fn's own work. fn must not
// call Write.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	if s.read != ReadWrite {
		return fmt.Errorf("store: %s: %w", s.path, ErrReadOnly)
	}
	req := &request{fn: fn, err: make(chan error, 1)}
	s.stopMu.RLock()
	if s.closed {
		s.stopMu.RUnlock()
		return ErrClosed
	}
	select {
	case s.reqs <- req:
	case <-ctx.Done():
		s.stopMu.RUnlock()
		return ctx.Err()
	}
	s.stopMu.RUnlock()
	// Once queued, the write happens whatever ctx does: wait for its result
	// so that the caller never acknowledges work that is not durable, nor
	// reports as failed work that was committed.
	return <-req.err
}

// Close stops the writer after it has committed everything queued, and
// closes the database.
func (s *Store) Close() error {
	s.stopMu.Lock()
	if s.closed {
		s.stopMu.Unlock()
		return nil
	}
	s.closed = true
	close(s.reqs)
	s.stopMu.Unlock()
	<-s.done
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmtMu.Unlock()
	s.conn.Close()
	s.notifyMu.Lock()
	close(s.notify)
	s.notify = nil
	s.notifyMu.Unlock()
	err1 := s.w.Close()
	err2 := s.r.Close()
	return errors.Join(err1, err2)
}

func (s *Store) writer() {
	defer close(s.done)
	batch := make([]*request, 0, s.max)
	for first := range s.reqs {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < s.max {
			select {
			case r, ok := <-s.reqs:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		s.commit(batch)
	}
}

// commit runs one group of writes in one transaction. The transaction is
// driven with plain BEGIN/COMMIT on the writer's connection rather than a
// database/sql Tx, so that statements prepared once on that connection are
// reused as they are (a Tx would prepare them again on every use).
func (s *Store) commit(batch []*request) {
	ctx := context.Background()
	if err := s.checkFile(ctx); err != nil {
		s.failed(err)
		for _, r := range batch {
			r.err <- err
		}
		return
	}
	if err := s.control(ctx, `BEGIN IMMEDIATE`); err != nil {
		err = fmt.Errorf("store: %s: beginning a write: %w%s", s.path, err, s.heldBy(err))
		s.failed(err)
		for _, r := range batch {
			r.err <- err
		}
		return
	}
	errs := make([]error, len(batch))
	var added []events.Event
	for i, r := range batch {
		if len(batch) > 1 {
			if err := s.control(ctx, `SAVEPOINT w`); err != nil {
				errs[i] = err
				continue
			}
		}
		t := &Tx{s: s, ctx: ctx}
		err := runSafely(r.fn, t)
		if len(batch) > 1 {
			if err != nil {
				if rerr := s.control(ctx, `ROLLBACK TO w`); rerr != nil {
					err = errors.Join(err, rerr)
				}
			}
			if rerr := s.control(ctx, `RELEASE w`); rerr != nil && err == nil {
				err = rerr
			}
		}
		errs[i] = err
		if err == nil {
			added = append(added, t.added...)
		} else if len(batch) > 1 && !s.inTx() {
			// SQLite rolled the whole transaction back (a full disk, an
			// I/O error): the writes before are gone, and a SAVEPOINT now
			// would begin a transaction of its own that its RELEASE
			// commits, so that writes reported as failed (by the COMMIT
			// that fails) would be stored all the same. Nothing of the
			// batch is written: every caller is told so.
			lost := fmt.Errorf("store: SQLite rolled the whole transaction back after an error, so nothing of this group commit was written: %w", err)
			s.failed(lost)
			for j, r := range batch {
				if j == i {
					r.err <- err
				} else {
					r.err <- lost
				}
			}
			return
		}
	}
	if len(batch) == 1 && errs[0] != nil {
		if err := s.control(ctx, `ROLLBACK`); err != nil {
			s.log.Error("store: rollback failed", "err", err)
		}
		batch[0].err <- errs[0]
		return
	}
	if err := s.control(ctx, `COMMIT`); err != nil {
		// Once a minute while commits keep failing: a full disk under
		// load failed thousands a second, each a line of its own.
		if ln, ok := s.commitFails.Failed(s.clock.Now()); ok {
			s.log.Error("store: a commit failed, so its writes were refused (the sink answers 452 4.3.1 for a full disk and 451 4.3.0 otherwise, the relay's submission 451 4.3.0: nothing acknowledged is lost); check the disk the store is on (full? read-only? gone?); while commits keep failing this is logged once a minute",
				"path", s.path, "err", err, "writes", len(batch), "failed_commits", ln.Failures, "since", repeatlog.Stamp(ln.Since))
		}
		// SQLite may have rolled the transaction back itself (a full
		// disk): a ROLLBACK then only fails with "no transaction".
		if s.inTx() {
			if rerr := s.control(ctx, `ROLLBACK`); rerr != nil {
				s.log.Error("store: rollback after a failed commit failed", "path", s.path, "err", rerr)
			}
		}
		err = fmt.Errorf("store: commit: %w", err)
		s.failed(err)
		for _, r := range batch {
			r.err <- err
		}
		return
	}
	s.failing.Store(nil)
	// On a disk that is nearly full, small commits go through between
	// the failures of larger ones: the failures are over only when none
	// came for recoveredAfter (or the log would say they work again, and
	// readyz that the store is fine, every few seconds of the outage).
	// The time is that of the last failure of any kind (s.failed), not
	// only of a commit, as Failing reads it: commitFails' Quiet is zero.
	if now := s.clock.Now(); s.commitFails.Failures() > 0 && now.Sub(time.Unix(0, s.lastFailNs.Load())) >= recoveredAfter {
		if ln, ok := s.commitFails.Worked(now); ok {
			s.log.Info("store: commits work again", "path", s.path, "failed_commits", ln.Failures, "since", repeatlog.Stamp(ln.Since))
		}
	}
	if len(added) > 0 {
		s.published(added[len(added)-1].ID)
	}
	for i, r := range batch {
		r.err <- errs[i]
	}
}

// recoveredAfter is how long after the last failed commit the store's
// writes count as working again (Failing, the log's "commits work
// again"), however many commits went through meanwhile.
const recoveredAfter = 10 * time.Second

// failed notes a group commit that failed, for Failing and Failures.
func (s *Store) failed(err error) {
	s.failures.Add(1)
	s.failing.Store(&err)
	s.lastFail.Store(&err)
	s.lastFailNs.Store(s.clock.Now().UnixNano())
}

// Failing is the error of the writer's last group commit when it failed
// (a full disk, the file deleted), or of one that failed less than
// recoveredAfter ago though later ones worked (writes fail now and then,
// as on a disk that is nearly full); nil when none failed lately.
//
// For a full disk it names the store and what to do, for those who read
// it in readyz without the log: "database or disk is full" alone named
// neither the disk nor the way out.
func (s *Store) Failing() error {
	err := s.failingNow()
	if err == nil {
		// Writes work, but new mail is refused for want of room.
		return s.Room(0)
	}
	if DiskFull(err) {
		return fmt.Errorf("store: the disk that holds %s is full, so writes are refused and new mail is answered 4xx: free space on that file system, and writes work again by themselves, with nothing acknowledged lost (%w)", s.path, err)
	}
	return err
}

func (s *Store) failingNow() error {
	if p := s.failing.Load(); p != nil {
		return *p
	}
	if p := s.lastFail.Load(); p != nil {
		if ago := s.clock.Now().Sub(time.Unix(0, s.lastFailNs.Load())); ago < recoveredAfter {
			return fmt.Errorf("%w (a commit failed %s ago; the last one worked, but writes still fail now and then, as on a disk that is nearly full)", *p, ago.Round(time.Millisecond))
		}
	}
	return nil
}

// heldBy says, for err of a write that found the store's write lock
// taken (SQLite's busy), which program holds it and what to do; "" for
// another error, or when no program can be named.
func (s *Store) heldBy(err error) string {
	var se sqlite3.Error
	if s.lockHolder == nil || !errors.As(err, &se) || se.Code != sqlite3.ErrBusy {
		return ""
	}
	who := s.lockHolder(s.path)
	if who == "" {
		return ""
	}
	return " (the write lock is held by " + who + ": end that program's write transaction, in the sqlite3 shell COMMIT or ROLLBACK, or stop it; relaylab's writes fail until then)"
}

// DiskFull reports whether err says the file system has no room left for
// the database, its write-ahead log or the log's index: SQLite's
// "database or disk is full", or an I/O error whose cause the system gave
// as no space or an exhausted quota (opening a store on a full disk fails
// so, when its index, PATH-shm, cannot be made). Even deletes need room
// in the log before they free any.
func DiskFull(err error) bool {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
	}
	return se.Code == sqlite3.ErrFull ||
		se.Code == sqlite3.ErrIoErr && (se.SystemErrno == syscall.ENOSPC || se.SystemErrno == syscall.EDQUOT)
}

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Failures is how many group commits failed since the store opened.
func (s *Store) Failures() uint64 { return s.failures.Load() }

// Size is the bytes of the store's files on disk: the database, its
// write-ahead log and the log's index.
func (s *Store) Size() int64 { return FilesSize(s.path) }

// FilesSize is the bytes on disk of the store at path, open or not: the
// database, its write-ahead log and the log's index.
func FilesSize(path string) int64 {
	var n int64
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(path + suffix); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// inTx reports whether the writer's connection is still inside a
// transaction (SQLite's autocommit flag is off).
func (s *Store) inTx() bool {
	in := true
	s.conn.Raw(func(dc any) error {
		if c, ok := dc.(*sqlite3.SQLiteConn); ok {
			in = !c.AutoCommit()
		}
		return nil
	})
	return in
}

// control runs a transaction-control statement, prepared once: SQLite
// would otherwise parse BEGIN, SAVEPOINT, RELEASE and COMMIT again for every
// write of every batch.
func (s *Store) control(ctx context.Context, query string) error {
	st, err := s.stmt(query)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx)
	return err
}

func runSafely(fn func(*Tx) error, t *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: write panicked: %v", p)
		}
	}()
	return fn(t)
}

func (s *Store) published(last int64) {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	if last > s.lastID {
		s.lastID = last
	}
	if s.notify != nil {
		close(s.notify)
		s.notify = make(chan struct{})
	}
}

// Changes returns the id of the last committed event and a channel that is
// closed when a later commit adds events (or the store closes). A follower
// reads the log after its last id, then waits on the channel.
func (s *Store) Changes() (last int64, changed <-chan struct{}) {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	if s.notify == nil {
		c := make(chan struct{})
		close(c)
		return s.lastID, c
	}
	return s.lastID, s.notify
}

func (s *Store) stmt(query string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	// Prepared on the writer's own connection, which a transaction may be
	// holding: asking the pool for another would wait forever.
	st, err := s.conn.PrepareContext(context.Background(), query)
	if err != nil {
		return nil, err
	}
	s.stmts[query] = st
	return st, nil
}

// Tx is one caller's part of a write transaction. Its statements are
// prepared once per store and reused.
type Tx struct {
	s     *Store
	ctx   context.Context
	added []events.Event
}

// Exec runs a statement.
func (t *Tx) Exec(query string, args ...any) (sql.Result, error) {
	st, err := t.s.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(t.ctx, args...)
}

// QueryRow runs a query inside the transaction, so that it sees the
// transaction's own writes.
func (t *Tx) QueryRow(query string, args ...any) *sql.Row {
	st, err := t.s.stmt(query)
	if err != nil {
		// Let the error surface from Scan, as database/sql does.
		return t.s.conn.QueryRowContext(t.ctx, query, args...)
	}
	return st.QueryRowContext(t.ctx, args...)
}

// Query runs a query inside the transaction. Close the rows before the
// function passed to Write returns.
func (t *Tx) Query(query string, args ...any) (*sql.Rows, error) {
	st, err := t.s.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(t.ctx, args...)
}

// Append adds e to the event log, stamping Time (when zero) from the store's
// clock and Wall from the machine, and returns it with its id.
func (t *Tx) Append(e events.Event) (events.Event, error) {
	if e.Time.IsZero() {
		e.Time = t.s.clock.Now()
	}
	e.Wall = time.Now()
	payload := string(e.Payload)
	if payload == "" {
		payload = "{}"
	}
	res, err := t.Exec(`INSERT INTO events (time_ns, wall_ns, kind, message, recipient, path, listener, target, payload)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Time.UnixNano(), e.Wall.UnixNano(), e.Kind, e.Message, e.Recipient, e.Path, e.Listener, e.Target, payload)
	if err != nil {
		return e, fmt.Errorf("store: append %s event: %w", e.Kind, err)
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return e, err
	}
	t.added = append(t.added, e)
	return e, nil
}
