package relay

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestDKIMKeyForBoundaries: which key signs mail from a domain, by the
// domains of the configured keys. A key is found for its own domain and
// subdomains within its organisational domain, never above it; a key
// configured with a trailing dot ("shop.test.") or in U-labels is kept as
// the From domain is looked up, instead of being kept as written and never
// found (mail then went out unsigned).
func TestDKIMKeyForBoundaries(t *testing.T) {
	t.Parallel()
	k := dkimKey{selector: "s"}
	for _, tt := range []struct {
		keys   []string
		domain string
		want   string
	}{
		{[]string{"co.uk"}, "a.b.co.uk", ""},
		{[]string{"b.co.uk"}, "a.b.co.uk", "b.co.uk"},
		{[]string{"test"}, "relay.shop.test", ""},
		{[]string{"github.io"}, "evil.github.io", ""},
		{[]string{"shop.test"}, "relay.shop.test", "shop.test"},
		{[]string{"shop.test"}, "relay.shop.test.", "shop.test"},
		{[]string{"shop.test."}, "shop.test", "shop.test"},
		{[]string{"Shop.Test."}, "relay.shop.test", "shop.test"},
		{[]string{"bücher.test"}, "xn--bcher-kva.test", "xn--bcher-kva.test"},
		{[]string{"BÜCHER.test"}, "relay.bücher.test", "xn--bcher-kva.test"},
		{[]string{"xn--bcher-kva.test"}, "bücher.test", "xn--bcher-kva.test"},
	} {
		s := &dkimSigner{keys: map[string]dkimKey{}}
		for _, d := range tt.keys {
			if err := s.add(d, k); err != nil {
				t.Fatalf("add %q: %v", d, err)
			}
		}
		d, _, ok := s.keyFor(tt.domain)
		if !ok {
			d = ""
		}
		if d != tt.want {
			t.Errorf("keys %v, From domain %q: signs d=%q, want %q", tt.keys, tt.domain, d, tt.want)
		}
	}
}

// TestDKIMDomainWithTrailingDotSigns: a relay.dkim domain written as an
// absolute name signs the mail of that domain, with d= the domain without
// the dot.
func TestDKIMDomainWithTrailingDotSigns(t *testing.T) {
	t.Parallel()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newDKIMSigner([]DKIMConfig{{Domain: "shop.test.", Selector: "s1", KeyFile: writeKey(t, key)}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	out := s.Sign("a@shop.test", []byte("From: a@shop.test\r\nSubject: x\r\n\r\nx\r\n"))
	if !bytes.HasPrefix(out, []byte("DKIM-Signature:")) || !bytes.Contains(out, []byte("d=shop.test;")) {
		t.Errorf("signed message:\n%s\nwant a DKIM-Signature with d=shop.test", out)
	}
}

// TestDKIMDomainConfig: a relay.dkim domain is refused at its key when it
// is no domain name, or the domain of another entry written another way
// (case, a trailing dot), which would have replaced that entry's key.
func TestDKIMDomainConfig(t *testing.T) {
	t.Parallel()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	file := writeKey(t, key)
	entry := func(domain string) string {
		return "    - {domain: '" + domain + "', selector: s1, key_file: '" + file + "'}\n"
	}
	for _, tt := range []struct {
		name, entries, want string // want: "" for taken
	}{
		{"trailing dot", entry("shop.test."), ""},
		{"IDN", entry("bücher.test"), ""},
		{"bad IDN", entry("ü-.test"), `relaylab.yaml:3:16: relay.dkim[0].domain: "ü-.test" is not a domain name that can be written in A-labels`},
		{"only a dot", entry("."), `relay.dkim[0].domain: "." is not a domain`},
		{"twice", entry("shop.test") + entry("Shop.Test."), `relaylab.yaml:4:16: relay.dkim[1].domain: "Shop.Test." is the domain shop.test of dkim[0] again`},
		{"IDN twice", entry("xn--bcher-kva.test") + entry("bücher.test"), `relay.dkim[1].domain: "bücher.test" is the domain xn--bcher-kva.test of dkim[0] again`},
	} {
		f := &fileWithRelay{Relay: DefaultConfig()}
		err := config.Decode("relaylab.yaml", []byte("relay:\n  dkim:\n"+tt.entries), f)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want it taken", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}
