package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/store"
)

// emptyStore makes a relaylab store with nothing in it.
func emptyStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relaylab.db")
	st, err := store.Open(context.Background(), store.Options{Path: path, Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	return path
}

// TestSuppressListJSON: --json is a JSON array whether or not the list is
// empty, so that scripts can iterate without a null check. Flags may come
// after the verb.
func TestSuppressListJSON(t *testing.T) {
	t.Parallel()
	db := emptyStore(t)
	code, out, errOut := runIn(t, context.Background(), "suppress", "list", "--json", "--db", db)
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("empty list: exit %d, stdout %q (want []), stderr %q", code, out, errOut)
	}

	if code, _, errOut := runIn(t, context.Background(), "suppress", "add", "a@b.test", "--db", db, "--reason", "complained"); code != 0 {
		t.Fatalf("add: exit %d, stderr %q", code, errOut)
	}
	code, out, errOut = runIn(t, context.Background(), "suppress", "list", "--db", db, "--json")
	var got []struct {
		Address string `json:"address"`
		Reason  string `json:"reason"`
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || len(got) != 1 || !strings.EqualFold(got[0].Address, "a@b.test") {
		t.Fatalf("one entry: exit %d, stdout %q (%v), stderr %q", code, out, err, errOut)
	}
}

// TestSuppressListJSONNamesLikeAPI: the time an address went on the list
// is "since", as in the web API's Suppression (web/openapi.yaml).
func TestSuppressListJSONNamesLikeAPI(t *testing.T) {
	t.Parallel()
	db := emptyStore(t)
	if code, _, errOut := runIn(t, context.Background(), "suppress", "add", "a@b.test", "--db", db); code != 0 {
		t.Fatalf("add: exit %d, stderr %q", code, errOut)
	}
	code, out, errOut := runIn(t, context.Background(), "suppress", "list", "--json", "--db", db)
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || len(got) != 1 {
		t.Fatalf("exit %d, stdout %q (%v), stderr %q", code, out, err, errOut)
	}
	if _, ok := got[0]["since"]; !ok {
		t.Errorf("entry %v has no \"since\"", got[0])
	}
	if _, ok := got[0]["created"]; ok {
		t.Errorf("entry %v still names the time \"created\"; the web API says \"since\"", got[0])
	}
}

// TestSuppressVerbWithoutAddress: add or remove without an address says
// that the address is missing, not that the verb is unknown.
func TestSuppressVerbWithoutAddress(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "s.db")
	for _, verb := range []string{"add", "remove"} {
		code, _, errOut := runIn(t, context.Background(), "suppress", verb, "--db", db)
		if code != 2 || !strings.Contains(errOut, verb+" needs an address") {
			t.Errorf("suppress %s: exit %d, stderr %q", verb, code, errOut)
		}
	}
}

// TestSuppressAddTwice: adding an address that is on the list already
// says so, with since when and why, keeps the reason it had, and exits 0;
// it does not report "suppressed" as if it were news.
func TestSuppressAddTwice(t *testing.T) {
	t.Parallel()
	db := emptyStore(t)
	if code, out, errOut := runIn(t, context.Background(), "suppress", "add", "blocked@other.test", "--db", db, "--reason", "complained"); code != 0 || !strings.Contains(out, "suppressed blocked@other.test") {
		t.Fatalf("first add: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, errOut := runIn(t, context.Background(), "suppress", "add", "Blocked@Other.TEST", "--db", db, "--reason", "again")
	if code != 0 {
		t.Fatalf("second add: exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"Blocked@Other.TEST is already on the suppression list, since 20", ": complained (added with relaylab suppress add); nothing changed"} {
		if !strings.Contains(out, want) {
			t.Errorf("second add: stdout %q lacks %q", out, want)
		}
	}
	if strings.Contains(out, "suppressed Blocked") {
		t.Errorf("second add reports a new suppression: %q", out)
	}
	_, list, _ := runIn(t, context.Background(), "suppress", "list", "--db", db)
	if !strings.Contains(list, "complained") || strings.Contains(list, "again") {
		t.Errorf("the second add changed the reason:\n%s", list)
	}
}
