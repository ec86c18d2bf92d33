package probe

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestFP24HeloAdviceOnce: IPs that say one HELO name without an SPF
// record share one piece of advice: the first IP's finding says it
// whole, the others name the same record without repeating the rest.
// Before, each IP's finding repeated it word for word.
func TestFP24HeloAdviceOnce(t *testing.T) {
	t.Parallel()
	fs := heloFindings(t, nil, []string{"192.0.2.10", "192.0.2.11", "192.0.2.12"}, "out1.example.test", nil)
	if len(fs) != 3 {
		t.Fatalf("findings %q: want three", fs)
	}
	const risk = "some receivers check the HELO identity too"
	for i, f := range fs {
		if strings.Contains(f, risk) != (i == 0) {
			t.Errorf("finding %d %q: the whole advice should be said by the first IP's finding only", i, f)
		}
		if !strings.Contains(f, `"v=spf1 ip4:192.0.2.10 ip4:192.0.2.11 ip4:192.0.2.12 -all"`) {
			t.Errorf("finding %d %q lacks the one record of the three IPs", i, f)
		}
	}
}

// TestFP24DKIMFindingsNameSelector: a short key and a key record that
// does not parse name their selector; the short key says why (RFC 8301
// 3.2) and how to make a new one.
func TestFP24DKIMFindingsNameSelector(t *testing.T) {
	t.Parallel()
	r, _ := servedWorld(t, []string{fp24SOA,
		`s1k._domainkey.b.test. 60 IN TXT "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDR0u7XUy2a4nylJ5S50XVW8XZXvl+DI1h2T0f6gm23CJj0yYjdT+8nmIWt5hnrlhaGG9eJBMCvxB6IijV8KEpN2Yn5dLPC41heEdHC+6mpDYKgNcNJLwPoxXii1tPVzn4CbIj6Qc7FcoxpEk8khtt5KgVSQ3ZUs20KdkG1Ub3yOQIDAQAB"`,
		`bad._domainkey.b.test. 60 IN TXT "v=DKIM1; k=rsa; p=not*base64"`,
	})
	rep := CheckDKIM(context.Background(), r, discard(), "b.test", []string{"s1k", "bad"})
	for code, wants := range map[string][]string{
		"dkim.short-key": {`selector "s1k": the RSA key is 1024 bits, under the 2048 bits that RFC 8301 3.2 says signers should use`,
			"relaylab dkim keygen --domain b.test --selector NEW --bits 2048 --out FILE", "revoke the key at s1k._domainkey.b.test"},
		"dkim.syntax": {`selector "bad": DKIM key record error: p= is not base64`},
	} {
		f := fp24Finding(rep.Findings, code)
		if f == nil {
			t.Errorf("findings %+v: want %s", rep.Findings, code)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(f.Message, w) {
				t.Errorf("%s %q lacks %q", code, f.Message, w)
			}
		}
	}
}

// TestFP24NoMailDomain: a domain with a null MX and "v=spf1 -all" sends
// and receives no mail, so the advice to publish DKIM keys, an MTA-STS
// policy and a TLS-RPT record does not apply: each says so, as a fact.
func TestFP24NoMailDomain(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		spf   string
		apply bool // the advice still applies
	}{
		{"v=spf1 -all", false},
		{"v=spf1 ip4:192.0.2.1 -all", true},
	} {
		r, _ := servedWorld(t, []string{fp24SOA, `quiet.b.test. 60 IN MX 0 .`, `quiet.b.test. 60 IN TXT "` + tt.spf + `"`})
		req := Request{Domain: "quiet.b.test", NoBlocklists: true}
		rep := Run(context.Background(), Deps{Resolver: r}, req)
		rep.review(req)
		for _, code := range []string{"dkim.none-found", "mta-sts.none", "tls-rpt.none"} {
			var f *Finding
			for _, c := range rep.Checks {
				if g := fp24Finding(c.Findings, code); g != nil {
					f = g
				}
			}
			if f == nil {
				t.Fatalf("%s: no %s", tt.spf, code)
			}
			said := strings.Contains(f.Message, "none is needed: quiet.b.test neither receives mail (it publishes a null MX, RFC 7505) nor sends any")
			if said == tt.apply || !tt.apply && (f.Severity != SevInfo || f.Publish != nil) {
				t.Errorf("%s: %s %+v: want the advice to apply: %v", tt.spf, code, f, tt.apply)
			}
		}
		for _, c := range rep.Checks {
			if c.Check == "dkim" && (c.Status == StatusOK) == tt.apply {
				t.Errorf("%s: dkim %s, want ok only where no mail is sent", tt.spf, c.Status)
			}
		}
	}
}

// TestFP24RefusedBlocklistsFolded: blocklists that a server of zone
// files refused are one finding that says what to do, not one per list.
func TestFP24RefusedBlocklistsFolded(t *testing.T) {
	t.Parallel()
	var ls []Listing
	for _, z := range []string{"zen.example", "bl.example", "dnsbl.example"} {
		ls = append(ls, Listing{Zone: z, Subject: "192.0.2.10", Status: Unknown,
			Error: "the zone failed its RFC 5782 health check: test point 2.0.0.127." + z + ". should be listed but could not be checked: refused: 2.0.0.127." + z + " " + notServedPhrase + " (auth.test, b.test)"})
	}
	ls = append(ls, Listing{Zone: "slow.example", Subject: "192.0.2.10", Status: Unknown, Error: "timed out"})
	fs, st := ListingFindings(ls)
	if st != StatusUnknown || len(fs) != 2 {
		t.Fatalf("findings %+v (%s): want two, unknown", fs, st)
	}
	f := fs[1]
	for _, w := range []string{"could not tell whether 192.0.2.10 is listed on 3 blocklists (zen.example, bl.example, dnsbl.example)",
		"in none of the zone files served (auth.test, b.test)", "--zones", "--no-blocklists"} {
		if !strings.Contains(f.Message, w) {
			t.Errorf("%q lacks %q", f.Message, w)
		}
	}
}

// TestFP24IPv6NotChecked: an IPv6 address that no blocklist takes is
// said not checked, a warning, where the check read ok before.
func TestFP24IPv6NotChecked(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/blocklists.zone")
	req := Request{IPs: []netip.Addr{netip.MustParseAddr("2001:db8::25"), netip.MustParseAddr("192.0.2.99")}, Zones: []Zone{{Zone: "good.bl.test", Kind: ZoneIP}}}
	rep := Run(context.Background(), Deps{Resolver: r}, req)
	rep.review(req)
	rep.review(req)
	var bl CheckSummary
	for _, c := range rep.Checks {
		if c.Check == "blocklist" {
			bl = c
		}
	}
	n := 0
	for _, f := range bl.Findings {
		if f.Code == "blocklist.not-checked" {
			n++
			if f.Name != "2001:db8::25" || !strings.Contains(f.Message, "2001:db8::25 is not checked (no IPv6 blocklist configured)") {
				t.Errorf("not-checked %+v: want it about 2001:db8::25", f)
			}
		}
	}
	if n != 1 || bl.Status != StatusWarning {
		t.Errorf("blocklist %s %+v: want one not-checked warning", bl.Status, bl.Findings)
	}
}

// TestFP24NotesSayTheRecord: a note that says to undo a change quotes
// the record to publish again, not the JSON field that holds it.
func TestFP24NotesSayTheRecord(t *testing.T) {
	t.Parallel()
	for _, n := range []string{
		dmarcChangeNote("v=DMARC1; p=reject", "v=DMARC1; p=none"),
		dmarcChangeNote("v=DMARC1; p=reject", ""),
		spfRecordNote("pass (1 lookup)", "permerror: spf.syntax", "v=spf1 ip4:192.0.2.1 -all", []Finding{{Code: "spf.syntax", Severity: SevError, Message: "bad"}}),
	} {
		if strings.Contains(n, "in old") || !strings.Contains(n, "publish the previous record again: \"v=") {
			t.Errorf("note %q: want the previous record quoted", n)
		}
	}
}

// TestFP24DNSFailingSubdomain: the dns-failing note of a subdomain points
// at its parent zone's NS records, not at a registrar.
func TestFP24DNSFailingSubdomain(t *testing.T) {
	t.Parallel()
	sub := dnsHealthNote("mail.example.org", dnsAnswers, dnsFailingPfx+"REFUSED")
	if strings.Contains(sub, "registrar") || !strings.Contains(sub, "check the NS records for mail.example.org in the zone of example.org") {
		t.Errorf("subdomain note %q: want the parent zone's NS records", sub)
	}
	if org := dnsHealthNote("example.org", dnsAnswers, dnsFailingPfx+"SERVFAIL"); !strings.Contains(org, "at the registrar") {
		t.Errorf("domain note %q: want the registrar", org)
	}
}

// TestFP24ConfigSaysWhatToGive: probe.keep shorter than an interval says
// what to give; probe.resolvers refuses a host name (it would need DNS),
// naming the key and what to write.
func TestFP24ConfigSaysWhatToGive(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		yml  string
		want []string
	}{
		{"keep: 10s\n", []string{"keep", "give at least 30m0s", "such as 30d"}},
		{"resolvers: [\"localhost:53\"]\n", []string{"resolvers[0]", `names the DNS server by its host name "localhost"`, "such as 127.0.0.1:53"}},
		{"resolvers: [dns.example.net]\n", []string{"resolvers[0]", "IP:PORT"}},
	} {
		cfg := DefaultConfig()
		cfg.Interval = config.Duration(30 * 60 * 1e9)
		err := config.Decode("probe.yaml", []byte(tt.yml), &cfg) // validates too
		if err == nil {
			err = cfg.Validate("probe")
		}
		if err == nil {
			t.Errorf("%q: accepted", tt.yml)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: %v, lacks %q", tt.yml, err, w)
			}
		}
	}
	cfg := DefaultConfig()
	cfg.Resolvers = []string{"127.0.0.1", "[::1]:5353"}
	if err := cfg.Validate("probe"); err != nil || cfg.Resolvers[0] != "127.0.0.1:53" {
		t.Errorf("IP resolvers: %v %v", cfg.Resolvers, err)
	}
}
