package relay

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"iter"
	"log"
	"math/big"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/guesslimit"
	"github.com/relaylab/relaylab/internal/mailaddr"
	"github.com/relaylab/relaylab/internal/mailtext"
	"github.com/relaylab/relaylab/internal/repeatlog"
	"github.com/relaylab/relaylab/internal/saslogin"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/internal/textsafe"
)

// submission is the SMTP submission listener.
type submission struct {
	srv         *smtp.Server
	tlsSrv      *smtp.Server
	listeners   []net.Listener
	tlsListener net.Listener
	stops       *stopSet // its connections, for a shutdown (s17fr_submitstop.go)
	refused     *refusals
	queueFails  *repeatlog.Limiter // newQueueFailures
	roomFails   *repeatlog.Limiter // newRoomFailures
	// accepts follow each listener's accepts, for Accepting; closed is
	// set when the shutdown closes them.
	accepts []*acceptState
	closed  atomic.Bool
	// wg is the relay's, which Shutdown waits on for the deliveries: the
	// sessions in a transaction drain beside them, under one deadline.
	wg       *sync.WaitGroup
	stopOnce sync.Once
	// stopping ends as the shutdown begins: a failed AUTH's delay ends
	// with it, so that the sessions it holds do not hold the stop.
	stopping context.Context
	stop     context.CancelFunc
}

// shutdown closes the listeners and answers the idle sessions 421 at once
// (RFC 5321 3.8); the sessions in a transaction finish on wg until ctx
// ends, and are then answered 421 or closed. It does not wait.
func (s *submission) shutdown(ctx context.Context) error {
	var errs []error
	s.stopOnce.Do(func() {
		s.closed.Store(true)
		// go-smtp's Shutdown closes its listeners, then waits for its
		// connections until its context ends: here, at once. Its Close
		// would cut every session.
		now, cancel := context.WithCancel(context.Background())
		cancel()
		for _, srv := range []*smtp.Server{s.srv, s.tlsSrv} {
			if srv != nil {
				if err := srv.Shutdown(now); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, smtp.ErrServerClosed) {
					errs = append(errs, err)
				}
			}
		}
		s.stops.begin()
		s.stop()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.stops.drain(ctx)
		}()
	})
	return errors.Join(errs...)
}

// listen opens the submission listeners and serves them.
func (r *Relay) listen() (*submission, error) {
	cert, err := r.certificate()
	if err != nil {
		return nil, err
	}
	tcfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	var nets []netip.Prefix
	for _, n := range r.cfg.AllowedNetworks {
		nets = append(nets, netip.MustParsePrefix(n)) // checked by Validate
	}
	fails := &authFailures{clock: r.clock, byAddr: map[netip.Addr]authFailure{}, tries: guesslimit.Table{}}
	sub := &submission{stops: newStopSet(), wg: &r.wg, refused: newRefusals(r.clock), queueFails: newQueueFailures(), roomFails: newRoomFailures()}
	sub.stopping, sub.stop = context.WithCancel(context.Background())
	newServer := func() *smtp.Server {
		s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
			sess := &session{r: r, conn: c, nets: nets, fails: fails, refused: sub.refused, queueFails: sub.queueFails, roomFails: sub.roomFails,
				stopping: sub.stopping}
			attach(c.Conn(), sess)
			return sess, nil
		}))
		s.Domain = r.cfg.Hostname
		s.MaxMessageBytes = r.cfg.MaxMessageBytes
		s.MaxRecipients = 1000
		// TLS is the wireConn's (go-smtp cannot see it): the session
		// offers and takes AUTH only under TLS.
		s.AllowInsecureAuth = true
		s.EnableDSN = true      // RFC 3461
		s.EnableSMTPUTF8 = true // RFC 6531: passed on only to servers that offer it
		s.ReadTimeout = 5 * time.Minute
		s.WriteTimeout = 5 * time.Minute
		s.ErrorLog = log.New(io.Discard, "", 0)
		return s
	}
	if r.cfg.Listen != "" {
		l, err := net.Listen("tcp", r.cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("relay: submission listener on %s: %w (is another relay running? pick another address with relay.listen in the configuration, or --listen with relaylab relay, --relay-listen with relaylab serve; port 0 takes any free one)", r.cfg.Listen, err)
		}
		sub.srv = newServer()
		sub.listeners = append(sub.listeners, l)
		sub.serve(r, ListenerSubmission, l, tcfg, false, sub.srv)
	}
	if r.cfg.TLSListen != "" {
		l, err := net.Listen("tcp", r.cfg.TLSListen)
		if err != nil {
			sub.shutdown(context.Background())
			return nil, fmt.Errorf("relay: implicit-TLS submission listener on %s: %w (is another relay running? stop it, or move relay.tls_listen in the configuration; port 0 takes any free one)", r.cfg.TLSListen, err)
		}
		sub.tlsSrv = newServer()
		sub.tlsListener = l
		sub.serve(r, ListenerTLS, l, tcfg, true, sub.tlsSrv)
	}
	return sub, nil
}

// serve serves srv on l, the listener called name, in the background,
// following its accepts for Accepting.
func (s *submission) serve(r *Relay, name string, l net.Listener, tcfg *tls.Config, implicit bool, srv *smtp.Server) {
	st := &acceptState{name: name}
	s.accepts = append(s.accepts, st)
	if r.wrapListener != nil {
		l = r.wrapListener(name, l)
	}
	watched := acceptWatch{Listener: l, st: st, log: r.log}
	go func() {
		// go-smtp retries an accept that fails for a while (a net.Error
		// whose Temporary is true: out of file descriptors) and returns
		// on any other error, leaving the listener open and unserved.
		err := srv.Serve(s.stops.listener(r, watched, tcfg, implicit, srv))
		if err != nil && !s.closed.Load() {
			st.ended.Store(&err)
			r.log.Error("relay: a submission listener stopped accepting connections; clients that connect wait unanswered: restart the relay", "listener", name, "err", err)
		}
	}()
}

// defaultMaxConnections is relay.max_connections when it is 0: each
// session holds its message in memory while it is read.
const defaultMaxConnections = 1000

// wire puts a wireConn between each connection of l and srv.
func (r *Relay) wire(l net.Listener, tcfg *tls.Config, implicit bool, srv *smtp.Server) net.Listener {
	maxConns := r.cfg.MaxConnections
	if maxConns == 0 {
		maxConns = defaultMaxConnections
	}
	return &wireListener{Listener: l, tlsCfg: tcfg, implicit: implicit, domain: r.cfg.Hostname,
		limit: srv.MaxLineLength, timeout: srv.ReadTimeout, maxSize: srv.MaxMessageBytes, maxConns: maxConns}
}

// certificate loads the configured certificate or makes a self-signed one.
func (r *Relay) certificate() (tls.Certificate, error) {
	if r.cfg.CertFile != "" {
		c, err := tls.LoadX509KeyPair(r.cfg.CertFile, r.cfg.KeyFile)
		if err != nil {
			return c, fmt.Errorf("relay: loading the submission certificate: %w", err)
		}
		return c, nil
	}
	return selfSigned(r.cfg.Hostname)
}

// selfSigned makes a certificate for hostname, localhost and loopback.
func selfSigned(hostname string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	now := wallClock()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: hostname},
		DNSNames:     []string{hostname, "localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// session is one submission connection.
type session struct {
	r       *Relay
	conn    *smtp.Conn
	nets    []netip.Prefix
	user    string
	from    string
	mailOK  bool
	opts    *smtp.MailOptions
	rcpts   []Recipient
	bounces []string // recipients that are our bounce address
	fails   *authFailures
	// authFails counts the connection's failed AUTHs.
	authFails  int
	refused    *refusals
	queueFails *repeatlog.Limiter // the submission's
	roomFails  *repeatlog.Limiter // the submission's
	stopping   context.Context    // the submission's
}

// newQueueFailures keeps the log of submitted messages the queue failed to
// take to a line at the first and then at most one a minute with a count,
// and one when it takes them again: a full disk under load failed every
// message, a line each, thousands in seconds.
func newQueueFailures() *repeatlog.Limiter {
	return &repeatlog.Limiter{What: "relay: queueing a submitted message",
		Advice: "its client was answered 451 4.3.0 (452 4.3.1 for a full disk), so nothing was accepted and it may send again; check the disk the store is on (full? read-only? gone?) and the store's own log lines; while it keeps failing this is logged at most once a minute, with a count",
		// On a disk that is nearly full small writes go through between
		// failing ones: one that works ends the failures only this long
		// after the last.
		Quiet: 10 * time.Second}
}

// newRoomFailures keeps the log of MAILs refused for want of room on
// the store's disk (store.Room, store.min_free_bytes) to a line, then one a
// minute at most, and one when mail is taken again.
func newRoomFailures() *repeatlog.Limiter {
	return &repeatlog.Limiter{What: "relay: taking new mail",
		Advice: "its store's disk has less room than store.min_free_bytes keeps, so every MAIL is answered 452 4.3.1 and senders will try again later; free space on that disk or run relaylab prune (it takes mail again by itself); while it lasts this is logged at most once a minute, with a count"}
}

var _ smtp.AuthSession = (*session)(nil)

// allowed reports whether the client may submit without AUTH.
func (s *session) allowed() bool {
	if s.user != "" {
		return true
	}
	ap, err := netip.ParseAddrPort(s.conn.Conn().RemoteAddr().String())
	if err != nil {
		return false
	}
	a := ap.Addr().Unmap()
	for _, n := range s.nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// tlsState is the session's TLS state, which its wireConn holds.
func (s *session) tlsState() (tls.ConnectionState, bool) {
	if w, ok := s.conn.Conn().(*wireConn); ok {
		return w.tlsState()
	}
	return s.conn.TLSConnectionState()
}

func (s *session) AuthMechanisms() []string {
	if _, on := s.tlsState(); !on || len(s.r.cfg.Users) == 0 {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

// check takes a try of the client's address (authTries) before it
// compares user's password, and gives it back when the password is right.
func (s *session) check(user, pass string) error {
	client := s.conn.Conn().RemoteAddr().String()
	if wait := s.fails.take(client); wait > 0 {
		return s.authRefused(client, wait)
	}
	want, known := s.r.cfg.Users[user]
	// Compared for an unknown user too, so that the time the reply takes
	// does not tell which users exist.
	right := guesslimit.Equal(pass, want) && known
	if s.fails.settle(client, right) {
		s.r.log.Warn("relay: failed AUTHs on the submission port: this address may try once every "+authTries.Every.String()+
			"; its AUTHs beyond that are answered 454 without checking the password", "client", client, "failures", authTries.Burst,
			"advice", "nothing, if the client is not yours; if it is, correct its user name or password (relay.users)")
	}
	if !right {
		return s.authFailed(user)
	}
	s.user = user
	return nil
}

// authRefused answers an AUTH of an address that has no try left
// (authTries): 454 4.7.0, temporary authentication failure (RFC 4954 6),
// counted as a failed AUTH but not logged, delayed or counted against
// the connection, since it tells nothing and costs nothing.
func (s *session) authRefused(client string, wait time.Duration) error {
	s.refused.auth.Add(1)
	from := "your address"
	if a := clientIP(client); a.IsValid() {
		from = a.String()
	}
	secs := (wait + time.Second - 1) / time.Second
	return &smtp.SMTPError{Code: 454, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: fmt.Sprintf(
		"Temporary authentication failure: %d AUTHs with a wrong user name or password came from %s, which may then try once every %s, "+
			"so the password was not checked; try again in %d s with a user and password of relay.users",
		authTries.Burst, from, authTries.Every, secs)}
}

// Failed AUTHs are limited so that the port cannot be used to guess
// passwords: each failure from a client address waits longer before its
// reply (authDelayStep more per earlier failure from that address within
// authFailMemory, up to authDelayMax), and the maxAuthFails-th failure on
// a connection ends it with 421 (RFC 5321 3.8, 4.2.3: the server closes
// the transmission channel).
const (
	maxAuthFails   = 3
	authDelayStep  = 2 * time.Second
	authDelayMax   = 30 * time.Second
	authFailMemory = 15 * time.Minute
)

// authTries limits the AUTHs of each client address before the password
// is compared (guesslimit): the delays above slow one connection, but a
// client that opens many at once and takes a reply that is slow in coming
// for a failure would guess as fast as it connects, a right password being
// answered at once. An address may fail authTries.Burst times, then once
// every authTries.Every (the longest delay: what a client that waits for
// its replies gets anyway); past that its AUTHs get 454 without a compare.
var authTries = guesslimit.Policy{Burst: 10, Every: authDelayMax, MaxAddrs: 4096}

// authFailed answers a failed AUTH of user: logged with the client's
// address and the user (never the password), delayed, and 535, or 421 and
// the end of the connection after maxAuthFails on it.
func (s *session) authFailed(user string) error {
	s.authFails++
	s.refused.auth.Add(1)
	client := s.conn.Conn().RemoteAddr().String()
	n := s.fails.add(client)
	s.r.log.Warn("relay: failed AUTH on the submission port", "client", client, "user", textsafe.Escape(echoed(user)),
		"failures_on_connection", s.authFails, "failures_from_address", n)
	// A shutdown ends the delay: the reply then goes at once, and the
	// stopping relay's 421 at the next command.
	clock.Sleep(s.stopping, s.r.clock, min(time.Duration(n-1)*authDelayStep, authDelayMax))
	if s.authFails < maxAuthFails {
		return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication failed: unknown user or wrong password"}
	}
	se := &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: fmt.Sprintf(
		"Too many failed authentications: %d on this connection, so it is closed; check the user name and password (relay.users) before connecting again",
		s.authFails)}
	s.closeWith(se)
	return se
}

// closeWith writes se as the reply and ends the connection: go-smtp's own
// reply to the command is dropped, and its next read ends the session.
func (s *session) closeWith(se *smtp.SMTPError) {
	w, ok := s.conn.Conn().(*wireConn)
	if ok && !w.dead {
		w.inData, w.sasl = false, false
		if err := w.reply(fmt.Sprintf("%d %d.%d.%d %s", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2], se.Message)); err == nil {
			w.dead = true
		}
	}
}

// authFailures counts failed AUTHs per client address across
// connections, each count forgotten authFailMemory after its last failure,
// and holds each address's tries (authTries).
type authFailures struct {
	clock  clock.Clock
	mu     sync.Mutex
	byAddr map[netip.Addr]authFailure
	tries  guesslimit.Table
}

// take spends a try of client's (host:port) address, or returns how long
// until it has one.
func (f *authFailures) take(client string) (wait time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tries.Take(authTries, clientIP(client), f.clock.Now())
}

// settle ends a try that take allowed, and reports whether the address
// has just spent its last (guesslimit.Table.Settle).
func (f *authFailures) settle(client string, right bool) (ranOut bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tries.Settle(authTries, clientIP(client), f.clock.Now(), right)
}

// clientIP is the address of client (host:port); the zero address, whose
// tries all such clients share, when it has none.
func clientIP(client string) netip.Addr {
	ap, err := netip.ParseAddrPort(client)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

type authFailure struct {
	n    int
	last time.Time
}

// add counts a failure from client (host:port) and returns the address's
// count, this one included.
func (f *authFailures) add(client string) int {
	ap, err := netip.ParseAddrPort(client)
	if err != nil {
		return 1
	}
	a, now := ap.Addr().Unmap(), f.clock.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.byAddr) >= 4096 {
		for k, v := range f.byAddr {
			if now.Sub(v.last) > authFailMemory {
				delete(f.byAddr, k)
			}
		}
	}
	e := f.byAddr[a]
	if now.Sub(e.last) > authFailMemory {
		e.n = 0
	}
	e.n++
	e.last = now
	f.byAddr[a] = e
	return e.n
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	if len(s.r.cfg.Users) == 0 {
		// go-smtp's own "502 5.7.0 Authentication not supported" says
		// neither why nor what a client set up for AUTH should do.
		return nil, &smtp.SMTPError{Code: 502, EnhancedCode: smtp.EnhancedCode{5, 5, 1},
			Message: "AUTH is not offered here: relay.users is empty; clients in relay.allowed_networks (loopback by default) send without AUTH, others need a user in relay.users"}
	}
	if _, on := s.tlsState(); !on {
		// RFC 4954 6: PLAIN and LOGIN send the password as it is.
		return nil, &smtp.SMTPError{Code: 538, EnhancedCode: smtp.EnhancedCode{5, 7, 11},
			Message: "Encryption required for requested authentication mechanism: send STARTTLS first"}
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return errors.New("authorization identity must be empty or the user")
			}
			return s.check(user, pass)
		}), nil
	case sasl.Login:
		return saslogin.NewServer(s.check), nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// The bounce address receives DSNs: bounces@hostname unless configured.
func (s *session) isBounceAddress(addr string) bool {
	base := s.r.bounceAddress()
	a := normAddr(addr)
	if a == base {
		return true
	}
	bl, bd, _ := strings.Cut(base, "@")
	l, d, _ := strings.Cut(a, "@")
	return d == bd && strings.HasPrefix(l, bl+"+")
}

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	if s.mailOK {
		// RFC 5321 4.1.4 and 3.3: MAIL starts a transaction, and one is
		// open; go-smtp would hand its recipients to the new sender. The
		// transaction stays as it was.
		return errNestedMail
	}
	if err := s.dsnFormRefusal(); err != nil {
		return err
	}
	if !s.allowed() && from != "" {
		// Never an open relay (RFC 4954 6). Only a DSN (null reverse
		// path) may come in unauthenticated, and only to our bounce
		// address (checked at RCPT).
		msg := "Authentication required: this relay accepts mail only after AUTH, or from its allowed networks"
		if _, on := s.tlsState(); !on && len(s.r.cfg.Users) > 0 {
			msg += "; AUTH is offered after STARTTLS" // RFC 4954 4: the client asks again after TLS
		}
		s.relayingDenied(from, "")
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: msg}
	}
	if unsendable(from) {
		return &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 1, 7},
			Message: "Sender address has a control character, which SMTP cannot carry onwards even quoted"}
	}
	if why := mailaddr.LiteralFault(from); why != "" {
		// 553: the command parsed, the mailbox name is not allowed (RFC
		// 5321 4.2.2); X.1.7, bad sender's mailbox address syntax (RFC
		// 3463 3.2), as the sink answers.
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 7}, Message: "Bad sender address syntax: " + why}
	}
	// The sender's domain is where DSNs go: one that is no host name
	// would send them nowhere, as the recipients' are checked at RCPT.
	if at := strings.LastIndexByte(from, '@'); at >= 0 && !strings.HasPrefix(from[at+1:], "[") {
		if domain := mailaddr.WithoutRootDot(from[at+1:]); domainFault(domain) != "" {
			return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 7}, Message: "Bad sender address syntax: the domain " +
				oneLineASCII(echoed(domain)) + " is not a host name: " + domainFault(domain) + " (RFC 5321 4.1.2); check the address"}
		}
	}
	var size int64
	if opts != nil {
		size = opts.Size
	}
	if err := s.r.store.Room(size); err != nil {
		// As Postfix's queue_minfree, at MAIL: see the sink's.
		if s.roomFails != nil {
			s.roomFails.Failed(s.r.log, s.r.clock.Now(), err)
		}
		msg := "Insufficient system storage: the disk of the relay's queue has less room than it keeps free (store.min_free_bytes), so no new mail is taken; send again later (the relay's log names the store)"
		var le *store.LowSpaceError
		if errors.As(err, &le) && le.ForSize() {
			msg = "Insufficient system storage: the disk of the relay's queue has too little room for a message of the SIZE declared, beside what it keeps free (store.min_free_bytes); send again later, or a smaller message"
		}
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: msg}
	}
	if s.roomFails != nil {
		s.roomFails.Worked(s.r.log, s.r.clock.Now())
	}
	s.from, s.opts, s.mailOK = recordedPath(from), opts, true
	return nil
}

// recordedPath is an address as go-smtp parsed it (a quoted local part's
// value, its quotes taken off) in the form the relay records, echoes
// (smtpPath) and sends it: quoted where RFC 5321 4.1.2 needs it, so that
// the queue, the API and the CSV show a valid address, and without the
// trailing dot of its domain, which a path cannot have.
func recordedPath(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr // "" (the null path) or a bare postmaster
	}
	return mailaddr.Quote(addr[:at] + "@" + mailaddr.WithoutRootDot(addr[at+1:]))
}

// dsnFormRefusal refuses the MAIL or RCPT command being answered for a
// fault of form of its DSN parameters (dsnFormFault), with the sink's
// reply to it, 501 5.5.4 (RFC 5321 4.2.2, RFC 3463 3.6), as Postfix
// refuses them; nil when it has none.
func (s *session) dsnFormRefusal() error {
	w, ok := s.conn.Conn().(*wireConn)
	if !ok || w.dsnForm == nil {
		return nil
	}
	return &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 4}, Message: dsn.ParamSyntaxText + w.dsnForm.Why}
}

// errNestedMail refuses a MAIL inside a transaction, in the sink's words.
var errNestedMail = &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1},
	Message: "Nested MAIL command: finish the transaction or send RSET first (RFC 5321 4.1.4)"}

// unsendable reports whether addr has a byte that no SMTP path can hold:
// RFC 5321 4.1.2 quotes only %d32-126, and go-smtp's parser unquotes
// anything, so such an address would be accepted here and refused by the
// next hop.
func unsendable(addr string) bool {
	for i := 0; i < len(addr); i++ {
		if addr[i] < ' ' || addr[i] == 0x7f {
			return true
		}
	}
	return false
}

// postmasterMark is the domain wireConn gives RCPT TO:<Postmaster> for
// go-smtp's parser, which wants one: a control character, which no path a
// client sends can hold (unsendable refuses it).
const postmasterMark = "\x00postmaster"

// postmasterAddress is where the relay sends mail to <Postmaster> without
// a domain: postmaster at its own name (relay.hostname), the name its
// greeting, DSNs and bounce address carry. The relay has no mailbox of
// its own, so, as a Postfix null client qualifies the name with $myorigin
// and relays it, the recipient is routed like any other.
func postmasterAddress(hostname string) string {
	if hostname == "" {
		hostname = "relaylab.localhost"
	}
	return "postmaster@" + strings.ToLower(mailaddr.WithoutRootDot(hostname))
}

// barePostmaster reports whether to is RCPT TO:<Postmaster> without a
// domain, as wireConn passed it on (with postmasterMark).
func (s *session) barePostmaster(to string) bool {
	w, ok := s.conn.Conn().(*wireConn)
	local, marked := strings.CutSuffix(to, "@"+postmasterMark)
	return ok && w.bareRcpt && marked && strings.EqualFold(local, "postmaster")
}

func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	if err := s.dsnFormRefusal(); err != nil {
		return err
	}
	if s.barePostmaster(to) {
		// RFC 5321 4.5.1: <Postmaster> without a domain MUST be taken;
		// it is the relay's own postmaster, and only a client that may
		// submit reaches it (never an open relay).
		to = postmasterAddress(s.r.cfg.Hostname)
	}
	if s.isBounceAddress(to) {
		// Anyone may return a DSN to us; it is matched, never relayed.
		if len(s.rcpts) > 0 {
			return errNotMixed
		}
		s.bounces = append(s.bounces, to)
		return nil
	}
	if !s.allowed() {
		s.relayingDenied(s.from, to)
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
			Message: "Relaying denied: authenticate first, or submit from an allowed network"}
	}
	if !strings.Contains(to, "@") {
		return &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Recipient must be an address local@domain"}
	}
	if unsendable(to) {
		return &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 1, 3},
			Message: "Recipient address has a control character, which SMTP cannot carry onwards even quoted"}
	}
	if why := mailaddr.LiteralFault(to); why != "" {
		// As at MAIL, with X.1.3, bad destination mailbox address syntax.
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Bad recipient address syntax: " + why}
	}
	to, err := s.recipientDomain(to)
	if err != nil {
		return err
	}
	if len(s.bounces) > 0 {
		return errNotMixed
	}
	rc := Recipient{Address: recordedPath(to)}
	if opts != nil {
		for _, n := range opts.Notify {
			rc.Notify = append(rc.Notify, string(n))
		}
		if opts.OriginalRecipient != "" {
			if unsendable(opts.OriginalRecipient) {
				// It goes into the DSN's Original-Recipient field, which
				// cannot hold a control character (RFC 3461 4.2): a
				// failure could then never be reported.
				return &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 4},
					Message: "ORCPT has a control character, which a delivery status notification cannot carry"}
			}
			rc.ORCPT = strings.ToLower(string(opts.OriginalRecipientType)) + ";" + opts.OriginalRecipient
		}
	}
	if s.hasRecipient(rc) {
		// Given twice in one transaction: taken (250) and sent once, as
		// Postfix's cleanup drops duplicate recipients. One with other
		// DSN parameters (NOTIFY, ORCPT) is another recipient.
		return nil
	}
	s.rcpts = append(s.rcpts, rc)
	return nil
}

// hasRecipient reports whether the transaction already holds rc: the same
// address (its domain in any case, RFC 5321 2.4), NOTIFY and ORCPT.
func (s *session) hasRecipient(rc Recipient) bool {
	for _, o := range s.rcpts {
		if sameAddress(o.Address, rc.Address) && o.ORCPT == rc.ORCPT && slices.Equal(o.Notify, rc.Notify) {
			return true
		}
	}
	return false
}

// sameAddress compares two addresses as SMTP does: the local part as it
// is, the domain in any case.
func sameAddress(a, b string) bool {
	i, j := strings.LastIndexByte(a, '@'), strings.LastIndexByte(b, '@')
	if i < 0 || j < 0 {
		return a == b
	}
	return a[:i] == b[:j] && strings.EqualFold(a[i:], b[j:])
}

// recipientDomain checks the domain of to at RCPT, where a mistake can
// still be told to the client, and returns to with its domain as the
// relay routes it: one trailing dot, which makes a name absolute in DNS,
// is dropped (RFC 5321 2.3.5 does not allow it in a path, and "x.test."
// would match no route for x.test). A domain that is no host name, or an
// address literal that an mx path would take, is refused with 553 5.1.3:
// it could only fail later, retried for days as a DNS failure.
func (s *session) recipientDomain(to string) (string, error) {
	at := strings.LastIndexByte(to, '@')
	local, domain := to[:at], to[at+1:]
	domain = mailaddr.WithoutRootDot(domain)
	to = local + "@" + domain
	if strings.HasPrefix(domain, "[") {
		// An address literal (checked above, mailaddr.LiteralFault). RFC
		// 5321 4.1.3 delivers it to that address; the mx paths look up
		// MX records, which a literal has none of.
		if p := s.r.mxPathFor(to, s.from); p != "" {
			return to, &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Recipient domain " +
				echoed(domain) + " is an address literal, and this relay does not deliver to address literals on mx paths (the recipient's route can use path " +
				p + "); send to a domain name, or route the recipient over a smarthost path"}
		}
		return to, nil
	}
	if why := domainFault(domain); why != "" {
		return to, &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Bad recipient address syntax: the domain " +
			oneLineASCII(echoed(domain)) + " is not a host name: " + why + " (RFC 5321 4.1.2); check the address"}
	}
	return to, nil
}

// domainFault is hostNameFault for a recipient's domain, which may be
// in U-labels (RFC 6531 3.3): each non-ASCII character stands as a letter.
func domainFault(domain string) string {
	if !utf8.ValidString(domain) {
		return "it is not UTF-8"
	}
	ascii := []byte(nil)
	for _, r := range domain {
		if r >= 0x80 {
			r = 'x'
		}
		ascii = append(ascii, byte(r))
	}
	return hostNameFault(string(ascii))
}

// mxPathFor returns the name of an mx path that a route for rcpt from
// sender can send over, at any attempt, or "": the routes are taken in
// order, and the first that matches at every attempt ends the search.
func (r *Relay) mxPathFor(rcpt, sender string) string {
	rd, sd := strings.ToLower(domainOf(rcpt)), strings.ToLower(domainOf(sender))
	for _, ri := range r.routes {
		rt := ri.cfg
		if !matchDomains(rt.Recipients, rd) || !matchDomains(rt.Senders, sd) {
			continue
		}
		names := append([]string{rt.Fallback}, rt.Paths...)
		for _, w := range rt.Split {
			names = append(names, w.Path)
		}
		for _, n := range names {
			if p := r.paths[n]; p != nil && p.cfg.Type == "mx" {
				return n
			}
		}
		if rt.MinAttempt <= 1 && rt.MaxAttempt == 0 {
			return ""
		}
	}
	return ""
}

// errNotMixed refuses to mix a DSN to the bounce address with mail to
// relay: DATA has one reply, and the two can fail for different reasons.
// RFC 5321 4.5.3.1.10: the client sends the refused recipient again in
// another transaction.
var errNotMixed = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 5, 3},
	Message: "The bounce address takes DSNs in a transaction of their own; send this recipient again separately"}

func (s *session) Data(rd io.Reader) error {
	client := s.conn.Conn().RemoteAddr().String()
	_, isTLS := s.tlsState()
	id := newID()
	var rcpts []string
	for _, rc := range s.rcpts {
		rcpts = append(rcpts, rc.Address)
	}
	trace := receivedField(traceInfo{helo: s.conn.Hostname(), client: client, hostname: s.r.cfg.Hostname, id: id,
		tls: isTLS, auth: s.user != "", utf8: s.opts != nil && s.opts.UTF8, rcpts: rcpts, now: s.r.clock.Now()})
	added := addedFields(id, s.r.cfg.Hostname, s.r.clock.Now())
	all, data, err := s.readMessage(rd, len(trace)+len(added))
	if errors.Is(err, smtp.ErrTooLongLine) {
		return s.lineTooLong()
	}
	if err != nil {
		return err // go-smtp answers 552 for an oversized message
	}
	if se := s.longLine(data); se != nil {
		return se
	}
	ctx := context.Background()
	if len(s.bounces) > 0 {
		// Decided before the reply: nothing to the bounce address gets a
		// 250 and is then dropped.
		var refused *dsnRefusal
		_, err := s.r.receiveDSNFrom(ctx, s.bounces, data, s.allowed())
		switch {
		case errors.As(err, &refused):
			s.r.log.Info("relay: refused a message to the bounce address", "reason", refused.reason, "detail", refused.err,
				"client", s.conn.Conn().RemoteAddr().String())
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: refused.reason}
		case err != nil:
			s.r.log.Error("relay: recording an incoming DSN failed", "err", err)
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
				Message: "Recording the DSN failed, nothing was recorded; try again later"}
		}
	}
	if len(s.rcpts) == 0 {
		return nil
	}
	if n := hops(data); n > maxHops {
		// RFC 5321 6.3: a message that has passed this many MTAs is
		// looping; relaying it again would only feed the loop.
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 4, 6},
			Message: fmt.Sprintf("Too many hops: the message has %d Received fields (limit %d), so it is in a mail loop; check the routing between this relay and its upstreams", n, maxHops)}
	}
	if se := s.fromFieldsRefusal(data, client); se != nil {
		return se
	}
	var bounceFor string
	if s.from == "" && dsn.IsReport(data) {
		// A late bounce for the original sender that comes in through this
		// port (the sink's bounce relay, an MTA using us as smarthost)
		// rather than to the bounce address: without VERP this is how the
		// relay hears of it. Recorded as at the bounce address, then
		// relayed on like any message; a DSN about nothing of ours
		// (a *dsnRefusal) is only relayed.
		var refused *dsnRefusal
		about, err := s.r.receiveDSNAs(ctx, nil, data, id, true)
		if err != nil && !errors.As(err, &refused) {
			s.r.log.Error("relay: recording a submitted DSN failed", "err", err)
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
				Message: "Recording the DSN this message carries failed, nothing was accepted; try again later"}
		}
		bounceFor = about
	}
	sub := Submission{From: s.from, Recipients: s.rcpts, Data: withTrace(all, trace, added), AuthUser: s.user,
		Client: client, bounceFor: bounceFor}
	if s.opts != nil {
		sub.EnvID, sub.Ret = s.opts.EnvelopeID, string(s.opts.Return)
	}
	if _, err := s.r.enqueueAs(ctx, id, sub); err != nil {
		s.queueFails.Failed(s.r.log, s.r.clock.Now(), err, "client", client)
		if store.DiskFull(err) {
			// RFC 5321's 452 and RFC 3463's X.3.1, as the sink answers.
			return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1},
				Message: "Insufficient system storage: the relay's queue is on a full disk, so nothing was accepted; send again once there is room on that disk (the relay's log names the store)"}
		}
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
			Message: "Queue write failed, nothing was accepted; try again later"}
	}
	s.queueFails.Worked(s.r.log, s.r.clock.Now())
	return queuedAs(id)
}

// fromFieldsRefusal refuses, at the final dot, a message with more than
// one From field that the relay would sign (checkFromFields, which
// Enqueue shares): the signer leaves such a message unsigned
// (SignQueued), so it was taken with 250 and went out to fail DMARC,
// with only a line in the relay's log. 554, the reply to a transaction
// that failed (RFC 5321 4.2.3, 4.3.2), with 5.6.0 (RFC 3463 3.7): the
// fault is in the message's content, which RFC 5322 3.6 allows one From
// field, and the sender mends it by writing one; 5.7.x would say a
// security policy refused the sender, which a corrected message would
// not change. nil when the message is taken.
func (s *session) fromFieldsRefusal(data []byte, client string) *smtp.SMTPError {
	var fe *FromFieldsError
	if !errors.As(s.r.checkFromFields(s.from, data, client), &fe) {
		return nil
	}
	reason := fe.Reason()
	return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: strings.ToUpper(reason[:1]) + reason[1:]}
}

// queuedAs is the 250 to the final dot, naming the queue id that
// relaylab queue show, retry and delete take, as Postfix's "queued as ID"
// does. go-smtp writes an *SMTPError from Data as the reply, whatever its
// code; it says "OK: queued" when Data returns nil, and the text keeps
// that beginning for clients that match it.
func queuedAs(id string) error {
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "OK: queued as " + id}
}

func (s *session) Reset() {
	s.from, s.opts, s.mailOK, s.rcpts, s.bounces = "", nil, false, nil, nil
}

func (s *session) Logout() error { return nil }

// maxPresized bounds the buffer a SIZE sets aside before any data.
const maxPresized = 8 << 20

// readMessage reads the message into one buffer that leaves head octets
// free before it, for the trace and Message-ID fields, so that the
// message the relay queues is built where it was read: a message was held
// four times over (read, its line ends mended, a Message-ID put before
// it, the Received field before that), about 105 MB for one of 24 MB. A
// SIZE given at MAIL (RFC 1870) sizes the buffer. all is the buffer, data
// the message in it, with bare LF line ends made CRLF as they are read.
func (s *session) readMessage(rd io.Reader, head int) (all, data []byte, err error) {
	size := int64(64 << 10)
	if s.opts != nil && s.opts.Size > 0 && (s.r.cfg.MaxMessageBytes <= 0 || s.opts.Size <= s.r.cfg.MaxMessageBytes) {
		size = s.opts.Size + s.opts.Size/64 + 1024 // room for a few mended line ends
		// A SIZE is a claim: at most this much is set aside before the
		// data comes, so that clients declaring large messages on many
		// connections and sending nothing hold no more than this each.
		size = min(size, maxPresized)
	}
	buf := bytes.NewBuffer(make([]byte, head, int64(head)+size))
	_, err = buf.ReadFrom(&crlfReader{r: rd})
	all = buf.Bytes()
	return all, all[head:], err
}

// messageIDField is the Message-ID field the relay adds to a message
// without one.
func messageIDField(id, hostname string) []byte {
	if hostname == "" {
		hostname = "relaylab.localhost"
	}
	return []byte("Message-ID: <" + id + "@" + hostname + ">\r\n")
}

// addedFields are the fields the relay adds to a message that lacks them,
// one a line: Message-ID and Date. RFC 6409 8.2 and 8.3 let a submission
// server add both; without Date, a later hop added it (Postfix and
// Exchange do), after the relay's DKIM signature, and a message without
// one is suspect to receivers (RFC 5322 3.6 requires it).
func addedFields(id, hostname string, now time.Time) []byte {
	return append(messageIDField(id, hostname), dateField(now)...)
}

// dateField is the Date field the relay adds to a message without one.
func dateField(now time.Time) []byte {
	return []byte("Date: " + now.Format("Mon, 02 Jan 2006 15:04:05 -0700") + "\r\n")
}

// withTrace fills the room readMessage left before the message, of
// len(trace)+len(added) octets, with the trace field and those of the
// fields in added (one a line, as addedFields makes them) that the
// message lacks (as withMessageID adds them); the rest of the room is
// left off the front. Nothing of the message is copied.
func withTrace(all, trace, added []byte) []byte {
	head := len(trace) + len(added)
	var keep []byte
	for rest := added; len(rest) > 0; {
		field := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			field, rest = rest[:i+1], rest[i+1:]
		} else {
			rest = nil
		}
		name, _, _ := bytes.Cut(field, []byte(":"))
		if !mailtext.HasField(all[head:], string(name)) {
			keep = append(keep, field...)
		}
	}
	start := head - len(trace) - len(keep)
	copy(all[start:], trace)
	copy(all[start+len(trace):], keep)
	return all[start:]
}

// crlfReader turns bare LF line ends into CRLF as the message is read
// without a second copy of the message.
type crlfReader struct {
	r      io.Reader
	prevCR bool // the last octet passed on was CR
	lf     bool // an LF is owed: its CR filled the last Read
}

func (c *crlfReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.lf {
		p[0], c.lf, c.prevCR = '\n', false, false
		return 1, nil
	}
	// Read into the first half: each bare LF takes one more octet.
	n, err := c.r.Read(p[:max(len(p)/2, 1)])
	if n == 0 {
		return 0, err
	}
	bare, prev := 0, c.prevCR
	for _, b := range p[:n] {
		if b == '\n' && !prev {
			bare++
		}
		prev = b == '\r'
	}
	if bare == 0 {
		c.prevCR = prev
		return n, err
	}
	if n+bare > len(p) { // len(p) == 1, holding a bare LF
		p[0], c.lf, c.prevCR = '\r', true, true
		return 1, err
	}
	// Spread from the end, so that no octet is overwritten before it moves.
	j := n + bare
	for i := n - 1; i >= 0; i-- {
		isBare := p[i] == '\n' && !(i > 0 && p[i-1] == '\r' || i == 0 && c.prevCR)
		j--
		p[j] = p[i]
		if isBare {
			j--
			p[j] = '\r'
		}
	}
	c.prevCR = p[n+bare-1] == '\r'
	return n + bare, err
}

// lineTooLong answers a message with a line over go-smtp's limit as the
// sink does: 500 5.4.0 and close, so that a client classifies it as
// line-too-long. RFC 5321 4.2.2 files "line too long" under 500, and a
// permanent reply makes the client bounce a message that would fail
// again. go-smtp would answer 554 5.0.0 "transaction failed: smtp: too
// long a line in input stream", then, unasked, a second reply to the next
// read, since its line limit fails every read after it is passed: so the
// reply is written here and the connection is marked dead, which drops
// go-smtp's replies and ends the session.
// longLine refuses a message read whole with a line over the listener's
// limit: go-smtp checks the lines of DATA as it reads them (lineTooLong),
// not those of BDAT chunks, which a client sends by their length, so a
// BDAT message with such a line was queued and then bounced by the next
// hop. The chunk was read, so the session goes on.
func (s *session) longLine(data []byte) *smtp.SMTPError {
	limit := 2000 // go-smtp's default MaxLineLength
	if w, ok := s.conn.Conn().(*wireConn); ok && w.limit > 0 {
		limit = w.limit
	}
	for n, line := range messageLines(data) {
		if len(line) > limit {
			return &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 4, 0},
				Message: fmt.Sprintf("Line too long in the message: line %d is %d octets, over the limit of %d per line (RFC 5321 4.5.3.1.6); wrap the lines, or encode the body quoted-printable or base64", n, len(line), limit)}
		}
	}
	return nil
}

// messageLines are the lines of data, each with its number (from 1) and
// its line end (the last may have none).
func messageLines(data []byte) iter.Seq2[int, []byte] {
	return func(yield func(int, []byte) bool) {
		for n, rest := 1, data; len(rest) > 0; n++ {
			line := rest
			if i := bytes.IndexByte(rest, '\n'); i >= 0 {
				line, rest = rest[:i+1], rest[i+1:]
			} else {
				rest = nil
			}
			if !yield(n, line) {
				return
			}
		}
	}
}

func (s *session) lineTooLong() error {
	limit := 2000 // go-smtp's default MaxLineLength
	w, ok := s.conn.Conn().(*wireConn)
	if ok && w.limit > 0 {
		limit = w.limit
	}
	se := &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 4, 0},
		Message: fmt.Sprintf("Line too long in the message: the limit is %d octets per line (RFC 5321 4.5.3.1.6); closing the connection", limit)}
	s.closeWith(se)
	return se
}
