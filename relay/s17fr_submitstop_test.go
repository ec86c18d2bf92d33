package relay

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

const relay421 = "421 4.3.2 relaylab.localhost shutting down, try again later"

// subClient is a raw submission client: it sees every line the relay
// sends, the unasked 421 among them.
type subClient struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func dialSub(t *testing.T, addr string, implicitTLS bool) *subClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	// Only so that a broken relay fails the test rather than hangs it.
	nc.SetDeadline(time.Now().Add(time.Minute))
	if implicitTLS {
		nc = tls.Client(nc, &tls.Config{InsecureSkipVerify: true}) // the relay's own self-signed certificate, on loopback
	}
	c := &subClient{t: t, nc: nc, r: bufio.NewReader(nc)}
	c.expect("220")
	return c
}

// line reads one reply line (continuation lines are read past).
func (c *subClient) line() (string, error) {
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			return l, err
		}
		l = strings.TrimRight(l, "\r\n")
		if len(l) >= 4 && l[3] == '-' {
			continue
		}
		return l, nil
	}
}

// cmd sends line and returns the reply's last line.
func (c *subClient) cmd(line string) string {
	c.t.Helper()
	if _, err := io.WriteString(c.nc, line+"\r\n"); err != nil {
		c.t.Fatalf("%s: %v", line, err)
	}
	l, err := c.line()
	if err != nil {
		c.t.Fatalf("%s: %v", line, err)
	}
	return l
}

func (c *subClient) expect(code string) {
	c.t.Helper()
	if l, err := c.line(); !strings.HasPrefix(l, code+" ") {
		c.t.Fatalf("got %q (%v), want %s", l, err, code)
	}
}

func (c *subClient) want(line, code string) {
	c.t.Helper()
	if got := c.cmd(line); !strings.HasPrefix(got, code) {
		c.t.Fatalf("%s: got %q, want %s", line, got, code)
	}
}

// startTLS upgrades c after STARTTLS and says EHLO again.
func (c *subClient) startTLS() {
	c.t.Helper()
	c.want("STARTTLS", "220")
	tc := tls.Client(c.nc, &tls.Config{InsecureSkipVerify: true})
	c.nc, c.r = tc, bufio.NewReader(tc)
	c.want("EHLO client.test", "250")
}

// shut421 asserts that c gets the 421 of a stopping relay, then the end.
func (c *subClient) shut421(name string) {
	c.t.Helper()
	if l, err := c.line(); l != relay421 {
		c.t.Errorf("%s: got %q (%v), want %q", name, l, err, relay421)
		return
	}
	if l, err := c.line(); err == nil {
		c.t.Errorf("%s: after the 421 got %q, want the connection closed", name, l)
	}
}

func stopConfig(upstream string) Config {
	cfg := submitConfig(upstream)
	cfg.AllowedNetworks = []string{"127.0.0.0/8"}
	cfg.TLSListen = "127.0.0.1:0"
	return cfg
}

// RFC 5321 3.8: a submission session waiting for its next command outside
// a transaction (greeted only; after EHLO; after a message; under STARTTLS
// and implicit TLS) is answered 421 4.3.2 as Shutdown begins, and closed,
// while one in a transaction is let finish it and is answered at its next
// command; new connections are refused from the start. An idle session
// used to hold Shutdown for its whole grace, with no reply, and the stop
// was then logged as cut.
func TestS17FRShutdownAnswersIdleSubmissions(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h := newHarness(t, stopConfig(mta.addr), Options{})
	addr, tlsAddr := h.r.Addr().String(), h.r.TLSAddr().String()

	greeted := dialSub(t, addr, false)
	ehlo := dialSub(t, addr, false)
	ehlo.want("EHLO client.test", "250")
	after := dialSub(t, addr, false)
	after.want("EHLO client.test", "250")
	after.want("MAIL FROM:<a@s.test>", "250")
	after.want("RCPT TO:<u@r.test>", "250")
	after.want("DATA", "354")
	after.want("Subject: one\r\n\r\nHello.\r\n.", "250")
	starttls := dialSub(t, addr, false)
	starttls.want("EHLO client.test", "250")
	starttls.startTLS()
	implicit := dialSub(t, tlsAddr, true)
	implicit.want("EHLO client.test", "250")
	inTxn := dialSub(t, addr, false)
	inTxn.want("EHLO client.test", "250")
	inTxn.want("MAIL FROM:<a@s.test>", "250")
	inTxn.want("RCPT TO:<v@r.test>", "250")

	// A grace far longer than the test: nothing here may wait it out.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.r.Shutdown(ctx) }()

	for name, c := range map[string]*subClient{"greeted": greeted, "after EHLO": ehlo, "after a message": after,
		"under STARTTLS": starttls, "implicit TLS": implicit} {
		c.shut421(name)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("a new connection was accepted after the stop began")
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) with a transaction open", err)
	default:
	}
	// The transaction goes on, and ends; then its session is idle.
	inTxn.want("DATA", "354")
	inTxn.want("Subject: two\r\n\r\nHello.\r\n.", "250")
	inTxn.shut421("after its transaction")
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v, want nil: nothing was cut", err)
	}
	if n := h.r.SessionsCut(); n != 0 {
		t.Errorf("SessionsCut = %d, want 0", n)
	}
	if n := h.r.sub.stops.told.Load(); n != 6 {
		t.Errorf("%d sessions answered 421, want 6", n)
	}
}

// When the grace is over, a session waiting for its next command in a
// transaction gets the 421 too, and one in the middle of its message is
// closed without a reply (there is no place for one); both count as cut.
func TestS17FRShutdownGraceEndsSubmissions(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h := newHarness(t, stopConfig(mta.addr), Options{})
	addr := h.r.Addr().String()
	inTxn := dialSub(t, addr, false)
	inTxn.want("EHLO client.test", "250")
	inTxn.want("MAIL FROM:<a@s.test>", "250")
	inTxn.want("RCPT TO:<u@r.test>", "250")
	inData := dialSub(t, addr, false)
	inData.want("EHLO client.test", "250")
	inData.want("MAIL FROM:<a@s.test>", "250")
	inData.want("RCPT TO:<v@r.test>", "250")
	inData.want("DATA", "354")
	if _, err := io.WriteString(inData.nc, "Subject: half\r\n\r\nthe first half\r\n"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the grace is over at once
	if err := h.r.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown: %v, want the context's error", err)
	}
	inTxn.shut421("in a transaction")
	if l, err := inData.line(); err == nil {
		t.Errorf("in a message: got %q, want the connection closed without a reply", l)
	}
	if n := h.r.SessionsCut(); n != 2 {
		t.Errorf("SessionsCut = %d, want 2", n)
	}
}

// OwnsClient knows the relay's own connections to servers by their local
// address, as a sink in the same process sees its client; InProgress
// counts the delivery, and InFlight its recipient once a stop cut it.
func TestS17FROwnsClient(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	clients := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			clients <- c // and no greeting: the delivery waits on it
		}
	}()
	h := newHarness(t, testConfig(ln.Addr().String()), Options{})
	h.enqueue("a@s.test", "u@r.test")
	var server net.Conn
	select {
	case server = <-clients:
		defer server.Close()
	case <-time.After(time.Minute): // bounds a hang, measures nothing
		t.Fatal("the relay never connected")
	}
	remote := server.RemoteAddr().String()
	// The relay tracks the connection once its dial has returned, which
	// may come after the server's accept.
	for deadline := time.Now().Add(time.Minute); !h.r.OwnsClient(remote); time.Sleep(time.Millisecond) { // bounds a hang, measures nothing
		if time.Now().After(deadline) {
			t.Fatalf("OwnsClient(%s) = false for the relay's connection", remote)
		}
	}
	if h.r.OwnsClient(ln.Addr().String()) {
		t.Errorf("OwnsClient(%s): the server's own address taken for the relay's", ln.Addr())
	}
	if _, d := h.r.InProgress(); d != 1 {
		t.Errorf("InProgress: %d deliveries, want 1", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.r.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown: %v, want the context's error", err)
	}
	if n, err := h.r.InFlight(context.Background()); n != 1 || err != nil {
		t.Errorf("InFlight = %d, %v; want the cut delivery's 1 recipient", n, err)
	}
}
