package relay

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestWL26CAFileUntrusted: on a path with ca_file, a server certificate
// that no CA of the file signed read "not signed by an authority this
// machine trusts", and the advice was to set ca_file, which the path
// had. The path trusts its ca_file alone: the reply names the file, and
// the reason and advice say to put the server's CA in it; over STARTTLS
// and over implicit TLS alike. A path without ca_file keeps the
// machine's wording.
func TestWL26CAFileUntrusted(t *testing.T) {
	t.Parallel()
	served, err := selfSigned("mta.test")
	if err != nil {
		t.Fatal(err)
	}
	other, err := selfSigned("other.test")
	if err != nil {
		t.Fatal(err)
	}
	caFile := writeCertPEM(t, other)
	for _, tt := range []struct {
		name     string
		implicit bool
	}{
		{"starttls", false},
		{"implicit", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mta := startMTA(t, func(f *fakeMTA) { f.tls, f.implicit, f.cert = true, tt.implicit, &served })
			cfg := testConfig(mta.addr)
			cfg.Paths[0].TLS, cfg.Paths[0].Verify, cfg.Paths[0].CAFile = "required", true, caFile
			if tt.implicit {
				cfg.Paths[0].TLS = "implicit"
			}
			if err := cfg.Validate("relay"); err != nil {
				t.Fatal(err)
			}
			h := newHarness(t, cfg, Options{})
			id := h.enqueue("a@s.test", "one@r.test")
			kinds := []string{events.RelayDelivered, events.RelayDeferred}
			h.runUntil("an outcome", func() bool { return len(h.events(events.Filter{Message: id, Kinds: kinds})) > 0 })
			got := h.events(events.Filter{Message: id, Kinds: kinds})
			if got[0].Kind != events.RelayDeferred {
				t.Fatalf("outcome %s (%s), want deferred", got[0].Kind, got[0].Payload)
			}
			p := payload(t, got[0])
			reply, _ := p["reply"].(map[string]any)
			text, _ := reply["text"].(string)
			reason, _ := p["reason"].(string)
			advice, _ := p["advice"].(string)
			if !strings.Contains(text, "unknown authority") || !strings.Contains(text, "the path trusts only the CAs in its ca_file "+caFile) {
				t.Errorf("reply text %q: want the error and the path's ca_file %s", text, caFile)
			}
			if !strings.Contains(reason, "trusts only the CAs of its ca_file") || strings.Contains(reason, "this machine trusts") {
				t.Errorf("reason %q: want it to say the path trusts its ca_file alone", reason)
			}
			if !strings.Contains(advice, "add the certificate of the CA that signed the server's certificate to the path's ca_file") || strings.Contains(advice, "set ca_file on the path") {
				t.Errorf("advice %q: want it to say to put the server's CA in the path's ca_file", advice)
			}
		})
	}
}
