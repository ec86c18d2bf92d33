package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/relaylab/relaylab/internal/dnstest"
)

// ft24Backend takes SMTP sessions and no mail.
type ft24Backend struct{}

func (ft24Backend) NewSession(*smtp.Conn) (smtp.Session, error) { return ft24Session{}, nil }

type ft24Session struct{}

func (ft24Session) Reset()                               {}
func (ft24Session) Logout() error                        { return nil }
func (ft24Session) Mail(string, *smtp.MailOptions) error { return nil }
func (ft24Session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ft24Session) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }

// ft24MXZone writes a zone whose MX host mx1.mxt.test is 127.0.0.1, and
// starts an SMTP server there, on a free port, offering STARTTLS with a
// certificate for mx1.mxt.test from a test CA. It returns the zone file,
// the port and the CA file.
func ft24MXZone(t *testing.T) (zone, port, caFile string) {
	t.Helper()
	caFile, leaf := ft24LongCA(t, "mx1.mxt.test")
	s := smtp.NewServer(ft24Backend{})
	s.Domain = "mx1.mxt.test"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{leaf}}
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l) //nolint:errcheck
	t.Cleanup(func() { s.Close() })
	_, port, _ = net.SplitHostPort(l.Addr().String())
	zone = filepath.Join(t.TempDir(), "mxt.zone")
	if err := os.WriteFile(zone, []byte(`$ORIGIN mxt.test.
$TTL 60
@        IN SOA ns.mxt.test. hostmaster.mxt.test. 1 3600 600 86400 60
@        IN MX 10 mx1.mxt.test.
@        IN TXT "v=spf1 -all"
mx1      IN A 127.0.0.1
_dmarc   IN TXT "v=DMARC1; p=reject"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	return zone, port, caFile
}

// ft24LongCA is testCA with a server certificate valid for a year, so
// that it is not one about to expire (mx-tls.cert-expiring): a CA, and
// a certificate for host that it signs; the CA's certificate goes to a
// PEM file.
func ft24LongCA(t *testing.T, host string) (string, tls.Certificate) {
	t.Helper()
	now := time.Now()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey, leafKey := key(), key()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ft24 CA"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: ca.NotBefore, NotAfter: ca.NotAfter, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	return file, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: leafKey}
}

// ft24MXTLS runs probe --json and returns the mx_tls object (nil when
// absent) and the exit code.
func ft24MXTLS(t *testing.T, args ...string) (map[string]any, int, string) {
	t.Helper()
	code, out, errOut := runIn(t, context.Background(), append([]string{"probe", "--json", "--timeout", "1s", "--no-blocklists", "--no-bimi-logo"}, args...)...)
	var rep struct {
		MXTLS  map[string]any `json:"mx_tls"`
		Checks []struct{ Check string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%q: exit %d, not JSON: %v\nstdout:\n%s\nstderr:\n%s", args, code, err, out, errOut)
	}
	listed := false
	for _, c := range rep.Checks {
		listed = listed || c.Check == "mx-tls"
	}
	if listed != (rep.MXTLS != nil) {
		t.Errorf("%q: mx-tls in checks %v, mx_tls object %v", args, listed, rep.MXTLS)
	}
	return rep.MXTLS, code, out
}

// TestFT24ProbeMXTLSOffline: with --zone, --mx-port and --mx-ca the probe
// does STARTTLS with the MX host on a loopback port and reports it; the
// same without --mx-ca finds the test CA untrusted; without --mx-port it
// connects to nothing and says how to; --no-mx-tls leaves the check out.
func TestFT24ProbeMXTLSOffline(t *testing.T) {
	t.Parallel()
	zone, port, caFile := ft24MXZone(t)
	hostOf := func(m map[string]any) map[string]any {
		hs, _ := m["hosts"].([]any)
		if len(hs) != 1 {
			t.Fatalf("mx_tls hosts %v, want one", m["hosts"])
		}
		return hs[0].(map[string]any)
	}

	m, _, out := ft24MXTLS(t, "mxt.test", "--zone", zone, "--mx-port", port, "--mx-ca", caFile)
	h := hostOf(m)
	if m["status"] != "ok" || h["starttls"] != true || h["address"] != "127.0.0.1:"+port || !strings.Contains(out, `"code": "mx-tls.ok"`) {
		t.Errorf("with --mx-ca: mx_tls %v\n%s", m, out)
	}
	if c, _ := h["certificate"].(map[string]any); c == nil || c["trusted"] != true || c["name_match"] != true {
		t.Errorf("certificate %v, want trusted and matching", h["certificate"])
	}

	m, code, out := ft24MXTLS(t, "mxt.test", "--zone", zone, "--mx-port", port)
	if m["status"] != "warning" || !strings.Contains(out, `"code": "mx-tls.cert-untrusted"`) || code != 0 {
		t.Errorf("without --mx-ca: exit %d (want 0: a warning), mx_tls %v\n%s", code, m, out)
	}

	m, code, out = ft24MXTLS(t, "mxt.test", "--zone", zone)
	if h := hostOf(m); m["status"] != "ok" || h["address"] != nil || code != 0 || !strings.Contains(out, "give --mx-port PORT (and --mx-ca CA.pem for a test CA)") {
		t.Errorf("--zone without --mx-port: exit %d, mx_tls %v\n%s", code, m, out)
	}

	if m, code, _ := ft24MXTLS(t, "mxt.test", "--zone", zone, "--no-mx-tls"); m != nil || code != 0 {
		t.Errorf("--no-mx-tls: exit %d, mx_tls %v", code, m)
	}

	// The text report shows the check, after MTA-STS.
	_, text, _ := runIn(t, context.Background(), "probe", "mxt.test", "--zone", zone, "--mx-port", port, "--mx-ca", caFile, "--no-blocklists", "--timeout", "1s")
	if i, j := strings.Index(text, "\nMTA-STS "), strings.Index(text, "\nMX-TLS     ok"); i < 0 || j < i || !strings.Contains(text, "STARTTLS with TLS 1.3") {
		t.Errorf("text report:\n%s", text)
	}
}

// TestFT24ProbeMXTLSResolverSkipsDocumentation: against the test zones
// served by a resolver (not --zone), whose MX hosts have addresses
// reserved for documentation, the check runs but connects to none.
func TestFT24ProbeMXTLSResolverSkipsDocumentation(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, "../../testdata/dns")
	m, code, out := ft24MXTLS(t, "clean.auth.test", "--resolver", srv.Addr)
	if m == nil || m["status"] != "ok" || code != 0 || !strings.Contains(out, "the probe did not connect to MX mx1.auth.test: 192.0.2.31 is reserved for documentation (RFC 5737), so its STARTTLS and certificate are not checked; the probe connects only to addresses that senders on the internet can reach") {
		t.Errorf("exit %d, mx_tls %v\n%s", code, m, out)
	}
}

// TestFT24ProbeMXTLSFlagsRefused: flags of the check that do not go
// together are bad input (exit 2), each with what to do.
func TestFT24ProbeMXTLSFlagsRefused(t *testing.T) {
	t.Parallel()
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(notPEM, []byte("not a certificate\n"), 0o644) //nolint:errcheck
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"mxt.test", "--resolver", "127.0.0.1:9", "--mx-port", "2525"}, "--mx-port needs --zone: senders deliver to port 25"},
		{[]string{"mxt.test", "--zone", "../../testdata/dns", "--mx-port", "70000"}, "--mx-port 70000: give a port from 1 to 65535"},
		{[]string{"mxt.test", "--zone", "../../testdata/dns", "--mx-ca", notPEM}, "--mx-ca: " + notPEM + " holds no PEM certificate"},
		{[]string{"mxt.test", "--zone", "../../testdata/dns", "--mx-ca", filepath.Join(t.TempDir(), "missing.pem")}, "missing.pem does not exist: give the PEM file of the CA"},
		{[]string{"mxt.test", "--zone", "../../testdata/dns", "--no-mx-tls", "--mx-port", "2525"}, "--mx-ca and --mx-port with --no-mx-tls"},
		{[]string{"--ip", "192.0.2.1", "--zone", "../../testdata/dns", "--no-mx-tls"}, "--no-mx-tls, --mx-ca and --mx-port need a DOMAIN"},
	} {
		code, _, errOut := runIn(t, context.Background(), append([]string{"probe", "--timeout", "1s"}, tt.args...)...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tt.args, code, errOut, tt.want)
		}
	}
}

// TestFT24ProbeHelpExamplesExit: the offline examples of probe --help,
// the same as README's, give the exit codes README says: the domain's is
// clean (0: the BIMI logo, which nothing serves, is not fetched, and the
// MX hosts are not connected to), the --ip one finds a test listing (1).
func TestFT24ProbeHelpExamplesExit(t *testing.T) {
	t.Parallel()
	_, help, _ := runIn(t, context.Background(), "probe", "--help")
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range []struct {
		line string
		code int
	}{
		{"relaylab probe clean.auth.test --ip 192.0.2.50 --helo sender.auth.test --zone testdata/dns --no-blocklists --no-bimi-logo", 0},
		{"relaylab probe --ip 192.0.2.10 --zone testdata/dns --zones testdata/probe/zones.yaml", 1},
	} {
		if !strings.Contains(help, "\n  "+ex.line+"\n") || !strings.Contains(string(readme), "\n"+ex.line+"\n") {
			t.Errorf("probe --help and README.md do not both show the example %q", ex.line)
		}
		args := strings.Fields(strings.ReplaceAll(ex.line, "testdata/", "../../testdata/"))[1:]
		if code, out, errOut := runIn(t, context.Background(), append(args, "--timeout", "1s")...); code != ex.code {
			t.Errorf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", ex.line, code, ex.code, out, errOut)
		}
	}
}
