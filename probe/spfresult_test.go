package probe

import (
	"strings"
	"testing"
)

// TestSPFResultAdvice: a permerror is the record's fault, whatever the
// IP, so its advice is to fix the record, not to add the IP to it; a
// fail without an error text has no empty parentheses or stray space.
func TestSPFResultAdvice(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		res       SPFResult
		want, not string
	}{
		{SPFResult{IP: "192.0.2.7", Result: "permerror", Error: "invalid macro"},
			"check_host for 192.0.2.7: permerror (invalid macro): the SPF record of shop.test cannot be evaluated for this IP", "add it to the SPF record"},
		{SPFResult{IP: "192.0.2.7", Result: "fail"},
			"check_host for 192.0.2.7: fail: the record says this IP may not send as shop.test", "fail :"},
		{SPFResult{IP: "192.0.2.7", Result: "temperror", Error: "SERVFAIL"},
			"temperror (SERVFAIL): a DNS lookup failed for now", "temperror  "},
	} {
		f := spfResultFinding("shop.test", tt.res, nil)
		if !strings.Contains(f.Message, tt.want) || strings.Contains(f.Message, tt.not) {
			t.Errorf("%s: %q\nwant it to contain %q and not %q", tt.res.Result, f.Message, tt.want, tt.not)
		}
	}
}
