package relay

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
)

// s16wdSigner is a signer with ed25519 keys for domains, and the lookup
// that finds their public halves under selector s1.
func s16wdSigner(t *testing.T, domains ...string) (*dkimSigner, func(string) ([]string, error)) {
	t.Helper()
	records, cfgs := ed25519Keys(t, domains...)
	s, err := newDKIMSigner(cfgs, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return s, func(name string) ([]string, error) {
		if rec, ok := records[name]; ok {
			return []string{rec}, nil
		}
		return nil, nil
	}
}

func s16wdVerify(t *testing.T, msg []byte, lookup func(string) ([]string, error)) []*dkim.Verification {
	t.Helper()
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{LookupTXT: lookup})
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// A From display name in a charset net/mail does not decode
// (windows-1252) still names the From domain to sign for: it was signed
// for the envelope sender's domain instead, which does not align.
func TestS16WDSignsForFromWithAnyCharset(t *testing.T) {
	t.Parallel()
	s, lookup := s16wdSigner(t, "shop.test", "strict.test")
	for _, from := range []string{
		"=?windows-1252?Q?Caf=E9_Shop?= <news@shop.test>",
		"=?x-unknown?Q?Caf=E9?= <news@shop.test>",
		"=?utf-8?Q?Caf=C3=A9?= <news@shop.test>",
	} {
		msg := []byte("From: " + from + "\r\nTo: b@r.test\r\nSubject: hi\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n\r\nbody\r\n")
		vs := s16wdVerify(t, s.Sign("bounce@strict.test", msg), lookup)
		if len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "shop.test" {
			t.Errorf("From %s: signatures %+v, want one valid d=shop.test", from, vs)
		}
	}
}

// h= lists the List-Unsubscribe fields (RFC 8058 4) and the other fields
// the message has, lists no field it lacks (a hop that adds Date must not
// break the signature), and oversigns From, so that a From put above the
// signed one breaks it.
func TestS16WDSignedFields(t *testing.T) {
	t.Parallel()
	s, lookup := s16wdSigner(t, "shop.test")
	msg := []byte("From: News <news@shop.test>\r\nTo: b@r.test\r\nSubject: offers\r\nMessage-ID: <1@shop.test>\r\n" +
		"List-Unsubscribe: <https://shop.test/u/1>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" +
		"List-Id: News <news.shop.test>\r\nFeedback-ID: 1:news:shop\r\n\r\nbody\r\n")
	signed := s.Sign("bounce@shop.test", msg)
	vs := s16wdVerify(t, signed, lookup)
	if len(vs) != 1 || vs[0].Err != nil {
		t.Fatalf("signatures %+v", vs)
	}
	keys := map[string]int{}
	for _, k := range vs[0].HeaderKeys {
		keys[strings.ToLower(k)]++
	}
	for _, f := range []string{"list-unsubscribe", "list-unsubscribe-post", "list-id", "feedback-id", "to", "subject", "message-id"} {
		if keys[f] != 1 {
			t.Errorf("h= lists %s %d times, want once: %v", f, keys[f], vs[0].HeaderKeys)
		}
	}
	if keys["from"] != 2 {
		t.Errorf("h= lists From %d times, want 2 (oversigned): %v", keys["from"], vs[0].HeaderKeys)
	}
	for _, f := range []string{"date", "cc", "reply-to", "mime-version", "content-type", "content-transfer-encoding"} {
		if keys[f] != 0 {
			t.Errorf("h= lists %s, which the message lacks: %v", f, vs[0].HeaderKeys)
		}
	}
	// A later hop adds Date: the signature holds.
	i := bytes.Index(signed, []byte("\r\n\r\n"))
	dated := append(append(append([]byte{}, signed[:i+2]...), "Date: Thu, 1 Jan 2026 00:00:00 +0000\r\n"...), signed[i+2:]...)
	if vs := s16wdVerify(t, dated, lookup); len(vs) != 1 || vs[0].Err != nil {
		t.Errorf("after a hop added Date: %+v", vs)
	}
	// A second From put above the message: the signature breaks.
	forged := append([]byte("From: CEO <ceo@shop.test>\r\n"), signed...)
	if vs := s16wdVerify(t, forged, lookup); len(vs) != 1 || vs[0].Err == nil {
		t.Errorf("a prepended From kept the signature valid: %+v", vs)
	}
}

// The relay adds a Date to a message without one where it adds the
// Message-ID (RFC 6409 8.2), at the time of submission, and keeps the
// message's own: a hop after the relay that added it broke the DKIM
// signature.
func TestS16WDAddsDate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)
	trace, added := []byte("Received: x\r\n"), addedFields("q1", "relay.test", now)
	for _, tt := range []struct{ msg, want string }{
		{"Subject: a\r\n\r\nb\r\n", "Received: x\r\nMessage-ID: <q1@relay.test>\r\nDate: Sun, 01 Mar 2026 12:30:00 +0000\r\nSubject: a\r\n\r\nb\r\n"},
		{"Message-Id: <own@x>\r\n\r\nb\r\n", "Received: x\r\nDate: Sun, 01 Mar 2026 12:30:00 +0000\r\nMessage-Id: <own@x>\r\n\r\nb\r\n"},
		{"date: Thu, 1 Jan 2026 00:00:00 +0000\r\n\r\nb\r\n", "Received: x\r\nMessage-ID: <q1@relay.test>\r\ndate: Thu, 1 Jan 2026 00:00:00 +0000\r\n\r\nb\r\n"},
		{"Message-ID: <own@x>\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n\r\nb\r\n", "Received: x\r\nMessage-ID: <own@x>\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n\r\nb\r\n"},
	} {
		all := append(make([]byte, len(trace)+len(added)), tt.msg...)
		if got := string(withTrace(all, trace, added)); got != tt.want {
			t.Errorf("SMTP %q: %q; want %q", tt.msg, got, tt.want)
		}
		want := strings.TrimPrefix(tt.want, "Received: x\r\n")
		if got := string(withMessageID([]byte(tt.msg), "q1", "relay.test", now)); got != want {
			t.Errorf("Enqueue %q: %q; want %q", tt.msg, got, want)
		}
	}
}

// ed25519Keys makes an ed25519 key under selector s1 for each domain:
// the relay's dkim configuration of each, and the TXT record of each
// public half by its name.
func ed25519Keys(t *testing.T, domains ...string) (records map[string]string, cfgs []DKIMConfig) {
	t.Helper()
	records = map[string]string{}
	for _, d := range domains {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := DNSRecord(key)
		if err != nil {
			t.Fatal(err)
		}
		records["s1._domainkey."+d] = rec
		cfgs = append(cfgs, DKIMConfig{Domain: d, Selector: "s1", KeyFile: writeKey(t, key)})
	}
	return records, cfgs
}
