package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// The database file can be deleted or replaced while relaylab runs (an
// "rm relaylab.db*" in the wrong terminal). SQLite goes on writing to the
// open, now nameless file, whose contents vanish when the process exits:
// every message acknowledged from then on would be lost, and readers that
// open new connections would read another file. So before each commit the
// writer checks that the path still names the file it opened; when it does
// not, it copies everything committed to a rescue file beside the path and
// refuses further writes, which the sink and the relay answer with a
// temporary 451 instead of an acknowledgement.

//
// The same goes for the write-ahead log beside it (PATH-wal), where every
// commit lands until a checkpoint copies it into the database file, and
// for its index (PATH-shm): deleted, SQLite writes on into the nameless
// file, and a kill -9 then takes every commit since the last checkpoint
// with it. There the database file is still the store's, so the writer
// checkpoints what was committed into it (the rescue file only when that
// cannot finish) and then refuses further writes in the same way.

// fileGuard remembers the files the store opened.
type fileGuard struct {
	path string
	file os.FileInfo
	// side are the WAL and its index as first seen (nil: not seen yet).
	side [2]os.FileInfo
	gone error // set once the file is found gone; every write then fails with it
}

// sideSuffixes name the files beside the database that SQLite keeps in WAL
// mode, in the order of fileGuard.side.
var sideSuffixes = [2]string{"-wal", "-shm"}

func newFileGuard(path string) (*fileGuard, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	g := &fileGuard{path: path, file: fi}
	for i, suffix := range sideSuffixes {
		g.side[i], _ = os.Stat(path + suffix)
	}
	return g, nil
}

// sideGone names the file beside the database (-wal or -shm) that was
// deleted or replaced since the guard first saw it, and how; "" when both
// are as they were. A file not seen yet is remembered now.
func (g *fileGuard) sideGone() (name, what string) {
	for i, suffix := range sideSuffixes {
		fi, err := os.Stat(g.path + suffix)
		switch {
		case g.side[i] == nil:
			if err == nil {
				g.side[i] = fi
			}
		case err != nil:
			return g.path + suffix, goneText(g.path+suffix, g.side[i])
		case !os.SameFile(fi, g.side[i]):
			return g.path + suffix, "replaced by another file"
		}
	}
	return "", ""
}

// check returns nil while the path names the opened file. The first time it
// does not, it rescues what the store holds through the writer's
// connection (still on the old file) and returns the error that every
// later write gets too.
func (s *Store) checkFile(ctx context.Context) error {
	g := s.guard
	if g == nil || g.gone != nil {
		if g != nil {
			return g.gone
		}
		return nil
	}
	fi, err := os.Stat(g.path)
	if err == nil && os.SameFile(fi, g.file) {
		side, what := g.sideGone()
		if side == "" {
			return nil
		}
		return s.sideLost(ctx, side, what)
	}
	what := "replaced by another file"
	if err != nil {
		what = goneText(g.path, g.file)
	}
	rescue, verr := s.rescue(ctx)
	if verr != nil {
		g.gone = fmt.Errorf("store: %s was %s while relaylab was running, and saving what it held failed (%v): what was committed since it opened is only in the running process and is lost when it stops; new writes are refused", g.path, what, verr)
	} else {
		g.gone = fmt.Errorf("store: %s was %s while relaylab was running; everything committed until then is saved in %s (open it with --db); new writes are refused until relaylab restarts", g.path, what, rescue)
	}
	s.log.Error(g.gone.Error())
	return g.gone
}

// sideLost handles the WAL or its index found deleted or replaced: what
// was committed is checkpointed into the database file, which is still
// the store's, or saved in a rescue file when the checkpoint cannot
// finish; every later write is refused until a restart opens the files
// anew.
func (s *Store) sideLost(ctx context.Context, side, what string) error {
	g := s.guard
	var busy, logged, done int
	err := s.conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &done)
	if err == nil && busy == 0 && done >= logged {
		g.gone = fmt.Errorf("store: %s was %s while relaylab was running; everything committed until then is in %s, and new writes are refused until relaylab restarts (SQLite would write them into a file no name reaches, lost at the next stop)", side, what, g.path)
	} else {
		if err == nil {
			err = fmt.Errorf("the checkpoint stopped at %d of %d pages", done, logged)
		}
		rescue, verr := s.rescue(ctx)
		if verr != nil {
			g.gone = fmt.Errorf("store: %s was %s while relaylab was running, and neither a checkpoint into %s (%v) nor saving into %s (%v) worked: what was committed since the last checkpoint is only in the running process and is lost when it stops; new writes are refused", side, what, g.path, err, rescue, verr)
		} else {
			g.gone = fmt.Errorf("store: %s was %s while relaylab was running; the checkpoint into %s did not finish (%v), so everything committed until then is saved in %s (open it with --db); new writes are refused until relaylab restarts", side, what, g.path, err, rescue)
		}
	}
	s.log.Error(g.gone.Error())
	return g.gone
}

// rescue saves everything committed, through the writer's connection
// (still on the store's own file), in a new file beside the path named
// PATH.rescued-TIMESTAMP, and returns its name. The file is made for its
// owner alone before SQLite writes into it (VACUUM INTO fills an empty
// file that exists): SQLite would make it 0644 under the usual umask,
// readable by every user, though it holds every message of the store.
func (s *Store) rescue(ctx context.Context) (string, error) {
	name := fmt.Sprintf("%s.rescued-%s", s.guard.path, time.Now().UTC().Format("20060102T150405Z"))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return name, err
	}
	f.Close()
	if _, err := s.conn.ExecContext(ctx, `VACUUM INTO ?`, name); err != nil {
		if fi, serr := os.Stat(name); serr == nil && fi.Size() == 0 {
			os.Remove(name) // nothing was saved: no empty file to mislead
		}
		return name, err
	}
	return name, nil
}

// goneText says what became of the file the store opened as name (was),
// found missing at that name: renamed, when a file of the same directory
// is it (mv to another name), else deleted or moved away (mv elsewhere
// looks the same as rm from here).
func goneText(name string, was os.FileInfo) string {
	dir := filepath.Dir(name)
	entries, err := os.ReadDir(dir)
	if err == nil && was != nil {
		for _, e := range entries {
			if fi, err := e.Info(); err == nil && os.SameFile(fi, was) {
				return "renamed to " + filepath.Join(dir, e.Name())
			}
		}
	}
	return "deleted or moved away"
}
