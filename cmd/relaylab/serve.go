package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/probe"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/sink"
	"github.com/relaylab/relaylab/web"
)

func init() {
	register(command{"serve", "run the sink, the relay and the web UI together on loopback", runServe})
}

// component is one running part of serve. A stop stops them all at once,
// then the last ones (s17fr_stop.go).
type component struct {
	name     string
	shutdown func(context.Context) error
	last     bool // stopped after the others: the web UI, which says they drain
}

const serveExit = `

Exit status: 0 after a stop by SIGINT or SIGTERM (listeners close,
sessions and deliveries in progress finish up to --shutdown-grace, or
until a second SIGINT or SIGTERM, which stops at once; the store is
flushed, and the log says what was cut and what becomes of it), 2
for bad flags or a bad configuration (the error names the file, line and
key), 1 when it cannot run (an address in use, a store that cannot be
opened).`

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", `[--db PATH] [--config FILE] [--demo [--demo-interval D]] [--sink-listen ADDR]... [--relay-listen ADDR] [--web-listen ADDR] [--ready-file FILE] [--seed N] [--shutdown-grace D] [--log-level L] [--log-format F]

Runs the sink, the relay, the probes and the web UI together, on loopback
unless the configuration says otherwise (sink 127.0.0.1:2525, relay
127.0.0.1:2587, web http://127.0.0.1:8025), with one SQLite store
(./relaylab.db). SIGHUP reloads the sink's rules, profiles and verify
settings from the configuration file.`+serveExit)
	df := addDaemonFlags(fs, "YAML configuration file (default: built-in loopback defaults)")
	demo := fs.Bool("demo", false, "feed a steady stream of sample mail through the relay and the sink's behaviours (retries every 20-60 s)")
	demoEvery := fs.Duration("demo-interval", 3*time.Second, "with --demo, the time between sample messages")
	sf := addServeFlags(fs)
	log, stop, err := df.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := flagAtLeast("demo-interval", *demoEvery, time.Millisecond, "a positive time between sample messages, such as 3s"); err != nil {
		stop()
		return err
	}
	if flagGiven(fs, "demo-interval") && !*demo {
		stop()
		return usageError("--demo-interval %s without --demo: it spaces the sample messages --demo sends, and without --demo none are sent; add --demo, or leave --demo-interval out", *demoEvery)
	}
	defer stop()
	load := df.loaderAt(*sf.web, func(cfg *fileConfig) error {
		if *demo {
			cfg.Relay.Retry = demoRetry()
			for i := range cfg.Relay.Paths {
				// Every demo domain goes through the one local smarthost, so a
				// provider profile's 421 rests all of them: only briefly here.
				cfg.Relay.Paths[i].Backoff = config.Duration(2 * time.Second)
			}
		}
		return sf.apply(cfg)
	})
	cfg, err := load()
	if err != nil {
		return err
	}
	if err := clearReady(*sf.ready); err != nil {
		return err
	}
	if err := refuseSecondRunner(storePath(cfg, *df.db), "serve"); err != nil {
		return err
	}
	st, abandon, err := openStore(ctx, cfg, *df.db, log)
	if err != nil {
		return err
	}
	// Again, with the store open: of two started at once, both of which
	// found it unused, neither goes on.
	if err := refuseSecondRunner(storePath(cfg, *df.db), "serve"); err != nil {
		abandon()
		return err
	}
	prunes := startKeepStats(ctx, st, cfg, log)
	var (
		running []component
		sk      *sink.Sink
		rl      *relay.Relay
		ui      *web.Server
		own     ownRelay
	)
	stopRunning := func() []stopped {
		sctx, cancel := df.stopContext(e, log)
		defer cancel()
		own.draining.Store(true)
		if s, ok := any(ui).(stoppingSetter); ok && ui != nil {
			s.SetStopping(drainingText(sk, rl))
		}
		// The rest in parallel; the web UI last, if it says all along
		// that serve is stopping.
		return stopParts(sctx, running)
	}
	stopAll := func() error {
		began, at := time.Now(), inProgressOf(sk, rl)
		outs := stopRunning()
		outs = append(outs, stopped{"store", st.Close()})
		return stopDone(log, *df.grace, time.Since(began), at, outs)
	}
	// failed stops what started and abandons the store: a start that
	// fails (an address in use) leaves no new, empty store file behind.
	failed := func(err error) error {
		stopRunning()
		abandon()
		return startError(storePath(cfg, *df.db), err)
	}

	// A listener that cannot bind is named by the key, line or flag that
	// gives its address. SIGHUP binds none: it reloads the sink's rules.
	listens := serveListeners(cfg, len(sf.sink), *sf.relay != "", *sf.web != "")
	bindFailed := func(component string, err error) error {
		return failed(bindFailure(err, component, listens, *df.config))
	}

	sinkCfg := cfg.Sink // cfg stays as the file says: SIGHUP compares with it
	if !cfg.bounceRelaySet {
		// Serve's own relay, handed to the sink once it runs (below).
		sinkCfg.Bounce.Relay = ""
	}
	// Bounces due before then wait for it, rather than fail a try.
	sk, err = startSink(ctx, sinkCfg, !cfg.bounceRelaySet, st, log, *sf.seed, own.wrap)
	if err != nil {
		return bindFailed("sink.", err)
	}
	running = append(running, component{name: "sink", shutdown: sk.Shutdown})
	// The relay's paths to "sink" go to wherever the sink listens.
	relayCfg, err := cfg.Relay.WithSinkAddrs(sk.HostPorts(), firstListener(cfg))
	if err != nil {
		return failed(err)
	}
	rl, err = startRelay(ctx, relayCfg, st, log, *sf.seed)
	if err != nil {
		return bindFailed("relay.", err)
	}
	own.rl.Store(rl)
	running = append(running, component{name: "relay", shutdown: func(sctx context.Context) error {
		defer own.draining.Store(false) // its connections to the sink are closed
		return relayStopped(rl, rl.Shutdown(sctx))
	}})
	listenKey := "relay.listen"
	if *sf.relay != "" {
		listenKey = "--relay-listen"
	}
	logRelayListeners(log, rl, listenKey)
	warnServeSinkBeyondLoopback(log, sk, cfg.Relay, cfg.bounceRelaySet)
	if !cfg.bounceRelaySet {
		sk.SetBounceSubmitter(ownRelayName, ownBounceSubmitter(rl))
	}
	if c := startDKIMCheck(ctx, cfg.Relay, log.With("component", "relay")); c != nil {
		running = append(running, *c)
	}
	mon, err := startMonitor(ctx, cfg, st, log)
	if err != nil {
		return failed(err)
	}
	if mon != nil {
		running = append(running, *mon)
	}
	if !cfg.Web.Disabled {
		// Not ended by the signal: stopped with the others, or, when its
		// /readyz can say that serve is stopping (503, what drains), after
		// them, answering meanwhile. A /readyz that said "ready" through a
		// drain would keep a load balancer sending to closed listeners.
		ui, err = startWeb(context.WithoutCancel(ctx), cfg, st, sk, rl, prunes, log)
		if err != nil {
			return bindFailed("web.", err)
		}
		_, says := any(ui).(stoppingSetter)
		running = append(running, component{name: "web", shutdown: ui.Shutdown, last: says})
	}
	b := newBanner(e, df, storePath(cfg, *df.db))
	b.alignFor(sk)
	b.line("relaylab is running; the store is %s", b.store)
	if ui != nil {
		b.row("web UI", fmt.Sprintf("http://%s/", ui.Addr()))
		b.attr("web", fmt.Sprintf("http://%s/", ui.Addr()))
	}
	b.sinkAddrs(sk)
	b.relayAddrs(rl)
	for _, line := range relayBannersAt(rl.Addr(), rl.TLSAddr(), relayCfg, b.col) {
		if route := rl.DirectMXRoute(relayTryAddress, ""); route != "" && strings.Contains(line, relayTryAddress) {
			// The routes send it to example.test's MX hosts, not to the
			// sink: a swaks line would only show a DNS failure.
			line = fmt.Sprintf("note: the routes send %s by direct MX (route %q), not to the sink; try the relay with a recipient domain your routes give the sink", relayTryAddress, route)
		}
		b.line("%s", line)
	}
	b.line("try: %s --to 'rcpt550@example.test'   (the sink rejects it)", sinkTry(cfg.Sink.Listeners, cfg.Sink.Rules, sk.Addrs()))
	if w := watchlistSummary(cfg.Probe); w != "" {
		b.row("probes", w)
		b.attr("probes", w)
	}
	if *demo {
		dctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); runDemo(dctx, rl, *demoEvery, log) }()
		running = append(running, component{name: "demo", shutdown: func(context.Context) error { cancel(); <-done; return nil }})
		b.line("demo: a sample message every %s through the relay to the sink's behaviours", *demoEvery)
		b.attr("demo_interval", *demoEvery)
	}
	if *sf.ready != "" {
		if err := writeReady(*sf.ready, storePath(cfg, *df.db), sk, rl, ui); err != nil {
			return failed(err)
		}
		// A clean stop takes it away: a file left would say serve listens.
		running = append(running, component{name: "ready file", shutdown: func(context.Context) error { os.Remove(*sf.ready); return nil }})
		b.line("addresses written to %s", *sf.ready)
		b.attr("ready_file", absPath(*sf.ready))
	}
	b.line("Ctrl-C stops.")
	b.done(log, "relaylab started", "SIGINT (Ctrl-C) or SIGTERM stops; SIGHUP reloads the sink's rules")

	for {
		select {
		case <-ctx.Done():
			shuttingDown(log, *df.grace)
			return stopAll()
		case <-e.hup:
			reloadSink(sk, cfg, load, log)
		}
	}
}

// ownRelayName is where the sink's bounces went, in its record, when
// serve hands them to its own relay.
const ownRelayName = "relaylab's own relay (queued in process)"

// ownBounceSubmitter queues the sink's asynchronous bounces in serve's own
// relay, in the same process, unless the file names sink.bounce.relay.
// Over SMTP they would need the submission port to let the sink in: with
// relay.allowed_networks: [] it asks for AUTH and refuses them, and on
// port 0 its address is known only after the sink has started.
func ownBounceSubmitter(rl *relay.Relay) func(ctx context.Context, to string, msg []byte) error {
	return func(ctx context.Context, to string, msg []byte) error {
		_, err := rl.Enqueue(ctx, relay.Submission{Recipients: []relay.Recipient{{Address: to}}, Data: msg, Client: "sink"})
		return err
	}
}

func startSink(ctx context.Context, cfg sink.Config, awaitRelay bool, st *store.Store, log *slog.Logger, seed int64, wrap func(net.Conn) net.Conn) (*sink.Sink, error) {
	sk, err := sink.New(cfg, sink.Options{Store: st, Logger: log.With("component", "sink"), Verifier: sinkVerifier(cfg.Verify, log), AwaitBounceRelay: awaitRelay,
		Seed: seed, Wrap: wrap})
	if err != nil {
		return nil, err
	}
	if err := sk.Start(ctx); err != nil {
		return nil, err // it names the sink and the listener already
	}
	return sk, nil
}

func startRelay(ctx context.Context, cfg relay.Config, st *store.Store, log *slog.Logger, seed int64) (*relay.Relay, error) {
	rl, err := relay.New(cfg, relay.Options{Store: st, Logger: log.With("component", "relay"), Poll: queuePoll, Seed: seed})
	if err != nil {
		return nil, err
	}
	if err := rl.Start(ctx); err != nil {
		return nil, err // it names the relay already
	}
	return rl, nil
}

// startMonitor runs the probe watchlist, if the configuration has one.
// watchlistSummary says what serve's probe watchlist checks, how often
// and through which DNS servers, for the banner: nothing else says the
// monitor runs until its first change; "" without a watchlist.
func watchlistSummary(p probe.Config) string {
	if len(p.Domains) == 0 && len(p.IPs) == 0 {
		return ""
	}
	var what []string
	if n := len(p.Domains); n > 0 {
		what = append(what, countOf(n, "domain", "domains"))
	}
	if n := len(p.IPs); n > 0 {
		what = append(what, countOf(n, "IP", "IPs"))
	}
	via := "the system's DNS servers"
	if len(p.Resolvers) > 0 {
		via = strings.Join(p.Resolvers, ", ")
	}
	s := fmt.Sprintf("%s watched: records every %s, blocklists every %s, through %s", strings.Join(what, " and "), p.Interval, p.BlocklistInterval, via)
	if p.MXTLS {
		s += "; MX hosts' TLS too"
	}
	if p.Webhook.URL != "" {
		s += "; changes posted to the webhook"
	}
	return s
}

func startMonitor(ctx context.Context, cfg *fileConfig, st *store.Store, log *slog.Logger) (*component, error) {
	if len(cfg.Probe.Domains) == 0 && len(cfg.Probe.IPs) == 0 {
		return nil, nil
	}
	m, err := probe.NewMonitor(withSigningSelectors(cfg.Probe, cfg.Relay), probe.Options{Store: st, Logger: log.With("component", "probe"), SigningKeys: signingKeys(cfg.Relay)})
	if err != nil {
		return nil, err
	}
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := m.Run(mctx); err != nil && mctx.Err() == nil {
			log.Error("probe monitor stopped", "err", err)
		}
	}()
	return &component{name: "probe", shutdown: func(sctx context.Context) error {
		cancel()
		select {
		case <-done:
			return nil
		case <-sctx.Done():
			return sctx.Err()
		}
	}}, nil
}

func startWeb(ctx context.Context, cfg *fileConfig, st *store.Store, sk *sink.Sink, rl *relay.Relay, prunes *web.PruneStats, log *slog.Logger) (*web.Server, error) {
	ui, err := web.New(web.Options{
		Store: st, Logger: log.With("component", "web"),
		Sink:           sinkAdapter{sk: sk, db: st.DB(), classify: rl.Classifier()},
		Relay:          relayAdapter{rl: rl, refuse: apiSubmitRefusal(cfg), nets: apiClientNets(cfg)},
		Probe:          probeAdapter{db: st.DB()},
		Auth:           web.Auth{Token: cfg.Web.Token, User: cfg.Web.User, Password: cfg.Web.Password},
		AllowedOrigins: cfg.Web.AllowedOrigins,
		Version:        moduleVersion(),
		Prune:          prunes,
	})
	if err != nil {
		return nil, err
	}
	if err := ui.Start(ctx, cfg.Web.Listen); err != nil {
		return nil, err // it names the web and the address already
	}
	return ui, nil
}

// banner is what a daemon (serve, sink, relay) says once it runs: lines
// for a person at a terminal, on stdout, and one INFO record in the log
// naming the store, the configuration file, the version and each
// listener, for a journal. With --log-format json the lines stay out, so
// that a JSON log collector (journald) meets nothing that is not JSON.
type banner struct {
	out   io.Writer // nil under --log-format json
	store string    // absolute
	attrs []any
	col   int // where row puts what follows a label (bannerColumn)
}

// newBanner begins the banner of a daemon run with the flags df, on the
// store at store.
func newBanner(e *env, df daemonFlags, store string) *banner {
	b := &banner{store: absPath(store), col: bannerColumn(nil)}
	if *df.format != "json" {
		b.out = e.stdout
	}
	conf := "none"
	if *df.config != "" {
		conf = absPath(*df.config)
	}
	b.attrs = []any{"store", b.store, "config", conf}
	// (devel) in a checkout, a tag from go install ...@VERSION; nothing
	// when the binary records no build information.
	if v := moduleVersion(); v != "(unknown)" {
		b.attrs = append(b.attrs, "version", v)
	}
	return b
}

// line is a line of the text banner.
func (b *banner) line(format string, args ...any) {
	if b.out != nil {
		fmt.Fprintf(b.out, format+"\n", args...)
	}
}

// row is a line of the text banner: label, then text at the banner's
// column.
func (b *banner) row(label, text string) { b.line("%s", bannerRow(b.col, label, text)) }

// alignFor moves the banner's column past the longest "sink NAME" of
// sk's listeners, before the first row is written.
func (b *banner) alignFor(sk *sink.Sink) {
	names := make([]string, 0, len(sk.URLs()))
	for n := range sk.URLs() {
		names = append(names, n)
	}
	b.col = bannerColumn(names)
}

// attr adds key to the log record.
func (b *banner) attr(key string, value any) { b.attrs = append(b.attrs, key, value) }

// group adds key to the log record, an object of the keys and values kv.
func (b *banner) group(key string, kv ...any) { b.attrs = append(b.attrs, slog.Group(key, kv...)) }

// sinkAddrs says each sink listener's URL: smtps:// for an implicit-TLS
// one; in the record, under sink, by listener name.
func (b *banner) sinkAddrs(sk *sink.Sink) {
	urls := sk.URLs()
	names := make([]string, 0, len(urls))
	for n := range urls {
		names = append(names, n)
	}
	sort.Strings(names)
	group := make([]any, 0, 2*len(names))
	for _, n := range names {
		b.row("sink "+n, urls[n])
		group = append(group, n, urls[n])
	}
	b.group("sink", group...)
}

// relayAddrs puts the relay's submission listeners in the record: relay
// and relay_tls (the text banner's lines are relayBanners').
func (b *banner) relayAddrs(rl *relay.Relay) {
	if a := rl.Addr(); a != nil {
		b.attr("relay", "smtp://"+a.String())
	}
	if a := rl.TLSAddr(); a != nil {
		b.attr("relay_tls", "smtps://"+a.String())
	}
}

// done logs the record, msg, with what the signals do.
func (b *banner) done(log *slog.Logger, msg, signals string) {
	log.Info(msg, append(b.attrs, "signals", signals)...)
}

// absPath is p made absolute, or p when it cannot be (no working
// directory).
func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// firstListener is the name of the sink's first listener, the one a relay
// path to plain "sink" means.
func firstListener(cfg *fileConfig) string {
	if len(cfg.Sink.Listeners) == 0 {
		return sink.DefaultConfig().Listeners[0].Name
	}
	return cfg.Sink.Listeners[0].Name
}

func storePath(c *fileConfig, db string) string {
	if db != "" {
		return db
	}
	return c.Store.Path
}
