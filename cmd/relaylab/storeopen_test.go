package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestDaemonsRefuseFilesThatAreNotStores: serve, sink and relay given a
// --db that is not a relaylab store (a YAML file, someone else's SQLite
// database) say so with the hint that fits, as report and queue do, and
// leave the file as it was; "check that the directory exists and is
// writable" stays for a directory that does not exist.
func TestDaemonsRefuseFilesThatAreNotStores(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notDB := filepath.Join(dir, "some.yaml")
	os.WriteFile(notDB, []byte("relay: {listen: '127.0.0.1:0'}\n"), 0o644)
	cfg := filepath.Join(dir, "ports.yaml")
	os.WriteFile(cfg, []byte("sink: {listeners: [{name: mx, listen: '127.0.0.1:0', hostname: mx.test}]}\nrelay: {listen: '127.0.0.1:0'}\nweb: {listen: '127.0.0.1:0'}\n"), 0o644)
	for _, c := range []string{"serve", "sink", "relay"} {
		t.Run(c, func(t *testing.T) {
			t.Parallel()
			foreign, look := foreignDB(t)
			// A guard only: a command that took the file would run until
			// stopped, and should fail the test rather than hang it.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			for _, db := range []string{notDB, foreign} {
				code, _, errOut := runIn(t, ctx, c, "--config", cfg, "--db", db)
				if code != 1 || !strings.Contains(errOut, db+" is not a relaylab store (") || !strings.Contains(errOut, storeHint) || strings.Contains(errOut, "writable") {
					t.Errorf("--db %s: exit %d (want 1), stderr %q", db, code, errOut)
				}
			}
			if data, _ := os.ReadFile(notDB); string(data) != "relay: {listen: '127.0.0.1:0'}\n" {
				t.Errorf("%s changed: %q", notDB, data)
			}
			if tables, journal := look(); !reflect.DeepEqual(tables, []string{"mine"}) || journal != "delete" {
				t.Errorf("the foreign database now has tables %v, journal mode %s; want [mine], delete", tables, journal)
			}
			code, _, errOut := runIn(t, ctx, c, "--config", cfg, "--db", filepath.Join(dir, "missing", "x.db"))
			if code != 1 || !strings.Contains(errOut, "check that the directory exists and is writable") {
				t.Errorf("--db in a missing directory: exit %d (want 1), stderr %q", code, errOut)
			}
		})
	}
}
