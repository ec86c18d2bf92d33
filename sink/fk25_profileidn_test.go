package sink

import (
	"testing"
)

// A provider profile is chosen by the recipient's domain, and an
// internationalised domain is one domain in UTF-8 (U-labels, under
// SMTPUTF8) and as A-labels (xn--), in any case: whichever spelling the
// configuration or a profile file lists, every spelling of the
// recipient's domain gets the same profile, as the attempt counters and
// the greylist count it as one (mailaddr.Key).
func TestFK25ProfileIDNSpellings(t *testing.T) {
	t.Parallel()
	file := writeProfiles(t, "profiles:\n"+
		"  - name: acme\n    domains: [xn--mnchen-3ya.test, '*.straße.test']\n    rules: [{stage: rcpt, reply: \"550 5.1.1 not here\"}]\n"+
		"  - name: zed\n    domains: ['/^mail\\.zürich\\.test$/']\n    rules: [{stage: rcpt, reply: \"550 5.1.1 not here\"}]\n")
	cfg, err := decodeSink(t, "sink:\n  listeners:\n    - {name: mx, listen: \"127.0.0.1:0\"}\n"+
		"  profiles: {'bücher.test': gmail, 'xn--caf-dma.test': yahoo, '*.xn--ol-cja.test': microsoft}\n")
	if err != nil {
		t.Fatal(err)
	}
	cfg.ProfileFiles = []string{file}
	ps, err := profilesOf("sink", cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		want  string
		doms  []string // every spelling of one domain, as domainOf gives it
		where string
	}{
		{"gmail", []string{"bücher.test", "xn--bcher-kva.test", domainOf("r@BÜCHER.TEST"), domainOf("r@XN--BCHER-KVA.test")}, "sink.profiles, exact, in UTF-8"},
		{"yahoo", []string{"café.test", "xn--caf-dma.test", domainOf("r@CAFÉ.test")}, "sink.profiles, exact, as A-labels"},
		{"microsoft", []string{"mx.olé.test", "mx.xn--ol-cja.test", domainOf("r@MX.OLÉ.TEST")}, "sink.profiles, a glob as A-labels"},
		{"acme", []string{"münchen.test", "xn--mnchen-3ya.test", domainOf("r@MÜNCHEN.test")}, "a profile file, exact, as A-labels"},
		{"acme", []string{"mx.straße.test", "mx.xn--strae-oqa.test"}, "a profile file, a glob in UTF-8"},
		{"zed", []string{"mail.zürich.test", "mail.xn--zrich-kva.test"}, "a profile file, a regexp in UTF-8"},
	}
	for _, tt := range tests {
		for _, dom := range tt.doms {
			got := ""
			if p := ps.forDomain(dom); p != nil {
				got = p.name
			}
			if got != tt.want {
				t.Errorf("%s: domain %q gets profile %q, want %q, as its other spellings %q", tt.where, dom, got, tt.want, tt.doms)
			}
		}
	}
}

// Two keys of sink.profiles that are one domain in two spellings, mapped
// to two profiles, are refused, as two that differ only in case are: one
// of them would be ignored.
func TestFK25ProfileIDNSpellingsClash(t *testing.T) {
	t.Parallel()
	_, err := decodeSink(t, "sink:\n  listeners:\n    - {name: mx, listen: \"127.0.0.1:0\"}\n"+
		"  profiles: {'bücher.test': gmail, 'xn--bcher-kva.test': yahoo}\n")
	wantInOrder(t, "two spellings", err, "sink.profiles.", "another profile", "A-label")
}
