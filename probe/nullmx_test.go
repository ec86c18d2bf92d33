package probe

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestNullMXOnSendingDomain: a domain that publishes a null MX but
// authorises senders in SPF (or publishes DKIM keys) risks its mail being
// refused with 550 5.7.27 (RFC 7505 4.2); one that sends nothing
// ("v=spf1 -all") is fine.
func TestNullMXOnSendingDomain(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	if err := srv.AddString("nullmx.test. 60 IN SOA ns.nullmx.test. h.nullmx.test. 1 60 60 60 60",
		"sends.nullmx.test. 60 IN MX 0 .",
		`sends.nullmx.test. 60 IN TXT "v=spf1 ip4:127.0.0.10 -all"`,
		"quiet.nullmx.test. 60 IN MX 0 .",
		`quiet.nullmx.test. 60 IN TXT "v=spf1 -all"`,
		"signs.nullmx.test. 60 IN MX 0 .",
		`signs.nullmx.test. 60 IN TXT "v=spf1 -all"`,
		`s1._domainkey.signs.nullmx.test. 60 IN TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="`,
	); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		domain string
		want   string // a part of the mx.null-sender message; "" for none
	}{
		{"sends.nullmx.test", "5.7.27"},
		{"signs.nullmx.test", "DKIM key"},
		{"quiet.nullmx.test", ""},
	} {
		rep := Run(context.Background(), Deps{Resolver: r, Logger: discard(), HTTPClient: &http.Client{}},
			Request{Domain: tt.domain, Selectors: []string{"s1"}, NoBlocklists: true})
		var got []string
		for _, f := range rep.MX.Findings {
			if f.Code == "mx.null-sender" {
				got = append(got, f.Message)
			}
		}
		switch {
		case tt.want == "" && len(got) > 0:
			t.Errorf("%s: mx.null-sender %q, want none", tt.domain, got)
		case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
			t.Errorf("%s: mx.null-sender %q, want one saying %q", tt.domain, got, tt.want)
		case tt.want != "" && rep.MX.Status != StatusWarning:
			t.Errorf("%s: mx status %s, want warning", tt.domain, rep.MX.Status)
		}
		var checked bool
		for _, c := range rep.Checks {
			if c.Check == "mx" {
				checked = true
				if c.Status != rep.MX.Status {
					t.Errorf("%s: summary says mx %s, the check %s", tt.domain, c.Status, rep.MX.Status)
				}
			}
		}
		if !checked {
			t.Errorf("%s: no mx in the summary", tt.domain)
		}
	}
}
