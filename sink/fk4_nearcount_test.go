package sink

import (
	"strings"
	"testing"
)

// A directive's count written without its x (dotdrop1 for dotdropx1) is
// suggested with the x, for every directive that takes a count: only an
// x or p with no number after it, or in the wrong order, was mended.
func TestFK4CountWithoutX(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ seg, meant string }{
		{"dotdrop1", "dotdropx1"},
		{"drop2", "dropx2"},
		{"datahang1", "datahangx1"},
		{"accept12", "acceptx12"},
		{"unknown2", "unknownx2"},
		{"full3", "fullx3"},
		{"dot-ok1", "dot-okx1"},
		{"rcpt5502", "rcpt550x2"},
		{"dot4513", "dot451x3"},
		{"rcpt550-5.7.1p20x2", "rcpt550-5.7.1x2p20"},
		{"delay5s2", "delay5sx2"},
		{"greylist5m2", "greylist5mx2"},
		{"dotdrop1p50", "dotdropx1p50"},
	} {
		ds, not := parseLocalPart(tc.seg + "+alice@x.test")
		if len(ds) != 0 || len(not) != 1 || !strings.Contains(not[0].Why, "did you mean "+tc.meant+"?") {
			t.Errorf("%s: got directives %v, notes %+v; want a note naming %s", tc.seg, ds, not, tc.meant)
		}
		if d, why := parseDirective(tc.meant); why != "" || d.Text == "" {
			t.Errorf("%s: the suggestion %s is no directive: %s", tc.seg, tc.meant, why)
		}
	}
	// A number that reads as something else is not taken for a count:
	// delay30 lacks its unit, not an x.
	for _, tc := range []struct{ seg, not string }{
		{"delay30", "delayx30"},
		{"tarpit5", "tarpitx5"},
	} {
		if _, not := parseLocalPart(tc.seg + "@x.test"); len(not) == 1 && strings.Contains(not[0].Why, tc.not) {
			t.Errorf("%s: suggested %s: %s", tc.seg, tc.not, not[0].Why)
		}
	}
}
