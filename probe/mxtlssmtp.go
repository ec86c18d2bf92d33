package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/textproto"
	"strings"
	"unicode/utf8"
)

// mxSessionBytes bounds what one MX host may send the probe: a greeting
// and an EHLO reply are a few hundred bytes; a server that sends without
// end is cut off here rather than filling memory until the timeout.
const mxSessionBytes = 64 << 10

// mxSession runs greeting, EHLO, STARTTLS, the TLS handshake and QUIT on
// conn, filling res; ctx ends it (conn is closed).
func mxSession(ctx context.Context, conn net.Conn, o MXTLSOptions, host string, res *MXTLSHost) {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	capped := &cappedConn{Conn: conn, left: mxSessionBytes}
	tp := textproto.NewConn(capped)
	fail := func(stage string, err error) {
		err = ioError(ctx, err)
		res.Stage, res.Error, res.timedOut = stage, err.Error(), isMXTimeout(err)
	}
	// RFC 5321 4.2: a 554 greeting refuses the session; 220 opens it.
	_, msg, err := tp.ReadResponse(220)
	if err != nil {
		fail("greeting", replyError("the greeting", err))
		return
	}
	res.Greeting = clipReply("220 " + firstLine(msg))
	helo := o.Helo
	if helo == "" {
		helo = addrLiteral(conn.LocalAddr())
	}
	exts, err := ehlo(tp, helo)
	if err != nil {
		fail("ehlo", err)
		return
	}
	res.STARTTLS = exts["STARTTLS"]
	if !res.STARTTLS {
		quit(tp)
		return
	}
	if _, _, err := cmd(tp, 220, "STARTTLS"); err != nil {
		fail("starttls", err)
		return
	}
	tc := tls.Client(capped, &tls.Config{
		ServerName: host, // SNI: the MX host name (RFC 8461 4.1)
		// The certificate is judged after the handshake, against the
		// report's clock, so that a bad one is described rather than
		// only refused.
		InsecureSkipVerify: true, //nolint:gosec // verified in judgeCert
		// Old versions and ciphers are taken, to report them: the
		// probe observes what senders get, it sends no mail.
		MinVersion:   tls.VersionTLS10,
		CipherSuites: allCipherSuites(),
	})
	if err := tc.HandshakeContext(ctx); err != nil {
		fail("handshake", err)
		return
	}
	st := tc.ConnectionState()
	res.version = st.Version
	res.TLSVersion = tls.VersionName(st.Version)
	res.CipherSuite = tls.CipherSuiteName(st.CipherSuite)
	res.chain = st.PeerCertificates
	quit(textproto.NewConn(tc))
}

// ehlo says EHLO and returns the extensions offered, upper case.
func ehlo(tp *textproto.Conn, helo string) (map[string]bool, error) {
	_, msg, err := cmd(tp, 250, "EHLO %s", helo)
	if err != nil {
		return nil, err
	}
	exts := map[string]bool{}
	for i, l := range strings.Split(msg, "\n") {
		if i == 0 {
			continue // the server's name and greeting
		}
		if f := strings.Fields(l); len(f) > 0 {
			exts[strings.ToUpper(f[0])] = true
		}
	}
	return exts, nil
}

// cmd sends a command and reads its reply, which must have code.
func cmd(tp *textproto.Conn, code int, format string, args ...any) (int, string, error) {
	verb, _, _ := strings.Cut(format, " ")
	if err := tp.PrintfLine(format, args...); err != nil {
		return 0, "", fmt.Errorf("sending %s: %w", verb, err)
	}
	c, msg, err := tp.ReadResponse(code)
	if err != nil {
		return c, msg, replyError(verb, err)
	}
	return c, msg, nil
}

// replyError says what a reply that was not the one wanted was, or what
// stopped the reading of it.
func replyError(what string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return fmt.Errorf("the server answered %s with %s", what, clipReply(fmt.Sprintf("%03d %s", te.Code, firstLine(te.Msg))))
	}
	var pe textproto.ProtocolError
	if errors.As(err, &pe) {
		return fmt.Errorf("the server's reply to %s is not SMTP: %s", what, clipReply(string(pe)))
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the server closed the connection before it answered %s", what)
	}
	if errors.Is(err, errTooMuch) {
		return fmt.Errorf("the server sent more than %d KiB before it answered %s", mxSessionBytes>>10, what)
	}
	return fmt.Errorf("reading the reply to %s: %w", what, err)
}

// quit ends the session politely; its reply does not matter.
func quit(tp *textproto.Conn) {
	if tp.PrintfLine("QUIT") == nil {
		tp.ReadResponse(221) //nolint:errcheck
	}
}

// addrLiteral is the EHLO argument of a client without a name: its
// address in brackets (RFC 5321 4.1.3).
func addrLiteral(a net.Addr) string {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return "localhost" // not an IP connection: no address to say
	}
	ip := ap.Addr().Unmap().WithZone("")
	if ip.Is4() {
		return "[" + ip.String() + "]"
	}
	return "[IPv6:" + ip.String() + "]"
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// clipReply bounds text a server sent to 200 bytes, at a character
// boundary: it goes into findings.
func clipReply(s string) string {
	const n = 200
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// allCipherSuites is every suite Go implements, the insecure ones too.
func allCipherSuites() []uint16 {
	var ids []uint16
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		ids = append(ids, s.ID)
	}
	return ids
}

var errTooMuch = errors.New("too much data")

// cappedConn fails reads once left bytes have been read.
type cappedConn struct {
	net.Conn
	left int
}

func (c *cappedConn) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errTooMuch
	}
	if len(p) > c.left {
		p = p[:c.left]
	}
	n, err := c.Conn.Read(p)
	c.left -= n
	return n, err
}
