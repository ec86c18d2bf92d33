package relay

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
)

// TestDKIMSignsForParentDomain: a message whose From domain has no key of
// its own is signed with the key of a parent domain within the same
// organisational domain (RFC 7489 3.1.1, relaxed alignment), as the
// relay's DSNs from MAILER-DAEMON@relay.shop.test need shop.test's key;
// the exact domain's key is preferred, and a key outside the From
// domain's organisational domain is never used.
func TestDKIMSignsForParentDomain(t *testing.T) {
	t.Parallel()
	records, cfgs := ed25519Keys(t, "shop.test", "mail.other.test", "test", "co.uk")
	s, err := newDKIMSigner(cfgs, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(domain string) ([]string, error) {
		if rec, ok := records[domain]; ok {
			return []string{rec}, nil
		}
		return nil, nil
	}
	for _, tt := range []struct {
		from, want string // want: the d= domain, or "" for unsigned
	}{
		{"Mail Delivery System <MAILER-DAEMON@relay.shop.test>", "shop.test"},
		{"a@deep.relay.SHOP.test", "shop.test"},
		{"a@shop.test", "shop.test"},
		{"a@mail.other.test", "mail.other.test"},
		// other.test's organisational domain holds no key; a key for a
		// sibling or a child is not a parent's.
		{"a@other.test", ""},
		{"a@x.other.test", ""},
		// Not a parent: a name that only ends in the same letters.
		{"a@myshop.test", ""},
		// "test" and "co.uk" are above the organisational domain.
		{"a@nokey.test", ""},
		{"a@shop.co.uk", ""},
	} {
		msg := "From: " + tt.from + "\r\nTo: b@r.test\r\nSubject: hi\r\n\r\nbody\r\n"
		out := s.Sign("", []byte(msg))
		vs, err := dkim.VerifyWithOptions(bytes.NewReader(out), &dkim.VerifyOptions{LookupTXT: lookup})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if len(vs) == 1 && vs[0].Err == nil {
			got = vs[0].Domain
		}
		if got != tt.want || len(vs) > 1 || (len(vs) == 1 && vs[0].Err != nil) {
			t.Errorf("From %s: signed by %q (%+v), want %q", tt.from, got, vs, tt.want)
		}
	}

	// The exact domain's key wins over its parent's.
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	exact, err := newDKIMSigner(append(cfgs, DKIMConfig{Domain: "relay.shop.test", Selector: "s2", KeyFile: writeKey(t, key)}), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	out := exact.Sign("", []byte("From: <MAILER-DAEMON@relay.shop.test>\r\nSubject: x\r\n\r\nbody\r\n"))
	if !bytes.Contains(out, []byte("d=relay.shop.test")) || !bytes.Contains(out, []byte("s=s2")) {
		t.Errorf("with keys for relay.shop.test and shop.test, signed as\n%s\nwant d=relay.shop.test, s=s2", out)
	}
}
