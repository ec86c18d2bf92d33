package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/probe"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/sink"
	"github.com/relaylab/relaylab/web"
)

// fileConfig is the whole configuration file: one section per component.
// Every section has defaults, so no file at all is a working setup.
type fileConfig struct {
	Store storeConfig  `yaml:"store"`
	Sink  sink.Config  `yaml:"sink"`
	Relay relay.Config `yaml:"relay"`
	Probe probe.Config `yaml:"probe"`
	Web   webConfig    `yaml:"web"`

	dir string // the configuration file's directory; "" for the defaults
	// bounceRelaySet says the file sets sink.bounce.relay itself; serve
	// otherwise sends the sink's bounces to its own relay's listener.
	bounceRelaySet bool
	// exposed is exposedSecrets' warning of the file: it holds secrets
	// and every user of the machine may read it; "" when not.
	exposed string
	// syncWarning is weakerSync's warning at the file, line and key of
	// store.sync, as relaylab config prints it: "" when it is full.
	syncWarning string
	// webListenFlag is serve's --web-listen: where the UI will listen in
	// place of web.listen, so whether the file's web.token (or
	// web.password) is needed and long enough is judged for it, by
	// serveFlags.apply, not for the file's web.listen.
	webListenFlag string
}

// webConfig is the `web:` section.
type webConfig struct {
	// Listen is the UI's and API's address (default 127.0.0.1:8025; ""
	// with disabled: true turns the web off).
	Listen   string `yaml:"listen"`
	Disabled bool   `yaml:"disabled"`
	// Token, or User and Password, protect the UI, the API and the stream.
	Token    string `yaml:"token"`
	User     string `yaml:"user"`
	Password string `yaml:"password"`
	// AllowedOrigins may open the websocket besides the UI's own origin.
	AllowedOrigins []string `yaml:"allowed_origins"`
}

// storeConfig is the `store:` section.
type storeConfig struct {
	// Path is the SQLite file (default relaylab.db; --db overrides it).
	Path string `yaml:"path"`
	// Sync is full (default: fsync before every acknowledgement), normal
	// (survives kill -9 but not a power cut) or off.
	Sync string `yaml:"sync"`
	// Keep prunes, hourly, what is older than it (relaylab prune's rules);
	// 0, the default, keeps everything.
	Keep config.Duration `yaml:"keep"`
	// MinFreeBytes is the room kept free on the store's file system:
	// below it new mail is answered 452 4.3.1 at MAIL (store.Room);
	// default store.DefaultMinFree, 0 checks nothing.
	MinFreeBytes int64 `yaml:"min_free_bytes"`
}

// weakerSync is what store.sync normal or off gives up, said where it is
// set: by relaylab config, and in the log of serve, sink and relay.
func weakerSync(sync string) string {
	if store.Sync(sync) == store.SyncFull {
		return ""
	}
	return "store.sync: " + sync + ": " + weakerSyncCost
}

// weakerSyncWarning is weakerSync as a *config.FieldError at store.sync,
// which config.Locate puts at its line.
func weakerSyncWarning(sync string) error {
	return config.Errorf("store.sync", "%s: %s", sync, weakerSyncCost)
}

// weakerSyncCost is what store.sync normal or off gives up.
const weakerSyncCost = "a message acknowledged with 250 survives a kill of relaylab (kill -9), but not a power cut or a crash of the machine, since the store is not flushed to disk before the 250; remove the key for full, the default"

func defaultConfig() *fileConfig {
	return &fileConfig{
		Store: storeConfig{Path: "relaylab.db", Sync: string(store.SyncFull), MinFreeBytes: store.DefaultMinFree},
		Sink:  sink.DefaultConfig(),
		Relay: relay.DefaultConfig(),
		Probe: probe.DefaultConfig(),
		Web:   webConfig{Listen: web.DefaultAddr},
	}
}

// Validate checks every section, naming keys from the top of the file.
func (c *fileConfig) Validate(string) error {
	c.resolveFiles()
	// Each part's first mistake, all at once (config.Locate gives each
	// its line): a user fixes them in one go, not one run at a time.
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	switch store.Sync(c.Store.Sync) {
	case store.SyncFull, store.SyncNormal, store.SyncOff:
	default:
		add(config.Errorf("store.sync", "%q: want full, normal or off", c.Store.Sync))
	}
	if k := c.Store.Keep.D(); k != 0 && k < time.Hour {
		add(config.Errorf("store.keep", "%s: at least 1h (the store is pruned hourly), or 0, the default, to keep everything", config.FormatDuration(k)))
	}
	if c.Store.MinFreeBytes < 0 {
		add(config.Errorf("store.min_free_bytes", "%d: want 0 (check nothing) or more bytes, such as 67108864 (64 MiB, the default)", c.Store.MinFreeBytes))
	}
	add(c.validateWebAddr())
	add(c.Sink.Validate("sink"))
	if err := c.Relay.Validate("relay"); err != nil {
		add(err)
	} else {
		add(checkPathTimeouts(c.Relay.Paths))
	}
	add(c.Probe.Validate("probe"))
	add(c.checkSecrets())
	add(c.validateWeb())
	return errors.Join(errs...)
}

// validateWeb checks web's keys beyond its address: the first mistake.
func (c *fileConfig) validateWeb() error {
	for i, o := range c.Web.AllowedOrigins {
		if strings.EqualFold(strings.TrimSpace(o), "null") {
			return config.Errorf(fmt.Sprintf("web.allowed_origins[%d]", i), "\"null\" is the opaque origin of sandboxed frames (relaylab's own message frames among them) and file: pages, which any site can produce, so it can never be allowed: remove it")
		}
		if err := web.CheckAllowedOrigin(o); err != nil {
			return config.Errorf(fmt.Sprintf("web.allowed_origins[%d]", i), "%v", err)
		}
	}
	if (c.Web.User == "") != (c.Web.Password == "") {
		return config.Errorf("web.user", "user and password go together: set both, or use token")
	}
	if c.Web.Disabled || c.webListenFlag != "" {
		return nil
	}
	if c.Web.Token == "" && c.Web.User == "" && !config.LoopbackAddr(c.Web.Listen) {
		return config.Errorf("web.listen", "%q listens beyond loopback with no web.token or web.user: anyone who reaches it could edit the sink's rules and delete queued mail; set web.token (or web.user and web.password), or listen on 127.0.0.1", c.Web.Listen)
	}
	if key, msg := c.Web.shortSecret(c.Web.Listen); key != "" {
		return config.Errorf(key, "%s", msg)
	}
	return nil
}

// minPathTimeout is the least connect, command or data timeout a
// configuration file may give a path: RFC 5321 4.5.3.2 gives minutes, and
// less than a second is a slip of the unit ("1ms" for "1m") that would
// fail every attempt as a timeout. Tests of the relay package, which build
// paths in Go, may go lower.
const minPathTimeout = time.Second

func checkPathTimeouts(paths []relay.PathConfig) error {
	for i, p := range paths {
		for _, t := range []struct {
			key string
			v   config.Duration
		}{{"connect_timeout", p.ConnectTimeout}, {"command_timeout", p.CommandTimeout}, {"data_timeout", p.DataTimeout}} {
			if d := time.Duration(t.v); d > 0 && d < minPathTimeout {
				guess := ""
				if ms := d.Milliseconds(); d == time.Duration(ms)*time.Millisecond && ms <= 60 {
					guess = fmt.Sprintf("; did you mean %dm?", ms)
				}
				return config.Errorf(fmt.Sprintf("relay.paths[%d].%s", i, t.key), "%s is under a second, which fails every attempt as a timeout: RFC 5321 4.5.3.2 gives minutes (5m for commands, 10m after the final dot)%s", d, guess)
			}
		}
	}
	return nil
}

// shortSecret names the key of a web.token or web.password too short for
// a listener at listen beyond loopback, where a short secret is guessed
// by trying (the web API allows 10 failed sign-ins per client address,
// then one every 6 s, which slows guessing but does not stop it), and
// says so; "" when both are long enough or listen is loopback.
func (w webConfig) shortSecret(listen string) (key, msg string) {
	if config.LoopbackAddr(listen) {
		return "", ""
	}
	for _, s := range []struct {
		key, v string
		min    int
	}{{"web.token", w.Token, 16}, {"web.password", w.Password, 12}} {
		if n := len([]rune(s.v)); n > 0 && n < s.min {
			return s.key, fmt.Sprintf("is too short (%d of the %d characters it needs): the web UI listens on %q, beyond loopback, where a secret that short can be guessed by trying; give at least %d random characters, such as the output of `openssl rand -hex 16`, or listen on 127.0.0.1", n, s.min, listen, s.min)
		}
	}
	return "", ""
}

// checkSecrets refuses the secrets of the sections that do not check
// their own (relay.Validate checks the relay's): the marker `relaylab
// config` prints in place of a secret, and a sink user with no password.
// redact hides the same values.
func (c *fileConfig) checkSecrets() error {
	for i, l := range c.Sink.Listeners {
		if err := config.Passwords(fmt.Sprintf("sink.listeners[%d].auth.users", i), l.Auth.Users); err != nil {
			return err
		}
	}
	for _, s := range []struct{ key, v string }{
		{"web.token", c.Web.Token}, {"web.password", c.Web.Password}, {"probe.webhook.url", c.Probe.Webhook.URL},
		{"probe.webhook.secret", c.Probe.Webhook.Secret},
	} {
		if err := config.Secret(s.key, s.v); err != nil {
			return err
		}
	}
	return nil
}

// validateWebAddr checks web.listen with the helper the sink's and the
// relay's own checks use: a port out of range or not a number is an error
// at load, with its line, rather than a failed bind later.
func (c *fileConfig) validateWebAddr() error {
	if c.Web.Disabled {
		return nil
	}
	if err := config.ListenAddr(c.Web.Listen); err != nil {
		return config.Errorf("web.listen", "%v (for example 127.0.0.1:8025)", err)
	}
	return nil
}

// resolveFiles makes the file names the configuration gives (keys,
// certificates, profile catalogues) relative to the directory of the file
// that gives them, as its reader expects, rather than to wherever the
// command happens to run. store.path stays relative to the working
// directory, as the default ./relaylab.db is.
func (c *fileConfig) resolveFiles() {
	if c.dir == "" {
		return
	}
	c.eachFile(func(p *string) {
		if !filepath.IsAbs(*p) {
			*p = filepath.Join(c.dir, *p)
		}
	})
}

// eachFile calls f with every file name the configuration gives that is
// not empty: keys, certificates, profile catalogues and zones files (not
// store.path).
func (c *fileConfig) eachFile(f func(*string)) {
	call := func(p *string) {
		if *p != "" {
			f(p)
		}
	}
	for _, p := range append(c.Relay.Files(), c.Sink.Files()...) {
		call(p)
	}
	for _, p := range c.Probe.Files() {
		call(p)
	}
}

// loadConfig returns the defaults overlaid with the file at path (if any).
// A list in the file (sink listeners, relay paths) replaces the default list.
func loadConfig(path string) (*fileConfig, error) { return loadConfigAt(path, "") }

// loadConfigAt is loadConfig for a serve given --web-listen webListen
// (when not ""): the file's web.listen is then not where the UI listens,
// so a short or missing web.token there is no error of the file's.
func loadConfigAt(path, webListen string) (*fileConfig, error) {
	c := defaultConfig()
	c.webListenFlag = webListen
	if path == "" {
		return c, c.Validate("")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError("--config: %v", err)
	}
	// Every "<redacted>" at once, before the checks that stop at the
	// first error: the user puts them all back in one go.
	if err := redactedSecrets(path, data); err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	c.dir = filepath.Dir(path)
	if err := config.Decode(path, data, c); err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	if err := checkListenClash(path, data, c); err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	c.bounceRelaySet = setsBounceRelay(data)
	c.exposed = exposedSecrets(path, c)
	if weakerSync(c.Store.Sync) != "" {
		c.syncWarning = config.Locate(path, data, weakerSyncWarning(c.Store.Sync)).Error()
	}
	return c, nil
}

// exposedSecrets says, of the configuration file at path (decoded into
// c), that it holds secrets (eachSecret: passwords, web.token, the
// webhook's secret) which every user of the machine may read, and the
// chmod that mends it; "" when it holds none, when only its owner and
// group may read it, when it cannot be examined, and on Windows, whose
// file modes are not Unix permissions. Whoever reads them can use the web
// UI and API, submit through the relay as its users, or post as the
// probe's webhook. As for a DKIM key file (relay.KeyFileExposed), serve,
// sink and relay warn and go on.
func exposedSecrets(path string, c *fileConfig) string {
	if runtime.GOOS == "windows" {
		return ""
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm()&0o004 == 0 {
		return ""
	}
	var keys []string
	c.eachSecret(func(key string, v *string) {
		if *v != "" {
			keys = append(keys, key)
		}
	})
	if len(keys) == 0 {
		return ""
	}
	return fmt.Sprintf("the configuration file %s (mode %04o) holds secrets (%s) and can be read by every user of this machine, who can then use them; run chmod 600 %s (or chmod 640 and give the file the group relaylab runs as)",
		path, st.Mode().Perm(), strings.Join(keys, ", "), shellQuote(path))
}

// setsBounceRelay reports whether the file (already decoded without error)
// gives sink.bounce.relay, even as "": the decoded value alone cannot tell
// the default from the same address written out.
func setsBounceRelay(data []byte) bool {
	var f struct {
		Sink struct {
			Bounce struct {
				Relay *string `yaml:"relay"`
			} `yaml:"bounce"`
		} `yaml:"sink"`
	}
	return config.Unmarshal(data, &f) == nil && f.Sink.Bounce.Relay != nil
}

// needsRestart names the keys of the configuration that differ between
// the running one (cur) and next but that a SIGHUP does not apply: it
// reloads sink.rules, sink.profiles, sink.profile_files and sink.verify,
// nothing else. Each key is as deep as the change (relay.routes[0].paths,
// sink.listeners[1].auth.mode), not only its section, so that the warning
// says what to look at.
func needsRestart(cur, next *fileConfig) []string {
	var keys []string
	for _, d := range []struct {
		key  string
		a, b any
	}{
		{"store", cur.Store, next.Store},
		{"sink.listeners", cur.Sink.Listeners, next.Sink.Listeners},
		{"sink.directives", cur.Sink.Directives, next.Sink.Directives},
		{"sink.bounce", cur.Sink.Bounce, next.Sink.Bounce},
		{"relay", cur.Relay, next.Relay},
		{"probe", cur.Probe, next.Probe},
		{"web", cur.Web, next.Web},
	} {
		keys = changedKeys(keys, d.key, reflect.ValueOf(d.a), reflect.ValueOf(d.b))
	}
	return keys
}

// changedKeys appends to keys the YAML key of each value that differs
// between a and b under key: it goes into structs field by field and
// into lists of structs of the same length item by item, and names a
// whole list of anything else or whose length changed, a map, or any
// other value.
func changedKeys(keys []string, key string, a, b reflect.Value) []string {
	if reflect.DeepEqual(a.Interface(), b.Interface()) {
		return keys
	}
	switch {
	case a.Kind() == reflect.Pointer && !a.IsNil() && !b.IsNil():
		return changedKeys(keys, key, a.Elem(), b.Elem())
	case a.Kind() == reflect.Struct:
		before := len(keys)
		for i := 0; i < a.NumField(); i++ {
			f := a.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			keys = changedKeys(keys, key+"."+name, a.Field(i), b.Field(i))
		}
		if len(keys) == before { // a difference the YAML keys do not show
			keys = append(keys, key)
		}
		return keys
	case a.Kind() == reflect.Slice && a.Type().Elem().Kind() == reflect.Struct && a.Len() == b.Len():
		for i := 0; i < a.Len(); i++ {
			keys = changedKeys(keys, fmt.Sprintf("%s[%d]", key, i), a.Index(i), b.Index(i))
		}
		return keys
	}
	return append(keys, key)
}

// reloadSink applies a SIGHUP to a running sink: it reads the
// configuration again, replaces the sink's rules and profiles and, when
// sink.verify changed, its authentication checks (running then holds the
// new sink.verify), and says what else changed in the file that only a
// restart applies. When the file is bad, the running rules stay and the
// error says where.
func reloadSink(sk *sink.Sink, running *fileConfig, load func() (*fileConfig, error), log *slog.Logger) {
	next, err := load()
	if err == nil {
		err = sk.Reload(next.Sink)
	}
	if err != nil {
		log.Error("SIGHUP: rules not reloaded; the old ones stay", "err", err)
		sk.ReloadFailed("SIGHUP", err)
		return
	}
	// The sink logs the reload itself ("sink configuration reloaded",
	// with the same counts): a second line here said it twice.
	if !reflect.DeepEqual(running.Sink.Verify, next.Sink.Verify) {
		if err := sk.SetVerifier(next.Sink.Verify, sinkVerifier(next.Sink.Verify, log)); err != nil {
			log.Error("SIGHUP: sink.verify not reloaded; the old checks stay", "err", err)
		} else {
			running.Sink.Verify = next.Sink.Verify
			log.Info("SIGHUP: sink.verify reloaded", "enabled", next.Sink.Verify.Enabled, "resolvers", strings.Join(next.Sink.Verify.Resolvers, ","))
		}
	}
	if keys := needsRestart(running, next); len(keys) > 0 {
		log.Warn("SIGHUP: the configuration file also changed where a reload does not reach; restart to apply it", "keys", strings.Join(keys, ", "))
	}
}

// newLogger logs to stderr at level ("debug", "info", "warn", "error").
func newLogger(e *env, level string) (*slog.Logger, error) {
	return newFormatLogger(e, level, "text")
}

// newFormatLogger logs to stderr at level in format: "text" (key=value
// lines) or "json" (one JSON object a line, for a log collector).
func newFormatLogger(e *env, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		opts.ReplaceAttr = textLogAttr
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	case "json":
		// A duration as a number of milliseconds, under its key with
		// "_ms" added, for a log pipeline (jsonLogAttr).
		opts.ReplaceAttr = jsonLogAttr
		log := slog.New(slog.NewJSONHandler(e.stderr, opts))
		e.errLog = log
		return log, nil
	}
	return nil, usageError("--log-format %q: want text or json", format)
}

// daemonFlags are the flags the long-running commands (serve, sink, relay)
// share.
type daemonFlags struct {
	db, config, level *string
	format            *string
	grace             *time.Duration
	cpuprofile        *string
}

func addDaemonFlags(fs *flag.FlagSet, configHelp string) daemonFlags {
	return daemonFlags{
		db:         fs.String("db", "", "the SQLite store (default relaylab.db, or store.path in the config)"),
		config:     fs.String("config", "", configHelp),
		level:      fs.String("log-level", "info", "debug, info, warn or error"),
		format:     fs.String("log-format", "text", "text (key=value lines) or json (one object a line, for a log collector)"),
		grace:      fs.Duration("shutdown-grace", 10*time.Second, "how long sessions and deliveries in progress may finish on SIGINT/SIGTERM"),
		cpuprofile: outputPathFlag(fs, "cpuprofile", "write a CPU profile to FILE until the command stops (for go tool pprof)"),
	}
}

// profile starts the CPU profile asked for with --cpuprofile; call the
// returned function when the command stops.
func (d daemonFlags) profile() (stop func(), err error) {
	if *d.cpuprofile == "" {
		return func() {}, nil
	}
	f, err := os.Create(*d.cpuprofile)
	if err != nil {
		return nil, usageError("--cpuprofile: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// parse reads args, refuses stray arguments, starts the CPU profile if one
// is asked for, and returns the logger and the function to call when the
// command stops.
func (d daemonFlags) parse(e *env, fs *flag.FlagSet, args []string) (*slog.Logger, func(), error) {
	if err := parseFlags(fs, args); err != nil {
		return nil, nil, err
	}
	if fs.NArg() > 0 {
		return nil, nil, usageError("unexpected argument %q", fs.Arg(0))
	}
	if err := flagAtLeast("shutdown-grace", *d.grace, 0, "0 or more (how long work in progress may finish, such as 10s)"); err != nil {
		return nil, nil, err
	}
	log, err := newFormatLogger(e, *d.level, *d.format)
	if err != nil {
		return nil, nil, err
	}
	stop, err := d.profile()
	if err != nil {
		return nil, nil, err
	}
	return log, stop, nil
}

// loader returns the function that reads --config and applies the
// command's own flags to it with adjust: the same at start and at SIGHUP, so
// that a reload compares like with like.
func (d daemonFlags) loader(adjust func(*fileConfig) error) func() (*fileConfig, error) {
	return d.loaderAt("", adjust)
}

// loaderAt is loader for a serve given --web-listen webListen: see
// loadConfigAt.
func (d daemonFlags) loaderAt(webListen string, adjust func(*fileConfig) error) func() (*fileConfig, error) {
	return func() (*fileConfig, error) {
		cfg, err := loadConfigAt(*d.config, webListen)
		if err != nil {
			return nil, err
		}
		if err := adjust(cfg); err != nil {
			return nil, err
		}
		return cfg, nil
	}
}
