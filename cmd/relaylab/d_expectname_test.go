package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExpectBareNameRefused: a bare "name:" (YAML null) is an empty name,
// exit 2 naming the file, line and key, as name: "" is, where it passed
// with the verdict named after the file as if the key were left out. A
// file without the key is still named after the file.
func TestExpectBareNameRefused(t *testing.T) {
	t.Parallel()
	db := sinkStore(t, "a@example.test")
	dir := t.TempDir()
	for _, body := range []string{"name:\nexpect:\n  recipients:\n    - {match: \"*\"}\n", "name: ~\nexpect:\n  recipients:\n    - {match: \"*\"}\n", "name: null\nexpect:\n  recipients:\n    - {match: \"*\"}\n"} {
		file := filepath.Join(dir, "bare.yaml")
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runIn(t, context.Background(), "expect", "--db", db, file)
		if code != 2 || !strings.Contains(errOut, file+":1:") || !strings.Contains(errOut, "name: an empty name leaves the verdict unnamed") {
			t.Errorf("%q: exit %d (want 2), stderr %q\nstdout:\n%s", body, code, errOut, out)
		}
	}
	file := filepath.Join(dir, "unnamed.yaml")
	if err := os.WriteFile(file, []byte("expect:\n  recipients:\n    - {match: \"*\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runIn(t, context.Background(), "expect", "--db", db, file); code != 0 || !strings.Contains(out, file) {
		t.Errorf("no name key: exit %d (want 0 and the verdict named %s)\nstdout:\n%s\nstderr %s", code, file, out, errOut)
	}
}
