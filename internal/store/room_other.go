//go:build !unix

package store

// diskFree cannot read the free space here: Room lets all mail in.
func diskFree(string) (uint64, bool) { return 0, false }
