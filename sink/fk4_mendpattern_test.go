package sink

import "testing"

// A rule's glob that is a near miss of an address is mended as a glob:
// its wildcards stay, and the rest is edited to match. The check of a
// scenario's sink rules offered the address alone ("*@example.tst": did
// you mean "receipts@example.test"?), which would make a rule for a
// domain a rule for one mailbox.
func TestFK4MendPattern(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ glob, addr, want string }{
		{"*@example.tst", "receipts@example.test", "*@example.test"},
		{"*@exmaple.test", "a@example.test", "*@example.test"},
		{"user*@Exmaple.test", "user12@example.test", "user*@Example.test"},
		{"defer2+ci*@example.tst", "defer2+ci1@example.test", "defer2+ci*@example.test"},
		{"rcpt550+?@sink.tets", "rcpt550+a@sink.test", "rcpt550+?@sink.test"},
		{"*@bücher.tst", "bob@bücher.test", "*@bücher.test"},
		{"a*@x.test", "ab@x.test", ""},        // it matches already
		{"bob@x.tst", "bob@x.test", ""},       // no wildcard: the address is the suggestion
		{"/^bob@x\\.tst$/", "bob@x.test", ""}, // a regexp is not mended
		{"*@*.example.tst", "a@mx.example.test", "*@*.example.test"},
	} {
		got := MendPattern(tc.glob, tc.addr)
		if got != tc.want {
			t.Errorf("MendPattern(%q, %q) = %q, want %q", tc.glob, tc.addr, got, tc.want)
			continue
		}
		if got != "" && !(Rule{Sender: got}).MatchesSender(tc.addr) {
			t.Errorf("MendPattern(%q, %q) = %q, which does not match it", tc.glob, tc.addr, got)
		}
	}
}
