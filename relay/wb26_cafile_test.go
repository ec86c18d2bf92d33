package relay

import (
	"crypto/tls"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
)

// writeCertPEM writes cert's leaf as a PEM file in a test directory and
// returns its name.
func writeCertPEM(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestPathCAFileTrustsAPrivateCA: a smarthost whose certificate a private
// CA signed is trusted on the path that names that CA in ca_file (as
// Postfix's smtp_tls_CAfile), with verify: true, without SSL_CERT_FILE,
// which would replace the CAs of the whole process; a path with verify
// and no ca_file still refuses the same server.
func TestPathCAFileTrustsAPrivateCA(t *testing.T) {
	t.Parallel()
	cert, err := selfSigned("mta.test")
	if err != nil {
		t.Fatal(err)
	}
	mta := startMTA(t, func(f *fakeMTA) { f.tls, f.cert = true, &cert })
	for _, tt := range []struct {
		name, caFile string
		want         string
	}{
		{"ca_file", writeCertPEM(t, cert), events.RelayDelivered},
		{"system roots", "", events.RelayDeferred},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(mta.addr)
			cfg.Paths[0].TLS, cfg.Paths[0].Verify, cfg.Paths[0].CAFile = "required", true, tt.caFile
			if err := cfg.Validate("relay"); err != nil {
				t.Fatal(err)
			}
			h := newHarness(t, cfg, Options{})
			id := h.enqueue("a@s.test", "one@r.test")
			h.runUntil("an outcome", func() bool {
				return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDelivered, events.RelayDeferred}})) > 0
			})
			got := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDelivered, events.RelayDeferred}})
			if got[0].Kind != tt.want {
				t.Fatalf("outcome %s (%s), want %s", got[0].Kind, got[0].Payload, tt.want)
			}
			if adv, _ := payload(t, got[0])["advice"].(string); tt.want == events.RelayDeferred && !strings.Contains(adv, "set ca_file on the path") {
				t.Errorf("advice %q, want it to name the path's ca_file", adv)
			}
		})
	}
}

// TestPathCAFileRefusals: ca_file is refused at its key, with the file's
// line, when it cannot serve: without verify (nothing would be checked),
// a file that is not there, and one that holds no PEM certificate.
func TestPathCAFileRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	empty := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(empty, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := selfSigned("mta.test")
	if err != nil {
		t.Fatal(err)
	}
	good := writeCertPEM(t, cert)
	for _, tt := range []struct{ name, path, want string }{
		{"no verify", "{name: p, host: 'smtp.example.test:587', tls: required, ca_file: '" + good + "'}", "set verify: true"},
		{"missing", "{name: p, host: 'smtp.example.test:587', tls: required, verify: true, ca_file: '" + filepath.Join(dir, "nope.pem") + "'}", "no such file"},
		{"no certificate", "{name: p, host: 'smtp.example.test:587', tls: required, verify: true, ca_file: '" + empty + "'}", "no PEM certificate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fileWithRelay{Relay: DefaultConfig()}
			err := config.Decode("relaylab.yaml", []byte("relay:\n  paths:\n    - "+tt.path+"\n"), f)
			if err == nil || !strings.Contains(err.Error(), "relaylab.yaml:3:") || !strings.Contains(err.Error(), "relay.paths[0].ca_file:") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want the line, the key relay.paths[0].ca_file and %q", err, tt.want)
			}
		})
	}
	f := &fileWithRelay{Relay: DefaultConfig()}
	ok := "relay:\n  paths:\n    - {name: p, host: 'smtp.example.test:587', tls: required, verify: true, ca_file: '" + good + "'}\n"
	if err := config.Decode("relaylab.yaml", []byte(ok), f); err != nil {
		t.Errorf("a CA file with verify: %v", err)
	}
	if !slices.ContainsFunc(f.Relay.Files(), func(p *string) bool { return *p == good }) {
		t.Errorf("Files() does not give the path's ca_file, so a relative one would not be read from the configuration's directory")
	}
}
