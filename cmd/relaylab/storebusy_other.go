//go:build !(linux || darwin)

package main

// openElsewhere cannot tell here whether another process has the store
// open: it says none has.
func openElsewhere(string) (int, error) { return 0, nil }

// storeHolders cannot tell here which processes have the store open: it
// says none has.
func storeHolders(string) ([]int, error) { return nil, nil }
