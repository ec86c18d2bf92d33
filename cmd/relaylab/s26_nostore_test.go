package main

import (
	"path/filepath"
	"testing"
)

// TestNoStoreNamesTheAbsolutePath: a relative store path (the default
// relaylab.db) is named with where it was looked for, which depends on
// the working directory; an absolute one as given.
func TestNoStoreNamesTheAbsolutePath(t *testing.T) {
	t.Parallel()
	abs, err := filepath.Abs("relaylab.db")
	if err != nil {
		t.Fatal(err)
	}
	if got := absNote("relaylab.db"); got != " ("+abs+")" {
		t.Errorf("absNote(relaylab.db) = %q, want %q", got, " ("+abs+")")
	}
	if got := absNote(abs); got != "" {
		t.Errorf("absNote(%s) = %q, want none", abs, got)
	}
}
