package authcheck

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/sink"
)

var loopback = netip.MustParseAddr("127.0.0.1")

func TestOffIsNil(t *testing.T) {
	t.Parallel()
	if v := New(sink.VerifyConfig{}, nil); v != nil {
		t.Errorf("New with verify off = %v, want nil", v)
	}
}

// A resolver that cannot be made gives temperror results, with a header,
// instead of no checks at all.
func TestNoResolverIsTemperror(t *testing.T) {
	t.Parallel()
	v := New(sink.VerifyConfig{Enabled: true, Resolvers: []string{"no-port"}}, slog.New(slog.DiscardHandler))
	got, err := v.Verify(context.Background(), loopback, "client.test", "a@sinkauth.test", []byte("From: <a@sinkauth.test>\r\n\r\nHi.\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got.SPF != "temperror" || got.DKIM != "temperror" || got.DMARC != "temperror" || !strings.HasPrefix(got.Header, "Authentication-Results: relaylab;") {
		t.Errorf("got %+v, want temperror everywhere and an Authentication-Results header", got)
	}
	// One field that go-msgauth reads back, whatever the reason holds
	// (the resolver's error for no /etc/resolv.conf has a ";"): three
	// results, each temperror.
	for _, v := range []*verifier{v.(*verifier), {err: errors.New("resolver: no servers configured and no /etc/resolv.conf; pass a server such as 127.0.0.1:53")}} {
		got, err := v.Verify(context.Background(), loopback, "client.test", "a@sinkauth.test", []byte("From: <a@sinkauth.test>\r\n\r\nHi.\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		id, results, err := authres.Parse(strings.TrimPrefix(got.Header, "Authentication-Results: "))
		if err != nil || id != "relaylab" || len(results) != 3 {
			t.Fatalf("header %q parses to %q, %d results, %v", got.Header, id, len(results), err)
		}
		if r, ok := results[0].(*authres.SPFResult); !ok || r.Value != authres.ResultTempError || !strings.Contains(got.Header, "resolver") {
			t.Errorf("spf result %+v of %q, want temperror with the resolver's error", results[0], got.Header)
		}
	}
}

// New asks the servers of cfg.Resolvers: a message signed and sent from an
// address the zone's SPF allows passes all three checks.
func TestVerifiesAgainstResolvers(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, "../../testdata/dns/sinkauth.zone")
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.AddString(`s1._domainkey.sinkauth.test. 300 IN TXT "v=DKIM1; k=ed25519; p=` + base64.StdEncoding.EncodeToString(pub) + `"`); err != nil {
		t.Fatal(err)
	}
	var signed bytes.Buffer
	msg := "From: <alice@sinkauth.test>\r\nTo: <b@sink.test>\r\nSubject: hi\r\n\r\nHello.\r\n"
	if err := dkim.Sign(&signed, strings.NewReader(msg), &dkim.SignOptions{Domain: "sinkauth.test", Selector: "s1", Signer: key}); err != nil {
		t.Fatal(err)
	}
	v := New(sink.VerifyConfig{Enabled: true, Resolvers: []string{srv.Addr}}, nil)
	got, err := v.Verify(context.Background(), loopback, "client.test", "alice@sinkauth.test", signed.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got.SPF != "pass" || got.DKIM != "pass" || got.DMARC != "pass" || got.DMARCPolicy != "reject" {
		t.Errorf("got spf=%s dkim=%s dmarc=%s policy=%s, want pass pass pass reject", got.SPF, got.DKIM, got.DMARC, got.DMARCPolicy)
	}
}
