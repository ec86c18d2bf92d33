package sink

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
)

// sessionText is the transcript and the recorded replies of session id,
// once it has ended.
func sessionText(t *testing.T, st *store.Store, id int64) (transcript, replies string) {
	t.Helper()
	waitSessions(t, st, int(id))
	ss, err := SessionByID(context.Background(), st.DB(), id)
	if err != nil {
		t.Fatal(err)
	}
	st.DB().QueryRow(`SELECT replies FROM sink_sessions WHERE id = ?`, id).Scan(&replies)
	return ss.Transcript, replies
}

// TestS14ImplicitTLSHandshake: on a listener of implicit TLS the sink does
// the handshake before its greeting. One that fails is in the transcript,
// and no 220 is recorded as sent (it was, from the first write's failed
// handshake); one that succeeds is noted before the 220.
func TestS14ImplicitTLSHandshake(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) { c.Listeners[0].TLS = "implicit" })
	addr := addrOf(t, s, "mx")

	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	nc.Write([]byte("EHLO plain.test\r\n")) // SMTP in the clear, where TLS is due
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	io.Copy(io.Discard, nc) // until the sink closes
	nc.Close()
	tr, replies := sessionText(t, st, 1)
	if !strings.Contains(tr, "* TLS handshake failed: ") || strings.Contains(tr, "S 220") || strings.Contains(replies, "220") {
		t.Errorf("a failed handshake: want it noted and no 220; transcript:\n%s\nreplies %s", tr, replies)
	}

	tc, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	tc.SetDeadline(time.Now().Add(20 * time.Second))
	c := &client{t: t, nc: tc, tp: textproto.NewConn(tc)}
	c.greet()
	c.expect(221, "", "QUIT")
	tc.Close()
	tr, _ = sessionText(t, st, 2)
	if i, g := strings.Index(tr, "* TLS established: TLS 1."), strings.Index(tr, "S 220 "); i < 0 || g < 0 || i > g {
		t.Errorf("TLS is to be noted before the greeting:\n%s", tr)
	}
}

// TestS14StartTLSUnderImplicitTLS: STARTTLS where TLS is active from the
// first byte gets 503 (TLS is already active), as after a STARTTLS, not
// 502; and the commands pipelined after it are answered, not dropped as
// sent in the clear before TLS began.
func TestS14StartTLSUnderImplicitTLS(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) { c.Listeners[0].TLS = "implicit" })
	tc, err := tls.Dial("tcp", addrOf(t, s, "mx"), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	tc.SetDeadline(time.Now().Add(20 * time.Second))
	c := &client{t: t, nc: tc, tp: textproto.NewConn(tc)}
	c.greet()
	c.expect(503, "5.5.1 TLS is already active", "STARTTLS")
	tc.Write([]byte("STARTTLS\r\nNOOP\r\n"))
	if code, msg := c.read(); code != 503 {
		t.Fatalf("pipelined STARTTLS: %d %q", code, msg)
	}
	if code, msg := c.read(); code != 250 {
		t.Fatalf("NOOP after STARTTLS: %d %q", code, msg)
	}
}

// TestS14TLSHelloOnPlainPort: a client that starts TLS on a port that
// speaks SMTP in the clear gets a note that says so, and its binary line
// is in the transcript with its control bytes escaped.
func TestS14TLSHelloOnPlainPort(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	if code, _ := c.read(); code != 220 {
		t.Fatalf("greeting %d", code)
	}
	// The start of a TLS record (handshake, TLS 1.0 record version), with
	// bytes a terminal would act on, and a line feed that ends a "line".
	c.nc.Write([]byte("\x16\x03\x01\x00\x2a\x01\x00\x00\x26\x03\x03\x1b[2J\x07\x00\r\n"))
	c.read()
	c.nc.Close()
	tr, _ := sessionText(t, st, 1)
	if !strings.Contains(tr, "* "+tlsHelloHint) {
		t.Errorf("no note of a TLS handshake on a port in the clear:\n%s", tr)
	}
	if !strings.Contains(tr, `C \x16\x03\x01\x00*\x01\x00\x00&\x03\x03\x1b[2J\x07\x00`) || strings.ContainsAny(tr, "\x16\x1b\x07\x00") {
		t.Errorf("the client's line is not escaped:\n%q", tr)
	}

	// A client that speaks SMTP gets no such note.
	c = dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(221, "", "QUIT")
	if tr, _ := sessionText(t, st, 2); strings.Contains(tr, "TLS handshake") {
		t.Errorf("a note of TLS for a plain client:\n%s", tr)
	}
}

// recordConn keeps every byte read from its connection.
type recordConn struct {
	net.Conn
	mu  sync.Mutex
	got bytes.Buffer
}

func (r *recordConn) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.got.Write(p[:n])
	r.mu.Unlock()
	return n, err
}

// TestS14CloseNotifyAfterQuit: after its 221 to QUIT, the sink ends a TLS
// session with TLS's close_notify (an alert record), so that the client
// can tell the end from a connection cut in the middle.
func TestS14CloseNotifyAfterQuit(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) { c.Listeners[0].TLS = "implicit" })
	nc, err := net.Dial("tcp", addrOf(t, s, "mx"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	rec := &recordConn{Conn: nc}
	// TLS 1.2, whose record types are in the clear (1.3 hides the alert's).
	tc := tls.Client(rec, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12})
	c := &client{t: t, nc: tc, tp: textproto.NewConn(tc)}
	c.greet()
	c.expect(221, "", "QUIT")
	if _, err := io.Copy(io.Discard, tc); err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("after 221: %v", err)
	}
	rec.mu.Lock()
	b := rec.got.Bytes()
	rec.mu.Unlock()
	var last byte
	for len(b) >= 5 {
		n := int(b[3])<<8 | int(b[4])
		last = b[0]
		if len(b) < 5+n {
			break
		}
		b = b[5+n:]
	}
	if last != 21 { // RFC 5246 6.2.1: alert(21), application_data(23)
		t.Errorf("the last TLS record from the sink has type %d, want an alert (21): close_notify", last)
	}
}

// TestS14AuthOnlyUnderTLS: with auth.require_tls, EHLO does not offer
// AUTH before STARTTLS (as Postfix's smtpd_tls_auth_only), and does after
// it; an AUTH sent anyway before TLS still gets 538.
func TestS14AuthOnlyUnderTLS(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) {
		c.Listeners[0].Auth = AuthConfig{Mode: "optional", RequireTLS: true, Users: map[string]string{"alice": "secret"}}
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.read()
	ehlo := func() string {
		t.Helper()
		c.tp.PrintfLine("EHLO client.test")
		_, msg, err := c.tp.ReadResponse(250)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	if got := ehlo(); strings.Contains(got, "AUTH") || !strings.Contains(got, "STARTTLS") {
		t.Errorf("EHLO before TLS offers AUTH, or no STARTTLS:\n%s", got)
	}
	c.expect(538, "5.7.11", "AUTH PLAIN %s", plainIR("alice", "secret"))
	c.startTLS()
	if got := ehlo(); !strings.Contains(got, "AUTH PLAIN LOGIN") {
		t.Errorf("EHLO under TLS does not offer AUTH:\n%s", got)
	}
	c.expect(235, "2.7.0", "AUTH PLAIN %s", plainIR("alice", "secret"))

	// Without require_tls, AUTH is offered in the clear as before.
	s2, _ := testSink(t, nil, func(c *Config) {
		c.Listeners[0].Auth = AuthConfig{Mode: "optional", Users: map[string]string{"alice": "secret"}}
	})
	c = dial(t, addrOf(t, s2, "mx"))
	c.read()
	if got := ehlo(); !strings.Contains(got, "AUTH PLAIN LOGIN") {
		t.Errorf("EHLO without require_tls does not offer AUTH:\n%s", got)
	}
}

// TestS14AuthFailureNoted: the transcript says why an AUTH failed, an
// unknown user or a wrong password (the client gets the same 535 either
// way), and never the password.
func TestS14AuthFailureNoted(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Listeners[0].Auth = AuthConfig{Mode: "optional", Users: map[string]string{"alice": "secret"}}
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(535, "5.7.8", "AUTH PLAIN %s", plainIR("bob", "hunter2"))
	c.expect(535, "5.7.8", "AUTH PLAIN %s", plainIR("alice", "guessed-wrong"))
	c.expect(235, "2.7.0", "AUTH PLAIN %s", plainIR("alice", "secret"))
	c.expect(221, "", "QUIT")
	tr, _ := sessionText(t, st, 1)
	for _, want := range []string{
		`* authentication failed: auth.users has no user "bob"`,
		`* authentication failed: the password is not the one auth.users gives user "alice"`,
		"* authenticated as alice",
	} {
		if !strings.Contains(tr, want) {
			t.Errorf("transcript lacks %q:\n%s", want, tr)
		}
	}
	for _, secret := range []string{"hunter2", "guessed-wrong", "secret"} {
		if strings.Contains(tr, secret) {
			t.Errorf("the transcript has the password %q:\n%s", secret, tr)
		}
	}
}

// TestS14SelfSignedIPs: the self-signed certificate names the addresses
// a client dials, so that one that trusts it can verify it by IP:
// 127.0.0.1 and ::1 for a listener on loopback.
func TestS14SelfSignedIPs(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) { c.Listeners[0].TLS = "implicit" })
	tc, err := tls.Dial("tcp", addrOf(t, s, "mx"), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	cert := tc.ConnectionState().PeerCertificates[0]
	for _, host := range []string{"127.0.0.1", "::1", "sink.relaylab.test"} {
		if err := cert.VerifyHostname(host); err != nil {
			t.Errorf("the certificate is not valid for %s: %v", host, err)
		}
	}

	names, ips := certNames([]ListenerConfig{
		{Hostname: "a.sink.test", Listen: "0.0.0.0:2525"},
		{Hostname: "[127.0.0.3]", Listen: "127.0.0.2:2526"},
		{Hostname: "a.sink.test", Listen: "[::]:2527"},
	})
	var got []string
	for _, ip := range ips {
		got = append(got, ip.String())
	}
	if strings.Join(names, " ") != "a.sink.test" || strings.Join(got, " ") != "127.0.0.1 ::1 127.0.0.3 127.0.0.2" {
		t.Errorf("certNames: DNS %q, IP %q", names, got)
	}
}

// On an implicit-TLS listener a connect rule's drop (or delay, or hang)
// comes after the TLS handshake, as the greeting it stands for would: a
// client sees a session that ends, not a handshake cut short, and a
// delay is a slow greeting, not a slow handshake.
func TestImplicitTLSHandshakeBeforeConnectRule(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) {
		c.Listeners[0].TLS = "implicit"
		c.Rules = []Rule{{Name: "cut", Stage: "connect", Drop: true}}
	})
	tc, err := tls.Dial("tcp", addrOf(t, s, "mx"), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("the handshake failed before the drop: %v", err)
	}
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	io.Copy(io.Discard, tc) // until the sink closes
	tc.Close()
	tr, _ := sessionText(t, st, 1)
	if i, d := strings.Index(tr, "* TLS established"), strings.Index(tr, "* drop (cut)"); i < 0 || d < 0 || i > d {
		t.Errorf("want TLS established, then the drop:\n%s", tr)
	}
}

// A STARTTLS whose handshake the client breaks off (it does not trust the
// certificate) ends the session with the failure noted, not with go-smtp's
// 421 recorded as a reply the sink gave, which no client could read.
func TestStartTLSFailureRecordsNoReply(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(220, "", "STARTTLS")
	tc := tls.Client(c.nc, &tls.Config{ServerName: "sink.test"}) // verifies, and refuses the self-signed certificate
	if err := tc.Handshake(); err == nil {
		t.Fatal("the handshake succeeded with a certificate the client cannot verify")
	}
	c.nc.Close()
	tr, replies := sessionText(t, st, 1)
	if !strings.Contains(tr, "* TLS handshake failed: ") || strings.Contains(tr, "421") || strings.Contains(replies, "421") {
		t.Errorf("want the failure noted and no 421; transcript:\n%s\nreplies %s", tr, replies)
	}
}

// A reply that echoes a client's address with a direction control keeps
// it in the transcript as an escape, as the client's own line does, so
// that the stored transcript does not show the address reversed.
func TestTranscriptEscapesEchoedControls(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@shop.test> SMTPUTF8")
	c.expect(250, "", "RCPT TO:<a\u202eb@x.test>")
	c.expect(221, "", "QUIT")
	c.nc.Close()
	tr, _ := sessionText(t, st, 1)
	echoed := false
	for _, l := range strings.Split(tr, "\n") {
		echoed = echoed || strings.Contains(l, " S 250 2.1.5") && strings.Contains(l, `a\u202eb@x.test`)
	}
	if strings.Contains(tr, "\u202e") || !echoed {
		t.Errorf("want the direction control escaped on every line; transcript:\n%s", tr)
	}
}

// A client that resets the connection mid-session (walk SF of the
// fourteenth session, left alone then) ends the session with the break
// noted, not with go-smtp's "421 4.4.0 Connection error" recorded as a
// reply the sink gave: nothing can read it on a reset connection.
func TestConnectionResetRecordsNoReply(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@s.test>")
	tcp := c.nc.(*net.TCPConn)
	tcp.SetLinger(0) // a close that sends RST, as a client killed mid-session
	tcp.Close()
	var tr, replies string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if tr, replies = sessionText(t, st, 1); strings.Contains(tr, "connection broke") || strings.Contains(tr, " S 421") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// " S 421" and "code":421, not any "421": the note quotes the
	// connection's addresses, whose ports may hold those digits (42195).
	if !strings.Contains(tr, "* the connection broke (") || strings.Contains(tr, " S 421") || strings.Contains(replies, `"code":421`) {
		t.Errorf("want the break noted and no 421; transcript:\n%s\nreplies %s", tr, replies)
	}
}
