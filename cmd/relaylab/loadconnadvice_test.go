package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/smtpload"
)

// load's advice for a connection failure follows its cause: --tls
// against a plaintext port is not a certificate to trust, and a greeting
// cut short may be an implicit-TLS port met in plaintext.
func TestLoadConnAdviceByCause(t *testing.T) {
	t.Parallel()
	_, todo := connAdvice(smtpload.Config{ImplicitTLS: true}, "tls", smtpload.StageGreeting, fmt.Errorf("dial: %w", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}))
	if !strings.Contains(todo, "drop --tls") || strings.Contains(todo, "--insecure") {
		t.Errorf("--tls against plaintext: advice %q; want drop --tls, not --insecure", todo)
	}
	_, todo = connAdvice(smtpload.Config{}, "eof", smtpload.StageGreeting, io.EOF)
	if !strings.Contains(todo, "needs --tls") {
		t.Errorf("greeting cut in plaintext: advice %q; want the implicit-TLS hint", todo)
	}
	_, todo = connAdvice(smtpload.Config{}, "eof", smtpload.StageData, io.EOF)
	if strings.Contains(todo, "--tls") {
		t.Errorf("a cut after the greeting: advice %q; want no TLS hint", todo)
	}
}
