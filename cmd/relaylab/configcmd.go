package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/probe"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/sink"
)

func init() {
	register(command{
		name:    "config",
		summary: "check a configuration file and print every key relaylab would run with",
		run:     runConfig,
	})
}

// redacted replaces a secret in what config prints; loading it back is
// refused (config.Secret).
const redacted = config.Redacted

func runConfig(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "config", "[--config FILE] [--show-secrets]")
	path := fs.String("config", "", "the YAML configuration file to check (default: none, print the built-in defaults)")
	secrets := fs.Bool("show-secrets", false, `print passwords, tokens and the webhook URL as they are instead of "`+redacted+`"`)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: relaylab config [--config FILE] [--show-secrets]

Checks a configuration file as serve, sink and relay do, then prints the
configuration they would run with: every key of every section, with the
defaults filled in (a 0 or "" that stands for a default is printed as
that default: a retry preset's values, each path's timeouts, limits and
backoff, the listeners' greetings, the delays and replies of a sink
rule's greylist: and bounce:) and file names made absolute; a 0 or ""
left is the key's own value, and a comment beside it says what it does
(no limit, none, never, at once). Without --config it prints the built-in
defaults. Paste it into a bug report: passwords, tokens and the webhook
URL's path are left out unless --show-secrets, and with --show-secrets
what it prints loads back as the same configuration (without it,
loading it back refuses every "<redacted>" at once, each by file, line
and key).

On stderr it warns, each by file, line and key, of what serve warns of
at start about the configuration: secrets in a file every user may read,
store.sync weaker than full, listeners beyond loopback (and the sink's
bounces sent on through serve's own relay to any sender: backscatter),
relay paths that send a password without checking the certificate or
reach port 465 without implicit TLS, classification rules the relay
overrides, a relay.dkim domain with an Ed25519 key alone, and DKIM key
files every user may read. Serve alone, at start, compares each
relay.dkim key with its DNS record (relaylab dkim check --config does
that on demand): it needs the network.

Exit status: 0 when the file is valid, warnings or not, 2 when it is not
(the error names the file, the line and the key).

`)
		printFlags(fs)
	}
	if err := parseFlags(fs, interleaveFor(fs, args)); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q (the file goes after --config)", fs.Arg(0))
	}
	c, err := loadConfig(*path)
	if err != nil {
		return err
	}
	// What serve warns of at start, each at its line, before it runs.
	if ws := configWarnings(c); len(ws) > 0 {
		data, _ := os.ReadFile(*path) // read by loadConfig a moment ago
		for _, w := range ws {
			var fe *config.FieldError
			if *path != "" && errors.As(w, &fe) {
				w = config.Locate(*path, data, w)
			}
			fmt.Fprintln(e.stderr, "relaylab config: warning: "+w.Error())
		}
	}
	if !*secrets {
		c.redact()
	}
	// The values each component runs with, not the zeros that stand for
	// them: the relay's (relay.Config.WithDefaults, with the retry preset
	// printed only where it is in force) and the sink's.
	fileRetry := c.Relay.Retry
	c.Relay = c.Relay.WithDefaults()
	var note *yaml.Comment
	c.Relay.Retry, note = printedRetry(fileRetry, c.Relay.Retry)
	c.Sink = sinkDefaults(c.Sink)
	// Absolute names load back the same from wherever the printout is put.
	c.eachFile(func(p *string) {
		if abs, err := filepath.Abs(*p); err == nil {
			*p = abs
		}
	})
	// The store's name is taken from the working directory, not the
	// file's (storePath): the printout names the file it is here.
	if abs, err := filepath.Abs(c.Store.Path); err == nil {
		c.Store.Path = abs
	}
	notes := yaml.CommentMap{}
	if note != nil {
		notes["$.relay.retry.preset"] = []*yaml.Comment{note}
	}
	if !c.bounceRelaySet {
		notes["$.sink.bounce.relay"] = []*yaml.Comment{yaml.LineComment(unsetBounceRelay)}
	}
	if w := weakerSync(c.Store.Sync); w != "" {
		notes["$.store.sync"] = []*yaml.Comment{yaml.LineComment(" " + w)}
	}
	if h := unsetHelo(c.Probe.Helo, c.Probe.IPs); h != "" {
		notes["$.probe.helo"] = []*yaml.Comment{yaml.LineComment(" " + h)}
	}
	for i, l := range c.Sink.Listeners {
		// zeroMeanings' self-signed certificate is made only for a
		// listener that offers TLS.
		if l.TLS == "none" && l.CertFile == "" && l.KeyFile == "" {
			for _, k := range []string{"cert_file", "key_file"} {
				notes[fmt.Sprintf("$.sink.listeners[%d].%s", i, k)] = []*yaml.Comment{yaml.LineComment(" none: tls: none offers no TLS, so no certificate is made")}
			}
		}
	}
	// Durations as the file writes them (35d, 5m), not as Go does
	// (840h0m0s, 5m0s).
	opts := []yaml.EncodeOption{yaml.CustomMarshaler(func(d config.Duration) ([]byte, error) {
		return []byte(config.FormatDuration(d.D())), nil
	})}
	if len(notes) > 0 {
		opts = append(opts, yaml.WithComment(notes))
	}
	out, err := yaml.MarshalWithOptions(c, opts...)
	if err != nil {
		return fmt.Errorf("printing the configuration: %w", err)
	}
	out = commentOutBounceRelay(out)
	out = explainZeros(out)
	from := "no file: the built-in defaults"
	if *path != "" {
		from = *path + ", with the defaults for what it leaves out"
	}
	fmt.Fprintf(e.stdout, `# relaylab configuration from %s.
# Every key has the value relaylab runs with: a default is written out, not
# left at 0 or "". A 0 or "" that is left is the key's own value, which the
# comment beside it says (such as no limit, never, or none).
`, from)
	_, err = e.stdout.Write(out)
	return err
}

// configWarnings is every warning serve gives at start about the
// configuration c that needs no network, made by the functions that
// give them there: the file's exposed secrets and store.sync
// (openStore), the listeners beyond loopback and the sink's backscatter
// (sinkListenerWarning, relayListenerWarning, for the addresses as
// configured), the relay's paths and rules (relay.Config.PathWarnings and
// Warnings, which relay.Start logs) and its DKIM key files
// (relay.KeyFileExposed, which relay.New logs), and the sink's
// (sink.Config.Warnings, which sink.Start logs). Each about a key is a
// *config.FieldError, which config.Locate puts at its line. Not here:
// the comparison of relay.dkim keys with their DNS records
// (startDKIMCheck), which needs the network.
func configWarnings(c *fileConfig) []error {
	var out []error
	if c.exposed != "" {
		out = append(out, errors.New(c.exposed))
	}
	if weakerSync(c.Store.Sync) != "" {
		// At its line, as the other warnings.
		out = append(out, weakerSyncWarning(c.Store.Sync))
	}
	risk := ""
	if !c.bounceRelaySet {
		risk = backscatterRisk(c.Relay)
	}
	for i, l := range c.Sink.Listeners {
		if w := sinkListenerWarning(l.Name, l.Listen, risk); w != "" {
			out = append(out, config.Errorf(fmt.Sprintf("sink.listeners[%d].listen", i), "%s", w))
		}
	}
	for _, l := range []struct{ name, key, addr string }{
		{"submission", "relay.listen", c.Relay.Listen},
		{"implicit TLS", "relay.tls_listen", c.Relay.TLSListen},
	} {
		if l.addr == "" {
			continue
		}
		if w := relayListenerWarning(l.name, l.key, l.addr); w != "" {
			out = append(out, config.Errorf(l.key, "%s", w))
		}
	}
	out = append(out, c.Sink.Warnings("sink")...)
	out = append(out, c.Relay.PathWarnings("relay")...)
	out = append(out, c.Relay.Warnings("relay")...)
	for i, d := range c.Relay.DKIM {
		if w := relay.KeyFileExposed(d.KeyFile); w != "" {
			out = append(out, config.Errorf(fmt.Sprintf("relay.dkim[%d].key_file", i), "%s", w))
		}
	}
	return out
}

// redact replaces every password and token with a marker, and the
// webhook URL's path, so that the printed configuration can be shared.
func (c *fileConfig) redact() {
	c.eachSecret(func(key string, v *string) {
		switch {
		case key == "probe.webhook.url":
			*v = config.RedactURL(*v)
		case *v != "":
			*v = redacted
		}
	})
}

// eachSecret calls f with the key and the value of every secret the
// configuration holds: the users' passwords (sink listeners', the
// relay's), each path's password, web.token, web.password,
// probe.webhook.url and probe.webhook.secret. redact hides them;
// redactedSecrets refuses the marker redact leaves.
func (c *fileConfig) eachSecret(f func(key string, v *string)) {
	users := func(key string, m map[string]string) {
		for _, n := range slices.Sorted(maps.Keys(m)) {
			v := m[n]
			f(key+"."+n, &v)
			m[n] = v
		}
	}
	for i := range c.Sink.Listeners {
		users(fmt.Sprintf("sink.listeners[%d].auth.users", i), c.Sink.Listeners[i].Auth.Users)
	}
	users("relay.users", c.Relay.Users)
	for i := range c.Relay.Paths {
		f(fmt.Sprintf("relay.paths[%d].password", i), &c.Relay.Paths[i].Password)
	}
	f("web.token", &c.Web.Token)
	f("web.password", &c.Web.Password)
	f("probe.webhook.url", &c.Probe.Webhook.URL)
	f("probe.webhook.secret", &c.Probe.Webhook.Secret)
}

// redactedSecrets refuses, all at once, every secret of the file data
// (named name) that holds the marker redact leaves: a printout of
// relaylab config without --show-secrets, loaded back. The checks of
// each section stop at their first error, so that the user would put
// one secret back per run. A file that does not decode, or that the
// parser should not be given (config.CheckShape), is left to them.
func redactedSecrets(name string, data []byte) (err error) {
	if !bytes.Contains(data, []byte(redacted)) || config.CheckShape(name, data) != nil {
		return nil
	}
	defer func() {
		if recover() != nil { // the parser gave up: config.Decode says so
			err = nil
		}
	}()
	c := defaultConfig()
	if config.Unmarshal(data, c) != nil {
		return nil
	}
	var errs []*config.Error
	c.eachSecret(func(key string, v *string) {
		var ce *config.Error
		if err := config.Secret(key, *v); err != nil && errors.As(config.Locate(name, data, err), &ce) {
			errs = append(errs, ce)
		}
	})
	if len(errs) == 0 {
		return nil
	}
	slices.SortStableFunc(errs, func(a, b *config.Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return &redactedError{errs}
}

// redactedError is every "<redacted>" of a file: the first with the
// whole message, the others by place and key.
type redactedError struct{ at []*config.Error }

func (e *redactedError) Error() string {
	var b strings.Builder
	b.WriteString(e.at[0].Error())
	if len(e.at) == 1 {
		return b.String()
	}
	fmt.Fprintf(&b, "; the same goes for %s:", countOf(len(e.at)-1, "more secret", "more secrets"))
	for _, x := range e.at[1:] {
		fmt.Fprintf(&b, "\n  %s:%d:%d: %s", x.File, x.Line, x.Column, x.Key)
	}
	return b.String()
}

// unsetBounceRelay marks sink.bounce.relay in the printout when the file
// leaves it out: commentOutBounceRelay then turns the line into a comment.
const unsetBounceRelay = " unset"

// commentOutBounceRelay prints an unset sink.bounce.relay as a comment
// that says what each command does without it: the printout then loads
// back with the key still unset, and serve still queues the sink's
// bounces in its own relay rather than send them to the default address.
func commentOutBounceRelay(out []byte) []byte {
	lines := strings.SplitAfter(string(out), "\n")
	for i, l := range lines {
		body, ok := strings.CutSuffix(strings.TrimRight(l, "\n"), " #"+unsetBounceRelay)
		if !ok {
			continue
		}
		key := strings.TrimLeft(body, " ")
		indent := body[:len(body)-len(key)]
		value, ok := strings.CutPrefix(key, "relay: ")
		if !ok {
			continue
		}
		lines[i] = indent + "# relay: unset. relaylab sink sends bounces to " + value + "; relaylab serve queues them in its own relay.\n"
	}
	return []byte(strings.Join(lines, ""))
}

// The sink's own defaults for what a listener leaves at 0 or "", which
// the sink fills where it runs (sink.newListener, VerifyConfig.timeout,
// defaultPregreetReply) rather than in its configuration. A test holds
// them to what a running sink says (TestConfigSinkDefaultsAsRun).
const (
	sinkGreeting      = "relaylab sink ready"
	sinkRateReply     = "451 4.7.1 Too many messages from your address: slow down and try again later"
	sinkVerifyTimeout = 5 * time.Second
	sinkPregreetWait  = 6 * time.Second
)

// sinkPregreetReply is a pregreet's reply when it gives none, for a
// listener called host.
func sinkPregreetReply(host string) string {
	return "521 5.5.1 " + host + " Protocol error: you sent before the greeting (RFC 5321 4.3.1: a client waits for the 220)"
}

// sinkDefaults is c as the sink runs it: each listener's TLS (starttls),
// AUTH mode (off), greeting, rate limit burst (0 and 1 both let one MAIL through) and reply, pregreet
// wait and reply, and the verification timeout, where c leaves them at 0
// or "", and each rule's greylist: and bounce: with the delays, windows
// and replies they leave out (sink.Rule.WithDefaults). Lists are copied,
// so c's are not changed.
func sinkDefaults(c sink.Config) sink.Config {
	c.Rules = slices.Clone(c.Rules)
	for i := range c.Rules {
		c.Rules[i] = c.Rules[i].WithDefaults()
	}
	c.Listeners = slices.Clone(c.Listeners)
	for i := range c.Listeners {
		l := &c.Listeners[i]
		l.TLS = cmp.Or(l.TLS, "starttls")
		l.Auth.Mode = cmp.Or(l.Auth.Mode, "off")
		l.Greeting = cmp.Or(l.Greeting, sinkGreeting)
		l.Limits.Rate.Burst = max(l.Limits.Rate.Burst, 1)
		l.Limits.Rate.Reply = cmp.Or(l.Limits.Rate.Reply, sinkRateReply)
		if p := l.Pregreet; p != nil {
			q := *p
			q.Wait = cmp.Or(q.Wait, config.Duration(sinkPregreetWait))
			q.Reply = cmp.Or(q.Reply, sinkPregreetReply(l.Hostname))
			l.Pregreet = &q
		}
	}
	c.Verify.Timeout = cmp.Or(c.Verify.Timeout, config.Duration(sinkVerifyTimeout))
	return c
}

// zeroMeanings says, for each key whose value relaylab runs with may be a
// 0 or "" (or null, or an empty list that stands for something), what
// that value does: config prints it beside the
// key ("" for one that needs no comment). A key is named as its path
// with each list index as []. Every
// other key is printed with the default it runs with (WithDefaults,
// sinkDefaults), never as a zero that stands for one; a test walks the
// printout for zeros that are not here.
var zeroMeanings = map[string]string{
	"store.keep":           "keep everything",
	"store.min_free_bytes": "no room kept free: new mail is taken until the disk is full",

	"sink.listeners[].cert_file":                         "a self-signed certificate, made at start",
	"sink.listeners[].key_file":                          "a self-signed certificate, made at start",
	"sink.listeners[].limits.max_connections":            "no limit",
	"sink.listeners[].limits.max_connections_per_client": "no limit",
	"sink.listeners[].limits.max_message_bytes":          "no limit",
	"sink.listeners[].limits.max_recipients":             "no limit",
	"sink.listeners[].limits.max_refused_recipients":     "no limit",
	"sink.listeners[].limits.min_data_rate":              "no minimum rate",
	"sink.listeners[].limits.max_line_length":            "no limit",
	"sink.listeners[].limits.idle_timeout":               "no idle timeout",
	"sink.listeners[].limits.rate.per_second":            "no rate limit",
	"sink.listeners[].pregreet":                          "off: a client that speaks before the greeting is only noted",
	"sink.bounce.relay":                                  "none: the sink's bounces are not sent",
	"sink.bounce.reporting_mta":                          "the hostname of the listener that took the message",

	"relay.listen":                   "no submission listener",
	"relay.tls_listen":               "no implicit-TLS submission listener",
	"relay.cert_file":                "a self-signed certificate, made at start",
	"relay.key_file":                 "a self-signed certificate, made at start",
	"relay.max_message_bytes":        "no limit",
	"relay.paths[].host":             "none: an mx path finds its hosts in DNS",
	"relay.paths[].port":             "none: a smarthost path's port is the one in host",
	"relay.paths[].username":         "no AUTH",
	"relay.paths[].password":         "no AUTH",
	"relay.paths[].auth":             "no AUTH",
	"relay.paths[].ca_file":          "the system's CAs (or SSL_CERT_FILE)",
	"relay.paths[].source":           "the address the system picks",
	"relay.paths[].max_connections":  "no cap",
	"relay.paths[].max_recipients":   "no cap",
	"relay.paths[].rate":             "no cap",
	"relay.paths[].destination":      "none: an mx path's destinations are its domains' sets of MX hosts",
	"relay.paths[].warmup_start":     "no warm-up",
	"relay.paths[].max_mx_addresses": "no cap",
	"relay.paths[].max_mx_sessions":  "no cap",
	"relay.routes[].name":            "named routes[N], by its place, in events and reports",
	"relay.routes[].min_attempt":     "no lower bound",
	"relay.routes[].max_attempt":     "no upper bound",
	"relay.routes[].fallback":        "no fallback",
	"relay.routes[].fallback_after":  "no fallback",
	// No preset: the values beside it are the policy, as they are with
	// one (a preset blanked by printedRetry carries its own comment).
	"relay.retry.preset":             "",
	"relay.retry.initial":            "not used: kind exponential's",
	"relay.retry.factor":             "not used: kind exponential's",
	"relay.retry.max":                "not used: kind exponential's",
	"relay.retry.jitter":             "no jitter (kind exponential's)",
	"relay.retry.min_backoff":        "not used: kind postfix's",
	"relay.retry.max_backoff":        "not used: kind postfix's",
	"relay.retry.max_age":            "no age limit",
	"relay.retry.bounce_max_age":     "no age limit",
	"relay.retry.max_attempts":       "no limit",
	"relay.classify[].stage":         "any stage",
	"relay.classify[].code":          "any reply code",
	"relay.classify[].enhanced":      "any enhanced code",
	"relay.classify[].text":          "any text",
	"relay.dsn.delay_warning":        "never",
	"relay.suppression.soft_bounces": "never",

	// Empty lists that stand for something (explained, not required).
	"sink.verify.resolvers":  "the system's (/etc/resolv.conf)",
	"relay.resolvers":        "the system's (/etc/resolv.conf)",
	"relay.allowed_networks": "none: every client needs AUTH",
	"probe.resolvers":        "the system's (/etc/resolv.conf)",
	"probe.zones":            "the built-in blocklists (probe/zones.yaml)",
	"web.allowed_origins":    "none but the UI's own origin",

	"probe.helo":           "none: the IPs' HELO names are not checked",
	"probe.webhook.url":    "no webhook",
	"probe.webhook.secret": "none: posts are not signed",
	"probe.mta_sts_ca":     "none: the system's CAs only",
	"probe.mta_sts_port":   "443, as senders use",
	"probe.mx_tls_ca":      "none: the system's CAs only",
	"probe.mx_tls_port":    "25, as senders use",

	"web.listen":   "none: the web is disabled",
	"web.token":    "none",
	"web.user":     "none",
	"web.password": "none",
}

// unsetHelo is what an empty probe.helo means when some of ips give a
// helo of their own, whose names are checked (zeroMeanings says it for
// none); "" otherwise.
func unsetHelo(helo string, ips probe.IPList) string {
	own := 0
	for _, ip := range ips {
		if ip.Helo != "" {
			own++
		}
	}
	switch {
	case helo != "" || own == 0:
		return ""
	case own == len(ips):
		return "none needed: every IP in probe.ips gives its own helo, which is checked"
	}
	return "none: only the IPs that give their own helo have their HELO names checked"
}

// ruleZeroMeanings is zeroMeanings for the keys of a sink rule that a
// file may write as 0 and that mean 0 there (a default is printed as its
// value, sink.Rule.WithDefaults). Only a file with such a rule shows
// them, which the printouts TestConfigPrintsNoStandInZeros walks do not
// have: TestFKConfigRuleZeros holds each to a printout.
var ruleZeroMeanings = map[string]string{
	"sink.rules[].greylist.delay":       "none: a retry passes at any time after the first attempt",
	"sink.rules[].greylist.keep_passed": "not kept: each message is greylisted again",
	"sink.rules[].bounce.after":         "at once: the DSN goes as soon as the message is accepted",
}

// explainZeros puts beside each key of the printout out whose value is
// 0, 0.0, 0s, "", null or an empty list what that value means there
// (zeroMeanings, ruleZeroMeanings).
func explainZeros(out []byte) []byte {
	zeros, err := zeroKeys(out)
	if err != nil {
		return out // printed as it is: the comments only explain
	}
	lines := strings.SplitAfter(string(out), "\n")
	for _, z := range zeros {
		g := genericKey(z.key)
		m, ok := zeroMeanings[g]
		if !ok {
			m, ok = ruleZeroMeanings[g]
		}
		if !ok || m == "" || z.line < 1 || z.line > len(lines) || strings.Contains(lines[z.line-1], "#") {
			continue
		}
		l := strings.TrimSuffix(lines[z.line-1], "\n")
		lines[z.line-1] = l + " # " + m + "\n"
	}
	return []byte(strings.Join(lines, ""))
}

// zeroKey is a key of a printout whose value is a zero, and its line.
type zeroKey struct {
	key  string // relay.paths[0].rate
	line int
	// list says the value is an empty list, which zeroMeanings explains
	// where it stands for something (the system's resolvers), but which
	// is most often just empty.
	list bool
}

// zeroKeys finds the keys of the YAML document out whose value is 0,
// 0.0, a duration of 0s, "", null or an empty list.
func zeroKeys(out []byte) ([]zeroKey, error) {
	f, err := parser.ParseBytes(out, 0)
	if err != nil {
		return nil, err
	}
	var zeros []zeroKey
	var walk func(n ast.Node, key string)
	walk = func(n ast.Node, key string) {
		switch n := n.(type) {
		case *ast.MappingNode:
			for _, v := range n.Values {
				walk(v, key)
			}
		case *ast.MappingValueNode:
			k := n.Key.GetToken().Value
			if key != "" {
				k = key + "." + k
			}
			walk(n.Value, k)
		case *ast.SequenceNode:
			if len(n.Values) == 0 {
				zeros = append(zeros, zeroKey{key: key, line: n.GetToken().Position.Line, list: true})
			}
			for i, v := range n.Values {
				walk(v, fmt.Sprintf("%s[%d]", key, i))
			}
		case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.NullNode:
			if isZeroScalar(n) {
				zeros = append(zeros, zeroKey{key: key, line: n.GetToken().Position.Line})
			}
		}
	}
	for _, d := range f.Docs {
		walk(d.Body, "")
	}
	return zeros, nil
}

// isZeroScalar reports whether n is 0, 0.0, 0s, "" or null.
func isZeroScalar(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.StringNode:
		return n.Value == "" || n.Value == "0s"
	case *ast.IntegerNode:
		return fmt.Sprint(n.Value) == "0"
	case *ast.FloatNode:
		return n.Value == 0
	case *ast.NullNode:
		return true
	}
	return false
}

// indexRE is a list index in a key.
var indexRE = regexp.MustCompile(`\[\d+\]`)

// genericKey is key with each list index as [], as zeroMeanings names it.
func genericKey(key string) string { return indexRE.ReplaceAllString(key, "[]") }
