package store

import (
	"context"
	"fmt"
	"os"
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

// fileGuard remembers the file the store opened.
type fileGuard struct {
	path string
	file os.FileInfo
	gone error // set once the file is found gone; every write then fails with it
}

func newFileGuard(path string) (*fileGuard, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	return &fileGuard{path: path, file: fi}, nil
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
		return nil
	}
	what := "replaced by another file"
	if err != nil {
		what = "deleted"
	}
	rescue := fmt.Sprintf("%s.rescued-%s", g.path, time.Now().UTC().Format("20060102T150405Z"))
	if _, verr := s.conn.ExecContext(ctx, `VACUUM INTO ?`, rescue); verr != nil {
		g.gone = fmt.Errorf("store: %s was %s while relaylab was running, and saving what it held failed (%v): what was committed since it opened is only in the running process and is lost when it stops; new writes are refused", g.path, what, verr)
	} else {
		g.gone = fmt.Errorf("store: %s was %s while relaylab was running; everything committed until then is saved in %s (open it with --db); new writes are refused until relaylab restarts", g.path, what, rescue)
	}
	s.log.Error(g.gone.Error())
	return g.gone
}
