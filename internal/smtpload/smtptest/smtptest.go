// Package smtptest runs a tiny go-smtp server on 127.0.0.1:0 for the tests
// of SMTP clients (relaylab send, relaylab load). Its replies depend on the
// addresses: a recipient whose local part starts with "reject" gets
// 550 5.1.1, "temp" gets 451 4.2.0, "bye" gets 421 4.4.2 (the client
// is expected to close); a sender starting with "blocked" gets 553 5.7.1;
// a message with the line "X-Reject: yes" gets 554 5.6.0 after its dot.
// With Options.LMTP it speaks LMTP (RFC 2033), and after the dot a
// recipient starting with "full" gets 552 5.2.2, "over" 452 4.2.2, each
// other one 250 (lmtp.go).
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options choose what the server offers.
type Options struct {
	StartTLS bool              // offer STARTTLS
	Implicit bool              // TLS from the first byte (RFC 8314)
	Users    map[string]string // AUTH users and passwords; none: no AUTH
	Mechs    []string          // AUTH mechanisms; default PLAIN and LOGIN
	Keep     bool              // keep each message's content (else count only)
	LMTP     bool              // speak LMTP (RFC 2033) instead of SMTP
	// Unix, when set, is the path of a unix-domain socket to listen on
	// instead of 127.0.0.1:0; Addr is then "unix:" and the path.
	Unix string
}

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Server is a running test server.
type Server struct {
	Addr     string
	opts     Options
	srv      *smtp.Server
	accepted atomic.Int64
	mu       sync.Mutex
	msgs     []Message
}

// Start starts a server and stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{opts: opts}
	if len(opts.Mechs) == 0 {
		s.opts.Mechs = []string{sasl.Plain, sasl.Login}
	}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	s.srv.Domain = "smtptest.local"
	s.srv.LMTP = opts.LMTP
	s.srv.AllowInsecureAuth = true
	s.srv.MaxMessageBytes = 64 << 20
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	var l net.Listener
	var err error
	if opts.StartTLS || opts.Implicit {
		s.srv.TLSConfig = SelfSigned(t)
	}
	network, addr := "tcp", "127.0.0.1:0"
	if opts.Unix != "" {
		network, addr = "unix", opts.Unix
	}
	if opts.Implicit {
		l, err = tls.Listen(network, addr, s.srv.TLSConfig)
	} else {
		l, err = net.Listen(network, addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	if opts.Unix != "" {
		s.Addr = "unix:" + opts.Unix
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.srv.Serve(l)
	}()
	t.Cleanup(func() {
		// Close the listener too: a Close that runs before Serve has
		// registered it would otherwise leave Serve accepting forever.
		s.srv.Close()
		l.Close()
		<-done
	})
	return s
}

// Accepted is the number of messages accepted so far.
func (s *Server) Accepted() int { return int(s.accepted.Load()) }

// Messages returns the kept messages (Options.Keep).
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

type session struct {
	s    *Server
	conn *smtp.Conn
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

func (ss *session) AuthMechanisms() []string {
	if len(ss.s.opts.Users) == 0 {
		return nil
	}
	return ss.s.opts.Mechs
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if want, ok := ss.s.opts.Users[user]; ok && want == pass {
			return nil
		}
		return smtp.ErrAuthFailed
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if strings.HasPrefix(from, "blocked") {
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "sender blocked by policy"}
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch {
	case strings.HasPrefix(to, "reject"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user here"}
	case strings.HasPrefix(to, "temp"):
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: "try again later"}
	case strings.HasPrefix(to, "bye"):
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "closing"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if bytes.Contains(b, []byte("\r\nX-Reject: yes\r\n")) || bytes.HasPrefix(b, []byte("X-Reject: yes\r\n")) {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "content refused"}
	}
	ss.s.accepted.Add(1)
	if ss.s.opts.Keep {
		ss.s.mu.Lock()
		ss.s.msgs = append(ss.s.msgs, Message{From: ss.from, To: append([]string(nil), ss.to...), Data: b})
		ss.s.mu.Unlock()
	}
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN (a de facto mechanism:
// "Username:" and "Password:" challenges, each answer in base64).
type loginServer struct {
	check func(user, pass string) error
	user  string
	step  int
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if resp == nil {
			return []byte("Username:"), false, nil
		}
		l.step++
		l.user = string(resp)
		return []byte("Password:"), false, nil
	case 2:
		l.user = string(resp)
		return []byte("Password:"), false, nil
	case 3:
		return nil, true, l.check(l.user, string(resp))
	}
	return nil, true, errors.New("unexpected LOGIN step")
}

// SelfSigned returns a server TLS config with a fresh self-signed
// certificate for 127.0.0.1 and localhost.
func SelfSigned(t testing.TB) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "smtptest"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}
