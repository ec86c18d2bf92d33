package relay

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/testutil"
)

// TestSwaksSubmitsWithAuthOverSTARTTLS uses swaks, a client no one here
// wrote, against the submission listener.
func TestSwaksSubmitsWithAuthOverSTARTTLS(t *testing.T) {
	t.Parallel()
	swaks := testutil.NeedCommand(t, "swaks")
	mta := startMTA(t, nil)
	h := newHarness(t, submitConfig(mta.addr), Options{})
	addr := h.r.Addr().String()
	tests := []struct {
		name string
		args []string
		ok   bool
		want string
	}{
		{"auth plain over starttls", []string{"--tls", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "s3cret"}, true, "250"},
		{"auth login over starttls", []string{"--tls", "--auth", "LOGIN", "--auth-user", "alice", "--auth-password", "s3cret"}, true, "250"},
		{"no auth: refused", nil, false, "530 5.7.0"},
		{"wrong password", []string{"--tls", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "bad"}, false, "535 5.7.8"},
	}
	for _, tt := range tests {
		args := append([]string{"--server", addr, "--from", "alice@s.test", "--to", "bob@r.test", "--header", "Subject: " + tt.name}, tt.args...)
		out, err := exec.Command(swaks, args...).CombinedOutput()
		if (err == nil) != tt.ok || !strings.Contains(string(out), tt.want) {
			t.Errorf("%s: swaks err %v, want ok=%v and %q in:\n%s", tt.name, err, tt.ok, tt.want, out)
		}
	}
	h.runUntil("delivery", func() bool { return len(mta.received()) == 2 })
	list, err := h.r.List(context.Background(), QueueFilter{})
	if err != nil || len(list) != 2 {
		t.Fatalf("queue has %d messages (%v), want the 2 authenticated ones", len(list), err)
	}
	for _, m := range list {
		if m.AuthUser != "alice" {
			t.Errorf("message %s: auth user %q", m.ID, m.AuthUser)
		}
	}
}

// TestDKIMVerifiesWithDkimpy checks our signatures with python3-dkim
// (dkimpy), given our DNS record instead of a real lookup.
func TestDKIMVerifiesWithDkimpy(t *testing.T) {
	t.Parallel()
	testutil.NeedCommand(t, "dkimverify")
	python := "/usr/bin/python3" // the interpreter dkimpy is installed for
	if _, err := os.Stat(python); err != nil {
		if testutil.InCI() {
			t.Fatal("no /usr/bin/python3: install python3-dkim (.ci/test does)")
		}
		t.Skip("no /usr/bin/python3")
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const script = `
import os, sys, dkim
rec = os.environ["DKIM_RECORD"].encode()
def txt(name, timeout=5):
    return rec if name.decode().rstrip(".") == "s1._domainkey.signed.test" else None
ok = dkim.verify(sys.stdin.buffer.read(), dnsfunc=txt)
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
`
	for name, key := range map[string]crypto.Signer{"rsa": rsaKey, "ed25519": edKey} {
		s, err := newDKIMSigner([]DKIMConfig{{Domain: "signed.test", Selector: "s1", KeyFile: writeKey(t, key)}}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		msg := []byte("From: Alice <alice@signed.test>\r\nTo: bob@r.test\r\nSubject: dkim " + name + "\r\nDate: Sun, 01 Mar 2026 12:00:00 +0000\r\nMessage-ID: <1@signed.test>\r\n\r\nHello,  world.\r\n.dot line\r\n")
		signed := s.Sign("alice@signed.test", msg)
		if bytes.Equal(signed, msg) {
			t.Fatalf("%s: not signed", name)
		}
		rec, _ := DNSRecord(key)
		cmd := exec.Command(python, "-c", script)
		cmd.Env = append(os.Environ(), "DKIM_RECORD="+rec)
		cmd.Stdin = bytes.NewReader(signed)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "PASS") {
			t.Errorf("%s: dkimpy says %v:\n%s", name, err, out)
		}
	}
}
