package probe

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/relaylab/relaylab/internal/clock"
)

// ft24Now is the time of the probe's clock in these tests: certificates
// are dated from it, so expiry is judged the same on every run.
var ft24Now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// ft24CA is a test CA that issues server certificates.
type ft24CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newFT24CA(t *testing.T) *ft24CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ft24 test CA"},
		NotBefore: ft24Now.AddDate(-1, 0, 0), NotAfter: ft24Now.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return &ft24CA{cert: c, key: key, pool: pool}
}

// leaf issues a certificate for names, valid from notBefore to notAfter
// (relative to ft24Now); self makes it self-signed instead.
func (ca *ft24CA) leaf(t *testing.T, names []string, notBefore, notAfter time.Duration, self bool) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: ft24Now.Add(notBefore), NotAfter: ft24Now.Add(notAfter), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	parent, signer := ca.cert, ca.key
	if self {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// ft24Backend is a go-smtp backend that remembers the EHLO names said.
type ft24Backend struct {
	mu    sync.Mutex
	helos []string
}

func (b *ft24Backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.mu.Lock()
	b.helos = append(b.helos, c.Hostname())
	b.mu.Unlock()
	return ft24Session{}, nil
}

func (b *ft24Backend) said() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.helos...)
}

type ft24Session struct{}

func (ft24Session) Reset()                               {}
func (ft24Session) Logout() error                        { return nil }
func (ft24Session) Mail(string, *smtp.MailOptions) error { return nil }
func (ft24Session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ft24Session) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }

// ft24SMTP starts a go-smtp server on 127.0.0.1:0 that offers STARTTLS
// with tc (nil: no STARTTLS), and returns its address.
func ft24SMTP(t *testing.T, tc *tls.Config) (string, *ft24Backend) {
	t.Helper()
	be := &ft24Backend{}
	s := smtp.NewServer(be)
	s.Domain = "mx.ft24.test"
	s.TLSConfig = tc
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l) //nolint:errcheck
	t.Cleanup(func() { s.Close() })
	return l.Addr().String(), be
}

// ft24Raw starts a listener on 127.0.0.1:0 whose connections serve runs,
// and returns its address and a channel that gets each accepted one.
func ft24Raw(t *testing.T, serve func(net.Conn)) (string, <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan struct{}, 16)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			go func() { defer c.Close(); serve(c) }()
		}
	}()
	t.Cleanup(func() { l.Close() })
	return l.Addr().String(), accepted
}

// mapDialer dials, for each address the probe asks for, the test
// server mapped to it; any other address fails the test, so that
// nothing is dialled but loopback test servers.
type mapDialer struct {
	t     *testing.T
	to    map[string]string
	mu    sync.Mutex
	asked []string
}

func (d *mapDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.asked = append(d.asked, addr)
	d.mu.Unlock()
	real, ok := d.to[addr]
	if !ok {
		d.t.Errorf("the probe dialled %s, which no test server stands for", addr)
		return nil, errors.New("not a test address")
	}
	return (&net.Dialer{}).DialContext(ctx, network, real)
}

var _ ContextDialer = (*mapDialer)(nil)

// ft24Opts are options that reach the servers of to (probe address to
// real one) with the test CA trusted.
func ft24Opts(t *testing.T, ca *ft24CA, to map[string]string) MXTLSOptions {
	return MXTLSOptions{LoopbackOnly: true, Port: 25, Roots: ca.pool, Dialer: &mapDialer{t: t, to: to}}
}

func ft24Host(name string, ips ...string) MXHost {
	h := MXHost{Host: name}
	for _, s := range ips {
		h.IPs = append(h.IPs, netip.MustParseAddr(s))
	}
	return h
}

// sevCodes lists the findings as "severity code".
func sevCodes(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f.Severity)+" "+f.Code)
	}
	return out
}

func findingOf(t *testing.T, rep MXTLSReport, code string) Finding {
	t.Helper()
	for _, f := range rep.Findings {
		if f.Code == code {
			return f
		}
	}
	t.Fatalf("no %s finding; got %q", code, sevCodes(rep.Findings))
	return Finding{}
}

// TestFT24MXTLSGoodHost: a host that offers STARTTLS with a certificate
// for its name from a trusted CA is mx-tls.ok, with the TLS version, the
// certificate's names and expiry, and the EHLO name given.
func TestFT24MXTLSGoodHost(t *testing.T) {
	t.Parallel()
	ca := newFT24CA(t)
	cert := ca.leaf(t, []string{"*.ft24.test"}, -time.Hour, 90*24*time.Hour, false)
	addr, be := ft24SMTP(t, &tls.Config{Certificates: []tls.Certificate{cert}})
	o := ft24Opts(t, ca, map[string]string{"127.0.0.2:25": addr})
	o.Helo = "probe.ft24.test"
	rep := CheckMXTLS(context.Background(), clock.NewVirtual(ft24Now), discard(), o, "ft24.test", []MXHost{ft24Host("mx1.ft24.test", "127.0.0.2")}, nil)
	if rep.Status != StatusOK || len(rep.Findings) != 1 {
		t.Fatalf("status %s, findings %q; want ok and one mx-tls.ok", rep.Status, sevCodes(rep.Findings))
	}
	f := findingOf(t, rep, "mx-tls.ok")
	for _, want := range []string{"MX mx1.ft24.test (127.0.0.2:25): STARTTLS with TLS 1.3", "certificate for *.ft24.test issued by CN=ft24 test CA", "valid until 2026-05-30 (90 days left)"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("mx-tls.ok says %q, want it to hold %q", f.Message, want)
		}
	}
	h := rep.Hosts[0]
	if !h.STARTTLS || h.TLSVersion != "TLS 1.3" || h.Certificate == nil || !h.Certificate.Trusted || !h.Certificate.NameMatch || h.Certificate.DaysLeft != 90 || h.Status != StatusOK {
		t.Errorf("host %+v, certificate %+v", h, h.Certificate)
	}
	if got := be.said(); len(got) != 1 || got[0] != "probe.ft24.test" {
		t.Errorf("EHLO names said %q, want [probe.ft24.test]", got)
	}
	// The JSON form has the fields SCHEMA.md gives.
	b, _ := json.Marshal(rep)
	for _, want := range []string{`"port":25`, `"address":"127.0.0.2:25"`, `"starttls":true`, `"tls_version":"TLS 1.3"`, `"names":["*.ft24.test"]`, `"trusted":true`, `"name_match":true`, `"days_left":90`, `"not_after":"2026-05-30T12:00:00Z"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
}

// TestFT24MXTLSDefaultHelo: without a HELO name the probe says its own
// address as a literal (RFC 5321 4.1.3).
func TestFT24MXTLSDefaultHelo(t *testing.T) {
	t.Parallel()
	ca := newFT24CA(t)
	addr, be := ft24SMTP(t, nil)
	o := ft24Opts(t, ca, map[string]string{"127.0.0.2:25": addr})
	CheckMXTLS(context.Background(), clock.NewVirtual(ft24Now), discard(), o, "ft24.test", []MXHost{ft24Host("mx1.ft24.test", "127.0.0.2")}, nil)
	if got := be.said(); len(got) != 1 || got[0] != "[127.0.0.1]" {
		t.Errorf("EHLO names said %q, want [[127.0.0.1]]", got)
	}
}

// TestFT24MXTLSPolicyMakesErrors: a TLS failure is a warning without an
// MTA-STS policy, and an error naming the mode and the mx pattern with a
// policy in enforce or testing mode.
func TestFT24MXTLSPolicyMakesErrors(t *testing.T) {
	t.Parallel()
	ca := newFT24CA(t)
	plain, _ := ft24SMTP(t, nil)
	wrong, _ := ft24SMTP(t, &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, []string{"other.example"}, -time.Hour, 90*24*time.Hour, false)}})
	hosts := []MXHost{ft24Host("mx1.ft24.test", "127.0.0.2"), ft24Host("mx2.ft24.test", "127.0.0.3")}
	to := map[string]string{"127.0.0.2:25": plain, "127.0.0.3:25": wrong}
	policy := func(mode string) *MTASTSPolicy {
		return &MTASTSPolicy{Version: "STSv1", Mode: mode, MX: []string{"*.ft24.test"}, MaxAge: 604800}
	}
	for _, tt := range []struct {
		name   string
		policy *MTASTSPolicy
		sev    Severity
		says   string
	}{
		{"no policy", nil, SevWarning, "cannot enforce MTA-STS"},
		{"mode none", policy("none"), SevWarning, "cannot enforce MTA-STS"},
		{"testing", policy("testing"), SevError, "the MTA-STS policy of ft24.test is in mode testing and covers %s (mx: *.ft24.test): senders still deliver"},
		{"enforce", policy("enforce"), SevError, "the MTA-STS policy of ft24.test is in mode enforce and covers %s (mx: *.ft24.test), so senders that apply it refuse to deliver to %[1]s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep := CheckMXTLS(context.Background(), clock.NewVirtual(ft24Now), discard(), ft24Opts(t, ca, to), "ft24.test", hosts, tt.policy)
			for code, host := range map[string]string{"mx-tls.no-starttls": "mx1.ft24.test", "mx-tls.cert-name": "mx2.ft24.test"} {
				f := findingOf(t, rep, code)
				want := tt.says
				if strings.Contains(want, "%") {
					want = fmt.Sprintf(want, host)
				}
				if f.Severity != tt.sev || f.Name != host || !strings.Contains(f.Message, want) {
					t.Errorf("%s: %s at %s: %q; want %s holding %q", code, f.Severity, f.Name, f.Message, tt.sev, want)
				}
			}
			f := findingOf(t, rep, "mx-tls.cert-name")
			if tt.policy != nil && tt.policy.Mode != "none" {
				// A host that no mx pattern covers fails TLS all the
				// same; the finding says it is not covered.
				narrow := *tt.policy
				narrow.MX = []string{"mx1.ft24.test"}
				f := findingOf(t, CheckMXTLS(context.Background(), clock.NewVirtual(ft24Now), discard(), ft24Opts(t, ca, to), "ft24.test", hosts, &narrow), "mx-tls.cert-name")
				if want := "is in mode " + narrow.Mode + " and none of its mx patterns covers mx2.ft24.test (mta-sts.mx-mismatch)"; f.Severity != SevError || !strings.Contains(f.Message, want) {
					t.Errorf("cert-name of a host no pattern covers: %s %q, want error holding %q", f.Severity, f.Message, want)
				}
			}
			if !strings.Contains(f.Message, "covers other.example, not mx2.ft24.test") || !strings.Contains(f.Message, `"*.ft24.test"`) {
				t.Errorf("cert-name does not say what it covers and what to get: %q", f.Message)
			}
		})
	}
}

// TestFT24JudgeCert: trust, name (RFC 6125 wildcards) and dates of a
// certificate, judged at the probe's clock.
func TestFT24JudgeCert(t *testing.T) {
	t.Parallel()
	ca := newFT24CA(t)
	day := 24 * time.Hour
	for _, tt := range []struct {
		name                    string
		names                   []string
		from, to                time.Duration
		self                    bool
		host                    string
		trusted, match, expired bool
		days                    int
	}{
		{"exact", []string{"mx1.ft24.test"}, -day, 30 * day, false, "mx1.ft24.test", true, true, false, 30},
		{"wildcard", []string{"*.ft24.test"}, -day, 30 * day, false, "mx1.ft24.test", true, true, false, 30},
		{"wildcard one label only", []string{"*.ft24.test"}, -day, 30 * day, false, "a.mx1.ft24.test", true, false, false, 30},
		{"wildcard not the parent", []string{"*.ft24.test"}, -day, 30 * day, false, "ft24.test", true, false, false, 30},
		{"partial wildcard", []string{"mx*.ft24.test"}, -day, 30 * day, false, "mx1.ft24.test", true, false, false, 30},
		{"trailing dot", []string{"mx1.ft24.test"}, -day, 30 * day, false, "mx1.ft24.test.", true, true, false, 30},
		{"expired, else good", []string{"mx1.ft24.test"}, -90 * day, -2 * day, false, "mx1.ft24.test", true, true, true, -2},
		{"not yet valid", []string{"mx1.ft24.test"}, day, 90 * day, false, "mx1.ft24.test", true, true, true, 90},
		{"self-signed", []string{"mx1.ft24.test"}, -day, 30 * day, true, "mx1.ft24.test", false, true, false, 30},
	} {
		leaf := ca.leaf(t, tt.names, tt.from, tt.to, tt.self)
		chain := []*x509.Certificate{}
		for _, der := range leaf.Certificate {
			c, _ := x509.ParseCertificate(der)
			chain = append(chain, c)
		}
		c, err := judgeCert(chain, tt.host, ca.pool, ft24Now)
		if c.Trusted != tt.trusted || c.NameMatch != tt.match || c.Expired != tt.expired || c.DaysLeft != tt.days || (err == nil) != tt.trusted {
			t.Errorf("%s: trusted %v match %v expired %v days %d (err %v); want %v %v %v %d", tt.name, c.Trusted, c.NameMatch, c.Expired, c.DaysLeft, err, tt.trusted, tt.match, tt.expired, tt.days)
		}
	}
	// No roots given: the system's, which do not know the test CA.
	leaf := ca.leaf(t, []string{"mx1.ft24.test"}, -day, 30*day, false)
	c0, _ := x509.ParseCertificate(leaf.Certificate[0])
	c, err := judgeCert([]*x509.Certificate{c0}, "mx1.ft24.test", nil, ft24Now)
	if c.Trusted || !strings.Contains(untrustedWhy([]*x509.Certificate{c0}, err), "CN=ft24 test CA, a CA that this machine does not trust") {
		t.Errorf("a test CA's certificate with the system's roots: trusted %v, %q", c.Trusted, untrustedWhy([]*x509.Certificate{c0}, err))
	}
}

// TestFT24MXTLSCertFindings: expired, expiring, untrusted and old TLS,
// each with its severity, through real handshakes.
func TestFT24MXTLSCertFindings(t *testing.T) {
	t.Parallel()
	ca := newFT24CA(t)
	day := 24 * time.Hour
	host := "mx1.ft24.test"
	for _, tt := range []struct {
		name string
		tc   *tls.Config
		want []string
		says string
	}{
		{"expired", &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, []string{host}, -90*day, -3*day, false)}}, []string{"error mx-tls.cert-expired"}, "expired on 2026-02-26 (3 days ago)"},
		{"expiring", &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, []string{host}, -80*day, 5*day+time.Hour, false)}}, []string{"warning mx-tls.cert-expiring"}, "expires on 2026-03-06, in 5 days"},
		{"self-signed", &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, []string{host}, -day, 60*day, true)}}, []string{"warning mx-tls.cert-untrusted"}, "presents a certificate (CN=mx1.ft24.test, self-signed) that does not lead to a trusted CA, since it is self-signed: senders that deliver opportunistically"},
		{"TLS 1.1", &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, []string{host}, -day, 60*day, false)}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}, []string{"warning mx-tls.old-tls"}, "speaks at most TLS 1.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, _ := ft24SMTP(t, tt.tc)
			rep := CheckMXTLS(context.Background(), clock.NewVirtual(ft24Now), discard(), ft24Opts(t, ca, map[string]string{"127.0.0.2:25": addr}), "ft24.test", []MXHost{ft24Host(host, "127.0.0.2")}, nil)
			if got := sevCodes(rep.Findings); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("findings %q, want %q", got, tt.want)
			}
			if !strings.Contains(rep.Findings[0].Message, tt.says) {
				t.Errorf("%s says %q, want it to hold %q", rep.Findings[0].Code, rep.Findings[0].Message, tt.says)
			}
		})
	}
}

// TestFT24MXTLSUnreachable: a refused connection, a server that never
// greets (the probe's own timeout, on its clock), a connection that
// never completes, a 554 greeting and a server that floods are each
// reported, as warnings, with what happened.
func TestFT24MXTLSUnreachable(t *testing.T) {
	t.Parallel()
	closed := closedAddr(t)
	silent, accepted := ft24Raw(t, func(c net.Conn) { io.Copy(io.Discard, c) }) //nolint:errcheck
	refuse, _ := ft24Raw(t, func(c net.Conn) { fmt.Fprint(c, "554 5.7.1 no mail from your network\r\n") })
	flood, _ := ft24Raw(t, func(c net.Conn) {
		w := bufio.NewWriter(c)
		for range 100000 {
			if _, err := w.WriteString("220-hello hello hello hello hello\r\n"); err != nil {
				return
			}
		}
		w.Flush()
	})
	run := func(o MXTLSOptions, vc *clock.Virtual) MXTLSReport {
		return CheckMXTLS(context.Background(), vc, discard(), o, "ft24.test", []MXHost{ft24Host("mx1.ft24.test", "127.0.0.2")}, nil)
	}
	ca := newFT24CA(t)
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		rep := run(ft24Opts(t, ca, map[string]string{"127.0.0.2:25": closed}), clock.NewVirtual(ft24Now))
		f := findingOf(t, rep, "mx-tls.unreachable")
		for _, want := range []string{"could not connect to MX mx1.ft24.test (127.0.0.2:25) on port 25", "connection refused", "port 25 may be blocked from where the probe runs", "give --no-mx-tls"} {
			if f.Severity != SevWarning || !strings.Contains(f.Message, want) {
				t.Errorf("%s %q lacks %q", f.Severity, f.Message, want)
			}
		}
		if rep.Status != StatusWarning || rep.Hosts[0].Stage != "connect" {
			t.Errorf("status %s, stage %q", rep.Status, rep.Hosts[0].Stage)
		}
	})
	t.Run("no greeting", func(t *testing.T) {
		t.Parallel()
		vc := clock.NewVirtual(ft24Now)
		done := make(chan MXTLSReport)
		go func() { done <- run(ft24Opts(t, ca, map[string]string{"127.0.0.2:25": silent}), vc) }()
		<-accepted
		// The connection's timer is stopped once it is made: the
		// host's alone is left, and the probe waits for the greeting.
		ft24WaitTimers(vc, func(n int) bool { return n == 1 })
		vc.Advance(30 * time.Second)
		rep := <-done
		f := findingOf(t, rep, "mx-tls.unreachable")
		if !strings.Contains(f.Message, "connected to MX mx1.ft24.test (127.0.0.2:25), but no end to the exchange within 30s, the time the probe allows one MX host (at the greeting)") {
			t.Errorf("%q", f.Message)
		}
	})
	t.Run("no connection", func(t *testing.T) {
		t.Parallel()
		vc := clock.NewVirtual(ft24Now)
		o := MXTLSOptions{LoopbackOnly: true, Port: 25, Dialer: hangDialer{}}
		done := make(chan MXTLSReport)
		go func() { done <- run(o, vc) }()
		ft24WaitTimers(vc, func(n int) bool { return n == 2 }) // the host's timer and the connection's
		vc.Advance(10 * time.Second)
		rep := <-done
		f := findingOf(t, rep, "mx-tls.unreachable")
		if !strings.Contains(f.Message, "no connection to 127.0.0.2:25 within 10s") || !strings.Contains(f.Message, "port 25 may be blocked") {
			t.Errorf("%q", f.Message)
		}
	})
	t.Run("refused greeting", func(t *testing.T) {
		t.Parallel()
		rep := run(ft24Opts(t, ca, map[string]string{"127.0.0.2:25": refuse}), clock.NewVirtual(ft24Now))
		f := findingOf(t, rep, "mx-tls.smtp-error")
		if f.Severity != SevWarning || !strings.Contains(f.Message, "the server answered the greeting with 554 5.7.1 no mail from your network") {
			t.Errorf("%s %q", f.Severity, f.Message)
		}
	})
	t.Run("flood", func(t *testing.T) {
		t.Parallel()
		rep := run(ft24Opts(t, ca, map[string]string{"127.0.0.2:25": flood}), clock.NewVirtual(ft24Now))
		f := findingOf(t, rep, "mx-tls.smtp-error")
		if !strings.Contains(f.Message, "the server sent more than 64 KiB before it answered the greeting") {
			t.Errorf("%q", f.Message)
		}
	})
}

// ft24WaitTimers waits until the number of timers pending on vc is one
// that ok takes.
func ft24WaitTimers(vc *clock.Virtual, ok func(int) bool) {
	for {
		ch := vc.Changed()
		if ok(vc.Pending()) {
			return
		}
		<-ch
	}
}

// hangDialer never connects: it waits for its context to end.
type hangDialer struct{}

func (hangDialer) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// countDialer refuses every connection, after a wait the test ends,
// and counts the connections open at once.
type countDialer struct {
	mu        sync.Mutex
	now, most int
	addrs     []string
	release   chan struct{}
}

func (d *countDialer) DialContext(ctx context.Context, _, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.now++
	d.most = max(d.most, d.now)
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	<-d.release
	d.mu.Lock()
	d.now--
	d.mu.Unlock()
	return nil, errors.New("refused by the test")
}

// TestFT24MXTLSBounded: hosts are tried at most Parallel at a time, each
// once (a host named twice too), and addresses the probe does not dial
// (documentation, private, loopback without LoopbackOnly) are skipped
// with an info finding, without a connection.
func TestFT24MXTLSBounded(t *testing.T) {
	t.Parallel()
	d := &countDialer{release: make(chan struct{})}
	var hosts []MXHost
	for i := range 5 {
		hosts = append(hosts, ft24Host(fmt.Sprintf("mx%d.ft24.test", i), fmt.Sprintf("127.0.0.%d", i+2)))
	}
	hosts = append(hosts, ft24Host("MX0.ft24.test.", "127.0.0.2"))
	o := MXTLSOptions{LoopbackOnly: true, Port: 25, Parallel: 2, Dialer: d}
	done := make(chan MXTLSReport)
	go func() {
		done <- CheckMXTLS(context.Background(), clock.NewVirtual(ft24Now), discard(), o, "ft24.test", hosts, nil)
	}()
	for range 5 {
		d.release <- struct{}{}
	}
	rep := <-done
	if d.most > 2 || len(d.addrs) != 5 || len(rep.Hosts) != 5 {
		t.Errorf("%d connections at once (want at most 2), %d made %q (want 5), %d hosts reported (want 5)", d.most, len(d.addrs), d.addrs, len(rep.Hosts))
	}

	var dialled atomic.Int32
	never := dialFunc(func(context.Context, string, string) (net.Conn, error) {
		dialled.Add(1)
		return nil, errors.New("must not dial")
	})
	rep = CheckMXTLS(context.Background(), clock.NewVirtual(ft24Now), discard(), MXTLSOptions{Dialer: never}, "ft24.test", []MXHost{
		ft24Host("doc.ft24.test", "192.0.2.31", "2001:db8::32"),
		ft24Host("lan.ft24.test", "10.1.2.3"),
		ft24Host("lo.ft24.test", "127.0.0.1"),
		ft24Host("192.0.2.9"),
		ft24Host("noaddr.ft24.test"),
	}, nil)
	if dialled.Load() != 0 {
		t.Errorf("dialled %d times", dialled.Load())
	}
	if got := strings.Join(sevCodes(rep.Findings), ","); got != "info mx-tls.skipped,info mx-tls.skipped,info mx-tls.skipped" || rep.Status != StatusOK {
		t.Errorf("findings %s, status %s; want three skipped (not the IP literal nor the host without address, which mx reports)", got, rep.Status)
	}
	if !strings.Contains(rep.Findings[0].Message, "192.0.2.31 is reserved for documentation (RFC 5737); 2001:db8::32 is reserved for documentation (RFC 3849)") {
		t.Errorf("%q", rep.Findings[0].Message)
	}

	// Zones on this machine without a port: none is dialled, and one
	// finding says how to check them.
	rep = CheckMXTLS(context.Background(), clock.NewVirtual(ft24Now), discard(), MXTLSOptions{LoopbackOnly: true, Dialer: never}, "ft24.test", []MXHost{ft24Host("mx1.ft24.test", "127.0.0.1")}, nil)
	if dialled.Load() != 0 || len(rep.Findings) != 1 || rep.Findings[0].Code != "mx-tls.skipped" || !strings.Contains(rep.Findings[0].Message, "give --mx-port PORT (and --mx-ca CA.pem for a test CA)") {
		t.Errorf("dialled %d, findings %+v", dialled.Load(), rep.Findings)
	}
	// With a port, an address off loopback is not dialled either.
	rep = CheckMXTLS(context.Background(), clock.NewVirtual(ft24Now), discard(), MXTLSOptions{LoopbackOnly: true, Port: 2525, Dialer: never}, "ft24.test", []MXHost{ft24Host("mx1.ft24.test", "198.51.100.7")}, nil)
	if dialled.Load() != 0 || len(rep.Findings) != 1 || !strings.Contains(rep.Findings[0].Message, "198.51.100.7 is not a loopback address") {
		t.Errorf("dialled %d, findings %+v", dialled.Load(), rep.Findings)
	}
}

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}

// TestFT24MXTLSCheckOptions: a port other than 25 only for loopback.
func TestFT24MXTLSCheckOptions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		o    MXTLSOptions
		want string
	}{
		{MXTLSOptions{}, ""},
		{MXTLSOptions{LoopbackOnly: true, Port: 2525}, ""},
		{MXTLSOptions{Port: 2525}, "only for MX hosts served on this machine"},
		{MXTLSOptions{LoopbackOnly: true, Port: 70000}, "not between 1 and 65535"},
	} {
		err := tt.o.CheckOptions()
		if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.o, err, tt.want)
		}
	}
}

// TestS25UnreachableTestPort: with zones served on this machine and a
// test port other than 25, an MX that does not answer is the user's own
// test server not running: the finding says to start it on that port,
// not that port 25 may be blocked by a cloud provider.
func TestS25UnreachableTestPort(t *testing.T) {
	t.Parallel()
	ca := newFT24CA(t)
	o := MXTLSOptions{LoopbackOnly: true, Port: 2525, Roots: ca.pool, Dialer: &mapDialer{t: t, to: map[string]string{"127.0.0.2:2525": closedAddr(t)}}}
	rep := CheckMXTLS(context.Background(), clock.NewVirtual(ft24Now), discard(), o, "ft24.test", []MXHost{ft24Host("mx1.ft24.test", "127.0.0.2")}, nil)
	f := findingOf(t, rep, "mx-tls.unreachable")
	for _, want := range []string{"on port 2525", "a test server of yours", "start an SMTP server with STARTTLS on that loopback port (--mx-port PORT)", "give --no-mx-tls"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("%q lacks %q", f.Message, want)
		}
	}
	if strings.Contains(f.Message, "port 25 may be blocked") {
		t.Errorf("%q blames a blocked port 25 for a test server on 2525", f.Message)
	}
}
