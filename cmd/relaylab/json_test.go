package main

import (
	"context"
	"strings"
	"testing"
)

// TestJSONEmptyListsAreArrays: every --json list with nothing in it is
// [], not null, so that a script iterates over it without a check.
func TestJSONEmptyListsAreArrays(t *testing.T) {
	t.Parallel()
	db, id := queueStore(t, "delivered")
	for _, args := range [][]string{
		{"queue", "list", "--json"}, // nothing waiting
		{"queue", "list", "--state", "bounced", "--json"},
		{"suppress", "list", "--json"},
	} {
		code, out, errOut := runIn(t, context.Background(), append(args, "--db", db)...)
		if code != 0 || strings.TrimSpace(out) != "[]" {
			t.Errorf("%v: exit %d, stdout %q (want []), stderr %q", args, code, out, errOut)
		}
	}
	code, out, _ := runIn(t, context.Background(), "queue", "list", "--state", "all", "--json", "--db", db)
	if code != 0 || !strings.HasPrefix(out, "[") || !strings.Contains(out, id) {
		t.Errorf("queue list --state all --json: exit %d, stdout %q", code, out)
	}
}
