package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/store"
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

// TestReportConfig: report --config reads the store the configuration
// names, as queue and suppress do, and --db still wins.
func TestReportConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "named.db")
	st, err := store.Open(context.Background(), store.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	cfg := filepath.Join(dir, "relaylab.yaml")
	os.WriteFile(cfg, []byte("store: {path: "+db+"}\n"), 0o644)
	if code, out, errOut := runIn(t, context.Background(), "report", "--config", cfg); code != 0 || !strings.Contains(out, "recipients") {
		t.Errorf("report --config: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	other := filepath.Join(dir, "other.db")
	if code, _, errOut := runIn(t, context.Background(), "report", "--config", cfg, "--db", other); code != 2 || !strings.Contains(errOut, "no store at "+other) {
		t.Errorf("--db with --config: exit %d, stderr %q; want --db to win", code, errOut)
	}
}
