package relay

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// openStore opens a store in a temporary directory on clock c.
func openStore(t *testing.T, c clock.Clock) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), store.Options{
		Path: filepath.Join(t.TempDir(), "relay.db"), Sync: store.SyncOff, Clock: c,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testConfig sends everything through one smarthost path at addr.
func testConfig(addr string) Config {
	c := DefaultConfig()
	c.Listen = ""
	c.Paths = []PathConfig{{Name: "primary", Host: addr, TLS: "none"}}
	c.Routes = []RouteConfig{{Name: "all", Paths: []string{"primary"}}}
	c.Retry = RetryConfig{Kind: "list", Schedule: []config.Duration{dur(time.Minute), dur(5 * time.Minute)}, MaxAge: dur(time.Hour)}
	return c
}

// harness is a relay on a virtual clock.
type harness struct {
	t     *testing.T
	v     *clock.Virtual
	store *store.Store
	r     *Relay
}

func newHarness(t *testing.T, cfg Config, opts Options) *harness {
	t.Helper()
	v := clock.NewVirtual(epoch)
	s := openStore(t, v)
	opts.Store, opts.Clock = s, v
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Shutdown(ctx)
	})
	return &harness{t: t, v: v, store: s, r: r}
}

// settle waits (in real time) until the relay has nothing to do before its
// clock moves.
func (h *harness) settle() {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	// A timer's callback at work (a rate sleep waking) is work too, as
	// a replay counts it.
	for !h.r.quiet() || h.v.Running() > 0 {
		if time.Now().After(deadline) {
			h.t.Fatal("relay never settled")
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// runUntil moves the virtual clock from wake-up to wake-up until cond
// holds.
func (h *harness) runUntil(what string, cond func() bool) {
	h.t.Helper()
	for i := 0; i < 10000; i++ {
		h.settle()
		if cond() {
			return
		}
		if !h.v.AdvanceToNext() {
			// Work outside the relay (a sink's bounce) may still be on its
			// way: give it a moment of real time.
			deadline := time.Now().Add(10 * time.Second)
			for !cond() {
				if time.Now().After(deadline) || h.v.Pending() > 0 {
					break
				}
				time.Sleep(time.Millisecond)
			}
			if cond() {
				return
			}
			if h.v.Pending() > 0 {
				continue
			}
			h.t.Fatalf("waiting for %s: nothing left to do at %v", what, h.v.Now())
		}
	}
	h.t.Fatalf("waiting for %s: gave up", what)
}

func (h *harness) enqueue(from string, to ...string) string {
	h.t.Helper()
	s := Submission{From: from, Data: []byte("From: " + from + "\r\nSubject: test\r\n\r\nHello.\r\n")}
	for _, a := range to {
		s.Recipients = append(s.Recipients, Recipient{Address: a})
	}
	id, err := h.r.Enqueue(context.Background(), s)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *harness) events(f events.Filter) []events.Event {
	h.t.Helper()
	f.Limit = 100000
	evs, err := h.store.Events(context.Background(), f)
	if err != nil {
		h.t.Fatal(err)
	}
	return evs
}

// terminal returns the terminal events per recipient of message id.
func (h *harness) terminal(id string) map[string][]string {
	out := map[string][]string{}
	for _, e := range h.events(events.Filter{Message: id}) {
		if events.Terminal(e.Kind) {
			out[e.Recipient] = append(out[e.Recipient], e.Kind)
		}
	}
	return out
}

// done reports whether every recipient of id has a terminal event.
func (h *harness) done(id string, n int) func() bool {
	return func() bool { return len(h.terminal(id)) == n }
}

// deferrals reports whether message id has n relay.deferred events (a
// deferral, or a hold of the relay's shaping), for runUntil.
func (h *harness) deferrals(id string, n int) func() bool {
	return func() bool {
		return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) == n
	}
}

// allDone reports whether every message of ids has one terminal event.
func (h *harness) allDone(ids []string) func() bool {
	return func() bool {
		for _, id := range ids {
			if !h.done(id, 1)() {
				return false
			}
		}
		return true
	}
}

// attemptTimes returns the clock times of the relay.attempt events of id
// for rcpt, as offsets from epoch.
// submitSMTP submits one small message to the relay's listener at addr
// over SMTP with the given MAIL and RCPT parameters, as a client would.
func submitSMTP(t *testing.T, addr, from string, mail *smtp.MailOptions, to string, rcpt *smtp.RcptOptions) {
	t.Helper()
	c := dialSubmission(t, addr, false)
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(from, mail); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(to, rcpt); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("From: " + from + "\r\nSubject: hi\r\n\r\nHallo.\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// firstDSN runs until the relay has made a DSN and delivered it, and
// returns the DSN's message id.
func (h *harness) firstDSN(t *testing.T) string {
	t.Helper()
	var id string
	h.runUntil("a DSN", func() bool {
		q := h.events(events.Filter{Kinds: []string{events.RelayDSN}})
		if len(q) == 0 {
			return false
		}
		id = payload(t, q[0])["dsn_message"].(string)
		return true
	})
	h.runUntil("the DSN delivered", h.done(id, 1))
	return id
}

func (h *harness) attemptTimes(id, rcpt string) []time.Duration {
	var out []time.Duration
	for _, e := range h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}, Recipient: rcpt}) {
		out = append(out, e.Time.Sub(epoch))
	}
	return out
}

func payload(t *testing.T, e events.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Payload, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// fakeMTA is a small receiving server for relay tests.
type fakeMTA struct {
	addr string
	srv  *smtp.Server

	mu sync.Mutex
	// behaviour, all optional: return an *smtp.SMTPError to refuse.
	onMail func(from string) error
	onRcpt func(to string) error
	onData func(rcpts []string) error
	msgs   []fakeMsg
	conns  int // connections accepted
	open   int
	peak   int // most connections open at once
	rcpts  map[string]int
	// rcptOpts are the RCPT parameters last given for each address.
	rcptOpts map[string]smtp.RcptOptions
	// tls serves STARTTLS (or TLS from the first byte with implicit).
	tls      bool
	implicit bool
	cert     *tls.Certificate  // served instead of a self-signed mta.test one
	noDSN    bool              // do not advertise DSN
	utf8     bool              // advertise SMTPUTF8
	users    map[string]string // AUTH PLAIN accounts
}

type fakeMsg struct {
	from  string
	to    []string
	data  []byte
	tls   bool
	conn  int
	mailP *smtp.MailOptions
}

func startMTA(t testing.TB, setup func(*fakeMTA)) *fakeMTA {
	t.Helper()
	f := &fakeMTA{rcpts: map[string]int{}}
	if setup != nil {
		setup(f)
	}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return &fakeSession{f: f, conn: c}, nil
	})
	f.srv = smtp.NewServer(be)
	f.srv.Domain = "mta.test"
	f.srv.EnableDSN = !f.noDSN
	f.srv.EnableSMTPUTF8 = f.utf8
	f.srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if f.tls || f.implicit {
		cert, err := selfSigned("mta.test")
		if err != nil {
			t.Fatal(err)
		}
		if f.cert != nil {
			cert = *f.cert
		}
		f.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		if f.implicit {
			l = tls.NewListener(l, f.srv.TLSConfig)
		}
	}
	f.addr = l.Addr().String()
	go f.srv.Serve(&countingListener{Listener: l, f: f})
	t.Cleanup(func() { f.srv.Close() })
	return f
}

func (f *fakeMTA) received() []fakeMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeMsg(nil), f.msgs...)
}

type countingListener struct {
	net.Listener
	f *fakeMTA
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	l.f.mu.Lock()
	l.f.conns++
	l.f.open++
	l.f.peak = max(l.f.peak, l.f.open)
	n := l.f.conns
	l.f.mu.Unlock()
	return &countedConn{Conn: c, f: l.f, n: n}, nil
}

type countedConn struct {
	net.Conn
	f    *fakeMTA
	n    int
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() {
		c.f.mu.Lock()
		c.f.open--
		c.f.mu.Unlock()
	})
	return c.Conn.Close()
}

type fakeSession struct {
	authed string
	f      *fakeMTA
	conn   *smtp.Conn
	from   string
	opts   *smtp.MailOptions
	rcpts  []string
}

func (s *fakeSession) Mail(from string, opts *smtp.MailOptions) error {
	s.from, s.opts = from, opts
	if len(s.f.users) > 0 && s.authed == "" {
		return smtpErr(530, smtp.EnhancedCode{5, 7, 0}, "authentication required")
	}
	if s.f.onMail != nil {
		return s.f.onMail(from)
	}
	return nil
}

func (s *fakeSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	s.f.mu.Lock()
	s.f.rcpts[to]++
	if opts != nil {
		if s.f.rcptOpts == nil {
			s.f.rcptOpts = map[string]smtp.RcptOptions{}
		}
		s.f.rcptOpts[to] = *opts
	}
	s.f.mu.Unlock()
	if s.f.onRcpt != nil {
		if err := s.f.onRcpt(to); err != nil {
			return err
		}
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *fakeSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.f.onData != nil {
		if err := s.f.onData(s.rcpts); err != nil {
			return err
		}
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	cc, _ := s.conn.Conn().(*countedConn)
	n := 0
	if cc != nil {
		n = cc.n
	}
	s.f.msgs = append(s.f.msgs, fakeMsg{from: s.from, to: append([]string(nil), s.rcpts...), data: b, tls: isTLS, conn: n, mailP: s.opts})
	return nil
}

func (s *fakeSession) Reset()        { s.from, s.rcpts = "", nil }
func (s *fakeSession) Logout() error { return nil }

func smtpErr(code int, enh smtp.EnhancedCode, msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: msg}
}

// closedAddr is a loopback address with nothing listening.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	l.Close()
	return a
}

var errNope = errors.New("nope")

func hasPrefixAny(s string, ps ...string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func (s *fakeSession) AuthMechanisms() []string {
	if len(s.f.users) == 0 {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *fakeSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if p, ok := s.f.users[user]; !ok || p != pass {
			return smtpErr(535, smtp.EnhancedCode{5, 7, 8}, "bad credentials")
		}
		s.authed = user
		return nil
	}), nil
}
