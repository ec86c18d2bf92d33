package sink

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

// A client that verifies certificates (Go's net/smtp, nodemailer,
// PHPMailer) refuses the self-signed certificate a listener without
// cert_file offers after STARTTLS. The session's record says so: the
// transcript's note names the client's alert, why (self-signed, made at
// start, no cert_file) and the fix by the listener's real keys, and
// HandshakeFailure reads it back for the session's outcome.
func TestHandshakeRefusedCertificateExplained(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(220, "Ready to start TLS", "STARTTLS")
	tc := tls.Client(c.nc, &tls.Config{ServerName: "mx.sink.relaylab.test"}) // verifies
	if err := tc.Handshake(); err == nil {
		t.Fatal("the handshake succeeded with a certificate the client cannot verify")
	}
	c.nc.Close()
	tr, _ := sessionText(t, st, 1)
	t.Log(tr)
	f, ok := HandshakeFailure(tr)
	if !ok {
		t.Fatalf("HandshakeFailure found no note of the failed handshake in:\n%s", tr)
	}
	if f.Err != "remote error: tls: bad certificate" {
		t.Errorf("Err %q, want the client's alert as crypto/tls words it", f.Err)
	}
	for _, want := range []string{"does not trust this listener's certificate", "bad certificate", "self-signed", "made when the sink started", "sink.listeners[0] has no cert_file"} {
		if !strings.Contains(f.Reason, want) {
			t.Errorf("Reason %q lacks %q", f.Reason, want)
		}
	}
	for _, want := range []string{"sink.listeners[0].cert_file and key_file", "sink.listeners[0].tls: none", "sink.listeners[0].hide: [STARTTLS]"} {
		if !strings.Contains(f.Advice, want) {
			t.Errorf("Advice %q lacks %q", f.Advice, want)
		}
	}
}

// Other failures get reasons of their own: no TLS version in common, no
// cipher suite in common, plain text where the handshake was due.
func TestHandshakeFailuresOnTheWire(t *testing.T) {
	t.Parallel()
	// A ClientHello of SSL 3.0 (legacy_version 0x0300, no
	// supported_versions extension), one cipher suite, no extensions.
	hello := []byte{0x01, 0, 0, 41, 0x03, 0x00}
	hello = append(hello, make([]byte, 32)...) // random
	hello = append(hello, 0, 0, 2, 0x00, 0x2f, 1, 0)
	ssl3 := append([]byte{0x16, 0x03, 0x00, 0, byte(len(hello))}, hello...)
	tests := []struct {
		name     string
		implicit bool
		client   func(net.Conn)
		reason   string
	}{
		{"protocol version", false, func(nc net.Conn) { nc.Write(ssl3); io.Copy(io.Discard, nc) }, "no TLS version in common"},
		{"no shared cipher", false, func(nc net.Conn) {
			tls.Client(nc, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12,
				CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}}).Handshake() // RSA key exchange; the certificate is ECDSA
		}, "no cipher suite or key exchange in common"},
		{"plain text after STARTTLS", false, func(nc net.Conn) { io.WriteString(nc, "MAIL FROM:<a@b.test>\r\n"); io.Copy(io.Discard, nc) }, "sent no TLS handshake after the 220"},
		{"plain text on implicit TLS", true, func(nc net.Conn) { io.WriteString(nc, "EHLO plain.test\r\n"); io.Copy(io.Discard, nc) }, "sink.listeners[0].tls is implicit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, st := testSink(t, nil, func(c *Config) {
				if tc.implicit {
					c.Listeners[0].TLS = "implicit"
				}
			})
			nc, err := net.Dial("tcp", addrOf(t, s, "mx"))
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(20 * time.Second))
			if !tc.implicit {
				c := &client{t: t, nc: nc, tp: textproto.NewConn(nc)}
				c.greet()
				c.expect(220, "Ready to start TLS", "STARTTLS")
			}
			tc.client(nc)
			nc.Close()
			tr, _ := sessionText(t, st, 1)
			f, ok := HandshakeFailure(tr)
			if !ok || !strings.Contains(f.Reason, tc.reason) || f.Advice == "" {
				t.Errorf("HandshakeFailure %+v %v, want a reason with %q and advice; transcript:\n%s", f, ok, tc.reason, tr)
			}
			if strings.Contains(f.Reason, "does not trust") {
				t.Errorf("reason %q blames the certificate for a failure that is not about it", f.Reason)
			}
		})
	}
}

// The alerts by which clients refuse a certificate, and the advice for a
// listener with a certificate of its own (cert_file), which is not about
// a self-signed one.
func TestHandshakeFailureReasons(t *testing.T) {
	t.Parallel()
	remote := func(alert string) error { return &net.OpError{Op: "remote error", Err: errors.New("tls: " + alert)} }
	own := &listener{index: 2, cfg: ListenerConfig{Hostname: "mx.test", CertFile: "mx.pem"}, starttls: true}
	self := &listener{index: 1, cfg: ListenerConfig{Hostname: "mx.test"}, implicitTLS: true}
	tests := []struct {
		name        string
		l           *listener
		err         error
		reason, fix string
		notInReason string
		notInAdvice string
	}{
		{"unknown ca (OpenSSL clients)", self, remote("unknown certificate authority"), "self-signed", "sink.listeners[1].cert_file", "", "hide"},
		{"certificate unknown", self, remote("unknown certificate"), "does not trust", "tls: none or starttls", "", "hide"},
		{"own certificate refused", own, remote("bad certificate"), `sink.listeners[2].cert_file "mx.pem"`, "intermediate", "self-signed", ""},
		{"closed without an alert", self, io.EOF, "without a TLS alert", "client's log", "", ""},
		{"protocol alert", self, remote("protocol version not supported"), "no TLS version in common", "TLS 1.2 or 1.3", "trust", ""},
		{"something else", self, errors.New("tls: client's Finished message is incorrect"), "did not complete", "client's log", "trust", ""},
	}
	for _, tc := range tests {
		f := tc.l.handshakeFailure(tc.err)
		if !strings.Contains(f.Reason, tc.reason) || !strings.Contains(f.Advice, tc.fix) {
			t.Errorf("%s: %+v, want %q in the reason and %q in the advice", tc.name, f, tc.reason, tc.fix)
		}
		if tc.notInReason != "" && strings.Contains(f.Reason, tc.notInReason) {
			t.Errorf("%s: reason %q says %q", tc.name, f.Reason, tc.notInReason)
		}
		if tc.notInAdvice != "" && strings.Contains(f.Advice, tc.notInAdvice) {
			t.Errorf("%s: advice %q says %q (no STARTTLS to hide on an implicit-TLS listener)", tc.name, f.Advice, tc.notInAdvice)
		}
		back, ok := HandshakeFailure("0.000 S 220 2.0.0 Ready to start TLS\n0.010 * " + f.note() + "\n")
		if !ok || back != f {
			t.Errorf("%s: HandshakeFailure read back %+v %v, want %+v", tc.name, back, ok, f)
		}
	}
	if _, ok := HandshakeFailure("0.000 S 220 ready\n0.001 C QUIT\n"); ok {
		t.Error("HandshakeFailure found a failure in a transcript without one")
	}
}
