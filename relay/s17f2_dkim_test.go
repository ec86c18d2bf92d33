package relay

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// A selector of other characters than letters, digits and hyphens (an
// underscore above all, which DNS stores without complaint) is refused
// when the configuration is read, at its key, saying why: RFC 6376 3.1
// makes a selector a sub-domain (RFC 5321 Let-dig, Ldh-str). It was
// taken, and every signature carried a malformed s=.
func TestS17F2SelectorIsLDH(t *testing.T) {
	t.Parallel()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	file := writeKey(t, key)
	decode := func(sel string) error {
		f := &fileWithRelay{Relay: DefaultConfig()}
		return config.Decode("relaylab.yaml", []byte("relay:\n  dkim:\n    - {domain: shop.test, selector: '"+sel+"', key_file: '"+file+"'}\n"), f)
	}
	for _, tt := range []struct{ sel, want string }{
		{"s_2026", `relay.dkim[0].selector: the selector of shop.test's key: "s_2026" holds '_': a selector is a sub-domain of letters, digits and hyphens (RFC 6376 3.1`},
		{"s+1", `"s+1" holds '+'`},
		{"sé1", `"sé1" holds 'é'`},
		{"-s1", "starts or ends with a hyphen"},
		{"s1-", "starts or ends with a hyphen"},
		{strings.Repeat("s", 64), "at most 63 (RFC 1035 2.3.4)"},
		{"s..1", "has an empty label"},
		{"", "no selector"},
	} {
		if err := decode(tt.sel); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("selector %q: error %v, want %q", tt.sel, err, tt.want)
		}
	}
	for _, sel := range []string{"s2026", "S-1", "2026", strings.Repeat("s", 63)} {
		if err := decode(sel); err != nil {
			t.Errorf("selector %q refused: %v", sel, err)
		}
	}
}

// A private key file every user may read is loaded with a warning that
// names it and the chmod to run, as OpenDKIM warns; one only its owner
// reads is loaded without a word.
func TestS17F2WorldReadableKeyWarns(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not Unix permissions")
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	file := writeKey(t, key)
	load := func() string {
		var log bytes.Buffer
		if _, err := newDKIMSigner([]DKIMConfig{{Domain: "shop.test", Selector: "s1", KeyFile: file}}, slog.New(slog.NewTextHandler(&log, nil))); err != nil {
			t.Fatal(err)
		}
		return log.String()
	}
	if got := load(); got != "" {
		t.Errorf("a key of mode 0600 logged %q", got)
	}
	for _, tt := range []struct {
		mode os.FileMode
		want string
	}{
		{0o644, "(mode 0644) can be read by every user of this machine: whoever reads it can sign mail that passes DKIM as its domain; run chmod 600 " + file},
		{0o602, "can be replaced by every user"},
		{0o666, "can be read and replaced by every user"},
	} {
		if err := os.Chmod(file, tt.mode); err != nil {
			t.Fatal(err)
		}
		if got := load(); !strings.Contains(got, "level=WARN") || !strings.Contains(got, tt.want) {
			t.Errorf("mode %04o: logged %q, want a warning with %q", tt.mode, got, tt.want)
		}
	}
	if err := os.Chmod(file, 0o640); err != nil { // a group the relay runs as
		t.Fatal(err)
	}
	if got := load(); got != "" {
		t.Errorf("a key of mode 0640 logged %q", got)
	}
	if got := shellWord("/keys/my key's.pem"); got != `'/keys/my key'\''s.pem'` {
		t.Errorf("shellWord = %s", got)
	}
	if got := shellWord("-k.pem"); got != "./-k.pem" {
		t.Errorf("shellWord = %s", got)
	}
}

// A message with two From fields is not signed, and the log says why
// (RFC 5322 3.6 allows one; Gmail refuses such mail): the signature
// vouched for both. A domain the relay has no key for gets no word.
func TestS17F2TwoFromsNotSigned(t *testing.T) {
	t.Parallel()
	records, cfgs := ed25519Keys(t, "shop.test")
	var log bytes.Buffer
	s, err := newDKIMSigner(cfgs, slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(name string) ([]string, error) { return []string{records[name]}, nil }
	two := []byte("From: <news@shop.test>\r\nFrom: <ceo@bank.test>\r\nTo: b@r.test\r\nSubject: hi\r\n\r\nbody\r\n")
	if out := s.Sign("bounce@shop.test", two); !bytes.Equal(out, two) {
		t.Errorf("a message with two From fields was changed (signed?):\n%s", out)
	}
	if got := log.String(); !strings.Contains(got, "level=WARN") || !strings.Contains(got, "not signing a message with 2 From fields: RFC 5322 3.6 allows one") {
		t.Errorf("logged %q", got)
	}
	// The same message with one From is signed.
	one := bytes.Replace(two, []byte("From: <ceo@bank.test>\r\n"), nil, 1)
	if vs := s16wdVerify(t, s.Sign("bounce@shop.test", one), lookup); len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "shop.test" {
		t.Errorf("one From: signatures %+v, want one valid d=shop.test", vs)
	}
	log.Reset()
	other := []byte("From: <a@other.test>\r\nFrom: <b@other.test>\r\n\r\nbody\r\n")
	if out := s.Sign("bounce@other.test", other); !bytes.Equal(out, other) || log.Len() != 0 {
		t.Errorf("no key for the domains: out %q, logged %q", out, log.String())
	}
}
