package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// relaylab config warns of a rule that a rule before it answers for, at
// its file and line, and still exits 0: the sink runs such rules as
// written, and the warning says which rule to move.
func TestWR27ConfigWarnsShadowedRule(t *testing.T) {
	t.Parallel()
	cfg, code, _, errs := wr27Config(t, `sink:
  listeners:
    - {name: mx1, listen: "127.0.0.1:43125"}
  rules:
    - name: all at qa
      stage: rcpt
      recipient: "*@qa.test"
      reply: "550 5.1.1 no"
    - name: bob at qa
      stage: rcpt
      recipient: bob@qa.test
      reply: "451 4.7.1 later"
`)
	if code != 0 {
		t.Fatalf("config: exit %d, want 0 (a warning), %s", code, errs)
	}
	want := "relaylab config: warning: " + cfg + `:9:`
	if !strings.Contains(errs, want) || !strings.Contains(errs, `sink.rules[1]: never applies: sink.rules[0] ("all at qa") comes before it at stage rcpt`) {
		t.Errorf("stderr %q, want %q and the rule that answers first", errs, want)
	}
}

// A listener with tls: none gets no certificate, so the printout does not
// say that one is made for it; one that offers STARTTLS still does.
func TestWR27ConfigTLSNoneCertificate(t *testing.T) {
	t.Parallel()
	_, code, out, errs := wr27Config(t, `sink:
  listeners:
    - {name: mx1, listen: "127.0.0.1:43126"}
    - {name: mx2, listen: "127.0.0.1:43127", tls: none}
`)
	if code != 0 {
		t.Fatalf("config: exit %d, %s", code, errs)
	}
	_, mx2, _ := strings.Cut(out, "name: mx2")
	mx1, _, _ := strings.Cut(out, "name: mx2")
	if !strings.Contains(mx1, `cert_file: "" # a self-signed certificate, made at start`) {
		t.Errorf("mx1's cert_file is not said to be self-signed:\n%s", mx1)
	}
	for _, k := range []string{"cert_file", "key_file"} {
		if want := k + `: "" # none: tls: none offers no TLS, so no certificate is made`; !strings.Contains(mx2, want) {
			t.Errorf("mx2 lacks %q:\n%s", want, mx2)
		}
	}
}

// wr27Config runs relaylab config on a file of text, and returns the
// file's name with what the command gave.
func wr27Config(t *testing.T, text string) (cfg string, code int, out, errs string) {
	t.Helper()
	cfg = filepath.Join(t.TempDir(), "relaylab.yaml")
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCmd(t, "", "config", "--config", cfg)
	return cfg, code, out, errs
}
