package sink

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// A piece one edit from a directive's word, or with a '-' before a
// directive's number, gets the "did you mean" note like other typos
// (they were taken as names without one); the rules' spelling of the
// stage, data-end, is a directive; names near a directive word stay
// names without a note.
func TestDirectiveWordTypos(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ seg, meant string }{
		{"dealy5s", "delay5s"},
		{"defer-2", "defer2"},
		{"delay_5s", "delay5s"},
		{"greylst", "greylist"},
		{"graylist5m", "greylist5m"},
		{"tarpitt", "tarpit"},
		{"bonce5m", "bounce5m"},
		{"dot-dealy2m", "dot-delay2m"},
		{"rcptdefr2", "rcptdefer2"},
		{"unknwon", "unknown"},
		// The probability or count first (walk N: p50rcpt550 was taken
		// as a name without a word).
		{"p50rcpt550", "rcpt550p50"},
		{"x2defer", "deferx2"},
		{"p10dot451", "dot451p10"},
	} {
		ds, not := parseLocalPart(tc.seg + "+alice@x.test")
		if len(ds) != 0 || len(not) != 1 || !strings.Contains(not[0].Why, "did you mean "+tc.meant+"?") {
			t.Errorf("%s: got directives %v, notes %+v; want a note naming %s", tc.seg, ds, not, tc.meant)
		}
		if d, why := parseDirective(tc.meant); why != "" || d.Text == "" {
			t.Errorf("%s: the suggestion %s is no directive: %s", tc.seg, tc.meant, why)
		}
	}
	for _, name := range []string{"alice", "relay", "refer", "delays", "bounces", "bounced", "deferred", "database", "dropbox", "okay",
		"hand", "fall", "accepts", "tarpits", "greylists", "datum", "dotty", "rcpt99", "2024", "delayed", "acceptance", "p2p", "x11", "p1000"} {
		if ds, not := parseLocalPart(name + "@x.test"); len(ds) != 0 || len(not) != 0 {
			t.Errorf("%s: got directives %v, notes %+v; want a plain name", name, ds, not)
		}
	}
	// The stage as rules spell it.
	for _, seg := range []string{"data-end552", "data_end552", "dataend552", "data-end-552"} {
		ds, not := parseLocalPart(seg + "@x.test")
		if len(ds) != 1 || len(not) != 0 || ds[0].Stage != StageDataEnd || ds[0].Behavior.Reply == nil || ds[0].Behavior.Reply.Code != 552 {
			t.Errorf("%s: got %+v, notes %+v; want 552 after the dot", seg, ds, not)
		}
	}
}

func TestOneEdit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"dealy", "delay", true}, {"greylst", "greylist", true}, {"tarpitt", "tarpit", true},
		{"delay", "relay", true}, {"xdelay", "delay", true}, {"dely", "delay", true},
		{"dealy", "delay", true}, {"dlyae", "delay", false}, {"deferred", "defer", false}, {"abc", "xyz", false},
	} {
		if got := oneEdit(tc.a, tc.b); got != tc.want {
			t.Errorf("oneEdit(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := config.EditDistance(tc.a, tc.b) == 1; got != tc.want {
			t.Errorf("config.EditDistance(%q, %q) == 1 is %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
