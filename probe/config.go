package probe

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/resolver"
)

// Config is the "probe:" section of the configuration file: the watchlist
// and how often it is checked. For example:
//
//	probe:
//	  domains: [example.com]
//	  ips: [192.0.2.25, "2001:db8::25"]
//	  selectors: [s2026]
//	  helo: mail.example.com
//	  interval: 1h
//	  blocklist_interval: 30m
//	  resolvers: ["127.0.0.1:53"]
//	  keep: 30d
//	  webhook: {url: "https://hooks.example.com/relaylab", attempts: 6, backoff: 30s}
//	  zones: blocklists.yaml   # or a list: [blocklists.yaml, {zone: bl.example.net, kind: ip}]
type Config struct {
	Domains   []string `yaml:"domains"`
	IPs       []string `yaml:"ips"`
	Selectors []string `yaml:"selectors"` // DKIM selectors of the domains
	Helo      string   `yaml:"helo"`      // the HELO name of the IPs
	// Interval between checks of the domains' records (default 1h).
	Interval config.Duration `yaml:"interval"`
	// BlocklistInterval between blocklist checks (default 30m).
	BlocklistInterval config.Duration `yaml:"blocklist_interval"`
	// Resolvers are HOST:PORT of DNS servers; empty: /etc/resolv.conf.
	Resolvers []string        `yaml:"resolvers"`
	Timeout   config.Duration `yaml:"timeout"` // one DNS query (default 3s)
	// Keep is how long results are kept (default 30d); changes are kept
	// for ever.
	Keep config.Duration `yaml:"keep"`
	// Zones replace the built-in blocklist list when not empty. Each is
	// written out or given as a zones file's name (relaylab probe --zones
	// takes such a file); Validate reads the files.
	Zones   ZoneList      `yaml:"zones"`
	Webhook WebhookConfig `yaml:"webhook"`
}

// WebhookConfig is where changes are POSTed.
type WebhookConfig struct {
	URL      string          `yaml:"url"`      // empty: no webhook
	Attempts int             `yaml:"attempts"` // default 6
	Backoff  config.Duration `yaml:"backoff"`  // first retry delay, doubled each time (default 30s)
	Timeout  config.Duration `yaml:"timeout"`  // one POST (default 10s)
}

// DefaultConfig returns a Config with every default filled and an empty
// watchlist (the monitor then idles).
func DefaultConfig() Config {
	return Config{
		Interval:          config.Duration(time.Hour),
		BlocklistInterval: config.Duration(30 * time.Minute),
		Timeout:           config.Duration(3 * time.Second),
		Keep:              config.Duration(30 * 24 * time.Hour),
		Webhook: WebhookConfig{
			Attempts: 6,
			Backoff:  config.Duration(30 * time.Second),
			Timeout:  config.Duration(10 * time.Second),
		},
	}
}

// Validate checks c; prefix is the key path of the section ("probe").
func (c *Config) Validate(prefix string) error {
	key := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	for i, d := range c.Domains {
		d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
		if _, ok := dns.IsDomainName(d); !ok || !strings.Contains(d, ".") || strings.ContainsAny(d, "@/: ") {
			return config.Errorf(key(fmt.Sprintf("domains[%d]", i)), "%q is not a domain name such as example.com", c.Domains[i])
		}
		c.Domains[i] = d
	}
	for i, s := range c.IPs {
		if _, err := netip.ParseAddr(strings.TrimSpace(s)); err != nil {
			return config.Errorf(key(fmt.Sprintf("ips[%d]", i)), "%q is not an IP address", s)
		}
	}
	for i, s := range c.Selectors {
		if _, ok := dns.IsDomainName(s); !ok || s == "" {
			return config.Errorf(key(fmt.Sprintf("selectors[%d]", i)), "%q is not a DKIM selector", s)
		}
	}
	for i, s := range c.Resolvers {
		n, err := resolver.NormalizeServer(s)
		if err != nil {
			return config.Errorf(key(fmt.Sprintf("resolvers[%d]", i)), "%q is not HOST:PORT, such as 127.0.0.1:53", s)
		}
		c.Resolvers[i] = n
	}
	if c.Interval.D() < time.Minute {
		return config.Errorf(key("interval"), "%s is too short: at least 1m, so that DNS servers and blocklists are not hammered", c.Interval)
	}
	if c.BlocklistInterval.D() < time.Minute {
		return config.Errorf(key("blocklist_interval"), "%s is too short: at least 1m (public blocklists block resolvers that ask too often)", c.BlocklistInterval)
	}
	if c.Keep.D() < c.Interval.D() || c.Keep.D() < c.BlocklistInterval.D() {
		return config.Errorf(key("keep"), "%s keeps less than one interval of results", c.Keep)
	}
	if c.Timeout.D() <= 0 {
		return config.Errorf(key("timeout"), "must be positive, such as 3s")
	}
	if err := c.Zones.load(key("zones")); err != nil {
		return err
	}
	if u := c.Webhook.URL; u != "" {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return config.Errorf(key("webhook.url"), "%q is not an http or https URL", u)
		}
	}
	if c.Webhook.Attempts < 1 {
		return config.Errorf(key("webhook.attempts"), "must be at least 1")
	}
	if c.Webhook.Backoff.D() <= 0 || c.Webhook.Timeout.D() <= 0 {
		return config.Errorf(key("webhook"), "backoff and timeout must be positive")
	}
	return nil
}
