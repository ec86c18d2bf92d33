package store

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFC2OpenUnderAFile: a store path on which a file stands where a
// directory must be is refused, naming that file, at any depth; a path in
// a directory, or one whose directory is missing (Open says that), is no
// such error.
func TestFC2OpenUnderAFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "notadir")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(file, "x.db"), filepath.Join(file, "sub", "x.db")} {
		_, err := Open(context.Background(), Options{Path: path, Logger: slog.New(slog.DiscardHandler)})
		var nd *NotADirectoryError
		if !errors.As(err, &nd) || nd.File != file || !errors.Is(err, syscall.ENOTDIR) ||
			!strings.Contains(err.Error(), file+" is a file, not a directory") {
			t.Errorf("Open(%s) = %v; want a NotADirectoryError that names %s", path, err, file)
		}
	}
	for _, path := range []string{filepath.Join(dir, "x.db"), filepath.Join(dir, "missing", "x.db"), "x.db"} {
		if err := CheckDir(path); err != nil {
			t.Errorf("CheckDir(%s) = %v; want nil", path, err)
		}
	}
}
