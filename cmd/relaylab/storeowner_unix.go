//go:build linux || darwin

package main

import (
	"os"
	"strconv"
	"syscall"
)

// fileOwner names the user that owns name ("root", or "uid 1001" without
// a name), "" when it cannot be told.
func fileOwner(name string) string {
	fi, err := os.Stat(name)
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return userName(strconv.FormatUint(uint64(st.Uid), 10))
}
