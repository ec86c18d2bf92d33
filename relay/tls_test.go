package relay

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// makeCert returns a self-signed certificate for names, valid until
// notAfter, and a pool that trusts it.
func makeCert(t *testing.T, names []string, notAfter time.Time) (*tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: notAfter.Add(-48 * time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// dialTo sends every connection to one address, whatever name the path
// gives, so that a path can name a host the certificate is checked against.
type dialTo string

func (d dialTo) DialContext(ctx context.Context, network, _ string) (net.Conn, error) {
	var nd net.Dialer
	return nd.DialContext(ctx, network, string(d))
}

var _ Dialer = dialTo("")

// scripted serves smtptest.Converse with answer on a loopback listener and
// counts its connections.
func scripted(t *testing.T, answer func(string) string) (string, *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			go func() { defer c.Close(); smtptest.Converse(c, "220 scripted.test ESMTP", answer) }()
		}
	}()
	return l.Addr().String(), &n
}

// refusesSTARTTLS offers STARTTLS and answers it with reply.
func refusesSTARTTLS(reply string) func(string) string {
	return func(cmd string) string {
		switch u := strings.ToUpper(cmd); {
		case strings.HasPrefix(u, "EHLO"):
			return "250-scripted.test\r\n250-PIPELINING\r\n250 STARTTLS"
		case u == "STARTTLS":
			return reply
		case u == "DATA":
			return "354 go on"
		}
		return "250 ok"
	}
}

// TestOpportunisticTLSRefusedFallsBack: a server that offers STARTTLS and
// then answers it 454 gets the message in plaintext on tls: opportunistic,
// as Postfix's "may" level does, instead of a deferral per attempt.
func TestOpportunisticTLSRefusedFallsBack(t *testing.T) {
	t.Parallel()
	addr, conns := scripted(t, refusesSTARTTLS("454 4.7.0 TLS not available due to local problem"))
	cfg := testConfig(addr)
	cfg.Paths[0].TLS = "opportunistic"
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@x.test", "b@y.test")
	h.runUntil("a terminal event", h.done(id, 1))
	if got := h.terminal(id)["b@y.test"]; len(got) != 1 || got[0] != events.RelayDelivered {
		t.Fatalf("terminal events %v, want delivered in plaintext after the refused STARTTLS", got)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the refused STARTTLS, then plaintext)", n)
	}
	att := h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})
	if tr, _ := payload(t, att[0])["transcript"].(string); !strings.Contains(tr, "S: 454 4.7.0") || !strings.Contains(tr, "plaintext") {
		t.Errorf("transcript does not show the refusal and the fallback:\n%s", tr)
	}
}

// TestTLSFailuresExplained: each way TLS fails on a path that requires it
// is deferred (never bounced: the message was not judged) with a reason
// that names the failure and advice that says what to change.
func TestTLSFailuresExplained(t *testing.T) {
	t.Parallel()
	now := time.Now()
	tests := []struct {
		name          string
		setup         func(t *testing.T, cfg *Config, opts *Options) // points cfg's path at a server
		reason, adv   string
		stage, status string
	}{
		{"name mismatch", func(t *testing.T, cfg *Config, opts *Options) {
			cert, pool := makeCert(t, []string{"other.example"}, now.Add(24*time.Hour))
			mta := startMTA(t, func(f *fakeMTA) { f.tls, f.cert = true, cert })
			cfg.Paths[0].Host, cfg.Paths[0].Verify = "smtp.example:25", true
			opts.Dialer, opts.TLSConfig = dialTo(mta.addr), &tls.Config{RootCAs: pool}
		}, "name mismatch", "verify: false", "starttls", ""},
		{"expired", func(t *testing.T, cfg *Config, opts *Options) {
			cert, pool := makeCert(t, []string{"smtp.example"}, now.Add(-24*time.Hour))
			mta := startMTA(t, func(f *fakeMTA) { f.tls, f.cert = true, cert })
			cfg.Paths[0].Host, cfg.Paths[0].Verify = "smtp.example:25", true
			opts.Dialer, opts.TLSConfig = dialTo(mta.addr), &tls.Config{RootCAs: pool}
		}, "expired", "renew", "starttls", ""},
		{"unknown authority", func(t *testing.T, cfg *Config, opts *Options) {
			mta := startMTA(t, func(f *fakeMTA) { f.tls = true })
			cfg.Paths[0].Host, cfg.Paths[0].Verify = mta.addr, true
		}, "not signed by an authority", "trust store", "starttls", ""},
		{"not offered", func(t *testing.T, cfg *Config, opts *Options) {
			mta := startMTA(t, nil)
			cfg.Paths[0].Host = mta.addr
		}, "does not offer STARTTLS", "tls: implicit", "starttls", ""},
		{"refused 454", func(t *testing.T, cfg *Config, opts *Options) {
			addr, _ := scripted(t, refusesSTARTTLS("454 4.7.0 TLS not available due to local problem"))
			cfg.Paths[0].Host = addr
		}, "refused the STARTTLS command", "tls: opportunistic", "starttls", "4.7.0"},
		{"refused 554", func(t *testing.T, cfg *Config, opts *Options) {
			addr, _ := scripted(t, refusesSTARTTLS("554 5.7.0 TLS not available"))
			cfg.Paths[0].Host = addr
		}, "not of the message", "tls: opportunistic", "starttls", "5.7.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig("")
			cfg.Paths[0].TLS = "required"
			var opts Options
			tt.setup(t, &cfg, &opts)
			h := newHarness(t, cfg, opts)
			id := h.enqueue("a@x.test", "b@y.test")
			h.runUntil("the first outcome", func() bool {
				return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred, events.RelayBounced, events.RelayDelivered}})) > 0
			})
			evs := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred, events.RelayBounced, events.RelayDelivered}})
			if evs[0].Kind != events.RelayDeferred {
				t.Fatalf("first outcome %s %s, want %s", evs[0].Kind, evs[0].Payload, events.RelayDeferred)
			}
			p := payload(t, evs[0])
			rep, _ := p["reply"].(map[string]any)
			if p["category"] != "tls-failure" || rep["stage"] != tt.stage || (tt.status != "" && rep["enhanced"] != tt.status) {
				t.Errorf("deferral %s: want category tls-failure at %s %s", evs[0].Payload, tt.stage, tt.status)
			}
			if r, _ := p["reason"].(string); !strings.Contains(r, tt.reason) {
				t.Errorf("reason %q, want it to say %q", r, tt.reason)
			}
			if a, _ := p["advice"].(string); !strings.Contains(a, tt.adv) {
				t.Errorf("advice %q, want it to mention %q", a, tt.adv)
			}
		})
	}
}
