package reports

import "testing"

// TestS27NearMissByPart: a changed local part of a shared domain is no
// slip ("never+*@example.test" took "defer2+local1@example.test", three
// edits in a local part of six, because the domain made the glob long),
// while a slip in the domain or in the local part alone still is.
func TestS27NearMissByPart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		glob, addr string
		near       bool
	}{
		{"never+*@example.test", "defer2+local1@example.test", false},
		{"rcpt550+*@example.test", "rcpt505+a@example.test", true},
		{"bob@exmaple.test", "bob@example.test", true},
		{"defer2+ci1@example.test", "nobody@nowhere.test", false},
		{"alice@example.test", "alicia@example.test", true},
		{"*.test", "a.test", true},
	} {
		if got := NearMiss(tc.glob, tc.addr); got != tc.near {
			t.Errorf("NearMiss(%q, %q) = %v, want %v", tc.glob, tc.addr, got, tc.near)
		}
	}
}
