package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestReportRefusesMissingOrForeignStores: report reads a store; it must
// neither create one nor migrate a SQLite file that is not one.
func TestReportRefusesMissingOrForeignStores(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "relay.db")
	code, _, errOut := runIn(t, context.Background(), "report", "--db", missing)
	if code != 2 || !strings.Contains(errOut, "no store at "+missing) {
		t.Errorf("missing store: exit %d (want 2), stderr %q", code, errOut)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("report created %s", missing)
	}

	foreign, look := foreignDB(t)
	code, _, errOut = runIn(t, context.Background(), "report", "--db", foreign)
	if code != 2 || !strings.Contains(errOut, foreign+" is not a relaylab store") {
		t.Errorf("foreign SQLite file: exit %d (want 2), stderr %q", code, errOut)
	}
	if tables, journal := look(); !reflect.DeepEqual(tables, []string{"mine"}) || journal != "delete" {
		t.Errorf("foreign file now has tables %v, journal mode %s; want [mine], delete", tables, journal)
	}

	notDB := filepath.Join(dir, "notes.db")
	os.WriteFile(notDB, []byte("not SQLite at all\n"), 0o644)
	code, _, errOut = runIn(t, context.Background(), "report", "--db", notDB)
	if code != 2 || !strings.Contains(errOut, notDB+" is not a relaylab store") {
		t.Errorf("not a database: exit %d (want 2), stderr %q", code, errOut)
	}
}
