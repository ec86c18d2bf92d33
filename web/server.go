// Package web serves relaylab's REST API, its websocket event stream, its
// Prometheus metrics and the embedded UI, all read from the event log and
// from narrow views of the sink, the relay and the probes.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
)

// DefaultAddr is where the UI listens unless told otherwise: loopback only.
const DefaultAddr = "127.0.0.1:8025"

// readTimeout is long enough for a body of maxBody over a slow link;
// idleTimeout outlasts a browser's pause between the UI's polls.
const (
	readTimeout = 2 * time.Minute
	idleTimeout = 2 * time.Minute
)

// ErrServerClosed is returned by Start after Shutdown.
var ErrServerClosed = http.ErrServerClosed

// Auth protects the UI, the API, the metrics and the websocket. With neither
// a token nor a user set, everything is open to requests that name the
// server by an IP address or localhost (fine on loopback): other names
// are refused, since a site that points its own name at 127.0.0.1 (DNS
// rebinding) would otherwise pass for the server's own origin.
type Auth struct {
	// Token is accepted as "Authorization: Bearer <token>", or from a
	// browser by the sign-in page's form or once as ?token=<token>, which
	// starts a session (sessions, 12 hours).
	Token string
	// User and Password are accepted as HTTP basic auth.
	User, Password string
}

func (a Auth) enabled() bool { return a.Token != "" || a.User != "" }

// Options configure New.
type Options struct {
	Store  *store.Store // required: the event log
	Logger *slog.Logger // default slog.Default()
	Sink   SinkAPI      // nil: the sink endpoints answer 503
	Relay  RelayAPI     // nil: the relay endpoints answer 503
	Probe  ProbeAPI     // nil: the probe endpoints answer 503
	Auth   Auth
	// AllowedOrigins lists extra origins ("https://ui.example:8443") whose
	// pages may open the websocket and send writes; the server's own origin
	// is always allowed. Without Auth, their host names are also names the
	// server answers to, besides IP addresses and localhost.
	AllowedOrigins []string
	Clock          clock.Clock // default the store's clock
	// Version is relaylab's version, the label of relaylab_build_info;
	// default "(unknown)".
	Version string
	// Prune, when set, is where the hourly prune of store.keep records
	// how it went, for relaylab_store_prune_* in the metrics; nil when
	// nothing prunes (store.keep is 0): those metrics are left out.
	Prune *PruneStats
	// ClientBuffer is the number of batches of events (one per commit the
	// stream reads, up to 1000 events each) a websocket client may fall
	// behind before it is dropped; default 256.
	ClientBuffer int
}

// Server is the web UI and API. Create it with New.
type Server struct {
	opts    Options
	log     *slog.Logger
	clock   clock.Clock
	hub     *hub
	metrics *metrics
	explain *replyExplainer // nil when the sink explains nothing
	handler http.Handler
	// pingEvery and pongWait pace the websocket keep-alive; tests shorten
	// them.
	pingEvery, pongWait time.Duration
	// readTimeout bounds the reading of a request, its body included, and
	// idleTimeout the wait for the next request on a kept-alive
	// connection: without them a client that sends its body a byte at a
	// time, or opens connections and sends nothing more, holds each one
	// (and a file descriptor of the process, which the SMTP listeners
	// share) for ever. The websocket sets its own deadlines once upgraded,
	// and a long poll's wait is not a read. Tests shorten them.
	readTimeout, idleTimeout time.Duration

	// stopping, once set (SetStopping), says what the stop of the
	// process around the server waits for: /readyz answers 503.
	stopping atomic.Pointer[func() string]

	mu       sync.Mutex
	srv      *http.Server
	ln       net.Listener
	cancel   context.CancelFunc
	hubDone  chan struct{}
	shutdown bool
}

// New returns a server; nothing runs until Start (or Run for a caller that
// serves Handler itself).
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("web: no store: the UI reads the event log, pass Options.Store")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = opts.Store.Clock()
	}
	if opts.ClientBuffer <= 0 {
		opts.ClientBuffer = 256
	}
	if opts.Auth.User != "" && opts.Auth.Password == "" {
		return nil, errors.New("web: auth user set without a password: set both, or use a token")
	}
	for i, o := range opts.AllowedOrigins {
		if err := CheckAllowedOrigin(o); err != nil {
			return nil, fmt.Errorf("web.allowed_origins[%d]: %w", i, err)
		}
	}
	s := &Server{opts: opts, log: opts.Logger, clock: opts.Clock, pingEvery: pingPeriod, pongWait: pongWait,
		readTimeout: readTimeout, idleTimeout: idleTimeout}
	var health storeHealth
	if opts.Store != nil {
		health = opts.Store
	}
	extra := []prometheus.Collector{buildInfo(opts.Version)}
	if opts.Prune != nil {
		extra = append(extra, opts.Prune)
	}
	s.metrics = newMetrics(opts.Relay, opts.Sink, health, extra...)
	s.hub = newHub(opts.Store, opts.Logger, opts.Clock, s.metrics.observe)
	s.explain = newReplyExplainer(opts.Sink)
	s.hub.explain = s.explain
	s.handler = s.routes()
	return s, nil
}

// Handler returns the server's HTTP handler. The websocket stream and the
// metrics follow the event log only while Run or Start is running.
func (s *Server) Handler() http.Handler { return s.handler }

// Run follows the event log for the stream and the metrics until ctx ends.
// Start calls it; call it yourself only when serving Handler elsewhere.
func (s *Server) Run(ctx context.Context) { s.hub.run(ctx) }

// Start listens on addr (DefaultAddr when empty) and serves in the
// background until Shutdown or until ctx ends.
func (s *Server) Start(ctx context.Context, addr string) error {
	if addr == "" {
		addr = DefaultAddr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return ErrServerClosed
	}
	if s.srv != nil {
		return errors.New("web: already started")
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("web: listen on %s: %w (is another relaylab running? stop it, or move web.listen in the configuration, or --web-listen with relaylab serve; port 0 takes any free one)", addr, err)
	}
	// The hub and the requests end only through Shutdown, which marks the
	// server shut down first: a client whose stream closes when ctx ends
	// must find the server closed, not yet "already started".
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.ln, s.cancel = ln, cancel
	s.hubDone = make(chan struct{})
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.readTimeout,
		IdleTimeout:       s.idleTimeout,
		BaseContext:       func(net.Listener) context.Context { return hctx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	started := s.hub.begin()
	go func() {
		defer close(s.hubDone)
		if started {
			s.hub.loop(hctx)
		}
	}()
	srv := s.srv
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("web: serve failed", "addr", ln.Addr().String(), "err", err)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			s.Shutdown(context.Background())
		case <-hctx.Done(): // Shutdown was called
		}
	}()
	s.log.Info("web: listening", "url", "http://"+ln.Addr().String()+"/")
	return nil
}

// SetStopping says that the process around the server is stopping: from
// now on /readyz answers 503 with status "stopping" and what stopping
// says (what the stop still waits for), so that a load balancer or a
// monitor takes the server out while its sessions and deliveries drain,
// and the UI still answers until Shutdown.
func (s *Server) SetStopping(stopping func() string) { s.stopping.Store(&stopping) }

// Addr is the address the server listens on, once started.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Shutdown stops the listener, closes the websocket streams, and waits for
// requests in flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		return nil
	}
	s.shutdown = true
	srv, cancel, done := s.srv, s.cancel, s.hubDone
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	cancel() // ends the hub, which closes every stream
	err := srv.Shutdown(ctx)
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return err
}
