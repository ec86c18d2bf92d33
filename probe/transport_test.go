package probe

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCheckMX(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/auth.zone")
	tests := []struct {
		domain, code string
		status       Status
		hosts        int
	}{
		{"good.auth.test", "", StatusOK, 2},
		{"nullmx.auth.test", "mx.null", StatusOK, 0},
		{"nullpref.auth.test", "mx.null-preference", StatusError, 0},
		{"nullmixed.auth.test", "mx.null-mixed", StatusError, 1},
		{"mxcname.auth.test", "mx.cname", StatusWarning, 1},
		{"mxip.auth.test", "mx.ip-literal", StatusError, 1},
		{"mxnoaddr.auth.test", "mx.no-address", StatusError, 1},
		{"nomx.auth.test", "mx.implicit", StatusWarning, 0},
		{"ghost.auth.test", "mx.none", StatusError, 0},
		{"missing.auth.test", "mx.nxdomain", StatusError, 0},
		{"mxfail.auth.test", "mx.dns-error", StatusUnknown, 0},
	}
	for _, tt := range tests {
		rep := CheckMX(context.Background(), r, discard(), tt.domain)
		if _, ok := codes(rep.Findings)[tt.code]; tt.code != "" && !ok {
			t.Errorf("%s: findings %+v lack %s", tt.domain, rep.Findings, tt.code)
		}
		if rep.Status != tt.status || len(rep.Hosts) != tt.hosts {
			t.Errorf("%s: status %s with %d hosts, want %s with %d (%+v)", tt.domain, rep.Status, len(rep.Hosts), tt.status, tt.hosts, rep.Findings)
		}
	}
	// Every host is listed, in the order senders try them, with its
	// addresses or the lack of them, even when nothing is wrong.
	rep := CheckMX(context.Background(), r, discard(), "order.auth.test")
	want := "mail for order.auth.test goes to, in order of preference: 5 mxnoaddr-host.auth.test (no address), 10 mx1.auth.test (192.0.2.31), 30 mx2.auth.test (2001:db8::32)"
	found := false
	for _, f := range rep.Findings {
		if f.Code == "mx.hosts" {
			found = f.Message == want && f.Severity == SevInfo
		}
	}
	if !found {
		t.Errorf("order.auth.test: findings %+v lack the info %q", rep.Findings, want)
	}
}

func TestCheckPTR(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/auth.zone")
	tests := []struct {
		ip, helo, code string
		status         Status
	}{
		{"192.0.2.50", "sender.auth.test", "", StatusOK},
		{"192.0.2.50", "", "", StatusOK},
		{"192.0.2.50", "mx1.auth.test", "ptr.helo-mismatch", StatusWarning},
		{"192.0.2.51", "", "ptr.not-confirmed", StatusError},
		{"192.0.2.52", "", "ptr.none", StatusError},
		{"::ffff:192.0.2.31", "mx1.auth.test", "", StatusOK},
	}
	for _, tt := range tests {
		rep := CheckPTR(context.Background(), r, discard(), netip.MustParseAddr(tt.ip), tt.helo)
		if _, ok := codes(rep.Findings)[tt.code]; tt.code != "" && !ok {
			t.Errorf("%s: findings %+v lack %s", tt.ip, rep.Findings, tt.code)
		}
		if rep.Status != tt.status {
			t.Errorf("%s %s: status %s, want %s (%+v)", tt.ip, tt.helo, rep.Status, tt.status, rep.Findings)
		}
	}
}

func TestParseMTASTSPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		ok   bool
	}{
		{"version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n", true},
		{"version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400\n", true},
		{"version: STSv1\nmode: none\nmax_age: 0\n", true},
		{"version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", false},
		{"version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n", false},
		{"version: STSv1\nmode: enforce\nmax_age: 1\n", false},
		{"version: STSv1\nmode: enforce\nmx: a.example\n", false},
		{"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n", false},
		{"version: STSv1\nmode: enforce\nmx: a.*.example\nmax_age: 1\n", false},
		{"version: STSv1\nmode: enforce\nmode: none\nmx: a.example\nmax_age: 1\n", false},
		{"garbage", false},
	}
	for _, tt := range tests {
		if _, err := ParseMTASTSPolicy(tt.body); (err == nil) != tt.ok {
			t.Errorf("ParseMTASTSPolicy(%q) = %v, want ok=%v", tt.body, err, tt.ok)
		}
	}
	for _, m := range []struct {
		pat, host string
		want      bool
	}{
		{"*.example.net", "mx.example.net", true},
		{"*.example.net", "a.b.example.net", false},
		{"*.example.net", "example.net", false},
		{"mx.example.com", "MX.example.com.", true},
	} {
		if MatchMX(m.pat, m.host) != m.want {
			t.Errorf("MatchMX(%q, %q) != %v", m.pat, m.host, m.want)
		}
	}
}

// policyServer serves MTA-STS policies by host name over TLS on loopback;
// client() dials it whatever the name.
type policyServer struct {
	*httptest.Server
	mu       sync.Mutex
	policies map[string]string // host -> body ("" 404; "redirect" 301; "big" > 64 KiB)
}

func newPolicyServer(t *testing.T) *policyServer {
	ps := &policyServer{policies: map[string]string{}}
	ps.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ps.mu.Lock()
		body := ps.policies[r.Host]
		ps.mu.Unlock()
		switch {
		case r.URL.Path != "/.well-known/mta-sts.txt" || body == "":
			http.NotFound(w, r)
		case body == "redirect":
			http.Redirect(w, r, "https://elsewhere.example/", http.StatusMovedPermanently)
		case body == "big":
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte(strings.Repeat("mx: a.example\n", 6000))) //nolint:errcheck
		default:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte(body)) //nolint:errcheck
		}
	}))
	t.Cleanup(ps.Close)
	return ps
}

func (ps *policyServer) set(host, body string) {
	ps.mu.Lock()
	ps.policies[host] = body
	ps.mu.Unlock()
}

func (ps *policyServer) client() *http.Client {
	tr := ps.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, ps.Listener.Addr().String())
	}
	tr.TLSClientConfig = &tls.Config{RootCAs: tr.TLSClientConfig.RootCAs, ServerName: "example.com"}
	return &http.Client{Transport: tr}
}

// goodPolicy is the MTA-STS policy of good.auth.test (testdata/dns/auth.zone).
const goodPolicy = "version: STSv1\nmode: enforce\nmx: mx1.auth.test\nmx: *.auth.test\nmax_age: 604800\n"

func TestCheckMTASTS(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t, "../testdata/dns/auth.zone")
	ps := newPolicyServer(t)
	good := goodPolicy
	ps.set("mta-sts.good.auth.test", good)
	for _, d := range []string{"redir", "big", "short", "nomatch", "missing", "stale", "staletest"} {
		if err := srv.AddString(`_mta-sts.` + d + `.auth.test. 60 IN TXT "v=STSv1; id=1"`); err != nil {
			t.Fatal(err)
		}
	}
	ps.set("mta-sts.redir.auth.test", "redirect")
	ps.set("mta-sts.big.auth.test", "big")
	ps.set("mta-sts.short.auth.test", "version: STSv1\nmode: testing\nmx: mx1.auth.test\nmax_age: 600\n")
	ps.set("mta-sts.nomatch.auth.test", "version: STSv1\nmode: enforce\nmx: other.example\nmax_age: 604800\n")
	// mx2.auth.test matches no pattern; old.provider.example matches no MX.
	ps.set("mta-sts.stale.auth.test", "version: STSv1\nmode: enforce\nmx: mx1.auth.test\nmx: old.provider.example\nmax_age: 604800\n")
	ps.set("mta-sts.staletest.auth.test", "version: STSv1\nmode: testing\nmx: mx1.auth.test\nmx: old.provider.example\nmax_age: 604800\n")
	ctx := context.Background()
	mx := []string{"mx1.auth.test", "mx2.auth.test"}
	tests := []struct {
		domain, code string
		status       Status
	}{
		{"good.auth.test", "", StatusOK},
		{"badsts.auth.test", "mta-sts.record-syntax", StatusError},
		{"twosts.auth.test", "mta-sts.multiple", StatusError},
		{"nomx.auth.test", "mta-sts.none", StatusOK},
		{"redir.auth.test", "mta-sts.fetch", StatusError},
		{"big.auth.test", "mta-sts.fetch", StatusError},
		{"missing.auth.test", "mta-sts.fetch", StatusError},
		{"short.auth.test", "mta-sts.max-age", StatusWarning},
		{"nomatch.auth.test", "mta-sts.mx-mismatch", StatusError},
	}
	// What the policy says is shown too.
	var policy []string
	for _, f := range CheckMTASTS(ctx, r, discard(), ps.client(), "good.auth.test", mx, nil).Findings {
		if f.Code == "mta-sts.policy" {
			policy = append(policy, f.Message)
		}
	}
	if want := "policy id 20260101T000000: mode enforce, mx mx1.auth.test, *.auth.test, max_age 604800 (7 days)"; len(policy) != 1 || policy[0] != want {
		t.Errorf("mta-sts.policy %q, want %q", policy, want)
	}
	for _, tt := range tests {
		rep := CheckMTASTS(ctx, r, discard(), ps.client(), tt.domain, mx, nil)
		if _, ok := codes(rep.Findings)[tt.code]; tt.code != "" && !ok {
			t.Errorf("%s: findings %+v lack %s", tt.domain, rep.Findings, tt.code)
		}
		if rep.Status != tt.status {
			t.Errorf("%s: status %s, want %s (%+v)", tt.domain, rep.Status, tt.status, rep.Findings)
		}
	}
	// Patterns and MX hosts are compared both ways, and each mismatch says
	// what to change; a policy whose every pattern is used says nothing.
	for _, tt := range []struct {
		domain string
		mx     []string
		want   map[string]string // code -> part of its message ("" absent)
		status Status
	}{
		{"stale.auth.test", mx, map[string]string{
			"mta-sts.mx-mismatch": `MX mx2.auth.test matches none of the policy's mx patterns (mx1.auth.test, old.provider.example): senders that enforce the policy refuse to deliver to it, so mail that goes to this MX fails (RFC 8461 5); add the line "mx: mx2.auth.test"`,
			"mta-sts.mx-unused":   `the policy's mx pattern old.provider.example matches none of the domain's MX hosts (mx1.auth.test, mx2.auth.test)`,
		}, StatusError},
		{"staletest.auth.test", mx, map[string]string{
			"mta-sts.mx-mismatch": "in testing mode senders still deliver but report each delivery to it as a failure",
			"mta-sts.mx-unused":   `remove the line "mx: old.provider.example" from the policy and change the id in _mta-sts.staletest.auth.test`,
		}, StatusWarning},
		{"stale.auth.test", []string{"mx1.auth.test"}, map[string]string{"mta-sts.mx-mismatch": "", "mta-sts.mx-unused": "old.provider.example"}, StatusWarning},
		{"stale.auth.test", nil, map[string]string{"mta-sts.mx-mismatch": "", "mta-sts.mx-unused": ""}, StatusOK}, // no MX hosts known
		{"good.auth.test", mx, map[string]string{"mta-sts.mx-mismatch": "", "mta-sts.mx-unused": ""}, StatusOK},
	} {
		rep := CheckMTASTS(ctx, r, discard(), ps.client(), tt.domain, tt.mx, nil)
		for code, want := range tt.want {
			var msgs []string
			for _, f := range rep.Findings {
				if f.Code == code {
					msgs = append(msgs, f.Message)
				}
			}
			if (want == "") != (len(msgs) == 0) || want != "" && !strings.Contains(strings.Join(msgs, "\n"), want) {
				t.Errorf("%s with MX %v: %s messages %q, want one containing %q (none if empty)", tt.domain, tt.mx, code, msgs, want)
			}
		}
		if rep.Status != tt.status {
			t.Errorf("%s with MX %v: status %s, want %s (%+v)", tt.domain, tt.mx, rep.Status, tt.status, rep.Findings)
		}
	}
	// A policy that changes while the id stays is an error.
	first := CheckMTASTS(ctx, r, discard(), ps.client(), "good.auth.test", mx, nil)
	ps.set("mta-sts.good.auth.test", strings.Replace(good, "604800", "1209600", 1))
	second := CheckMTASTS(ctx, r, discard(), ps.client(), "good.auth.test", mx, first.Seen)
	if _, ok := codes(second.Findings)["mta-sts.id-unchanged"]; !ok || second.Status != StatusError {
		t.Errorf("changed policy with the same id: %+v", second.Findings)
	}
	if third := CheckMTASTS(ctx, r, discard(), ps.client(), "good.auth.test", mx, second.Seen); third.Status != StatusOK {
		t.Errorf("unchanged since last run: %+v", third.Findings)
	}
}

// Failing checks say what to publish instead, not only what is wrong.
func TestFindingsSayWhatToPublish(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/auth.zone")
	ctx := context.Background()
	reject := &DMARCReport{Domain: "none.auth.test", PolicyDomain: "none.auth.test", Parsed: &DMARCRecord{Policy: "reject", Pct: 100}}
	for _, tt := range []struct {
		name     string
		findings []Finding
		code     string
		want     string
	}{
		{"mx no address", CheckMX(ctx, r, discard(), "mxnoaddr.auth.test").Findings, "mx.no-address", "publish an address for ghost.auth.test"},
		{"mx alias", CheckMX(ctx, r, discard(), "mxcname.auth.test").Findings, "mx.cname", "point the MX at mx1.auth.test directly"},
		{"mx implicit", CheckMX(ctx, r, discard(), "nomx.auth.test").Findings, "mx.implicit", `a null MX ("0 .", RFC 7505`},
		{"null mx preference", CheckMX(ctx, r, discard(), "nullpref.auth.test").Findings, "mx.null-preference", `publishes "10 .", but a null MX has preference 0`},
		{"null mx preference", CheckMX(ctx, r, discard(), "nullpref.auth.test").Findings, "mx.null-preference", `publish "0 ." instead`},
		{"null mx mixed", CheckMX(ctx, r, discard(), "nullmixed.auth.test").Findings, "mx.null-mixed", `remove the null MX and keep "10 mx1.auth.test"; to receive none, remove the others and publish only "0 ."`},
		{"tls-rpt bare mailto", CheckTLSRPT(ctx, r, discard(), "bare.auth.test").Findings, "tls-rpt.rua", `rua "mailto:tlsrpt" is not a mailto: or https: URI`},
		{"dmarc p none", CheckDMARC(ctx, r, discard(), "none.auth.test").Findings, "dmarc.p-none", "(p=none at _dmarc.none.auth.test)"},
		{"tls-rpt none", CheckTLSRPT(ctx, r, discard(), "none.auth.test").Findings, "tls-rpt.none", `publish "v=TLSRPTv1; rua=mailto:tlsrpt@none.auth.test" at _smtp._tls.none.auth.test`},
		{"tls-rpt rua", CheckTLSRPT(ctx, r, discard(), "badsts.auth.test").Findings, "tls-rpt.rua", "use rua=mailto:tlsrpt@badsts.auth.test"},
		{"mta-sts fetch", CheckMTASTS(ctx, r, discard(), NewHTTPClient(r, time.Second), "good.auth.test", nil, nil).Findings, "mta-sts.fetch",
			"fetching https://mta-sts.good.auth.test/.well-known/mta-sts.txt: mta-sts.good.auth.test has no A or AAAA record, so senders cannot apply the policy: serve it there"},
		{"mta-sts record", CheckMTASTS(ctx, r, discard(), nil, "badsts.auth.test", nil, nil).Findings, "mta-sts.record-syntax", `publish a record such as "v=STSv1; id=20260101T000000"`},
		{"bimi logo", CheckBIMI(ctx, r, discard(), "none.auth.test", reject).Findings, "bimi.logo-url", "publish l=https://HOST/logo.svg"},
		{"dkim syntax", CheckDKIM(ctx, r, discard(), "keys.auth.test", []string{"garbage"}).Findings, "dkim.syntax", `"v=DKIM1; k=rsa; p=<base64 public key>"`},
	} {
		var msgs []string
		ok := false
		for _, f := range tt.findings {
			if f.Code == tt.code {
				msgs = append(msgs, f.Message)
				ok = ok || strings.Contains(f.Message, tt.want)
			}
		}
		if !ok {
			t.Errorf("%s: %s messages %q lack %q", tt.name, tt.code, msgs, tt.want)
		}
	}
}

// MTA-STS that tests or enforces without TLS-RPT is blind: Run says so at
// TLS-RPT; with mode none, or with a TLS-RPT record, it does not.
func TestRunMTASTSWithoutTLSRPT(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t, "../testdata/dns/auth.zone")
	ps := newPolicyServer(t)
	for d, mode := range map[string]string{"ststest": "testing", "stsenf": "enforce", "stsnone": "none", "good": "enforce"} {
		if d != "good" {
			if err := srv.AddString(`_mta-sts.` + d + `.auth.test. 60 IN TXT "v=STSv1; id=1"`); err != nil {
				t.Fatal(err)
			}
		}
		ps.set("mta-sts."+d+".auth.test", "version: STSv1\nmode: "+mode+"\nmx: *.auth.test\nmax_age: 604800\n")
	}
	for _, tt := range []struct {
		domain, want string
	}{
		{"ststest.auth.test", "MTA-STS for ststest.auth.test is in testing mode"},
		{"stsenf.auth.test", "MTA-STS for stsenf.auth.test is enforced"},
		{"stsnone.auth.test", ""},
		{"good.auth.test", ""}, // has _smtp._tls
	} {
		rep := Run(context.Background(), Deps{Resolver: r, Logger: discard(), HTTPClient: ps.client()}, Request{Domain: tt.domain, NoBlocklists: true})
		if rep.MTASTS == nil || rep.MTASTS.Policy == nil {
			t.Fatalf("%s: no policy fetched: %+v", tt.domain, rep.MTASTS)
		}
		var got string
		for _, f := range rep.TLSRPT.Findings {
			if f.Code == "tls-rpt.missing-for-mta-sts" {
				got = f.Message
			}
		}
		switch {
		case tt.want == "" && got != "":
			t.Errorf("%s: unexpected %q", tt.domain, got)
		case tt.want != "" && (!strings.HasPrefix(got, tt.want) || rep.TLSRPT.Status != StatusWarning):
			t.Errorf("%s: tls-rpt %s with %q, want a warning starting %q", tt.domain, rep.TLSRPT.Status, got, tt.want)
		}
	}
}

func TestCheckTLSRPTAndBIMI(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/auth.zone")
	ctx := context.Background()
	for _, tt := range []struct {
		domain, code string
		status       Status
	}{
		{"good.auth.test", "", StatusOK},
		{"badsts.auth.test", "tls-rpt.rua", StatusError},
		{"none.auth.test", "tls-rpt.none", StatusOK},
	} {
		rep := CheckTLSRPT(ctx, r, discard(), tt.domain)
		if _, ok := codes(rep.Findings)[tt.code]; (tt.code != "" && !ok) || rep.Status != tt.status {
			t.Errorf("tls-rpt %s: %s %+v, want %s with %s", tt.domain, rep.Status, rep.Findings, tt.status, tt.code)
		}
	}
	dmarc := func(domain, where, rec string) *DMARCReport {
		p, err := ParseDMARC(rec)
		if err != nil {
			t.Fatal(err)
		}
		return &DMARCReport{Domain: domain, PolicyDomain: where, Record: rec, Parsed: p}
	}
	for _, tt := range []struct {
		name, domain string
		dmarc        *DMARCReport
		code         string
		status       Status
	}{
		{"reject", "good.auth.test", dmarc("good.auth.test", "good.auth.test", "v=DMARC1; p=reject"), "", StatusOK},
		{"none", "good.auth.test", dmarc("good.auth.test", "good.auth.test", "v=DMARC1; p=none"), "bimi.dmarc-policy", StatusError},
		{"no dmarc", "good.auth.test", &DMARCReport{Domain: "good.auth.test"}, "bimi.dmarc-policy", StatusError},
		// Found at the organisational domain: sp, not p, applies.
		{"sp none", "good.auth.test", dmarc("good.auth.test", "auth.test", "v=DMARC1; p=reject; sp=none"), "bimi.dmarc-policy", StatusError},
		// BIMI draft 7.1 item 8: sp=none in the domain's own record
		// rules BIMI out too, whatever the domain's own p.
		{"sp at its own domain", "good.auth.test", dmarc("good.auth.test", "good.auth.test", "v=DMARC1; p=reject; sp=none"), "bimi.dmarc-policy", StatusError},
		{"pct", "good.auth.test", dmarc("good.auth.test", "good.auth.test", "v=DMARC1; p=quarantine; pct=50"), "bimi.dmarc-policy", StatusError},
		{"bad logo", "none.auth.test", dmarc("none.auth.test", "none.auth.test", "v=DMARC1; p=reject"), "bimi.logo-url", StatusError},
		{"no bimi", "nomx.auth.test", nil, "bimi.none", StatusOK},
	} {
		rep := CheckBIMI(ctx, r, discard(), tt.domain, tt.dmarc)
		if _, ok := codes(rep.Findings)[tt.code]; (tt.code != "" && !ok) || rep.Status != tt.status {
			t.Errorf("bimi %s: %s %+v, want %s with %s", tt.name, rep.Status, rep.Findings, tt.status, tt.code)
		}
	}
}

// Run gives BIMI the policy that applies to the domain checked: for a
// subdomain without its own DMARC record, the sp of the organisational
// domain's record.
func TestRunBIMIUsesSubdomainPolicy(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t, "../testdata/dns/auth.zone")
	for _, rr := range []string{
		`_dmarc.auth.test. 300 IN TXT "v=DMARC1; p=reject; sp=none; rua=mailto:d@auth.test"`,
		`default._bimi.brand.auth.test. 300 IN TXT "v=BIMI1; l=https://brand.auth.test/logo.svg; a=https://brand.auth.test/vmc.pem"`,
	} {
		if err := srv.AddString(rr); err != nil {
			t.Fatal(err)
		}
	}
	rep := Run(context.Background(), Deps{Resolver: r, Logger: discard(), HTTPClient: &http.Client{}}, Request{Domain: "brand.auth.test", NoBlocklists: true})
	if rep.BIMI == nil {
		t.Fatal("no BIMI check")
	}
	if _, ok := codes(rep.BIMI.Findings)["bimi.dmarc-policy"]; !ok {
		t.Errorf("p=reject; sp=none at auth.test: BIMI findings %+v lack bimi.dmarc-policy", rep.BIMI.Findings)
	}
	// A subdomain without a BIMI record of its own uses the
	// organisational domain's; the sp=none there still rules BIMI out
	// (BIMI draft 7.1 item 8), though plain.auth.test has p=reject.
	if err := srv.AddString(`default._bimi.auth.test. 300 IN TXT "v=BIMI1; l=https://auth.test/logo.svg; a=https://auth.test/vmc.pem"`); err != nil {
		t.Fatal(err)
	}
	b := CheckBIMI(context.Background(), r, discard(), "plain.auth.test", &DMARCReport{Domain: "plain.auth.test", PolicyDomain: "plain.auth.test", Parsed: &DMARCRecord{Policy: "reject", Pct: 100}})
	if c := codes(b.Findings); c["bimi.org-record"] == "" || c["bimi.dmarc-policy"] == "" || b.Name != "default._bimi.auth.test" || b.Record == "" || b.Status != StatusError {
		t.Errorf("fallback to the organisational domain: %+v", b)
	}
}

func FuzzParseMTASTSPolicy(f *testing.F) {
	for _, s := range []string{"version: STSv1\r\nmode: enforce\r\nmx: *.example.com\r\nmax_age: 86400\r\n", "version: STSv1\nmode: none\nmax_age: 0", "mx: *.\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseMTASTSPolicy(s)
		if err != nil {
			return
		}
		if p.MaxAge < 0 || p.MaxAge > mtaSTSMaxAge || (p.Mode != "none" && len(p.MX) == 0) {
			t.Fatalf("accepted an invalid policy %+v", p)
		}
		for _, pat := range p.MX {
			MatchMX(pat, "mx.example.com")
		}
	})
}
