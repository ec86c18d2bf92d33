package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/relaylab/relaylab/relay"
)

func init() {
	register(command{"relay", "run the relay alone: submission listener, queue and delivery", runRelay})
}

func runRelay(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "relay", "[--listen ADDR] [--db PATH] [--config FILE] [--smarthost HOST:PORT]")
	listen := fs.String("listen", "", "submission listener address (default relay.listen, 127.0.0.1:2587)")
	db := fs.String("db", "", "the SQLite store (default relaylab.db, or store.path in the config)")
	cfgPath := fs.String("config", "", "YAML configuration file (its relay: and store: sections are used)")
	smarthost := fs.String("smarthost", "", "send everything through this HOST:PORT (STARTTLS when offered, no verification), replacing the configured paths and routes")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	grace := fs.Duration("shutdown-grace", 10*time.Second, "how long deliveries in progress may finish on SIGINT/SIGTERM")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q", fs.Arg(0))
	}
	log, err := newLogger(e, *level)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Relay.Listen = *listen
	}
	if *smarthost != "" {
		if _, _, err := net.SplitHostPort(*smarthost); err != nil {
			return usageError("--smarthost %q: want HOST:PORT", *smarthost)
		}
		cfg.Relay.Paths = []relay.PathConfig{{Name: "smarthost", Type: "smarthost", Host: *smarthost, TLS: "opportunistic"}}
		cfg.Relay.Routes = []relay.RouteConfig{{Name: "all", Paths: []string{"smarthost"}}}
	}
	if err := cfg.Relay.Validate("relay"); err != nil {
		return usageError("%v", err)
	}
	st, err := openStore(ctx, cfg, *db, log)
	if err != nil {
		return err
	}
	defer st.Close()
	rl, err := relay.New(cfg.Relay, relay.Options{Store: st, Logger: log.With("component", "relay")})
	if err != nil {
		return err
	}
	if err := rl.Start(ctx); err != nil {
		return err
	}
	if a := rl.Addr(); a != nil {
		fmt.Fprintf(e.stdout, "relay listening on smtp://%s (submission)\n", a)
	}
	if a := rl.TLSAddr(); a != nil {
		fmt.Fprintf(e.stdout, "relay listening on smtps://%s (implicit TLS)\n", a)
	}
	for _, p := range cfg.Relay.Paths {
		where := p.Host
		if p.Type == "mx" {
			where = "direct MX"
		}
		fmt.Fprintf(e.stdout, "path %-12s %s (tls %s)\n", p.Name, where, p.TLS)
	}
	fmt.Fprintln(e.stdout, "Ctrl-C stops; `relaylab queue list` shows the queue.")
	<-ctx.Done()
	log.Info("shutting down", "grace", *grace)
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	return rl.Shutdown(sctx)
}
