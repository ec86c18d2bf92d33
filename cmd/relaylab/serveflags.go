package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/sink"
	"github.com/relaylab/relaylab/web"
)

// serveFlags are serve's listener flags, so that a script or a CI job
// moves off the default ports (or onto port 0) without a configuration
// file, and --ready-file, which tells it where everything listens.
type serveFlags struct {
	sink       multiFlag
	relay, web *string
	ready      *string
	seed       *int64
}

func addServeFlags(fs *flag.FlagSet) *serveFlags {
	f := &serveFlags{
		relay: fs.String("relay-listen", "", "the relay's submission address, in place of relay.listen (127.0.0.1:0 for any free port)"),
		web:   fs.String("web-listen", "", "the web UI's address, in place of web.listen (127.0.0.1:0 for any free port)"),
		ready: addReadyFlag(fs),
		seed:  addSeedFlag(fs, "the sink's probabilities (in rules and directives) and the relay's retry jitter and weighted splits"),
	}
	fs.Var(&f.sink, "sink-listen", "a sink listener's address (repeatable; replaces the configured addresses in order, adds listeners beyond them)")
	return f
}

// apply puts the flags' addresses into cfg, refusing a bad address, a web
// UI beyond loopback without a token (as web.listen would be) and two
// listeners on one port, each named by its flag.
func (f *serveFlags) apply(cfg *fileConfig) error {
	if err := applyListenFlag(&cfg.Sink, f.sink, "sink-listen"); err != nil {
		return err
	}
	if *f.relay != "" {
		if err := config.ListenAddr(*f.relay); err != nil {
			return usageError("--relay-listen %v (for example 127.0.0.1:2587, or 127.0.0.1:0 for any free port)", err)
		}
		cfg.Relay.Listen = *f.relay
	}
	if *f.web != "" {
		if err := config.ListenAddr(*f.web); err != nil {
			return usageError("--web-listen %v (for example 127.0.0.1:8025, or 127.0.0.1:0 for any free port)", err)
		}
		if cfg.Web.Disabled {
			return usageError("--web-listen %q: the configuration turns the web UI off (web.disabled)", *f.web)
		}
		if cfg.Web.Token == "" && cfg.Web.User == "" && !config.LoopbackAddr(*f.web) {
			return usageError("--web-listen %q listens beyond loopback with no web.token or web.user: anyone who reaches it could edit the sink's rules and delete queued mail; set web.token (or web.user and web.password) in the configuration, or listen on 127.0.0.1", *f.web)
		}
		if key, msg := cfg.Web.shortSecret(*f.web); key != "" {
			return usageError("--web-listen %q: %s %s", *f.web, key, msg)
		}
		cfg.Web.Listen = *f.web
	}
	list := sinkListenAt(&cfg.Sink, len(f.sink), "sink-listen")
	for _, l := range cfg.listenAddrs()[len(cfg.Sink.Listeners):] {
		switch {
		case l.key == "relay.listen" && *f.relay != "":
			l.key = fmt.Sprintf("--relay-listen %q", l.addr)
		case l.key == "web.listen" && *f.web != "":
			l.key = fmt.Sprintf("--web-listen %q", l.addr)
		}
		list = append(list, l)
	}
	if first, second, ok := findClash(list); ok {
		return usageError("%s and %s would listen on the same port%s: give each its own port (or port 0 for any free one)",
			second.key, first.key, wildcardNote(first.addr, second.addr))
	}
	return nil
}

func addReadyFlag(fs *flag.FlagSet) *string {
	return outputPathFlag(fs, "ready-file", "once every listener is up, write where each listens to FILE as JSON (for scripts that use port 0); a FILE left by an earlier run is removed at start (a script that polls for FILE removes it before it starts serve, which may not have got that far), and this run's at a clean stop")
}

// clearReady removes a ready file an earlier run left (a kill -9 leaves
// it, with that run's ports), before anything listens, so that a script
// waiting for the file never reads a dead run's addresses; and it makes
// sure the file can be written there, so that a bad directory is said
// before the listeners start, by the flag's name.
func clearReady(path string) error {
	if path == "" {
		return nil
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return usageError("--ready-file %s: %v", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ready-*")
	if err != nil {
		return usageError("--ready-file %s: cannot write in %s: %v", path, filepath.Dir(path), errors.Unwrap(err))
	}
	tmp.Close()
	os.Remove(tmp.Name())
	return nil
}

// readyInfo is what --ready-file holds.
type readyInfo struct {
	Store    string            `json:"store"`
	Sink     map[string]string `json:"sink"`                // listener name: host:port
	Relay    string            `json:"relay,omitempty"`     // submission host:port
	RelayTLS string            `json:"relay_tls,omitempty"` // implicit-TLS host:port
	Web      string            `json:"web,omitempty"`       // the UI's URL
}

// writeReady writes where serve listens to path, through a file renamed
// into place, so that a script polling for it never reads half of it.
func writeReady(path, store string, sk *sink.Sink, rl *relay.Relay, ui *web.Server) error {
	if abs, err := filepath.Abs(store); err == nil {
		store = abs
	}
	info := readyInfo{Store: store, Sink: map[string]string{}}
	for name, a := range sk.Addrs() {
		info.Sink[name] = a.String()
	}
	if rl != nil { // relaylab sink has none
		if a := rl.Addr(); a != nil {
			info.Relay = a.String()
		}
		if a := rl.TLSAddr(); a != nil {
			info.RelayTLS = a.String()
		}
	}
	if ui != nil {
		info.Web = "http://" + ui.Addr() + "/"
	}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ready-*")
	if err != nil {
		return fmt.Errorf("--ready-file %s: %w", path, err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("--ready-file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("--ready-file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("--ready-file: %w", err)
	}
	return nil
}

// addSeedFlag is --seed, which seeds what: with the same seed, the same
// traffic meets the same draws, so that a run can be repeated.
func addSeedFlag(fs *flag.FlagSet, what string) *int64 {
	return fs.Int64("seed", 1, "seed of "+what+", so that a chaos run can be repeated")
}
