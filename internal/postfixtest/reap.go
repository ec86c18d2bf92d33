package postfixtest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

const (
	dirPrefix = "postfixtest-"
	// ownerFile holds the pid of the test process that owns an instance.
	ownerFile = "owner.pid"
)

// newLayout places an instance's files under root.
func newLayout(root string) layout {
	return layout{
		root:     root,
		confDir:  filepath.Join(root, "etc"),
		queueDir: filepath.Join(root, "queue"),
		dataDir:  filepath.Join(root, "data"),
		logFile:  filepath.Join(root, "maillog"),
		name:     "pft-" + strings.TrimPrefix(filepath.Base(root), dirPrefix),
	}
}

// reapStale stops the instances under tmp whose test process has died
// (a test binary killed, or panicking at its -timeout, runs no cleanup),
// and removes their files. Instances of live processes, such as the test
// binaries of other packages running at the same time, are left alone.
func reapStale(postfix, tmp string) {
	roots, _ := filepath.Glob(filepath.Join(tmp, dirPrefix+"*"))
	for _, root := range roots {
		b, err := os.ReadFile(filepath.Join(root, ownerFile))
		if err != nil {
			continue // not one of ours, or its owner is still writing it
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || alive(pid) {
			continue
		}
		inst := &Instance{l: newLayout(root), postfix: postfix}
		if inst.stop() == nil || inst.masterPID() == 0 {
			os.RemoveAll(root)
		}
	}
}

// alive reports whether process pid exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
