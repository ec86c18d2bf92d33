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
// says so (naming the address as the list holds it), with since when and
// why, keeps the reason it had, and exits 0;
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
	for _, want := range []string{"blocked@other.test is already on the suppression list, since 20", ": complained (added with relaylab suppress add); nothing changed"} {
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

// TestSuppressAddAddressAsStored: suppress add takes an address in angle
// brackets (as a transcript shows it) without them, stores it in lower
// case and says so, so that the recipient is suppressed; it stored
// "<x@y.test>", which matched no recipient, and echoed Bob@Sender.TEST
// as typed. An address with other brackets or a control character is
// refused with the form to give; remove finds the entry either way.
func TestSuppressAddAddressAsStored(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := emptyStore(t)
	code, out, errOut := runIn(t, ctx, "suppress", "add", "<Bob@Sender.TEST>", "--db", db)
	if code != 0 || !strings.Contains(out, "suppressed bob@sender.test: ") || !strings.Contains(out, `stored as bob@sender.test, from "<Bob@Sender.TEST>"`) {
		t.Errorf("add: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	code, out, errOut = runIn(t, ctx, "suppress", "list", "--db", db, "--json")
	var list []struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 1 || list[0].Address != "bob@sender.test" {
		t.Errorf("list: exit %d, %v: %+v, want bob@sender.test alone\nstderr %s", code, err, list, errOut)
	}
	for _, tc := range []struct{ addr, want string }{
		{"<<x@y.test>>", `add "<<x@y.test>>": angle brackets go round a whole address once`},
		{"x@", `add "x@": that is not an email address`},
		{"x\x01@y.test", `add "x\x01@y.test": control character 0x01 at octet 2`},
		{"a b@y.test", `add "a b@y.test": an address has no spaces`},
	} {
		code, _, errOut := runIn(t, ctx, "suppress", "add", tc.addr, "--db", db)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("add %q: exit %d, stderr %q, want exit 2 and %q", tc.addr, code, errOut, tc.want)
		}
	}
	if code, out, errOut := runIn(t, ctx, "suppress", "remove", "<bob@sender.test>", "--db", db); code != 0 || !strings.Contains(out, "removed bob@sender.test") {
		t.Errorf("remove: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}
