// Package sink is relaylab's fake receiving MTA: an SMTP server on go-smtp
// that accepts, defers, rejects, delays, tarpits, hangs, greylists,
// rate-limits, drops the connection, or accepts and bounces later, at any
// stage of the session, as its rules, the directives in a recipient address
// or a provider profile say. It remembers attempts across sessions and
// records every session's transcript and every message in the store.
package sink

import (
	"cmp"
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/repeatlog"
	"github.com/relaylab/relaylab/internal/store"
)

// Options are what a Sink needs besides its configuration.
type Options struct {
	Store  *store.Store
	Clock  clock.Clock  // default: the store's clock
	Logger *slog.Logger // default slog.Default()
	Seed   int64        // seeds the probabilities of rules and directives
	// Verifier checks SPF, DKIM and DMARC of each message when
	// Config.Verify.Enabled; it is required then, and unused otherwise.
	Verifier Verifier
	// Wrap, if set, wraps each accepted connection before anything is
	// read or written (a replay tracks them with internal/quiesce).
	Wrap func(net.Conn) net.Conn
	// AwaitBounceRelay says the bounce relay comes later, from
	// SetBounceRelay (relaylab serve learns its own relay's address only
	// after the sink has started). Bounces that fall due before then wait
	// for it instead of failing a try for want of a relay.
	AwaitBounceRelay bool
}

// Sink is a set of listeners sharing rules, state and a store.
type Sink struct {
	cfg   Config
	store *store.Store
	clock clock.Clock
	log   *slog.Logger
	// roomLog limits the log of refusals for want of room on the store's
	// disk (store.Room): one line, then one a minute at most.
	roomLog repeatlog.Limiter

	rules    atomic.Pointer[[]*rule]
	profiles atomic.Pointer[profileSet]
	seed     int64
	wrap     func(net.Conn) net.Conn // Options.Wrap
	state    *state
	nextID   atomic.Int64
	// resetSeen is the id of the last sink.reset event that state has
	// forgotten its counters for (ResetState, or another process's).
	resetSeen atomic.Int64
	resetOnce sync.Once // prepares resetStmt
	resetStmt *sql.Stmt
	resetErr  error
	// The sweep (sweep.go): when the last began (the clock's ns), the
	// ones running, one at a time, and the store's rows as the last saw
	// them (restore sets the first).
	sweptAt atomic.Int64
	sweeps  sync.WaitGroup
	sweepMu sync.Mutex
	mark    rowsMark
	bouncer *bouncer
	// runTag is random, made at New: it makes the Message-IDs of this
	// run's DSNs its own (dsnMessageID), apart from another store's or an
	// earlier run's, whose bounce ids may be the same.
	runTag string
	// bounceRelay is where bounces go: cfg.Bounce.Relay, until
	// SetBounceRelay says otherwise.
	bounceRelay atomic.Pointer[string]
	// bounceSubmit, once set, takes bounces in place of the relay.
	bounceSubmit atomic.Pointer[bounceSubmitter]
	// awaitingRelay: Options.AwaitBounceRelay, until SetBounceRelay or
	// SetBounceSubmitter.
	awaitingRelay atomic.Bool
	verify        atomic.Pointer[verifying] // nil: no authentication checks

	listeners    []*listener
	writes       chan writeItem // to writer
	writerEnd    chan struct{}  // closed when writer is done
	wmu          sync.Mutex     // guards closing writes against Flush
	writesClosed bool

	hardCtx    context.Context // ends when Shutdown gives up waiting
	hardCancel context.CancelFunc
	// draining: Shutdown has begun, and sessions outside a transaction
	// end at their next command (shutdown.go).
	draining atomic.Bool

	// rulesMu orders the changes of the rules (SetRules, SetRulesIf,
	// Reload): readers load rules without it.
	rulesMu sync.Mutex

	mu      sync.Mutex
	closing bool
	conns   map[*conn]struct{}
	wg      sync.WaitGroup
	started bool
}

// New checks cfg and prepares a sink; Start binds its listeners.
func New(cfg Config, opts Options) (*Sink, error) {
	if opts.Store == nil {
		return nil, errors.New("sink: no store: pass Options.Store")
	}
	if err := cfg.Validate("sink"); err != nil {
		return nil, err
	}
	if opts.Clock == nil {
		opts.Clock = opts.Store.Clock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Sink{
		cfg: cfg, store: opts.Store, clock: opts.Clock, log: opts.Logger,
		seed:      opts.Seed,
		runTag:    newRunTag(),
		wrap:      opts.Wrap,
		state:     newState(),
		conns:     map[*conn]struct{}{},
		writes:    make(chan writeItem, 1024),
		writerEnd: make(chan struct{}),
		roomLog: repeatlog.Limiter{What: "sink: taking new mail",
			Advice: "its store's disk has less room than store.min_free_bytes keeps, so every MAIL is answered 452 4.3.1 and senders will try again later; free space on that disk or run relaylab prune (it takes mail again by itself); while it lasts this is logged at most once a minute, with a count"},
	}
	if err := s.SetVerifier(cfg.Verify, opts.Verifier); err != nil {
		return nil, err
	}
	s.hardCtx, s.hardCancel = context.WithCancel(context.Background())
	if err := s.load(cfg); err != nil {
		return nil, err
	}
	s.bounceRelay.Store(&cfg.Bounce.Relay)
	s.awaitingRelay.Store(opts.AwaitBounceRelay)
	s.bouncer = newBouncer(s)
	for i, lc := range cfg.Listeners {
		l, err := s.newListener(lc)
		if err != nil {
			return nil, err
		}
		l.index = i
		s.listeners = append(s.listeners, l)
	}
	return s, nil
}

// load compiles the rules and profiles of cfg and makes them current.
func (s *Sink) load(cfg Config) error {
	rs, err := compileRules("sink.rules", cfg.Rules)
	if err != nil {
		return err
	}
	ps, err := loadProfiles(cfg)
	if err != nil {
		return err
	}
	s.rules.Store(&rs)
	s.profiles.Store(ps)
	return nil
}

func (s *Sink) directivesOn() bool { return s.cfg.Directives == nil || *s.cfg.Directives }

// Start binds every listener and serves them; it returns once all listen.
func (s *Sink) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("sink: already started")
	}
	s.started = true
	s.mu.Unlock()
	if err := s.restore(ctx); err != nil {
		return fmt.Errorf("sink: reading state from the store: %w", err)
	}
	var lc net.ListenConfig
	for i, l := range s.listeners {
		ln, err := lc.Listen(ctx, "tcp", l.cfg.Listen)
		if err != nil {
			for _, prev := range s.listeners[:i] {
				prev.ln.Close()
			}
			return fmt.Errorf("sink: listener %s: %w%s", l.cfg.Name, err, busyHint(err, i))
		}
		l.ln = ln
	}
	go s.writer(s.writerEnd)
	for _, l := range s.listeners {
		go l.acceptLoop()
		go l.srv.Serve(l)
		s.log.Info("sink listening", "listener", l.cfg.Name, "addr", l.ln.Addr().String(), "hostname", l.cfg.Hostname, "tls", l.tlsOffered())
		if w := idleTimeoutWarning(l.cfg.Limits.IdleTimeout.D()); w != "" {
			s.log.Warn(w, "listener", l.cfg.Name, "idle_timeout", l.cfg.Limits.IdleTimeout.D())
		}
	}
	s.warnRules(s.cfg)
	s.bouncer.start(ctx)
	return nil
}

// warnRules logs the rules of cfg that never apply, and the profile
// files' takeovers (Config.Warnings), which relaylab config says too: a
// start or a reload takes them all the same.
func (s *Sink) warnRules(cfg Config) {
	for _, w := range cfg.ruleWarnings(func(k string) string { return "sink." + k }) {
		s.log.Warn("sink: " + w.Error())
	}
}

// Addrs maps each listener's name to its bound address.
func (s *Sink) Addrs() map[string]net.Addr {
	out := map[string]net.Addr{}
	for _, l := range s.listeners {
		if l.ln != nil {
			out[l.cfg.Name] = l.ln.Addr()
		}
	}
	return out
}

// Accepting maps each listener's name to nil while it accepts
// connections, or to why it does not: closed (net.ErrClosed, from the
// stop's start), or the error of its last accept while accepting fails
// (out of file descriptors), until one works again.
func (s *Sink) Accepting() map[string]error {
	out := map[string]error{}
	for _, l := range s.listeners {
		if l.ln == nil {
			continue
		}
		select {
		case <-l.done:
			out[l.cfg.Name] = net.ErrClosed
			continue
		default:
		}
		var err error
		if p := l.acceptErr.Load(); p != nil {
			err = *p
		}
		out[l.cfg.Name] = err
	}
	return out
}

// URLs maps each listener's name to its bound address as a URL for a
// banner: smtps:// for a listener of implicit TLS (TLS from the first
// byte, as on port 465), smtp:// for the others.
func (s *Sink) URLs() map[string]string {
	out := map[string]string{}
	for _, l := range s.listeners {
		if l.ln == nil {
			continue
		}
		scheme := "smtp://"
		if l.implicitTLS {
			scheme = "smtps://"
		}
		out[l.cfg.Name] = scheme + l.ln.Addr().String()
	}
	return out
}

// ProfileNames lists the provider profiles in force, built-in and from
// sink.profile_files, sorted.
func (s *Sink) ProfileNames() []string { return s.profiles.Load().names() }

// HostPorts maps each listener's name to its bound address as host:port,
// the form a relay path to the sink takes (relay.Config.WithSinkAddrs).
func (s *Sink) HostPorts() map[string]string {
	out := map[string]string{}
	for n, a := range s.Addrs() {
		out[n] = a.String()
	}
	return out
}

// Rules returns the current rules.
func (s *Sink) Rules() []Rule {
	rs := *s.rules.Load()
	out := make([]Rule, len(rs))
	for i, r := range rs {
		out[i] = r.src
	}
	return out
}

// SetRules replaces the rules at once; sessions in flight use the new ones
// from their next command. It refuses what the configuration file may not
// hold either, with the same error: a rule on a DMARC, SPF or DKIM result
// while sink.verify is off (see SetVerifier).
func (s *Sink) SetRules(rules []Rule) error {
	s.rulesMu.Lock()
	defer s.rulesMu.Unlock()
	return s.setRules(rules)
}

// SetRulesIf is SetRules if cond accepts the rules running now: the test
// and the change are one step under the sink's own lock, which Reload (a
// SIGHUP) and SetRules take too, so that no other change comes between
// them; a caller that read the rules, changed them and sends them back
// replaces exactly what it read, or nothing. ok is false, and nothing
// changes, when cond refuses them. cond must not call back into the
// sink's rules.
func (s *Sink) SetRulesIf(rules []Rule, cond func(current []Rule) bool) (ok bool, err error) {
	s.rulesMu.Lock()
	defer s.rulesMu.Unlock()
	if !cond(s.Rules()) {
		return false, nil
	}
	return true, s.setRules(rules)
}

// setRules is SetRules with rulesMu held.
func (s *Sink) setRules(rules []Rule) error {
	rs, err := compileRules("sink.rules", rules)
	if err != nil {
		return err
	}
	if err := needVerify("sink", rules, s.verify.Load() != nil); err != nil {
		return err
	}
	for i, r := range rules {
		if r.Listener != "" && s.listenerNamed(r.Listener) == nil {
			// As the configuration file's check says it (Validate), with
			// the listeners running now, --listen's included.
			ls := make([]ListenerConfig, len(s.listeners))
			for j, l := range s.listeners {
				ls[j] = l.cfg
			}
			return config.Errorf(fmt.Sprintf("sink.rules[%d].listener", i), "%s", unknownListener(r.Listener, ls, ""))
		}
	}
	if err := sizeNeverMatches("sink", rules, s.cfg.Listeners); err != nil {
		return err
	}
	s.rules.Store(&rs)
	s.log.Info("sink rules replaced", "rules", len(rs))
	for _, w := range ShadowedRules("sink.rules", rules, false) {
		s.log.Warn("sink: " + w.Error())
	}
	s.rulesEvent("SetRules", rules)
	return nil
}

// rulesEvent records that the rules changed, with the new list.
func (s *Sink) rulesEvent(how string, rules []Rule) {
	if rules == nil {
		rules = []Rule{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e := events.Event{Kind: events.SinkRules}.WithPayload(map[string]any{"by": how, "rules": rules})
	if _, err := s.store.Append(ctx, e); err != nil {
		s.log.Error("sink: recording the rule change failed", "err", err)
	}
}

// ReloadFailed records that a reload of the rules (by: "SIGHUP") was
// refused for err and the old rules stay, so that the web UI, whose users
// see no log, can say so as it says a reload that worked.
func (s *Sink) ReloadFailed(by string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e := events.Event{Kind: events.SinkReloadFailed}.WithPayload(map[string]any{"by": by, "error": err.Error()})
	if _, err := s.store.Append(ctx, e); err != nil {
		s.log.Error("sink: recording the refused reload failed", "err", err)
	}
}

// Reload takes the rules and profiles of cfg. Listeners are not rebound:
// a change of address or TLS needs a restart, a new certificate in the
// same files too (the log says so). The sink.verify checks forget the DNS
// answers they cached (dnsForgetter), so that a zone changed before the
// reload counts from the next message. A configuration with an error (a
// certificate file that no longer loads among them) changes nothing.
func (s *Sink) Reload(cfg Config) error {
	if err := cfg.Validate("sink"); err != nil {
		return err
	}
	s.rulesMu.Lock()
	defer s.rulesMu.Unlock()
	if err := s.load(cfg); err != nil {
		return err
	}
	s.warnCertChanged(cfg)
	// profiles: those in force (built in and from the files); domain_maps:
	// the entries of sink.profiles.
	s.log.Info("sink configuration reloaded", "rules", len(cfg.Rules), "profiles", len(s.ProfileNames()), "domain_maps", len(cfg.Profiles))
	s.warnRules(cfg)
	s.forgetDNS("reload")
	s.rulesEvent("Reload", cfg.Rules)
	return nil
}

// SetBounceRelay makes addr (host:port) the relay that bounces and
// delivered DSNs go to from now on, in place of sink.bounce.relay, with
// every one pending: for a program that starts its own relay after the
// sink and learns its address only then (relaylab serve, on port 0). ""
// sends none. It is safe while bounces are being sent; one already
// connecting keeps the address it had. Bounces that waited for it
// (Options.AwaitBounceRelay) go out now.
func (s *Sink) SetBounceRelay(addr string) error {
	if addr != "" {
		if err := config.DialAddr(addr); err != nil {
			return fmt.Errorf("sink: bounce relay %q: %w", addr, err)
		}
	}
	s.bounceRelay.Store(&addr)
	s.bouncer.release()
	return nil
}

// bounceSubmitter is a relay in the same process that takes bounces.
type bounceSubmitter struct {
	name   string
	submit func(ctx context.Context, to string, msg []byte) error
}

// SetBounceSubmitter makes submit take every bounce and delivered DSN
// from now on, pending ones included, in place of an SMTP relay: for a
// program that runs its own relay in the same process (relaylab serve),
// whose submission port may ask for AUTH or TLS the sink does not have.
// submit queues msg, a DSN with a null sender, for to; name says where
// it went in the record and the log. Bounces that waited for a relay
// (Options.AwaitBounceRelay) go out now.
func (s *Sink) SetBounceSubmitter(name string, submit func(ctx context.Context, to string, msg []byte) error) {
	s.bounceSubmit.Store(&bounceSubmitter{name: name, submit: submit})
	s.bouncer.release()
}

// BounceRelay is where bounces go now: the relay's host:port, the
// name given to SetBounceSubmitter, or "" for nowhere.
func (s *Sink) BounceRelay() string {
	if b := s.bounceSubmit.Load(); b != nil {
		return b.name
	}
	return *s.bounceRelay.Load()
}

func (s *Sink) listenerNamed(name string) *listener {
	for _, l := range s.listeners {
		if l.cfg.Name == name {
			return l
		}
	}
	return nil
}

// Shutdown stops accepting, answers 421 to the sessions waiting for a
// command outside a transaction and closes them, lets transactions in
// flight finish until ctx ends, then closes the rest, with the 421 where
// the session waits for a command (shutdown.go). Every recorded session is
// in the store when it returns.
func (s *Sink) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	already := s.closing
	s.closing = true
	s.mu.Unlock()
	if !already {
		for _, l := range s.listeners {
			l.close()
		}
	}
	s.draining.Store(true)
	s.mu.Lock()
	for c := range s.conns {
		c.stopIdle(false)
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.hardCancel()
		s.mu.Lock()
		for c := range s.conns {
			c.stopIdle(true)
		}
		s.mu.Unlock()
		<-done
	}
	s.hardCancel()
	s.sweeps.Wait() // after hardCancel, which ends its queries
	s.bouncer.stop()
	if !already {
		s.mu.Lock()
		started := s.started
		s.mu.Unlock()
		s.wmu.Lock()
		close(s.writes)
		s.writesClosed = true
		s.wmu.Unlock()
		if started {
			<-s.writerEnd
		}
	}
	return err
}

// chance decides "with probability p" for one decision: what (the rule or
// directive) at one stage of one attempt of one (sender, recipient). The
// answer comes from a hash of the seed and those, not from a shared random
// stream, so that a replay gets the same answers whatever order concurrent
// sessions run in. The count of a Message-ID's transactions is not in it:
// a message to two domains makes two transactions at one instant, which
// count 1 and 2 in whichever order they arrive, and the draws followed
// that order from run to run.
func (s *Sink) chance(p float64, in *input, what string) bool {
	if p <= 0 || p >= 1 {
		return true
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%s|%s|%s|%s|%s|%d", s.seed, what, in.stage, in.client, in.sender, in.rcpt, in.attempt)
	// FNV's high bits barely move when only the last bytes differ (the
	// attempt number): mix them (splitmix64's finaliser) before use.
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11)/(1<<53) < p
}

// draw is chance for decide, which meets b "with probability p": for
// Explain (in.maybe set), which does not roll, it notes b and says no, so
// that decide goes on to what answers otherwise.
func (s *Sink) draw(p float64, in *input, what string, b Behavior) bool {
	if in.maybe != nil && p > 0 && p < 1 {
		in.maybe(p, b)
		return false
	}
	return s.chance(p, in, what)
}

// decide picks the behaviour at one stage: the recipient's directives
// first, then the rules, then the provider profile of the recipient's
// domain. None matching: the normal reply. The replies it picks name
// the client where their text says {client_ip}.
func (s *Sink) decide(in *input, ds []Directive) Behavior {
	return s.choose(in, ds).forClient(in.client)
}

// choose is decide before the client's address goes into the replies.
// Of the recipient's directives for the stage, the first that acts on
// this attempt applies: one used up (past its xN) or drawn out (pP) lets
// the next one act, so that defer+rcpt550 is 451, then 550. When the only
// ones left were used up, the sink accepts ("451 twice, then 250"),
// whatever the rules say; when they were drawn out, the rules and the
// profile answer as without them.
func (s *Sink) choose(in *input, ds []Directive) Behavior {
	var done Behavior // of the first directive used up, if one was
	for _, d := range ds {
		if d.Stage != in.stage {
			continue
		}
		if d.Times > 0 && in.attempt > d.Times {
			if done.usedUp.text == "" {
				done = Behavior{Rule: "directive " + d.Text + " (done)", usedUp: usedUp{d.Text, d.Times, in.attempt}}
			}
			continue
		}
		b := d.Behavior
		b.By = b.Rule
		if d.Prob > 0 && !s.draw(d.Prob, in, "directive "+d.Text, b) {
			continue
		}
		return b
	}
	if done.usedUp.text != "" {
		return done
	}
	for i, r := range *s.rules.Load() {
		if !r.matches(in) {
			continue
		}
		b := r.behavior
		b.By = ruleOrigin("sink.rules", i, r.src.Name)
		if r.content != nil {
			b.Matched = in.msg.what(r)
		}
		if r.prob <= 0 || r.prob >= 1 || s.draw(r.prob, in, ruleDraw(i, r.src.Name), b) {
			return b
		}
	}
	if in.rcpt == "" {
		return Behavior{}
	}
	dom := domainOf(in.rcpt)
	p := s.profiles.Load().forDomain(dom)
	if p == nil {
		return Behavior{}
	}
	if in.stage == StageRcpt {
		// A profile is chosen by the recipient's domain, which MAIL does
		// not know yet: its rules on the sender answer at the recipient.
		mail := *in
		mail.stage = StageMail
		if b, ok := s.profileRule(p, dom, &mail); ok {
			return b
		}
	}
	b, _ := s.profileRule(p, dom, in)
	return b
}

// profileRule is the behaviour of p's first rule that matches in, for a
// recipient in dom.
func (s *Sink) profileRule(p *profile, dom string, in *input) (Behavior, bool) {
	for i, r := range p.rules {
		if !r.matches(in) {
			continue
		}
		b := r.behavior
		b.By = "profile " + p.name + " (" + p.in + "domain " + dom + "), " + ruleOrigin("rules", i, r.src.Name)
		if r.content != nil {
			b.Matched = in.msg.what(r)
		}
		if r.prob <= 0 || r.prob >= 1 || s.draw(r.prob, in, "profile "+p.name+" "+strconv.Itoa(i), b) {
			return b, true
		}
	}
	return Behavior{}, false
}

// ruleDraw is what a rule's draws are keyed by: a named rule draws by
// its name, so that a rule put above it does not change its draws; one
// without, by its place. Built only for a rule that matched and has a
// probability, off the path of every other decision.
func ruleDraw(i int, name string) string {
	if name != "" {
		return "rule " + strconv.Quote(name)
	}
	return "rule " + strconv.Itoa(i)
}

// ruleOrigin names the rule at index i of the list at key for the record
// of a reply: by its name, or by its key when it has none (sink.rules[1],
// as the configuration's errors and the drop and hang notes name it).
func ruleOrigin(key string, i int, name string) string {
	if name != "" {
		return "rule " + strconv.Quote(name)
	}
	return key + "[" + strconv.Itoa(i) + "]"
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return ""
}

// listener is one virtual MX host: a TCP listener, the go-smtp server in
// front of it, and the net.Listener that hands admitted connections over.
type listener struct {
	sink *Sink
	cfg  ListenerConfig
	ln   net.Listener
	srv  *smtp.Server
	ch   chan net.Conn
	done chan struct{}
	once sync.Once

	// index is the listener's place in sink.listeners, for what names one
	// of its settings (listener.key).
	index                 int
	implicitTLS, starttls bool
	tlsConfig             *tls.Config
	authOn, authRequired  bool
	limiter               *rateLimiter
	rateReply             Reply
	perClient             *clientCounts // nil: no limits.max_connections_per_client
	pregreetWait          time.Duration // 0: no pregreet test
	pregreetReply         Reply
	active                atomic.Int64
	peak                  atomic.Int64 // the most connections open at once
	greeting              string
	hide                  map[string]bool
	// acceptErr is the error of the last accept while it fails (out of
	// file descriptors), nil once one works again: Accepting reports it.
	acceptErr atomic.Pointer[error]
}

var _ net.Listener = (*listener)(nil)

func (s *Sink) newListener(lc ListenerConfig) (*listener, error) {
	l := &listener{sink: s, cfg: lc, ch: make(chan net.Conn), done: make(chan struct{}), hide: map[string]bool{}}
	l.greeting = lc.Greeting
	if l.greeting == "" {
		l.greeting = "relaylab sink ready"
	}
	for _, h := range lc.Hide {
		l.hide[strings.ToUpper(h)] = true
	}
	switch lc.TLS {
	case "", "starttls":
		l.starttls = true
	case "implicit":
		l.implicitTLS = true
	}
	if l.starttls || l.implicitTLS {
		cfg, err := s.tlsConfigFor(lc)
		if err != nil {
			return nil, err
		}
		l.tlsConfig = cfg
	}
	l.authOn = lc.Auth.Mode == "optional" || lc.Auth.Mode == "required"
	l.authRequired = lc.Auth.Mode == "required"
	if lc.Limits.MaxConnectionsPerClient > 0 {
		l.perClient = newClientCounts()
	}
	if p := lc.Pregreet; p != nil {
		l.pregreetWait = cmp.Or(p.Wait.D(), defaultPregreetWait)
		l.pregreetReply = defaultPregreetReply(lc.Hostname)
		if p.Reply != "" {
			l.pregreetReply, _ = ParseReply(p.Reply)
		}
	}
	if lc.Limits.Rate.PerSecond > 0 {
		l.limiter = newRateLimiter(lc.Limits.Rate.PerSecond, max(lc.Limits.Rate.Burst, 1))
		l.rateReply = Reply{Code: 451, Enhanced: "4.7.1", Text: "Too many messages from your address: slow down and try again later"}
		if lc.Limits.Rate.Reply != "" {
			l.rateReply, _ = ParseReply(lc.Limits.Rate.Reply)
		}
	}
	srv := smtp.NewServer(l)
	srv.Domain = lc.Hostname
	// The size limit is the session's (session.Mail, readMessage), not
	// go-smtp's: go-smtp refuses a BDAT chunk over it while the Data of
	// the transfer still runs in a goroutine of go-smtp's, which then
	// races the next transfer for go-smtp's result channel. A limit found
	// by Data itself ends that goroutine before go-smtp replies.
	srv.MaxMessageBytes = 0
	// The recipient limit is the session's too (session.Rcpt): go-smtp
	// would refuse before Rcpt runs, and the refusal would be no attempt.
	// conn.ehloReply advertises it (LIMITS RCPTMAX, RFC 9422).
	srv.MaxRecipients = 0
	// 0 is no limit, for go-smtp as in the configuration (a listener
	// from a file starts at DefaultListener's 2000).
	srv.MaxLineLength = lc.Limits.MaxLineLength
	srv.ReadTimeout = lc.Limits.IdleTimeout.D()
	// A client that never reads its replies is idle too: without this, a
	// reply it leaves unread would hold the connection for ever (conn.send
	// closes it when the deadline passes).
	srv.WriteTimeout = lc.Limits.IdleTimeout.D()
	// go-smtp sees plain connections (TLS is done in conn, below it), so it
	// must be told that AUTH without TLS is the sink's decision.
	srv.AllowInsecureAuth = true
	srv.EnableSMTPUTF8 = true
	// RFC 3461: DSN, as Postfix and Microsoft 365 offer it; `hide: [DSN]`
	// makes a receiver without it, which refuses RET, ENVID, NOTIFY and
	// ORCPT with 555 (see conn.dsnReply).
	srv.EnableDSN = !l.hidden("DSN")
	srv.ErrorLog = slogPrinter{s.log.With("listener", lc.Name)}
	l.srv = srv
	return l, nil
}

func (l *listener) hidden(ext string) bool { return l.hide[strings.ToUpper(ext)] }

// tlsOffered is the TLS the listener offers, for its log line: its tls
// key, but none for tls: starttls with STARTTLS in its hide list, which
// answers STARTTLS with 502 and never advertises it.
func (l *listener) tlsOffered() string {
	if l.cfg.TLS == "starttls" && l.hidden("STARTTLS") {
		return "none (STARTTLS hidden)"
	}
	return l.cfg.TLS
}

// Accept hands go-smtp the connections admitted by acceptLoop.
func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops the listener (go-smtp calls it too).
func (l *listener) Close() error {
	l.close()
	return nil
}

func (l *listener) close() {
	l.once.Do(func() {
		close(l.done)
		if l.ln != nil {
			l.ln.Close()
		}
	})
}

// Addr is the bound address.
func (l *listener) Addr() net.Addr { return l.ln.Addr() }

func (l *listener) acceptLoop() {
	var backoff time.Duration
	for {
		raw, err := l.ln.Accept()
		if err != nil {
			select {
			case <-l.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait a little.
			l.acceptErr.Store(&err)
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			l.sink.log.Warn("sink: accept failed", "listener", l.cfg.Name, "err", err, "retry_in", backoff)
			timer := l.sink.clock.NewTimer(backoff)
			select {
			case <-timer.C():
			case <-l.done:
				timer.Stop()
				return
			}
			continue
		}
		backoff = 0
		if l.acceptErr.Load() != nil {
			l.acceptErr.Store(nil)
		}
		if l.sink.wrap != nil {
			raw = l.sink.wrap(raw)
		}
		l.admit(raw)
	}
}

// admit applies the limits and connect-stage behaviour, then hands the
// connection to go-smtp, which writes the greeting.
func (l *listener) admit(raw net.Conn) {
	s := l.sink
	c := newConn(s, l, raw, s.nextID.Add(1))
	fromClient := 0
	if l.perClient != nil {
		// Counted out in closeSocket, with active; counted before c is
		// in s.conns, where Shutdown may close it.
		c.clientCounted = true
		fromClient = l.perClient.add(c.client)
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		if c.clientCounted {
			l.perClient.done(c.client)
		}
		raw.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	n := l.active.Add(1)
	l.notePeak(n)
	if max := l.cfg.Limits.MaxConnectionsPerClient; max > 0 && fromClient > max {
		// Before the listener's own limit: the reply names the client's
		// share, which is why.
		c.byNext = "limits.max_connections_per_client"
		go c.refuse(tooManyFromClient(l.cfg.Hostname, max))
		return
	}
	if max := l.cfg.Limits.MaxConnections; max > 0 && n > int64(max) {
		c.byNext = "limits.max_connections"
		go c.refuse(Reply{Code: 421, Enhanced: "4.7.0", Text: l.cfg.Hostname + " has too many connections, try again later"})
		return
	}
	b := s.decide(&input{stage: StageConnect, listener: l.cfg.Name, client: c.client}, nil)
	if b.isZero() && l.pregreetWait == 0 {
		l.hand(c)
		return
	}
	go func() {
		// TLS from the first byte comes before what a connect rule does
		// (a delay, a hang, a drop): the client then waits for the
		// greeting, as on a listener in the clear, not for its handshake.
		if _, err := c.handshake(l.cfg.Limits.IdleTimeout.D()); err != nil {
			c.Close()
			return
		}
		if stop, _ := c.before(b); stop {
			c.Close()
			return
		}
		if b.Reply != nil && b.Reply.Code != 220 {
			c.byNext = b.By
			c.refuse(*b.Reply)
			return
		}
		if b.Reply != nil {
			// A 220 of the rule's: the banner goes out in place of the
			// listener's own (conn.Write).
			rep := *b.Reply
			c.replaceNext, c.byNext = &rep, b.By
		}
		if l.pregreetWait > 0 {
			early, stop := c.pregreetTest()
			switch {
			case stop:
				c.Close()
				return
			case early:
				c.byNext = "pregreet"
				c.refuse(l.pregreetReply)
				return
			}
			// Looked already: the greeting goes out now.
			l.hand(c)
			return
		}
		// A client made to wait for its greeting may speak first: look
		// when the greeting goes out (conn.pregreet).
		c.peekGreet = b.Delay > 0 || b.Tarpit > 0
		l.hand(c)
	}()
}

func (l *listener) hand(c *conn) {
	select {
	case l.ch <- c:
	case <-l.done:
		c.Close()
	}
}

// finish records a session that has ended.
func (s *Sink) finish(c *conn) {
	defer s.wg.Done()
	if c.sess != nil {
		c.sess.resetTransaction()
	}
	rec := s.sessionRecordOf(c)
	s.writes <- writeItem{fn: func(tx *store.Tx) error { return writeSession(tx, &rec) }}
	// Only now, so that Flush either waits for c or comes after its record.
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// slogPrinter lets go-smtp report its internal errors through slog.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Printf(format string, v ...any) {
	p.log.Debug("smtp: " + fmt.Sprintf(format, v...))
}
func (p slogPrinter) Println(v ...any) { p.log.Debug("smtp: " + fmt.Sprint(v...)) }

// busyHint says what to do when listener i's address is taken: another
// sink (or MTA) is there, and the address can move.
func busyHint(err error, i int) string {
	if !errors.Is(err, syscall.EADDRINUSE) {
		return ""
	}
	return fmt.Sprintf(" (is another sink or MTA running there? stop it, or move sink.listeners[%d].listen in the configuration, or --listen with relaylab sink, --sink-listen with relaylab serve; port 0 takes any free one)", i)
}
