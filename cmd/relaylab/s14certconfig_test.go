package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestS14CertFileErrors: a listener's cert_file or key_file that does not
// make a certificate is the configuration's error, at its file, line and
// key, with exit 2, for relaylab config as for relaylab sink; relaylab
// config said nothing and the sink failed to start with exit 1.
func TestS14CertFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "junk.pem"), []byte("no PEM here\n"), 0o644)
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("sink:\n  listeners:\n    - name: mx\n      listen: \"127.0.0.1:0\"\n      cert_file: junk.pem\n      key_file: junk.pem\n"), 0o644)
	want := cfg + ":5:18: sink.listeners[0].cert_file: tls: failed to find any PEM data in certificate input"
	for _, args := range [][]string{
		{"config", "--config", cfg},
		{"sink", "--config", cfg, "--db", filepath.Join(dir, "x.db")},
	} {
		code, _, errs := runCmd(t, "", args...)
		if code != 2 || !strings.Contains(errs, want) {
			t.Errorf("%s: exit %d, %s\nwant exit 2 and %q", args[0], code, errs, want)
		}
	}
}

// TestS14CertReloadKeepsOld: a SIGHUP that finds a certificate file
// broken keeps everything as it was, and the log names the file, line
// and key.
func TestS14CertReloadKeepsOld(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certPEM, keyPEM := s14Pair(t)
	os.WriteFile(filepath.Join(dir, "c.pem"), certPEM, 0o644)
	os.WriteFile(filepath.Join(dir, "k.pem"), keyPEM, 0o600)
	cfgPath := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfgPath, []byte("sink:\n  listeners:\n    - name: mx\n      listen: \"127.0.0.1:0\"\n      cert_file: c.pem\n      key_file: k.pem\n"), 0o644)
	out := &sinkOutput{mu: make(chan struct{}, 1)}
	hup := make(chan os.Signal, 1)
	e := &env{stdout: out, stderr: out, hup: hup}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"sink", "--db", filepath.Join(dir, "x.db"), "--config", cfgPath})
	}()
	re := regexp.MustCompile(`smtp://(127\.0\.0\.1:\d+)`)
	for i := 0; i < 2000 && !strings.Contains(out.String(), "Ctrl-C stops."); i++ {
		time.Sleep(5 * time.Millisecond)
	}
	m := re.FindStringSubmatch(out.String())
	if m == nil {
		cancel()
		t.Fatalf("no address printed:\n%s", out.String())
	}
	os.WriteFile(filepath.Join(dir, "k.pem"), []byte("gone bad\n"), 0o600)
	hup <- syscall.SIGHUP
	want := cfgPath + ":6:17: sink.listeners[0].key_file: tls: failed to find any PEM data in key input"
	for i := 0; i < 2000 && !strings.Contains(out.String(), want); i++ {
		time.Sleep(5 * time.Millisecond)
	}
	// Still serving, with the certificate it started with.
	nc, err := net.Dial("tcp", m[1])
	if err == nil {
		nc.Close()
	}
	cancel()
	if code := <-done; code != 0 || err != nil {
		t.Fatalf("exit %d, dial %v:\n%s", code, err, out.String())
	}
	if !strings.Contains(out.String(), "SIGHUP: rules not reloaded; the old ones stay") || !strings.Contains(out.String(), want) {
		t.Errorf("the log does not name the broken file's key and line (%s):\n%s", want, out.String())
	}
	// The event log says so too, for the web UI, whose users see no log.
	var payload string
	db, err := sql.Open("sqlite3", filepath.Join(dir, "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT payload FROM events WHERE kind = ?`, events.SinkReloadFailed).Scan(&payload); err != nil || !strings.Contains(payload, `"by":"SIGHUP"`) || !strings.Contains(payload, want) {
		t.Errorf("sink.reload_failed event: %q, %v; want by SIGHUP and %q", payload, err, want)
	}
}

// s14Pair is a self-signed certificate and its key, in PEM.
func s14Pair(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.sink.test"}, DNSNames: []string{"mx.sink.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}
