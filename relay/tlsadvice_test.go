package relay

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestImplicitTLSToPlaintextPort: a path with tls: implicit pointed at a
// port that speaks plaintext SMTP fails at stage tls (no STARTTLS was
// involved) with a reason that names the plaintext greeting and advice to
// use STARTTLS on this port or the implicit-TLS port.
func TestImplicitTLSToPlaintextPort(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Paths[0].TLS = "implicit"
	cfg.Retry.MaxAttempts = 1
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("", "b@r.test")
	h.runUntil("done", h.done(id, 1))
	att := h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})
	if len(att) != 1 {
		t.Fatalf("%d attempts", len(att))
	}
	rep, _ := payload(t, att[0])["reply"].(map[string]any)
	text, _ := rep["text"].(string)
	// The greeting line quoted, not only the 5 bytes of a TLS record
	// header ("220 m").
	if rep["stage"] != "tls" || !strings.Contains(text, `plaintext ("220 mta.test ESMTP Service Ready")`) {
		t.Errorf("reply %v: want stage tls and a text that names the plaintext answer", rep)
	}
	v := builtinVerdict(t, Reply{Stage: "tls", Text: text})
	if v.Category != "tls-failure" || v.Disposition != Retry || !strings.Contains(v.Reason, "plaintext") || !strings.Contains(v.Advice, "465") ||
		!strings.Contains(v.Advice, "tls: required") {
		t.Errorf("verdict %+v: want tls-failure naming the plaintext port, advising STARTTLS or port 465", v)
	}
	if got := describeStage("tls"); strings.Contains(got, "STARTTLS") {
		t.Errorf("stage tls described as %q", got)
	}
}

// TestNoIPSANsAdvice: a certificate checked against an IP address it does
// not hold lists no names in its error, so the advice does not point at
// them.
func TestNoIPSANsAdvice(t *testing.T) {
	t.Parallel()
	v := builtinVerdict(t, Reply{Stage: "starttls", Text: "TLS handshake: tls: failed to verify certificate: x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"})
	if v.Category != "tls-failure" || strings.Contains(v.Advice, "the error lists them") || !strings.Contains(v.Advice, "DNS name") || !strings.Contains(v.Advice, "IP SAN") {
		t.Errorf("verdict %+v: want advice to use the certificate's DNS name or add an IP SAN", v)
	}
}
