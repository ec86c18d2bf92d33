package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/sink"
)

// fileConfig is the whole configuration file: one section per component.
// Every section has defaults, so no file at all is a working setup.
type fileConfig struct {
	Store storeConfig  `yaml:"store"`
	Sink  sink.Config  `yaml:"sink"`
	Relay relay.Config `yaml:"relay"`
}

// storeConfig is the `store:` section.
type storeConfig struct {
	// Path is the SQLite file (default relaylab.db; --db overrides it).
	Path string `yaml:"path"`
	// Sync is full (default: fsync before every acknowledgement), normal
	// (survives kill -9 but not a power cut) or off.
	Sync string `yaml:"sync"`
}

func defaultConfig() *fileConfig {
	return &fileConfig{
		Store: storeConfig{Path: "relaylab.db", Sync: string(store.SyncFull)},
		Sink:  sink.DefaultConfig(),
		Relay: relay.DefaultConfig(),
	}
}

// Validate checks every section, naming keys from the top of the file.
func (c *fileConfig) Validate(string) error {
	switch store.Sync(c.Store.Sync) {
	case store.SyncFull, store.SyncNormal, store.SyncOff:
	default:
		return config.Errorf("store.sync", "%q: want full, normal or off", c.Store.Sync)
	}
	if err := c.Sink.Validate("sink"); err != nil {
		return err
	}
	return c.Relay.Validate("relay")
}

// loadConfig returns the defaults overlaid with the file at path (if any).
// A listed section replaces the default list rather than appending to it.
func loadConfig(path string) (*fileConfig, error) {
	c := defaultConfig()
	if path == "" {
		return c, c.Validate("")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError("--config: %v", err)
	}
	if strings.Contains(string(data), "listeners:") {
		c.Sink.Listeners = nil // the file's listeners replace the default one
	}
	if err := config.Decode(path, data, c); err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	return c, nil
}

// newLogger logs to stderr at level ("debug", "info", "warn", "error").
func newLogger(e *env, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: l})), nil
}

// openStore opens the store named by --db (or the config) and says where.
func openStore(ctx context.Context, c *fileConfig, dbFlag string, log *slog.Logger) (*store.Store, error) {
	path := c.Store.Path
	if dbFlag != "" {
		path = dbFlag
	}
	st, err := store.Open(ctx, store.Options{Path: path, Sync: store.Sync(c.Store.Sync), Logger: log})
	if err != nil {
		return nil, fmt.Errorf("%w (check that the directory exists and is writable)", err)
	}
	return st, nil
}
