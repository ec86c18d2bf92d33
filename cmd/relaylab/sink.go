package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/sink"
)

func init() {
	register(command{name: "sink", summary: "run the sink alone: a fake receiving MTA that records everything", run: runSink})
}

func runSink(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "reset" {
		return runSinkReset(ctx, e, args[1:])
	}
	if len(args) > 0 && args[0] == "clear" {
		return runSinkClear(ctx, e, args[1:])
	}
	if len(args) > 0 && args[0] == "explain" {
		return runSinkExplain(ctx, e, args[1:])
	}
	if len(args) > 0 && args[0] == "sessions" {
		return runSinkSessions(ctx, e, args[1:])
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		line := fmt.Sprintf("no action %q: the sink takes reset, clear, explain, sessions, or flags alone to run", args[0])
		if n := config.Nearest(args[0], []string{"reset", "clear", "explain", "sessions"}); n != "" {
			line += "; did you mean relaylab sink " + n + "?"
		}
		return usageError("%s (relaylab sink --help)", line)
	}
	fs := newFlags(e, "sink", `[--listen ADDR]... [--db PATH] [--config FILE] [--seed N] [--ready-file FILE] [--shutdown-grace D] [--log-level L] [--log-format F]
       relaylab sink reset [--db PATH | --config FILE] [--json]
       relaylab sink clear [--db PATH | --config FILE] [--json]
       relaylab sink explain [--config FILE] [--from ADDR] --to ADDR... [--helo NAME] [--client IP] [--listener NAME] [--attempt N] [--json]
       relaylab sink sessions [--db PATH | --url URL] [--client IP] [--helo S] [--from ADDR] [--to ADDR] [--text S] [--limit N] [--json]

Runs the sink alone: a fake receiving MTA that answers as its rules,
provider profiles and the directives in recipient addresses say, and
records every session, reply and message in the store (README.md, "The
sink"; sink/DIRECTIVES.md). SIGHUP reloads its rules, profiles and verify
settings from the configuration file, and makes verify forget the DNS
answers it cached for their TTL. "relaylab sink reset" makes it
forget its attempt counters and greylist, running or not; "relaylab sink
clear" deletes what it recorded, besides; "relaylab sink explain" says
what it would answer an envelope at each stage, and why, without sending;
"relaylab sink sessions" finds the sessions it recorded by client, EHLO
name, sender, recipient or a piece of the transcript.`+serveExit)
	var listen multiFlag
	fs.Var(&listen, "listen", "host:port to listen on (repeatable; replaces the configured addresses in order, adds listeners beyond them)")
	df := addDaemonFlags(fs, "YAML configuration file with a sink: section (default: one listener on 127.0.0.1:2525)")
	seed := addSeedFlag(fs, "the probabilities in rules and directives")
	ready := addReadyFlag(fs)
	log, stop, err := df.parse(e, fs, args)
	if err != nil {
		return err
	}
	defer stop()
	load := df.loader(func(cfg *fileConfig) error { return applyListen(&cfg.Sink, listen) })
	cfg, err := load()
	if err != nil {
		return err
	}
	if err := clearReady(*ready); err != nil {
		return err
	}
	if err := refuseSecondRunner(storePath(cfg, *df.db), "sink"); err != nil {
		return err
	}
	st, abandon, err := openStore(ctx, cfg, *df.db, log)
	if err != nil {
		return err
	}
	// Again, with the store open: of two started at once, both of which
	// found it unused, neither goes on.
	if err := refuseSecondRunner(storePath(cfg, *df.db), "sink"); err != nil {
		abandon()
		return err
	}
	startKeep(ctx, st, cfg, log)
	sk, err := sink.New(cfg.Sink, sink.Options{Store: st, Logger: log.With("component", "sink"), Seed: *seed, Verifier: sinkVerifier(cfg.Sink.Verify, log)})
	if err == nil {
		err = sk.Start(ctx)
	}
	if err != nil {
		abandon()
		// A listener that cannot bind is named by the key, line or flag
		// that gives its address, as serve names it.
		err = bindFailure(err, "sink.", ownFlag(serveListeners(cfg, len(listen), false, false), "--sink-listen", "--listen"), *df.config)
		return startError(storePath(cfg, *df.db), err)
	}
	warnSinkBeyondLoopback(log, sk)
	b := newBanner(e, df, storePath(cfg, *df.db))
	b.alignFor(sk)
	b.line("relaylab sink is running; the store is %s", b.store)
	b.sinkAddrs(sk)
	b.line("try: %s --to 'rcpt550@example.test'   (rejected at RCPT)", sinkTry(cfg.Sink.Listeners, cfg.Sink.Rules, sk.Addrs()))
	b.line("%s", bounceLine(sk.BounceRelay()))
	b.attr("bounce_relay", sk.BounceRelay())
	if *ready != "" {
		if err := writeReady(*ready, storePath(cfg, *df.db), sk, nil, nil); err != nil {
			sctx, cancel := df.stopContext(e, log)
			sk.Shutdown(sctx)
			cancel()
			abandon()
			return err
		}
		defer os.Remove(*ready) // a clean stop takes it away
		b.line("addresses written to %s", *ready)
		b.attr("ready_file", absPath(*ready))
	}
	b.line("SIGHUP reloads the rules; Ctrl-C stops.")
	b.done(log, "relaylab sink started", "SIGINT (Ctrl-C) or SIGTERM stops; SIGHUP reloads the rules")
	for {
		select {
		case <-ctx.Done():
			shuttingDown(log, *df.grace)
			began, at := time.Now(), inProgressOf(sk, nil)
			sctx, cancel := df.stopContext(e, log)
			serr := sk.Shutdown(sctx)
			cancel()
			return stopDone(log, *df.grace, time.Since(began), at, []stopped{{"sink", serr}, {"store", st.Close()}})
		case <-e.hup:
			// Only what the sink uses: a change to relay:, probe: or web:
			// takes no restart of the sink.
			reloadSink(sk, cfg, sinkOnly(cfg, load), log)
		}
	}
}

// applyListen puts the --listen addresses on the configured listeners in
// order, and adds a listener for each address beyond them.
func applyListen(c *sink.Config, addrs []string) error {
	if err := applyListenFlag(c, addrs, "listen"); err != nil {
		return err
	}
	return checkSinkListenClash(c, len(addrs), "listen")
}

// applyListenFlag is applyListen for a flag of another name (serve's
// --sink-listen), without the check for clashes.
func applyListenFlag(c *sink.Config, addrs []string, flag string) error {
	for i, a := range addrs {
		// Checked here, not only by Validate, so that the error names the
		// flag rather than the listener key it lands on.
		if err := config.ListenAddr(a); err != nil {
			return usageError("--%s %v (for example 127.0.0.1:2525, or 127.0.0.1:0 for any free port)", flag, err)
		}
		if i < len(c.Listeners) {
			c.Listeners[i].Listen = a
			continue
		}
		name := fmt.Sprintf("mx%d", i+1)
		c.Listeners = append(c.Listeners, sink.DefaultListener(name, a, sink.DefaultHostname(name)))
	}
	if err := c.Validate("sink"); err != nil {
		return &exitError{code: 2, err: err}
	}
	return nil
}

// bounceLine says where the sink's late bounces (the bounce directives
// and rules, RFC 3464 DSNs to the envelope sender) go: alone, the sink has
// no relay of its own, so a bounce to an address where nothing listens
// fails, and is tried again a minute apart.
func bounceLine(relay string) string {
	if relay == "" {
		return "late bounces: none are sent (sink.bounce.relay is empty)"
	}
	return "late bounces go to " + relay + " (sink.bounce.relay): run relaylab relay or serve there, or set it to your sender's server"
}
