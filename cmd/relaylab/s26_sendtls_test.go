package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/sink"
)

// certFiles writes a self-signed certificate for 127.0.0.1, valid for 30
// days, and its key as PEM files in dir.
func certFiles(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "mx.send-test.example"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(30 * 24 * time.Hour),
		DNSNames:     []string{"mx.send-test.example"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

// TestSendDescribesTheServersCertificate: after STARTTLS send says whom
// the certificate names, who issued it, how long it has left, and
// whether it verifies: with --ca-file trusting it, it does; with
// --insecure, send says a check would fail and why, which is what a
// verifying sender would meet. --hide-data puts one line in place of
// the message.
func TestSendDescribesTheServersCertificate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	certPath, keyPath := certFiles(t, dir)
	_, _, sk := startSinkStoreWith(t, func(c *sink.Config) {
		c.Listeners[0].CertFile, c.Listeners[0].KeyFile = certPath, keyPath
	})
	server := sk.HostPorts()["mx"]
	send := func(args ...string) (int, string, string) {
		return runIn(t, ctx, append([]string{"send", "--server", server, "--to", "a@example.test", "--starttls"}, args...)...)
	}

	code, out, errOut := send("--ca-file", certPath, "--hide-data")
	if code != 0 {
		t.Fatalf("send --ca-file: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"=== TLS certificate: CN=mx.send-test.example; names: mx.send-test.example, 127.0.0.1\n",
		"=== TLS issued by: CN=mx.send-test.example (self-signed)\n",
		" days left)\n",
		"=== TLS verified: valid for 127.0.0.1 and chains to a trusted root",
		" ~> [the message: ",
		" lines, not shown (--hide-data)]\n ~> .\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("send --ca-file --hide-data: no %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "~> Subject:") {
		t.Errorf("--hide-data showed the message:\n%s", out)
	}

	code, out, errOut = send("--insecure")
	if code != 0 {
		t.Fatalf("send --insecure: exit %d\n%s%s", code, out, errOut)
	}
	if want := "=== TLS not checked (--insecure); a check would fail: x509: certificate signed by unknown authority."; !strings.Contains(out, want) {
		t.Errorf("send --insecure: no %q in\n%s", want, out)
	}

	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("hello\n"), 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--ca-file", notPEM}, "--ca-file " + notPEM + ": no PEM certificate in it"},
		{[]string{"--ca-file", certPath, "--insecure"}, "--ca-file and --insecure exclude each other"},
	} {
		if code, _, errOut := send(tc.args...); code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("send %v: exit %d (want 2), stderr %q (want %q)", tc.args, code, errOut, tc.want)
		}
	}
	if code, _, errOut := runIn(t, ctx, "send", "--server", server, "--to", "a@example.test", "--ca-file", certPath); code != 2 || !strings.Contains(errOut, "without --starttls or --tls") {
		t.Errorf("send --ca-file without TLS: exit %d, stderr %q", code, errOut)
	}
}
