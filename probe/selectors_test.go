package probe

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
)

// dkimFindings runs the monitor once on the watchlist of yml and returns,
// by domain, the DKIM findings stored, each as "severity: message".
func dkimFindings(t *testing.T, yml string) map[string][]string {
	t.Helper()
	r, _ := testResolver(t, "../testdata/dns/auth.zone")
	vc := clock.NewVirtual(epoch)
	st := openStore(t, vc)
	cfg := DefaultConfig()
	if err := config.Decode("probe.yaml", []byte(yml), &cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Zones = []Zone{{Zone: "good.bl.test", Kind: ZoneIP}}
	cfg.BIMILogo = false // a logo's host would be looked up by http.Client's own resolver
	m, err := NewMonitor(cfg, Options{Store: st, Clock: vc, Logger: discard(), Resolver: r, HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := LatestResults(context.Background(), st.DB())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range res {
		var rep Report
		if err := json.Unmarshal(r.Report, &rep); err != nil {
			t.Fatal(err)
		}
		for _, c := range rep.Checks {
			if c.Check != "dkim" {
				continue
			}
			for _, f := range c.Findings {
				if f.Code != "dkim.key" {
					out[r.Target] = append(out[r.Target], string(f.Severity)+": "+f.Message)
				}
			}
		}
	}
	return out
}

// A selector listed for every domain is not an error at a domain that
// lacks it when another watched domain has it; a selector tied to a
// domain, or listed for a watchlist of one domain, is.
func TestSelectorsOfEachDomain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml string
		want       map[string][]string // domain -> substrings of its findings, in order
	}{
		{"shared, another domain has it",
			"domains: [keys.auth.test, clean.auth.test]\nselectors: [sel1024]\n",
			map[string][]string{
				"keys.auth.test":  {`warning: selector "sel1024": the RSA key is 1024 bits`},
				"clean.auth.test": {`info: selector "sel1024" has no key at sel1024._domainkey.clean.auth.test but has one at keys.auth.test: fine if only keys.auth.test signs with it`},
			}},
		{"tied to its domain",
			"domains: [{name: keys.auth.test, selectors: [sel1024]}, clean.auth.test]\n",
			map[string][]string{
				"keys.auth.test": {`warning: selector "sel1024": the RSA key is 1024 bits`},
			}},
		{"tied, and missing",
			"domains: [keys.auth.test, {name: clean.auth.test, selectors: [sel1024]}]\n",
			map[string][]string{
				"clean.auth.test": {`error: selector "sel1024" has no key at sel1024._domainkey.clean.auth.test: mail signed with it fails DKIM`},
			}},
		{"shared, nowhere",
			"domains: [keys.auth.test, clean.auth.test]\nselectors: [nosuch]\n",
			map[string][]string{
				"keys.auth.test":  {`error: selector "nosuch", listed for every watched domain, has a key at none of them (keys.auth.test, clean.auth.test)`},
				"clean.auth.test": {`error: selector "nosuch", listed for every watched domain, has a key at none of them`},
			}},
		{"one domain: every selector is its own",
			"domains: [clean.auth.test]\nselectors: [sel1024]\n",
			map[string][]string{
				"clean.auth.test": {`error: selector "sel1024" has no key at sel1024._domainkey.clean.auth.test: mail signed with it fails DKIM`},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := dkimFindings(t, tt.yaml)
			for _, d := range []string{"keys.auth.test", "clean.auth.test"} {
				var rel []string // findings about sel1024 or nosuch, or the 1024-bit key
				for _, f := range got[d] {
					if strings.Contains(f, "sel1024") || strings.Contains(f, "nosuch") || strings.Contains(f, "1024 bits") {
						rel = append(rel, f)
					}
				}
				want := tt.want[d]
				if len(rel) != len(want) {
					t.Errorf("%s: findings %q, want %d like %q", d, rel, len(want), want)
					continue
				}
				for i := range want {
					if !strings.Contains(rel[i], want[i]) {
						t.Errorf("%s: finding %q, want %q", d, rel[i], want[i])
					}
				}
			}
		})
	}
}

// The domains list takes names and mappings; its errors name file, line
// and key; the effective configuration writes a domain without selectors
// of its own as its name.
func TestDomainListConfig(t *testing.T) {
	t.Parallel()
	good := "domains:\n  - walk.test\n  - {name: Good.Test., selectors: [S1024, s512]}\nselectors: [s2026]\n"
	cfg := DefaultConfig()
	if err := config.Decode("probe.yaml", []byte(good), &cfg); err != nil {
		t.Fatal(err)
	}
	want := DomainList{{Name: "walk.test"}, {Name: "good.test", Selectors: []string{"s1024", "s512"}}}
	if len(cfg.Domains) != 2 || cfg.Domains[0].Name != want[0].Name || cfg.Domains[1].Name != want[1].Name ||
		strings.Join(cfg.Domains[1].Selectors, ",") != "s1024,s512" {
		t.Errorf("domains = %+v, want %+v", cfg.Domains, want)
	}
	tied, shared := cfg.selectorsOf(cfg.Domains[1])
	if strings.Join(tied, ",") != "s1024,s512" || strings.Join(shared, ",") != "s2026" {
		t.Errorf("good.test: tied %v, shared %v", tied, shared)
	}

	bad := []struct{ yaml, want string }{
		{"domains:\n  - walk.test\n  - {name: good.test, selectors: [s1, 'bad sel']}\n", "probe.yaml:3:"},
		{"domains:\n  - walk.test\n  - {name: good.test, selectors: [s1, 'bad sel']}\n", "domains[1].selectors[1]: \"bad sel\" is not a DKIM selector"},
		{"domains:\n  - walk.test\n  - {selectors: [s1]}\n", "domains[1].name: a domain needs a name"},
		{"domains:\n  - walk.test\n  - {name: 'not a domain', selectors: [s1]}\n", "domains[1].name: \"not a domain\" is not a domain name"},
		{"domains:\n  - walk.test\n  - {name: good.test, selector: [s1]}\n", "probe.yaml:3:"},
		{"domains: [walk.test, {name: Walk.Test, selectors: [s1]}]\n", "domains[1]: walk.test is listed twice (domains[0] and domains[1])"},
	}
	for _, tt := range bad {
		cfg := DefaultConfig()
		err := config.Decode("probe.yaml", []byte(tt.yaml), &cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want one with %q", tt.yaml, err, tt.want)
		}
	}
}
