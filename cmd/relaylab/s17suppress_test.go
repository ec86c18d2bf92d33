package main

import (
	"context"
	"encoding/json"
	"testing"
)

// TestSuppressAddRemoveJSON: --json with add and remove says what they
// did (the address as stored and as given, whether the list changed, the
// entry added), where it was ignored and the sentence printed.
func TestSuppressAddRemoveJSON(t *testing.T) {
	t.Parallel()
	db := emptyStore(t)
	type change struct {
		Address, Given string
		Changed        bool
		Entry          *struct{ Address, Reason string }
	}
	run := func(wantCode int, args ...string) change {
		t.Helper()
		code, out, errOut := runIn(t, context.Background(), append([]string{"suppress"}, append(args, "--db", db, "--json")...)...)
		var c change
		if code != wantCode || json.Unmarshal([]byte(out), &c) != nil {
			t.Fatalf("suppress %v: exit %d, %q %q; want exit %d and JSON", args, code, out, errOut, wantCode)
		}
		return c
	}
	if c := run(0, "add", "<Bob@Example.test>", "--reason", "asked"); !c.Changed || c.Address != "bob@example.test" || c.Given != "<Bob@Example.test>" ||
		c.Entry == nil || c.Entry.Reason != "asked" {
		t.Errorf("add: %+v", c)
	}
	if c := run(0, "add", "bob@example.test"); c.Changed || c.Entry == nil || c.Entry.Reason != "asked" {
		t.Errorf("add again: %+v, want unchanged with the entry as it was", c)
	}
	if c := run(0, "remove", "bob@example.test"); !c.Changed || c.Entry != nil {
		t.Errorf("remove: %+v", c)
	}
	if c := run(1, "remove", "bob@example.test"); c.Changed {
		t.Errorf("remove again: %+v, want unchanged (exit 1)", c)
	}
}
