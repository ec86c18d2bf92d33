package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/relaylab/relaylab/internal/config"
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
defaults filled in (a retry preset's values, each path's timeouts and
limits) and file names made absolute. Without --config it prints the
built-in defaults. Paste it into a bug report: passwords, tokens and the
webhook URL's path are left out unless --show-secrets, and with
--show-secrets what it prints loads back as the same configuration
(without it, loading it back refuses each "<redacted>" by file, line and
key).

Exit status: 0 when the file is valid, 2 when it is not (the error names
the file, the line and the key).

`)
		fs.PrintDefaults()
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
	if !*secrets {
		c.redact()
	}
	// The retry policy and the paths as they run: a preset's values and
	// the paths' defaults, not zeros.
	retry, note := printedRetry(c.Relay.Retry)
	c.Relay.Retry = retry
	for i := range c.Relay.Paths {
		c.Relay.Paths[i] = c.Relay.Paths[i].WithDefaults()
	}
	// Absolute names load back the same from wherever the printout is put.
	c.eachFile(func(p *string) {
		if abs, err := filepath.Abs(*p); err == nil {
			*p = abs
		}
	})
	notes := yaml.CommentMap{}
	if note != nil {
		notes["$.relay.retry.preset"] = []*yaml.Comment{note}
	}
	if !c.bounceRelaySet {
		notes["$.sink.bounce.relay"] = []*yaml.Comment{yaml.LineComment(unsetBounceRelay)}
	}
	if w := weakerSync(c.Store.Sync); w != "" {
		notes["$.store.sync"] = []*yaml.Comment{yaml.LineComment(" " + w)}
		fmt.Fprintln(e.stderr, "relaylab config: warning: "+w)
	}
	var opts []yaml.EncodeOption
	if len(notes) > 0 {
		opts = append(opts, yaml.WithComment(notes))
	}
	out, err := yaml.MarshalWithOptions(c, opts...)
	if err != nil {
		return fmt.Errorf("printing the configuration: %w", err)
	}
	out = commentOutBounceRelay(out)
	from := "no file: the built-in defaults"
	if *path != "" {
		from = *path + ", with the defaults for what it leaves out"
	}
	fmt.Fprintf(e.stdout, `# relaylab configuration from %s.
# A 0 or "" selects the built-in behaviour the README describes for that key
# (for example an mx path's port 0 is port 25).
`, from)
	_, err = e.stdout.Write(out)
	return err
}

// redact replaces every password and token with a marker, so that the
// printed configuration can be shared.
func (c *fileConfig) redact() {
	hide := func(s *string) {
		if *s != "" {
			*s = redacted
		}
	}
	hideAll := func(m map[string]string) {
		for k := range m {
			m[k] = redacted
		}
	}
	for i := range c.Sink.Listeners {
		hideAll(c.Sink.Listeners[i].Auth.Users)
	}
	hideAll(c.Relay.Users)
	for i := range c.Relay.Paths {
		hide(&c.Relay.Paths[i].Password)
	}
	hide(&c.Web.Token)
	hide(&c.Web.Password)
	c.Probe.Webhook.URL = config.RedactURL(c.Probe.Webhook.URL)
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
