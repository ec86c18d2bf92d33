package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestSuppressExitStatusAsDocumented: what suppress --help says of its
// exit status is what it does: 1 for removing an address not on the
// list, 2 for a --db that is not a relaylab store.
func TestSuppressExitStatusAsDocumented(t *testing.T) {
	t.Parallel()
	_, out, errOut := runIn(t, context.Background(), "suppress", "--help")
	help := strings.Join(strings.Fields(out+errOut), " ")
	for _, want := range []string{"1 when remove names an address that is not on the list", "2 for bad arguments or a --db that is not a relaylab store"} {
		if !strings.Contains(help, want) {
			t.Errorf("suppress --help does not say %q:\n%s", want, out+errOut)
		}
	}
	db := emptyStore(t)
	if code, _, errOut := runIn(t, context.Background(), "suppress", "remove", "foo@example.test", "--db", db); code != 1 || !strings.Contains(errOut, "foo@example.test is not on the suppression list") {
		t.Errorf("remove of an address not listed: exit %d (want 1), stderr %q", code, errOut)
	}
	if code, _, _ := runIn(t, context.Background(), "suppress", "list", "--db", filepath.Join(t.TempDir(), "none.db")); code != 2 {
		t.Errorf("list with no store: exit %d, want 2", code)
	}
}

// TestQueueAndSuppressSayItInTheirWords: an unknown message id and an
// address that is none are said in the command's words, with the id and
// how to list them, not as the relay's "relay: no such message" or
// "relay: ... is not an address".
func TestQueueAndSuppressSayItInTheirWords(t *testing.T) {
	t.Parallel()
	db := emptyStore(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"queue", "show", "nosuch"}, 1, "relaylab queue: no message with id \"nosuch\" in this store's queue: `relaylab queue list --state all` lists the ids"},
		{[]string{"queue", "retry", "nosuch"}, 1, "no message with id \"nosuch\" in this store's queue"},
		{[]string{"queue", "delete", "nosuch"}, 1, "no message with id \"nosuch\" in this store's queue"},
		{[]string{"suppress", "add", "not an address"}, 2, `relaylab suppress: add "not an address": that is not an email address: give one as local@domain, such as user@example.test`},
	} {
		code, _, errOut := runIn(t, context.Background(), append(tc.args, "--db", db)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "relay: ") {
			t.Errorf("%q: exit %d (want %d), stderr %q, want %q", tc.args, code, tc.code, errOut, tc.want)
		}
	}
}
