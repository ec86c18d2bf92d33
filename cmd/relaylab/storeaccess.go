package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/mattn/go-sqlite3"
)

// A store this user cannot read or write is not a foreign file: SQLite
// says "attempt to write a readonly database" or "unable to open database
// file" for both a file without permission and a directory where it cannot
// create the write-ahead log (PATH-wal) and its index (PATH-shm), which a
// store in WAL mode needs beside it even to be read. storeAccess finds
// which file or directory it is, so that the message names it and says
// what to do.

// fileAccess is how storeAccess looks at the file system: the real one,
// or in tests one that refuses what a user without permission would be
// refused (tests run as root, whom permissions do not stop).
type fileAccess struct {
	// open opens name for reading, or for writing with write; it
	// returns the error the open gives.
	open func(name string, write bool) error
	// createIn creates and removes a file in dir.
	createIn func(dir string) error
	// owner names the user that owns name, "" when unknown.
	owner func(name string) string
}

// osAccess is the file system as this process sees it.
var osAccess = fileAccess{
	open: func(name string, write bool) error {
		flag := os.O_RDONLY
		if write {
			flag = os.O_RDWR
		}
		f, err := os.OpenFile(name, flag, 0)
		if err == nil {
			f.Close()
		}
		return err
	},
	createIn: func(dir string) error {
		f, err := os.CreateTemp(dir, ".relaylab-access-*")
		if err != nil {
			return err
		}
		f.Close()
		return os.Remove(f.Name())
	},
	owner: fileOwner,
}

// storeAccess says what keeps this user from using the store at path,
// reading it or (write) writing it, or "" when it finds nothing. The
// store need not exist: a new one is created in its directory.
func storeAccess(path string, write bool, a fileAccess) string {
	dir := filepath.Dir(path)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := a.createIn(dir); isDenied(err) {
			return fmt.Sprintf("this user (%s) cannot create the store %s: the directory %s%s does not let it create files (%s); %s",
				whoAmI(), path, dir, ownedBy(a, dir), deniedText(err), accessFix(dir, write, err))
		}
		return ""
	}
	if err := a.open(path, false); isDenied(err) {
		return fmt.Sprintf("this user (%s) cannot read the store %s%s: %s; %s", whoAmI(), path, ownedBy(a, path), deniedText(err), accessFix(path, write, err))
	}
	if write {
		if err := a.open(path, true); isDenied(err) {
			return fmt.Sprintf("the store %s%s is read-only for this user (%s: %s), and this command records into it; %s", path, ownedBy(a, path), whoAmI(), deniedText(err), accessFix(path, write, err))
		}
	}
	missing := false
	for _, suffix := range sideSuffixes {
		side := path + suffix
		if _, err := os.Stat(side); errors.Is(err, fs.ErrNotExist) {
			missing = true
			continue
		}
		// A reader needs the index (-shm) writable, unless SQLite can
		// fall back to reading without it; a writer needs both.
		if !write && suffix == "-wal" {
			continue
		}
		if err := a.open(side, true); isDenied(err) {
			return fmt.Sprintf("this user (%s) cannot write %s%s, the file SQLite keeps beside the store %s while it is open: %s; %s",
				whoAmI(), side, ownedBy(a, side), path, deniedText(err), accessFix(side, write, err))
		}
	}
	if missing {
		if err := a.createIn(dir); isDenied(err) {
			return fmt.Sprintf("this user (%s) cannot create files in the directory %s%s, where SQLite keeps the store's write-ahead log and its index (%s-wal, %s-shm) while the store is open, even to read it: %s; %s",
				whoAmI(), dir, ownedBy(a, dir), filepath.Base(path), filepath.Base(path), deniedText(err), accessFix(dir, write, err))
		}
	}
	return ""
}

// sideSuffixes are the files SQLite keeps beside a store in WAL mode.
var sideSuffixes = []string{"-wal", "-shm"}

// accessFix says what to do about a store this user may not use (err,
// the file system's refusal). A read-only file system refuses every
// user, its owner too: chown and chmod cannot change that.
func accessFix(what string, write bool, err error) string {
	if errors.Is(err, syscall.EROFS) {
		fix := "the file system that holds " + what + " is mounted read-only, for every user: remount it read-write (mount -o remount,rw on its mount point) or move the store, with its -wal and -shm files, to a writable disk and point --db there"
		if !write {
			fix += "; a copy of the store (cp, with its -wal file if there is one) in a writable directory reads as well"
		}
		return fix
	}
	fix := "run relaylab as the user that owns it, or give this user access (chown or chmod " + what + ")"
	if !write {
		fix += "; a copy of the store (cp, with its -wal file if there is one) in a directory of your own reads as well"
	}
	return fix
}

// isDenied says whether err is the file system refusing: no permission,
// or a read-only file system.
func isDenied(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)
}

// deniedText is err's reason alone ("permission denied"), without the
// path that the message names already.
func deniedText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ownedBy is " (owned by NAME)" for a message, or "".
func ownedBy(a fileAccess, name string) string {
	if o := a.owner(name); o != "" {
		return " (owned by " + o + ")"
	}
	return ""
}

// corruptStoreText is what to say about a store SQLite finds damaged
// ("database disk image is malformed"), or "" for another error.
//
// A backup copied over a store whose write-ahead log a killed relaylab
// left beside it (PATH-wal) is damaged by SQLite itself: it applies that
// log, the old store's latest pages, to whatever file bears the name. So
// the way to restore says to remove the log first; and when one with
// pages in it is beside the store now, that is named as the likely
// cause. (Nothing in the log's header tells that it belongs to another
// file: its salts and checksums are its own, and a backup of the same
// store has the same page size.)
func corruptStoreText(path string, err error) string {
	var se sqlite3.Error
	if !errors.As(err, &se) || se.Code != sqlite3.ErrCorrupt {
		return ""
	}
	restore := fmt.Sprintf("restore it from a backup: stop relaylab, remove %s and its %s-wal and %s-shm, then copy the backup in (SQLite applies a -wal file left beside the store, as a killed relaylab leaves it, to the backup, which damages it: a backup just copied in that way is mended by copying it again so)",
		path, path, path)
	// A log of no more than its 32-byte header holds no page (a reader
	// such as notAStore leaves an empty one behind).
	if fi, serr := os.Stat(path + "-wal"); serr == nil && fi.Size() > 32 {
		restore = fmt.Sprintf("%s-wal is beside it: if %s was just replaced by a backup, the -wal of the old store was applied to it; stop relaylab, remove %s-wal and %s-shm, and copy the backup again. Otherwise %s",
			path, path, path, path, restore)
	}
	return fmt.Sprintf("the store %s is damaged (%v): %s; or save what can be read into a new file with the sqlite3 shell (sqlite3 %s .recover | sqlite3 NEW.db) and point --db at that, or start a new store with a --db that does not exist yet",
		path, strings.TrimPrefix(err.Error(), "store: "), restore, shellQuote(path))
}

// shellQuote quotes s for a shell command line when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// startError is err, from starting a part that reads the store at path,
// or what to do when it says the store is damaged.
func startError(path string, err error) error {
	if why := corruptStoreText(path, err); why != "" {
		return errors.New(why)
	}
	return err
}
