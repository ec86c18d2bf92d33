//go:debug rsa1024min=0

package relay

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestDKIMKeyCheckedWithTheConfiguration: a DKIM key file that is not a
// key, or an RSA key under 1024 bits, is refused when the configuration
// is read (relaylab config, exit 2), at its line and key, instead of
// passing the check and stopping serve with an error that named no line.
func TestDKIMKeyCheckedWithTheConfiguration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A 512-bit key, which Go makes only with rsa1024min=0 (above).
	short, err := rsa.GenerateKey(rand.Reader, 512)
	if err != nil {
		t.Fatal(err)
	}
	rsa512 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(short)}))
	for _, tt := range []struct{ name, file, want string }{
		{"junk", write("junk.pem", "not a key\n"), "relaylab.yaml:3:51: relay.dkim[0].key_file: "}, // then the file and "no PEM block",
		{"short RSA", write("short.pem", rsa512), "an RSA key of 512 bits, and verifiers ignore signatures made with keys under 1024 bits (RFC 8301 3.2)"},
	} {
		f := &fileWithRelay{Relay: DefaultConfig()}
		err := config.Decode("relaylab.yaml", []byte("relay:\n  dkim:\n    - {domain: shop.test, selector: s1, key_file: '"+tt.file+"'}\n"), f)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}
