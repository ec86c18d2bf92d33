package probe

import (
	"context"
	"strings"
	"testing"
)

// TestTLSRPTMultipleOffersMerged: two TLS-RPT records get the one record
// that sends reports to every rua of both (RFC 8460 3: rua is a list), as
// spf.multiple offers its merged record; records that cannot be merged
// get no such offer.
func TestTLSRPTMultipleOffersMerged(t *testing.T) {
	t.Parallel()
	r, srv := espWorld(t, "v=spf1 -all", 0)
	if err := srv.AddString(
		`_smtp._tls.example.test. 60 IN TXT "v=TLSRPTv1; rua=mailto:tls@example.test"`,
		`_smtp._tls.example.test. 60 IN TXT "v=TLSRPTv1;rua=https://reports.example.net/tls, mailto:tls@example.test"`,
		`_smtp._tls.esp.test. 60 IN TXT "v=TLSRPTv1; rua=mailto:tls@esp.test"`,
		`_smtp._tls.esp.test. 60 IN TXT "v=TLSRPTv1; foo"`,
	); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ domain, want string }{
		{"example.test", `publish the one record "v=TLSRPTv1; rua=mailto:tls@example.test,https://reports.example.net/tls"`},
		{"esp.test", ""},
	} {
		rep := CheckTLSRPT(context.Background(), r, discard(), tt.domain)
		var msg string
		for _, f := range rep.Findings {
			if f.Code == "tls-rpt.multiple" {
				msg = f.Message
			}
		}
		switch {
		case msg == "":
			t.Errorf("%s: no tls-rpt.multiple in %+v", tt.domain, rep.Findings)
		case tt.want != "" && !strings.Contains(msg, tt.want):
			t.Errorf("%s: %q lacks %q", tt.domain, msg, tt.want)
		case tt.want == "" && strings.Contains(msg, "publish the one record"):
			t.Errorf("%s: %q offers a merge of a record that does not parse", tt.domain, msg)
		}
	}
}
