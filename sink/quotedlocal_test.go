package sink

import "testing"

// TestQuotedLocalPartDirectives: the directives of a quoted local part are
// read from its value (RFC 5321 4.1.2), as the sink records it quoted: the
// quotes stuck to the first and last segments, so "<!--+rcpt550" was no
// directive ("rcpt550\"" is not a directive).
func TestQuotedLocalPartDirectives(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr string
		want string // the one directive read, "" none
	}{
		{`"<!--+rcpt550"@x.test`, "rcpt550"},
		{`"a b+defer2"@x.test`, "defer2"},
		{`"rcpt451+a\"b"@x.test`, "rcpt451"},
		{`"plain"@x.test`, ""},
		{`"`, ""},
	} {
		ds, not := parseLocalPart(tc.addr)
		if len(not) != 0 {
			t.Errorf("%s: segments taken for misspelled directives: %+v", tc.addr, not)
		}
		got := ""
		if len(ds) == 1 {
			got = ds[0].Text
		}
		if len(ds) > 1 || got != tc.want {
			t.Errorf("%s: directives %+v, want %q", tc.addr, ds, tc.want)
		}
	}
}
