package sink

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/internal/testutil"
)

// writePEMPair writes a self-signed certificate and its key as PEM files
// in dir, named name.crt and name.key.
func writePEMPair(t *testing.T, dir, name string) (certPath, keyPath string) {
	t.Helper()
	c, err := selfSigned([]string{name + ".sink.test"}, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}), 0o644)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	return certPath, keyPath
}

// TestS14CertFilesChecked: Validate loads a listener's cert_file and
// key_file, and refuses each way they can be wrong at the key of the file
// at fault, keeping Go's own detail, so that relaylab config finds it
// (with the file's line) rather than a failed start.
func TestS14CertFilesChecked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, key := writePEMPair(t, dir, "a")
	_, otherKey := writePEMPair(t, dir, "b")
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("this is no PEM\n"), 0o644)
	for _, tc := range []struct {
		name, cert, key string
		wantKey, want   string
	}{
		{"good", cert, key, "", ""},
		{"no certificate file", filepath.Join(dir, "gone.crt"), key, "listeners[0].cert_file", "no such file or directory"},
		{"no key file", cert, filepath.Join(dir, "gone.key"), "listeners[0].key_file", "no such file or directory"},
		{"certificate is junk", junk, key, "listeners[0].cert_file", "failed to find any PEM data in certificate input"},
		{"key is junk", cert, junk, "listeners[0].key_file", "failed to find any PEM data in key input"},
		{"key of another certificate", cert, otherKey, "listeners[0].key_file", "private key does not match public key"},
		{"swapped", key, cert, "listeners[0].cert_file", "PEM inputs may have been switched"},
		{"a directory", dir, key, "listeners[0].cert_file", "is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			cfg.Listeners[0].CertFile, cfg.Listeners[0].KeyFile = tc.cert, tc.key
			err := cfg.Validate("")
			if tc.wantKey == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantKey+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate: got %v\nwant an error at %s containing %q", err, tc.wantKey, tc.want)
			}
		})
	}
	// tls: none uses no certificate: its files are not read.
	cfg := DefaultConfig()
	cfg.Listeners[0].TLS, cfg.Listeners[0].CertFile, cfg.Listeners[0].KeyFile = "none", junk, junk
	if err := cfg.Validate(""); err != nil {
		t.Errorf("tls: none with files it does not use: %v", err)
	}
}

// TestS14CertReload: a reload does not reach TLS. A certificate file
// that no longer loads is the reload's error (nothing changes, the old
// certificate is served), and a new certificate in the same files is
// served only after a restart, which the log says.
func TestS14CertReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, key := writePEMPair(t, dir, "first")
	s, _, logs := loggedSink(t, nil, func(c *Config) {
		c.Listeners[0].CertFile, c.Listeners[0].KeyFile = cert, key
	})
	cfg := s.cfg
	served := func() string {
		t.Helper()
		c := dial(t, addrOf(t, s, "mx"))
		c.greet()
		c.expect(220, "", "STARTTLS")
		tc := tls.Client(c.nc, &tls.Config{InsecureSkipVerify: true})
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		defer tc.Close()
		return tc.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	if got := served(); got != "first.sink.test" {
		t.Fatalf("served %q", got)
	}

	os.WriteFile(key, []byte("broken\n"), 0o600)
	err := s.Reload(cfg)
	if err == nil || !strings.HasPrefix(err.Error(), "sink.listeners[0].key_file: ") {
		t.Fatalf("Reload with a broken key: got %v, want an error at sink.listeners[0].key_file", err)
	}
	if got := served(); got != "first.sink.test" {
		t.Errorf("after a failed reload: served %q", got)
	}

	newCert, newKey := writePEMPair(t, dir, "second")
	os.Rename(newCert, cert)
	os.Rename(newKey, key)
	if err := s.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if got := served(); got != "first.sink.test" {
		t.Errorf("after a reload: served %q; the certificate changes at a restart", got)
	}
	if !strings.Contains(logs.String(), "a reload does not reach TLS: the certificate in use stays until a restart") {
		t.Errorf("the log does not say the new certificate waits for a restart:\n%s", logs.String())
	}
}

// loggedSink is testSink with the sink's log kept, at level info.
func loggedSink(t *testing.T, clk clock.Clock, edit func(*Config)) (*Sink, *store.Store, *testutil.SyncBuffer) {
	t.Helper()
	if clk == nil {
		clk = clock.Real{}
	}
	logs := &testutil.SyncBuffer{}
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "sink.db"), Sync: store.SyncOff, Clock: clk, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := DefaultConfig()
	cfg.Listeners[0].Listen = "127.0.0.1:0"
	cfg.Bounce.Relay = ""
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg, Options{Store: st, Clock: clk, Logger: slog.New(slog.NewTextHandler(logs, nil)), Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return s, st, logs
}
