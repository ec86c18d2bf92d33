//go:build unix

package store

import "golang.org/x/sys/unix"

// diskFree is the bytes free for an unprivileged writer on dir's file
// system (statfs's f_bavail: root's reserve left out).
func diskFree(dir string) (uint64, bool) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return uint64(st.Bavail) * uint64(st.Bsize), true
}
