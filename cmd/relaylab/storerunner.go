package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// A store takes one relay and one sink at a time. A second relay on it
// would queue again, as left over from a crash, the recipients the first
// is delivering at that moment (each is then delivered twice), and a
// second sink would count attempts and greylist apart from the first.
// serve runs both; queue, report, expect and the like only read or change
// rows, and may share the store with anything.

// shmDeadManSwitch is the byte of a WAL store's -shm file that every
// connection to it holds a shared lock on for as long as it is open
// (SQLite's unix VFS, os_unix.c: UNIX_SHM_DMS, (22+8)*4+8).
const shmDeadManSwitch = 128

// storeRoles are the parts of relaylab that a command runs on its store:
// "relay", "sink", or both.
func storeRoles(command string) []string {
	switch command {
	case "serve":
		return []string{"relay", "sink"}
	case "relay", "sink":
		return []string{command}
	}
	return nil
}

// refuseSecondRunner refuses to run command on the store at path when
// another process already runs the same part of relaylab on it: a relay
// beside a relay (serve counts as both), a sink beside a sink. It names
// the process. A process whose command line cannot be read (no /proc)
// counts as one that runs both.
func refuseSecondRunner(path, command string) error {
	// SQLite follows a symbolic link to the file it names: so does this,
	// or a link to a running serve's store would look unused.
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	// A file where a directory must be: asking who has the -shm file
	// open beside the store would fail with "not a directory".
	if err := storeUnderFile(path); err != nil {
		return err
	}
	pids, err := storeHolders(path)
	if err != nil {
		return fmt.Errorf("%s: telling whether another process has the store open: %w", path, err)
	}
	mine := storeRoles(command)
	for _, pid := range pids {
		other, args := processRoles(pid)
		for _, r := range mine {
			if !slices.Contains(other, r) {
				continue
			}
			who := describeProcess(pid)
			if len(args) > 0 && !strings.HasPrefix(filepath.Base(args[0]), "relaylab") {
				// Not a relaylab command line: what it does with the
				// store cannot be told, only that it has it open.
				return fmt.Errorf("the store %s is open in another program, %s: if it is a relaylab by another name running a %s, a second %s on one store would %s; stop that program first (or, if it only reads, run it after relaylab starts), or give relaylab a store of its own with --db",
					path, who, r, r, secondRunnerHarm(r))
			}
			return fmt.Errorf("the store %s is in use by %s, which runs a %s on it already: a second %s on one store would %s; stop that process first, or give this one a store of its own with --db",
				path, who, r, r, secondRunnerHarm(r))
		}
	}
	return nil
}

// describeProcess names process pid for a message: "process 42 (relaylab
// serve --db x.db)", its command line's first words when it can be read.
func describeProcess(pid int) string {
	who := fmt.Sprintf("process %d", pid)
	if _, args := processRoles(pid); len(args) > 0 {
		who += " (" + strings.Join(args, " ") + ")"
	}
	return who
}

// secondRunnerHarm says what a second relay or sink on one store does.
func secondRunnerHarm(role string) string {
	if role == "relay" {
		return "take the messages the first is delivering for ones a crash left behind and deliver them again"
	}
	return "count attempts and greylisting apart from the first, so that sequences such as defer2 would no longer hold"
}

// processRoles are the parts of relaylab process pid runs on its store,
// from its command line (/proc/PID/cmdline), and the first words of that
// line: none for a relaylab command that only reads or changes rows
// (queue, report, sink reset or clear) and for a sqlite3 shell; both for
// any other program, or when the line cannot be read, since a relaylab
// binary by another name runs what it runs.
func processRoles(pid int) (roles, args []string) {
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil || len(raw) == 0 {
		return []string{"relay", "sink"}, nil
	}
	args = strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	switch base := filepath.Base(args[0]); {
	case strings.HasPrefix(base, "sqlite3"):
		return nil, shortArgs(args)
	case !strings.HasPrefix(base, "relaylab"):
		return []string{"relay", "sink"}, shortArgs(args)
	}
	// The command is the first word that is no flag; "sink reset" and
	// "sink clear" only change rows, as queue and report do.
	for i, a := range args[1:] {
		if strings.HasPrefix(a, "-") {
			continue
		}
		if a == "sink" && i+2 < len(args) && (args[i+2] == "reset" || args[i+2] == "clear") {
			return nil, shortArgs(args)
		}
		return storeRoles(a), shortArgs(args)
	}
	return nil, shortArgs(args)
}

// shortArgs is a command line cut to its first words, to name a process.
func shortArgs(args []string) []string {
	if len(args) > 6 {
		return append(args[:6:6], "...")
	}
	return args
}

// lockHolders reads /proc/locks (text) for the processes other than self
// that hold a lock on byte shmDeadManSwitch of the file dev:ino: each
// line is "N: POSIX ADVISORY READ|WRITE PID MAJ:MIN:INODE START END", the
// device in hexadecimal.
func lockHolders(text string, dev, ino uint64, self int) []int {
	var out []int
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) < 8 || f[1] != "POSIX" && f[1] != "OFDLCK" {
			continue
		}
		// A blocked waiter's line starts "N: -> POSIX ...": skipped by
		// the field check above.
		id := strings.Split(f[5], ":")
		if len(id) != 3 {
			continue
		}
		maj, err1 := strconv.ParseUint(id[0], 16, 32)
		min, err2 := strconv.ParseUint(id[1], 16, 32)
		inode, err3 := strconv.ParseUint(id[2], 10, 64)
		pid, err4 := strconv.Atoi(f[4])
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil || inode != ino || linuxDev(maj, min) != dev || pid == self || pid <= 0 {
			continue
		}
		start, err1 := strconv.ParseUint(f[6], 10, 64)
		end, err2 := strconv.ParseUint(f[7], 10, 64)
		if f[7] == "EOF" {
			end, err2 = ^uint64(0), nil
		}
		if err1 != nil || err2 != nil || start > shmDeadManSwitch || end < shmDeadManSwitch {
			continue
		}
		if !slices.Contains(out, pid) {
			out = append(out, pid)
		}
	}
	return out
}

// linuxDev packs a major and minor device number as Linux's stat st_dev
// does (glibc's makedev).
func linuxDev(maj, min uint64) uint64 {
	return (maj&0xfff)<<8 | (maj&^0xfff)<<32 | min&0xff | (min&^0xff)<<12
}
