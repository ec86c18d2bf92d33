package sink

import (
	"crypto/tls"
	"errors"
	"net"
	"time"
)

// handshake does the TLS handshake of a connection to an implicit-TLS
// listener before the sink writes anything to it (the greeting, or a
// connect rule's refusal), within limit (0: none), and notes in the
// transcript that TLS began, or why it did not. Left to the first write,
// a failed handshake was recorded as a greeting sent with 220. It does
// nothing for any other connection, or once TLS is up, and reports
// whether it did the handshake. The deadlines are cleared after it.
func (c *conn) handshake(limit time.Duration) (bool, error) {
	tc, ok := c.Conn.(*tls.Conn)
	if !ok || c.tlsState != nil {
		return false, nil
	}
	// Network deadlines are the wall clock's, as go-smtp's idle timeout.
	var until time.Time
	if limit > 0 {
		until = time.Now().Add(limit)
	}
	c.tcp.SetDeadline(until)
	if err := tc.HandshakeContext(c.sink.hardCtx); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.notef('*', "no TLS handshake within "+limit.String()+" (limits.idle_timeout): the client sent none, or not all of it; this listener has tls: implicit, TLS from the first byte, as on port 465")
		} else {
			c.notef('*', c.l.handshakeFailure(err).note())
		}
		c.netClosed = true
		c.closeSocket()
		return true, err
	}
	c.checkTLS()
	c.tcp.SetDeadline(time.Time{})
	return true, nil
}

// closeNotify tells a client under TLS that the session ends (TLS's
// close_notify, RFC 8446 6.1) after the reply to its QUIT, so that it
// can tell the end from a cut connection. Not after a drop, a hang or a
// cut: those close as they are meant to.
func (c *conn) closeNotify() {
	tc, ok := c.Conn.(*tls.Conn)
	if !ok || c.tlsState == nil || !c.quit.Load() || c.netClosed {
		return
	}
	// A client that reads nothing more must not hold the close.
	c.tcp.SetWriteDeadline(time.Now().Add(time.Second))
	tc.CloseWrite()
}

// tlsHelloHint is the note for a client whose first bytes are a TLS
// handshake on a listener that speaks SMTP in the clear first.
const tlsHelloHint = "the client began a TLS handshake on a port that expects plaintext SMTP: it wants TLS from the first byte (implicit TLS, usually port 465), and this listener has tls: starttls or none (the lines below are that handshake, not commands); point the client at a listener with tls: implicit, or have it use STARTTLS"

// firstBytes looks at the client's first bytes (b, from the start of the
// session) once: a TLS handshake record (RFC 8446 5.1: type 22, version
// 3.x) on a listener that is not implicit TLS gets a note that says why
// the session is binary.
func (c *conn) firstBytes(b []byte) {
	if c.heard || len(b) == 0 {
		return
	}
	c.heard = true
	if c.l.implicitTLS || c.tlsState != nil {
		return
	}
	if len(b) >= 3 && b[0] == 0x16 && b[1] == 0x03 && b[2] <= 0x04 {
		c.notef('*', tlsHelloHint)
	}
}
