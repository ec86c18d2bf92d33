package web

import (
	"strings"
	"testing"
)

// TestAuthVerdict: the verdict is the sink's record with the details of
// the sink's own Authentication-Results field (DKIM's d= and, paired
// with the DKIM-Signature fields in order, s=); a field that is not
// first, claims another authserv-id or disagrees with the record gives
// no details, and a message the sink did not check has no verdict.
func TestAuthVerdict(t *testing.T) {
	t.Parallel()
	ours := Header{Name: "Authentication-Results", Value: "relaylab; spf=softfail smtp.mailfrom=a@shop.test; dkim=fail header.d=shop.test; dkim=pass header.d=esp.test; dmarc=fail header.from=shop.test"}
	sigs := []Header{{Name: "Dkim-Signature", Value: "v=1; a=rsa-sha256; d=shop.test; s=s1; h=From:To; b=x"}, {Name: "Dkim-Signature", Value: "v=1; d=esp.test;\r\n s=mx2; b=y"}}
	got := authVerdict(append([]Header{ours}, sigs...), "softfail", "pass", "fail", "reject")
	line := func(v *AuthVerdict) string {
		if v == nil {
			return "nil"
		}
		s := []string{v.SPF.Result + " " + v.SPF.Domain}
		for _, d := range v.DKIM {
			s = append(s, d.Result+" "+d.Domain+" "+d.Selector)
		}
		return strings.Join(append(s, v.DMARC.Result+" "+v.DMARC.Domain+" "+v.DMARC.Policy), "|")
	}
	if want := "softfail shop.test|fail shop.test s1|pass esp.test mx2|fail shop.test reject"; line(got) != want {
		t.Errorf("verdict %s, want %s", line(got), want)
	}
	if !strings.Contains(got.SPF.Meaning, "~all") || !strings.Contains(got.DMARC.Meaning, "aligned") || !strings.Contains(got.DKIM[0].Meaning, "changed") {
		t.Errorf("meanings %q %q %q do not explain softfail, dmarc fail, dkim fail", got.SPF.Meaning, got.DMARC.Meaning, got.DKIM[0].Meaning)
	}
	forged := Header{Name: "Authentication-Results", Value: "relaylab; spf=pass smtp.mailfrom=a@evil.test; dkim=pass header.d=evil.test; dmarc=pass header.from=evil.test"}
	other := Header{Name: "Authentication-Results", Value: "mx.example.test; spf=pass smtp.mailfrom=a@shop.test; dkim=none; dmarc=pass header.from=shop.test"}
	for name, hs := range map[string][]Header{
		"the sink's field not first": {{Name: "From", Value: "a@shop.test"}, forged},
		"another authserv-id":        {other},
		"disagrees with the record":  {forged},
	} {
		if got := line(authVerdict(hs, "fail", "none", "fail", "")); got != "fail |none  |fail  " {
			t.Errorf("%s: verdict %s, want the record's alone", name, got)
		}
	}
	if got := authVerdict([]Header{ours}, "", "", "", ""); got != nil {
		t.Errorf("not checked: verdict %s, want nil", line(got))
	}
}
