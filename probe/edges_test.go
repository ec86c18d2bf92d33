package probe

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/resolver"
)

// findingWith returns the messages of fs with code, and whether one of
// them contains want.
func findingWith(fs []Finding, code, want string) ([]string, bool) {
	var msgs []string
	found := false
	for _, f := range fs {
		if f.Code == code {
			msgs = append(msgs, f.Message)
			found = found || strings.Contains(f.Message, want)
		}
	}
	return msgs, found
}

// RFC 7208 7.2 and 7.3: c, r and t expand only in explanation text, and a
// DIGIT transformer is never zero; receivers return permerror for either.
func TestParseSPFMacroEdges(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rec string
		bad bool
	}{
		{"v=spf1 exists:%{c}.x.example -all", true},
		{"v=spf1 exists:%{r}.x.example -all", true},
		{"v=spf1 include:%{t}.x.example -all", true},
		{"v=spf1 redirect=%{C}.x.example", true},
		{"v=spf1 exists:%{d0}.x.example -all", true},
		{"v=spf1 exists:%{i0r}.x.example -all", true},
		{"v=spf1 exists:%{d1}.x.example -all", false},
		{"v=spf1 exists:%{ir}.%{l10r-}.%{v}.%{h}.x.example -all", false},
		{"v=spf1 -all exp=%{d}.exp.example", false},
		{"v=spf1 -all exp=%{c}.exp.example", true},
		// Unknown modifiers are never expanded.
		{"v=spf1 -all note=%{c}", false},
		// RFC 7208 5.6: a prefix length is digits, without a sign or a
		// leading zero, as for ip4 and ip6.
		{"v=spf1 a/+24 -all", true},
		{"v=spf1 a/024 -all", true},
		{"v=spf1 mx//+64 -all", true},
		{"v=spf1 a:x.example/0 -all", false},
		{"v=spf1 a/24//64 -all", false},
	} {
		_, err := ParseSPF(tt.rec)
		if tt.bad != (err != nil) || err != nil && !errors.Is(err, ErrSPFSyntax) {
			t.Errorf("ParseSPF(%q) = %v, want error %v", tt.rec, err, tt.bad)
		}
	}
}

func TestCheckSPFEdges(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/edges.zone")
	for _, tt := range []struct {
		domain, code, want string
		status             Status
	}{
		// A prefix length of 0 on a or mx matches every address of the
		// family as soon as the name has one.
		{"a0.edge.test", "spf.pass-all", "a/0", StatusError},
		{"mx0.edge.test", "spf.pass-all", "mx:mxhost.edge.test/0", StatusError},
		{"a6zero.edge.test", "spf.pass-all", "a//0", StatusError},
		// A TXT record that is almost an SPF record is no SPF record to
		// receivers: the finding says which record and why.
		{"tab.edge.test", "spf.none", `"v=spf1\tip4:192.0.2.1 -all" is not read as SPF`, StatusError},
		{"quoted.edge.test", "spf.none", `"\"v=spf1 ip4:192.0.2.1 -all\"" is not read as SPF`, StatusError},
		{"lead.edge.test", "spf.none", `" v=spf1 ip4:192.0.2.1 -all" is not read as SPF`, StatusError},
		{"spf2.edge.test", "spf.none", "has no SPF record, so receivers", StatusError},
		// A redirect is written redirect=, not redirect:.
		{"redir-none.edge.test", "spf.include-none", "redirect=nospf.edge.test has no SPF record", StatusError},
		{"redir-none.edge.test", "spf.lookups", "(0 in the record's own terms, redirect=nospf.edge.test 1)", StatusError},
		// Names are case-insensitive and may end in a dot.
		{"spfupper.edge.test", "spf.lookups", "include:simple.edge.test 1", StatusOK},
	} {
		rep := CheckSPF(context.Background(), r, discard(), tt.domain)
		if msgs, ok := findingWith(rep.Findings, tt.code, tt.want); !ok {
			t.Errorf("%s: %s messages %q lack %q (findings %+v)", tt.domain, tt.code, msgs, tt.want, rep.Findings)
		}
		if rep.Status != tt.status {
			t.Errorf("%s: status %s, want %s (%+v)", tt.domain, rep.Status, tt.status, rep.Findings)
		}
	}
}

func TestCheckDMARCEdges(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/edges.zone")
	for _, tt := range []struct {
		domain, code, want string
		status             Status
	}{
		// Tags separated by a space instead of ";" are read as one tag;
		// after the version, that makes another version, which
		// receivers discard.
		{"nosemi.edge.test", "dmarc.none", `"v=DMARC1" is followed by a space and "p=reject" instead of ";", which makes the version "DMARC1 p=reject"`, StatusError},
		{"nosemi.edge.test", "dmarc.none", `publish it as "v=DMARC1; p=reject; rua=mailto:d@nosemi.edge.test"`, StatusError},
		{"nosemi2.edge.test", "dmarc.missing-semicolon", `"p=reject rua=mailto:d@nosemi2.edge.test" has no ";" before rua=`, StatusError},
		{"spaced.edge.test", "dmarc.policy", "gets reject", StatusWarning},
		// A record that is almost DMARC is named, with why receivers
		// discard it.
		{"lower.edge.test", "dmarc.none", `"v=dmarc1; p=reject" at _dmarc.lower.edge.test is not read as DMARC`, StatusError},
		{"lower.edge.test", "dmarc.none", `publish it as "v=DMARC1; p=reject"`, StatusError},
		{"upperv.edge.test", "dmarc.none", `it starts with "V=", and receivers look for "v=DMARC1" with a lower-case v`, StatusError},
		{"quoted.edge.test", "dmarc.none", `"\"v=DMARC1; p=reject\"" at _dmarc.quoted.edge.test is not read as DMARC`, StatusError},
	} {
		rep := CheckDMARC(context.Background(), r, discard(), tt.domain)
		if msgs, ok := findingWith(rep.Findings, tt.code, tt.want); !ok {
			t.Errorf("%s: %s messages %q lack %q (findings %+v)", tt.domain, tt.code, msgs, tt.want, rep.Findings)
		}
		// The p tag is there, not missing: no advice to publish p=none.
		if msgs, _ := findingWith(rep.Findings, "dmarc.no-policy", ""); tt.code == "dmarc.missing-semicolon" && len(msgs) > 0 {
			t.Errorf("%s: dmarc.no-policy %q beside %s", tt.domain, msgs, tt.code)
		}
		if rep.Status != tt.status {
			t.Errorf("%s: status %s, want %s (%+v)", tt.domain, rep.Status, tt.status, rep.Findings)
		}
	}
}

func TestCheckDKIMEdges(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/edges.zone")
	rep := CheckDKIM(context.Background(), r, discard(), "keys.edge.test", []string{"web", "semail", "sany", "sha512"})
	for _, tt := range []struct{ code, want string }{
		// RFC 6376 3.6.1: verifiers ignore a key whose s= lists neither
		// email nor *.
		{"dkim.service", `selector "web" has s=web, which does not include email or *`},
		// h= without sha256 is not about sha1 when it lists no sha1.
		{"dkim.sha1-only", `h=sha512 allows no sha256, the hash DKIM signers use`},
	} {
		if msgs, ok := findingWith(rep.Findings, tt.code, tt.want); !ok {
			t.Errorf("%s messages %q lack %q (findings %+v)", tt.code, msgs, tt.want, rep.Findings)
		}
	}
	for _, f := range rep.Findings {
		if f.Code == "dkim.service" && !strings.Contains(f.Name, "web._domainkey") {
			t.Errorf("dkim.service for %s, whose s= includes email or *", f.Name)
		}
	}
	if rep.Status != StatusError {
		t.Errorf("status %s, want error (%+v)", rep.Status, rep.Findings)
	}
}

// failingAAAA is a resolver whose AAAA lookups of one name fail, as some
// broken name servers' do.
type failingAAAA struct {
	resolver.Resolver
	name string
}

func (f failingAAAA) LookupIP(ctx context.Context, name string, qtype uint16) (resolver.IPs, error) {
	if qtype == dns.TypeAAAA && strings.TrimSuffix(name, ".") == f.name {
		return resolver.IPs{}, &resolver.Error{Name: name + ".", Qtype: qtype, Kind: resolver.ErrServFail, Detail: "test"}
	}
	return f.Resolver.LookupIP(ctx, name, qtype)
}

var _ resolver.Resolver = failingAAAA{}

// RFC 8601 3: forward confirmation of an IPv4 address asks the A records
// of its PTR names; a failing AAAA query has nothing to do with it.
func TestPTRConfirmsWithTheAddressFamily(t *testing.T) {
	t.Parallel()
	c, _ := testResolver(t, "testdata/edges.zone")
	r := failingAAAA{Resolver: c, name: "v4host.edge.test"}
	rep := CheckPTR(context.Background(), r, discard(), netip.MustParseAddr("192.0.2.77"), "")
	if rep.Status != StatusOK || len(rep.Confirmed) != 1 {
		t.Errorf("status %s, confirmed %q, want ok and v4host.edge.test (%+v)", rep.Status, rep.Confirmed, rep.Findings)
	}
}

// RFC 8461 3.3: the policy is served as text/plain; media types are
// case-insensitive (RFC 2045 5.1), and text/plainx is another type.
func TestMTASTSMediaType(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/edges.zone")
	types := map[string]string{
		"mta-sts.ctype.edge.test":    "Text/Plain; Charset=UTF-8",
		"mta-sts.ctypebad.edge.test": "text/plainx",
		"mta-sts.maxplus.edge.test":  "text/plain",
	}
	bodies := map[string]string{"mta-sts.maxplus.edge.test": "version: STSv1\nmode: enforce\nmx: h1.edge.test\nmax_age: +604800\n"}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", types[req.Host])
		body := bodies[req.Host]
		if body == "" {
			body = "version: STSv1\nmode: enforce\nmx: h1.edge.test\nmax_age: 604800\n"
		}
		io.WriteString(w, body) //nolint:errcheck
	}))
	t.Cleanup(srv.Close)
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}
	tr.TLSClientConfig.ServerName = "example.com"
	client := &http.Client{Transport: tr}
	for _, tt := range []struct {
		domain, code, want string
		status             Status
	}{
		{"ctype.edge.test", "mta-sts.policy", "mode enforce", StatusOK},
		{"ctypebad.edge.test", "mta-sts.fetch", `has media type "text/plainx", want text/plain`, StatusError},
		{"maxplus.edge.test", "mta-sts.policy-syntax", `max_age "+604800" is not a number of seconds`, StatusError},
	} {
		rep := CheckMTASTS(context.Background(), r, discard(), client, tt.domain, []string{"h1.edge.test"}, nil)
		if msgs, ok := findingWith(rep.Findings, tt.code, tt.want); !ok {
			t.Errorf("%s: %s messages %q lack %q (findings %+v)", tt.domain, tt.code, msgs, tt.want, rep.Findings)
		}
		if rep.Status != tt.status {
			t.Errorf("%s: status %s, want %s (%+v)", tt.domain, rep.Status, tt.status, rep.Findings)
		}
	}
}

// MX hosts with only IPv6 addresses cannot be reached by the many senders
// that deliver over IPv4 only.
func TestMXWithoutIPv4(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/edges.zone")
	rep := CheckMX(context.Background(), r, discard(), "v6only.edge.test")
	if msgs, ok := findingWith(rep.Findings, "mx.no-ipv4", "none of the MX hosts of v6only.edge.test (mx6.edge.test, mx6b.edge.test) has an IPv4 address"); !ok || rep.Status != StatusWarning {
		t.Errorf("v6only: status %s, mx.no-ipv4 %q (%+v)", rep.Status, msgs, rep.Findings)
	}
	rep = CheckMX(context.Background(), r, discard(), "mixed.edge.test")
	if msgs, _ := findingWith(rep.Findings, "mx.no-ipv4", ""); len(msgs) > 0 || rep.Status != StatusOK {
		t.Errorf("mixed: status %s, mx.no-ipv4 %q, want ok and none", rep.Status, msgs)
	}
}

// RFC 8461 3.1: the fields of the _mta-sts record are separated by ";".
func TestSTSRecordMissingSemicolon(t *testing.T) {
	t.Parallel()
	_, err := parseSTSRecord("v=STSv1 id=20260101")
	if want := `"v=STSv1" is followed by " id=20260101" without a ";"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("parseSTSRecord: %v, want %q", err, want)
	}
	if id, err := parseSTSRecord("v=STSv1;id=20260101;"); err != nil || id != "20260101" {
		t.Errorf("parseSTSRecord: %q, %v", id, err)
	}
}
