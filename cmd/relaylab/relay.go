package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/relay"
)

func init() {
	register(command{"relay", "run the relay alone: submission listener, queue and delivery", runRelay})
}

func runRelay(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "relay", `[--listen ADDR] [--db PATH] [--config FILE] [--smarthost HOST:PORT] [--seed N] [--shutdown-grace D] [--log-level L] [--log-format F]

Runs the relay alone: it takes mail on its submission listener (loopback
clients without AUTH), queues it durably and delivers it over its paths
(README.md, "The relay"; relay/README.md). SIGHUP reloads nothing (the
relay's settings take a restart): it logs the keys of the configuration
file that changed and wait for one.`+serveExit)
	listen := fs.String("listen", "", "submission listener address (default relay.listen, 127.0.0.1:2587)")
	df := addDaemonFlags(fs, "YAML configuration file (its relay: and store: sections are used)")
	seed := addSeedFlag(fs, "the retry jitter and the weighted splits of routes")
	smarthost := fs.String("smarthost", "", "send everything through this HOST:PORT (STARTTLS when offered, no verification), replacing the configured paths and routes")
	log, stop, err := df.parse(e, fs, args)
	if err != nil {
		return err
	}
	defer stop()
	cfg, err := loadConfig(*df.config)
	if err != nil {
		return err
	}
	// The flags are checked here, not only by Validate, so that an error
	// names the flag rather than the configuration key it lands on.
	if *listen != "" {
		if err := config.ListenAddr(*listen); err != nil {
			return usageError("--listen %v (for example 127.0.0.1:2587, or 127.0.0.1:0 for any free port)", err)
		}
	}
	if *smarthost != "" {
		if err := config.DialAddr(*smarthost); err != nil {
			return usageError("--smarthost %v (for example smtp.example.com:587)", err)
		}
	}
	flags := func(c *fileConfig) {
		if *listen != "" {
			c.Relay.Listen = *listen
		}
		if *smarthost != "" {
			c.Relay.Paths = []relay.PathConfig{{Name: "smarthost", Type: "smarthost", Host: *smarthost, TLS: "opportunistic"}}
			c.Relay.Routes = []relay.RouteConfig{{Name: "all", Paths: []string{"smarthost"}}}
		}
	}
	flags(cfg)
	if *listen != "" && sameSocket(cfg.Relay.Listen, cfg.Relay.TLSListen) {
		return usageError("--listen %q: relay.tls_listen (%q) listens there already; two listeners cannot share a port: give --listen another port (or port 0 for any free one)", *listen, cfg.Relay.TLSListen)
	}
	// What a SIGHUP compares with cfg: the file again, with the flags.
	load := func() (*fileConfig, error) {
		c, err := loadConfig(*df.config)
		if err != nil {
			return nil, err
		}
		flags(c)
		return c, nil
	}
	if err := cfg.Relay.Validate("relay"); err != nil {
		return usageError("%v", err)
	}
	relayCfg, err := relayConfig(cfg)
	if err != nil {
		return usageError("%v", err)
	}
	if err := refuseSecondRunner(storePath(cfg, *df.db), "relay"); err != nil {
		return err
	}
	st, abandon, err := openStore(ctx, cfg, *df.db, log)
	if err != nil {
		return err
	}
	// Again, with the store open: of two started at once, both of which
	// found it unused, neither goes on.
	if err := refuseSecondRunner(storePath(cfg, *df.db), "relay"); err != nil {
		abandon()
		return err
	}
	startKeep(ctx, st, cfg, log)
	rl, err := relay.New(relayCfg, relay.Options{Store: st, Logger: log.With("component", "relay"), Poll: queuePoll, Seed: *seed})
	if err == nil {
		err = rl.Start(ctx)
	}
	if err != nil {
		abandon()
		// A listener that cannot bind is named as serve names it.
		err = bindFailure(err, "relay.", ownFlag(serveListeners(cfg, 0, *listen != "", false), "--relay-listen", "--listen"), *df.config)
		return startError(storePath(cfg, *df.db), err)
	}
	defer st.Close()
	listenKey := "relay.listen"
	if *listen != "" {
		listenKey = "--listen"
	}
	logRelayListeners(log, rl, listenKey)
	b := newBanner(e, df, storePath(cfg, *df.db))
	if a := rl.Addr(); a != nil {
		who, note, _ := submitPolicy(a, relayCfg)
		b.line("relay listening on smtp://%s (submission; %s)", a, who)
		if note != "" {
			b.line("%s", note)
		}
	}
	if a := rl.TLSAddr(); a != nil {
		b.line("relay listening on smtps://%s (implicit TLS)", a)
	}
	b.relayAddrs(rl)
	paths := make([]any, 0, 2*len(relayCfg.Paths))
	for _, p := range relayCfg.Paths {
		where := p.Host
		if p.Type == "mx" {
			where = fmt.Sprintf("direct MX on port %d, asking %s", p.WithDefaults().Port, resolversText(relayCfg.Resolvers))
		}
		b.line("path %-12s %s (tls %s)", p.Name, where, p.TLS)
		paths = append(paths, p.Name, fmt.Sprintf("%s (tls %s)", where, p.TLS))
	}
	b.group("paths", paths...)
	b.line("Ctrl-C stops; `%s` shows the queue.", queueListCmd(storePath(cfg, *df.db)))
	b.done(log, "relaylab relay started", "SIGINT (Ctrl-C) or SIGTERM stops; SIGHUP logs the changed keys, which wait for a restart")
	for {
		select {
		case <-ctx.Done():
			shuttingDown(log, *df.grace)
			began, at := time.Now(), inProgressOf(nil, rl)
			sctx, cancel := df.stopContext(e, log)
			err := relayStopped(rl, rl.Shutdown(sctx))
			cancel()
			return stopDone(log, *df.grace, time.Since(began), at, []stopped{{"relay", err}})
		case <-e.hup:
			reloadRelay(cfg, load, log)
		}
	}
}

// queueListCmd is the command that lists the queue of the store at path:
// with --db unless it is the store queue opens by default.
func queueListCmd(path string) string {
	if path == "" || path == defaultConfig().Store.Path {
		return "relaylab queue list"
	}
	if strings.ContainsAny(path, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		path = "'" + strings.ReplaceAll(path, "'", `'\''`) + "'"
	}
	return "relaylab queue list --db " + path
}

// relayConfig is the file's relay section with its paths to "sink" pointed
// at the sink listeners the same file configures, where `relaylab sink`
// with that file listens. serve points them at its running sink instead.
func relayConfig(cfg *fileConfig) (relay.Config, error) {
	conf := map[string]string{}
	for _, l := range cfg.Sink.Listeners {
		conf[l.Name] = l.Listen
	}
	return cfg.Relay.WithSinkAddrs(conf, firstListener(cfg))
}

// resolversText names the DNS servers an mx path asks, for the start
// lines: relay.resolvers, or the system's when it gives none.
func resolversText(resolvers []string) string {
	if len(resolvers) == 0 {
		return "the system's DNS servers (/etc/resolv.conf)"
	}
	return strings.Join(resolvers, ", ")
}
