package relay

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestUnreadableFromSaysWhatIsSigned: a From field that is not one
// address leaves the envelope sender's domain to sign for; the log says
// "signing" only when that domain has a key, and says the message goes
// out unsigned when it has none. Before, it said "signing for the
// envelope sender's domain" and signed nothing.
func TestUnreadableFromSaysWhatIsSigned(t *testing.T) {
	t.Parallel()
	_, cfgs := ed25519Keys(t, "shop.test")
	msg := []byte("From: news at shop dot test\r\nTo: b@r.test\r\nSubject: hi\r\n\r\nbody\r\n")
	for _, tt := range []struct {
		sender    string
		signed    bool
		want, not string
	}{
		{"bounce@shop.test", true, "the From field is not one address; signing for the envelope sender's domain", "not signing"},
		{"bounce@esp.test", false, "not signing: the From field is not one address, so the relay cannot tell its domain, and the envelope sender's domain has no relay.dkim key", "signing for"},
	} {
		var log bytes.Buffer
		s, err := newDKIMSigner(cfgs, slog.New(slog.NewTextHandler(&log, nil)))
		if err != nil {
			t.Fatal(err)
		}
		out := s.Sign(tt.sender, msg)
		if signed := bytes.HasPrefix(out, []byte("DKIM-Signature:")); signed != tt.signed {
			t.Errorf("%s: signed %v, want %v", tt.sender, signed, tt.signed)
		}
		got := log.String()
		if !strings.Contains(got, "level=WARN") || !strings.Contains(got, tt.want) || strings.Contains(got, tt.not) {
			t.Errorf("%s: logged %q, want a warning with %q and without %q", tt.sender, got, tt.want, tt.not)
		}
	}
}
