package main

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload"
)

// TestFO24LoadExitAddsUp: walk item (b). The end line said "162 of 854
// messages tried were not accepted; 159 lost ...; 3 of unknown fate ...; 1
// cancelled in flight", which sums to 163: a cancelled message is not
// tried. Now the parts of those not accepted add up to their number, and
// the cancelled ones are said apart, with what cancelled them (a give-up
// as well as Ctrl-C).
func TestFO24LoadExitAddsUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		res  smtpload.Result
		want []string
	}{
		{"gave up", smtpload.Result{Attempted: 854, Accepted: 692, Failed: 159, Unknown: 3, Cancelled: 1, Ended: smtpload.EndedGaveUp}, []string{
			"162 of 854 messages tried were not accepted: 159 lost to connection, TLS or protocol errors and 3 of unknown fate (",
			"; besides, 1 message cancelled in flight when the run gave up (--give-up), before the final dot (not counted as tried);",
			"the run gave up early"}},
		{"interrupted", smtpload.Result{Attempted: 10, Accepted: 7, Refused: 1, Failed: 1, Unknown: 1, Cancelled: 2, TempRefusals: 1, Ended: smtpload.EndedInterrupted}, []string{
			"3 of 10 messages tried were not accepted: 1 refused by the server, 1 lost to connection, TLS or protocol errors and 1 of unknown fate (",
			"; besides, 2 messages cancelled in flight when Ctrl-C (or SIGTERM) stopped the run, before the final dot"}},
		{"refused only", smtpload.Result{Attempted: 4, Refused: 4, PermRefusals: 4, Ended: smtpload.EndedAll}, []string{
			"4 of 4 messages tried were not accepted; the server refused with permanent (5xx) replies"}},
	} {
		res := tc.res
		code, err := loadExit(&res, false)
		if code == 0 || err == nil {
			t.Errorf("%s: exit %d, %v; want a failure", tc.name, code, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q\nlacks %q", tc.name, err, w)
			}
		}
	}
}
