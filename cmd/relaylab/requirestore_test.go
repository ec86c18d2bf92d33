package main

import (
	"context"
	"database/sql"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/relay"
)

// foreignDB writes a SQLite file that relaylab did not make and returns a
// function listing its tables and its journal mode.
func foreignDB(t *testing.T) (string, func() (tables []string, journal string)) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE mine (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	return path, func() ([]string, string) {
		t.Helper()
		db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var names []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			names = append(names, n)
		}
		var mode string
		if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		return names, mode
	}
}

// TestStoreCommandsRefuseMissingOrForeignStores: commands that act on what
// another command recorded never create a store, nor migrate a SQLite file
// that is not one.
func TestStoreCommandsRefuseMissingOrForeignStores(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "relay.db")
	notDB := filepath.Join(dir, "notes.db")
	os.WriteFile(notDB, []byte("not SQLite at all\n"), 0o644)
	expectFile := filepath.Join(dir, "expect.yaml")
	os.WriteFile(expectFile, []byte("name: x\nexpect:\n  recipients:\n    - {match: \"*\", status: delivered}\n"), 0o644)
	commands := [][]string{
		{"queue", "list"},
		{"queue", "show", "m1"},
		{"queue", "retry", "m1"},
		{"queue", "delete", "m1"},
		{"suppress", "list"},
		{"suppress", "add", "a@b.test"},
		{"expect", expectFile},
	}
	for _, c := range commands {
		t.Run(strings.Join(c, " "), func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runIn(t, context.Background(), append(c, "--db", missing)...)
			if code != 2 || !strings.Contains(errOut, "no store at "+missing) || !strings.Contains(errOut, "--db") {
				t.Errorf("missing store: exit %d (want 2), stderr %q", code, errOut)
			}
			if _, err := os.Stat(missing); err == nil {
				t.Fatalf("%v created %s", c, missing)
			}

			foreign, look := foreignDB(t)
			code, _, errOut = runIn(t, context.Background(), append(c, "--db", foreign)...)
			if code != 2 || !strings.Contains(errOut, foreign+" is not a relaylab store") {
				t.Errorf("foreign SQLite file: exit %d (want 2), stderr %q", code, errOut)
			}
			if tables, journal := look(); !reflect.DeepEqual(tables, []string{"mine"}) || journal != "delete" {
				t.Errorf("foreign file now has tables %v, journal mode %s; want [mine], delete", tables, journal)
			}

			code, _, errOut = runIn(t, context.Background(), append(c, "--db", notDB)...)
			if code != 2 || !strings.Contains(errOut, notDB+" is not a relaylab store") {
				t.Errorf("not a database: exit %d (want 2), stderr %q", code, errOut)
			}
		})
	}
}

// TestQueueDefaultStoreNotCreated: "relaylab queue list" with no --db reads
// relaylab.db in the current directory; the configuration file may name
// another path, and neither is created.
func TestQueueDefaultStoreNotCreated(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "relaylab.yaml")
	want := filepath.Join(dir, "from-config.db")
	os.WriteFile(cfg, []byte("store:\n  path: "+want+"\n"), 0o644)
	code, _, errOut := runIn(t, context.Background(), "queue", "list", "--config", cfg)
	if code != 2 || !strings.Contains(errOut, "no store at "+want) {
		t.Errorf("exit %d (want 2), stderr %q", code, errOut)
	}
	if _, err := os.Stat(want); err == nil {
		t.Errorf("queue list created %s", want)
	}
}

func TestQueueListState(t *testing.T) {
	t.Parallel()
	code, out, errOut := runIn(t, context.Background(), "queue", "list", "--state", "bogus", "--db", filepath.Join(t.TempDir(), "x.db"))
	if code != 2 || !strings.Contains(errOut, `--state "bogus"`) || !strings.Contains(errOut, "waiting, queued, inflight, deferred, held, delivered, bounced, expired, suppressed, all") {
		t.Errorf("exit %d (want 2)\nstdout %q\nstderr %q", code, out, errOut)
	}
}

func TestOneLine(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		r    relay.Reply
		want string
	}{
		{relay.Reply{}, ""},
		{relay.Reply{Text: "not tried: destination r.test is resting"}, "not tried: destination r.test is resting"},
		{relay.Reply{Stage: "connect", Text: "connection refused"}, "connect: connection refused"},
		{relay.Reply{Stage: "rcpt", Code: 550, Enhanced: "5.1.1", Text: "no such\nuser"}, "550 5.1.1 no such user"},
	} {
		if got := oneLine(tt.r); got != tt.want {
			t.Errorf("oneLine(%+v) = %q, want %q", tt.r, got, tt.want)
		}
	}
}

func TestInterleaveFor(t *testing.T) {
	t.Parallel()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("json", "", "a file, as in replay")
	fs.Bool("quiet", false, "")
	for _, tt := range []struct {
		in, want []string
	}{
		{[]string{"a.yaml", "--json", "j.json"}, []string{"--json", "j.json", "--", "a.yaml"}},
		{[]string{"a.yaml", "--quiet", "b.yaml"}, []string{"--quiet", "--", "a.yaml", "b.yaml"}},
		{[]string{"a.yaml", "--json=j", "-"}, []string{"--json=j", "--", "a.yaml", "-"}},
		{[]string{"a", "--", "--json", "x"}, []string{"--", "a", "--json", "x"}},
		{[]string{"a", "--help", "b"}, []string{"--help", "--", "a", "b"}},
	} {
		if got := interleaveFor(fs, tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("interleaveFor(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
