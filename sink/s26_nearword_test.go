package sink

import (
	"strings"
	"testing"
)

// TestDropAndHangTyposNoted: a drop or hang after the dot misspelt
// (dropaftrdot), and a drop or hang after a stage with a letter wrong
// (dotdrp), are noted with the directive meant; they were taken as
// plain names, so a chaos scenario's drop never happened and nothing
// said why.
func TestDropAndHangTyposNoted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ seg, meant string }{
		{"dropaftrdot", "dropafterdot"},
		{"hangaftedot", "hangafterdot"},
		{"dotdrp", "dotdrop"},
		{"dotdrpx2", "dotdropx2"},
		{"rcpthnag", "rcpthang"},
	} {
		ds, not := parseLocalPart(tc.seg + "+alice@x.test")
		if len(ds) != 0 || len(not) != 1 || !strings.Contains(not[0].Why, "did you mean "+tc.meant+"?") {
			t.Errorf("%s: got directives %v, notes %+v; want a note naming %s", tc.seg, ds, not, tc.meant)
		}
	}
	for _, name := range []string{"hand", "drip", "dropbox", "dotty", "database", "datum", "quitting", "handle"} {
		if ds, not := parseLocalPart(name + "@x.test"); len(ds) != 0 || len(not) != 0 {
			t.Errorf("%s: got directives %v, notes %+v; want a plain name", name, ds, not)
		}
	}
}
