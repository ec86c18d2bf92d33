package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCA makes a CA and a server certificate for host signed by it, and
// writes the CA's certificate as PEM to a file.
func testCA(t *testing.T, host string) (caFile string, leaf tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relaylab test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	return caFile, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestProbeMTASTSOffline: with --zone, --mta-sts-ca and --mta-sts-port, the
// policy is fetched over HTTPS from a loopback port with a test CA, and its
// findings (mode, max_age, mx patterns against the MX hosts) are reported;
// without --mta-sts-ca the certificate is refused.
func TestProbeMTASTSOffline(t *testing.T) {
	t.Parallel()
	caFile, cert := testCA(t, "mta-sts.sts.test")
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/mta-sts.txt" || r.Host != "mta-sts.sts.test" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("version: STSv1\r\nmode: enforce\r\nmx: mx1.sts.test\r\nmx: old.provider.test\r\nmax_age: 3600\r\n")) //nolint:errcheck
	}))
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	ts.StartTLS()
	defer ts.Close()
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	zone := filepath.Join(t.TempDir(), "sts.zone")
	if err := os.WriteFile(zone, []byte(`$ORIGIN sts.test.
$TTL 60
@        IN SOA ns.sts.test. hostmaster.sts.test. 1 3600 600 86400 60
@        IN MX 10 mx1.sts.test.
@        IN MX 20 mx2.sts.test.
mx1      IN A 127.0.0.1
mx2      IN A 127.0.0.1
_mta-sts IN TXT "v=STSv1; id=20261128"
mta-sts  IN A 127.0.0.1
`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"probe", "sts.test", "--zone", zone, "--timeout", "1s", "--mta-sts-port", port}
	code, out, errOut := runIn(t, context.Background(), append(args, "--mta-sts-ca", caFile)...)
	if code != 1 {
		t.Errorf("exit %d, want 1 (mx2 is refused by the policy)\nstderr:\n%s", code, errOut)
	}
	for _, want := range []string{
		"policy id 20261128: mode enforce, mx mx1.sts.test, old.provider.test, max_age 3600 (1 hour)",
		"mta-sts.max-age",
		"MX mx2.sts.test matches none of the policy's mx patterns (mx1.sts.test, old.provider.test)",
		"the policy's mx pattern old.provider.test matches none of the domain's MX hosts",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "mta-sts.fetch") {
		t.Errorf("the policy was not fetched:\n%s", out)
	}

	// The system's CAs alone do not know the test CA: HTTPS is kept.
	_, out, _ = runIn(t, context.Background(), args...)
	if !strings.Contains(out, "mta-sts.fetch") || !strings.Contains(out, "certificate") {
		t.Errorf("without --mta-sts-ca the test certificate was not refused:\n%s", out)
	}
}

// TestProbeMTASTSFlagsRefused: --mta-sts-port is only for zones served on
// this machine, and --mta-sts-ca must hold a certificate.
func TestProbeMTASTSFlagsRefused(t *testing.T) {
	t.Parallel()
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(notPEM, []byte("not a certificate\n"), 0o644) //nolint:errcheck
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"probe", "sts.test", "--resolver", "127.0.0.1:9", "--mta-sts-port", "8443"}, "--mta-sts-port needs --zone"},
		{[]string{"probe", "sts.test", "--zone", "../../testdata/dns", "--mta-sts-port", "70000"}, "--mta-sts-port 70000: give a port from 1 to 65535"},
		{[]string{"probe", "sts.test", "--zone", "../../testdata/dns", "--mta-sts-ca", notPEM}, "holds no PEM certificate"},
		{[]string{"probe", "sts.test", "--zone", "../../testdata/dns", "--mta-sts-ca", filepath.Join(t.TempDir(), "missing.pem")}, "missing.pem"},
	} {
		code, _, errOut := runIn(t, context.Background(), tt.args...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tt.args, code, errOut, tt.want)
		}
	}
}
