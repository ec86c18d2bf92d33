package probe

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/resolver"
)

// Config is the "probe:" section of the configuration file: the watchlist
// and how often it is checked. For example:
//
//	probe:
//	  domains: [example.com, {name: example.net, selectors: [s1024]}]
//	  ips: [192.0.2.25, {ip: "2001:db8::25", helo: mail6.example.com}]
//	  selectors: [s2026]   # of every domain
//	  helo: mail.example.com   # of the IPs that give none of their own
//	  interval: 1h
//	  blocklist_interval: 30m
//	  resolvers: ["127.0.0.1:53"]
//	  keep: 30d
//	  webhook: {url: "https://hooks.example.com/relaylab", attempts: 6, backoff: 30s, secret: SECRET}
//	  zones: blocklists.yaml   # or a list: [blocklists.yaml, {zone: bl.example.net, kind: ip}]
//	  bimi_logo: false   # check BIMI records without fetching their logos
//	  mx_tls: true       # connect to the MX hosts' port 25: STARTTLS and certificates
type Config struct {
	Domains DomainList `yaml:"domains"`
	IPs     IPList     `yaml:"ips"`
	// Selectors are DKIM selectors of every domain. With several domains,
	// one that has no key at a domain is a warning there, or only a note
	// when another watched domain has it: tie a selector to the domains
	// that sign with it in Domains to have its absence be an error.
	Selectors []string `yaml:"selectors"`
	Helo      string   `yaml:"helo"` // the HELO name of the IPs that give none of their own
	// Interval between checks of the domains' records (default 1h).
	Interval config.Duration `yaml:"interval"`
	// BlocklistInterval between blocklist checks (default 30m).
	BlocklistInterval config.Duration `yaml:"blocklist_interval"`
	// Resolvers are IP:PORT of DNS servers (an IP alone means port 53;
	// a host name is refused: it would need DNS to be found); empty:
	// /etc/resolv.conf.
	Resolvers []string        `yaml:"resolvers"`
	Timeout   config.Duration `yaml:"timeout"` // one DNS query (default 3s)
	// Keep is how long results and probe.result events are kept (default
	// 30d), except the newest of each target, check and MTA-STS policy;
	// changes stay until a prune.
	Keep config.Duration `yaml:"keep"`
	// Zones replace the built-in blocklist list when not empty. Each is
	// written out or given as a zones file's name (relaylab probe --zones
	// takes such a file); Validate reads the files.
	Zones   ZoneList      `yaml:"zones"`
	Webhook WebhookConfig `yaml:"webhook"`
	// MTASTSCA names a PEM file of CA certificates trusted, besides the
	// system's, for the HTTPS of MTA-STS policies (relaylab probe
	// --mta-sts-ca): a private or test CA.
	MTASTSCA string `yaml:"mta_sts_ca"`
	// MTASTSPort, when not 0, is the port policies are fetched from
	// instead of 443 (relaylab probe --mta-sts-port), for policies served
	// on this machine: it needs Resolvers on loopback, and policies are
	// then fetched from loopback addresses only.
	MTASTSPort int `yaml:"mta_sts_port"`
	// BIMILogo fetches each watched domain's BIMI logo (l=) and checks
	// it as SVG Tiny PS, as relaylab probe does (default true); false
	// checks the BIMI record alone, as --no-bimi-logo does, and the
	// BIMI check says the logo was not checked.
	BIMILogo bool `yaml:"bimi_logo"`
	// MXTLS connects to each watched domain's MX hosts on port 25 at
	// each run and checks STARTTLS and their certificates (mx-tls), as
	// relaylab probe does; off by default, since many networks block
	// outgoing port 25 and every run would then warn. MXTLSCA and
	// MXTLSPort are relaylab probe's --mx-ca and --mx-port: a CA file
	// trusted besides the system's, and a port other than 25 for MX
	// hosts on this machine (it needs Resolvers on loopback).
	MXTLS     bool   `yaml:"mx_tls"`
	MXTLSCA   string `yaml:"mx_tls_ca"`
	MXTLSPort int    `yaml:"mx_tls_port"`
}

// Files returns the file names the section gives (zones files, the
// MTA-STS CA file), for the configuration's reader to make relative to
// its own directory.
func (c *Config) Files() []*string {
	var out []*string
	for i := range c.Zones {
		out = append(out, &c.Zones[i].File)
	}
	return append(out, &c.MTASTSCA, &c.MXTLSCA)
}

// MXTLSOptions is how the monitor checks its domains' MX hosts (mx-tls),
// nil when MXTLS is off: with MXTLSCA's CAs, and on MXTLSPort from
// loopback addresses only when a port is given (as relaylab probe --zone
// --mx-port does). Validate has read the CA file.
func (c *Config) MXTLSOptions() *MXTLSOptions {
	if !c.MXTLS {
		return nil
	}
	o := &MXTLSOptions{Port: c.MXTLSPort, LoopbackOnly: c.MXTLSPort != 0}
	if c.MXTLSCA != "" {
		o.Roots, _ = CAPool(c.MXTLSCA)
	}
	return o
}

// HTTPOptions is how the monitor fetches MTA-STS policies: with the CA
// and port of MTASTSCA and MTASTSPort, from loopback addresses only when
// a port is given (as relaylab probe --zone does).
func (c *Config) HTTPOptions() HTTPOptions {
	return HTTPOptions{Timeout: 30 * time.Second, CAFile: c.MTASTSCA, Port: c.MTASTSPort, LoopbackOnly: c.MTASTSPort != 0}
}

// MaxTimeout bounds the time allowed for one DNS query (probe.timeout,
// relaylab probe --timeout): a DNS server that has not answered in a
// minute will not, and a longer wait holds a whole cycle up.
const MaxTimeout = time.Minute

// WatchDomain is a domain of the watchlist and the DKIM selectors it
// signs with.
type WatchDomain struct {
	Name      string   `yaml:"name"`
	Selectors []string `yaml:"selectors,omitempty"`
}

// DomainList is the watchlist's domains, each written as a name
// (example.com) or as a mapping that ties DKIM selectors to it ({name:
// example.com, selectors: [s2026]}); the forms mix in one list.
type DomainList []WatchDomain

// Domains is a DomainList of names with no selectors of their own.
func Domains(names ...string) DomainList {
	out := make(DomainList, len(names))
	for i, n := range names {
		out[i] = WatchDomain{Name: n}
	}
	return out
}

// Names returns the domains' names, in order.
func (dl DomainList) Names() []string {
	out := make([]string, len(dl))
	for i, d := range dl {
		out[i] = d.Name
	}
	return out
}

// UnmarshalYAML reads a name, or a mapping with name and selectors.
func (d *WatchDomain) UnmarshalYAML(unmarshal func(any) error) error {
	var name string
	if unmarshal(&name) == nil {
		*d = WatchDomain{Name: name}
		return nil
	}
	type plain WatchDomain // without this method
	return unmarshal((*plain)(d))
}

// MarshalYAML writes a domain without selectors of its own as its name,
// as it is usually written.
func (d WatchDomain) MarshalYAML() (any, error) {
	if len(d.Selectors) == 0 {
		return d.Name, nil
	}
	type plain WatchDomain
	return plain(d), nil
}

// WatchIP is a sending IP of the watchlist and, when it is not probe.helo,
// the HELO name it says (checked against its PTR name and SPF).
type WatchIP struct {
	IP   string `yaml:"ip"`
	Helo string `yaml:"helo,omitempty"`
}

// IPList is the watchlist's IPs, each written as an address or as a
// mapping that gives it its own HELO name ({ip: ADDRESS, helo: NAME}); the
// forms mix in one list.
type IPList []WatchIP

// IPs is an IPList of addresses that use probe.helo.
func IPs(addrs ...string) IPList {
	out := make(IPList, len(addrs))
	for i, a := range addrs {
		out[i] = WatchIP{IP: a}
	}
	return out
}

// UnmarshalYAML reads an address, or a mapping with ip and helo.
func (w *WatchIP) UnmarshalYAML(unmarshal func(any) error) error {
	var ip string
	if unmarshal(&ip) == nil {
		*w = WatchIP{IP: ip}
		return nil
	}
	type plain WatchIP // without this method
	return unmarshal((*plain)(w))
}

// MarshalYAML writes an IP without a HELO name of its own as its address,
// as it is usually written.
func (w WatchIP) MarshalYAML() (any, error) {
	if w.Helo == "" {
		return w.IP, nil
	}
	type plain WatchIP
	return plain(w), nil
}

// heloOf returns the HELO name of an IP of the watchlist.
func (c *Config) heloOf(w WatchIP) string {
	if w.Helo != "" {
		return w.Helo
	}
	return c.Helo
}

// selectorsOf returns the DKIM selectors to check at d: tied, whose
// missing key is an error, and shared, those of every domain, which may
// be another domain's. With one domain, every selector is its own.
func (c *Config) selectorsOf(d WatchDomain) (tied, shared []string) {
	tied = append(tied, d.Selectors...)
	if len(c.Domains) <= 1 {
		return append(tied, c.Selectors...), nil
	}
	for _, s := range c.Selectors {
		if !slices.Contains(tied, s) {
			shared = append(shared, s)
		}
	}
	return tied, shared
}

// WebhookConfig is where changes are POSTed.
type WebhookConfig struct {
	URL      string          `yaml:"url"`      // empty: no webhook
	Attempts int             `yaml:"attempts"` // default 6
	Backoff  config.Duration `yaml:"backoff"`  // first retry delay, doubled each time (default 30s)
	Timeout  config.Duration `yaml:"timeout"`  // one POST (default 10s)
	// Secret, when set, signs each POST: the header X-Relaylab-Signature
	// carries "sha256=" and the hex HMAC-SHA256 of the exact body under
	// it (WebhookSignature), so that the receiver can tell the probe's
	// posts from forgeries. A secret: relaylab config hides it.
	Secret string `yaml:"secret"`
}

// minWebhookSecret is the shortest probe.webhook.secret taken: a shorter
// one can be found by trying.
const minWebhookSecret = 16

// DefaultConfig returns a Config with every default filled and an empty
// watchlist (the monitor then idles).
func DefaultConfig() Config {
	return Config{
		Interval:          config.Duration(time.Hour),
		BlocklistInterval: config.Duration(30 * time.Minute),
		Timeout:           config.Duration(3 * time.Second),
		Keep:              config.Duration(30 * 24 * time.Hour),
		BIMILogo:          true,
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
	seen := map[string]int{}
	for i := range c.Domains {
		wd := &c.Domains[i]
		k := key(fmt.Sprintf("domains[%d]", i))
		at := k // where the name is: the entry, or its name: key
		if len(wd.Selectors) > 0 {
			at = k + ".name"
		}
		d, err := DomainName(wd.Name)
		switch {
		case d == "":
			return config.Errorf(at, "a domain needs a name: write example.com, or {name: example.com, selectors: [s2026]} to tie DKIM selectors to it")
		case errors.Is(err, ErrIPAddress):
			return config.Errorf(at, "%q is an IP address, not a domain: list it under %s, which checks an IP against blocklists, PTR and SPF", wd.Name, key("ips"))
		case err != nil:
			return config.Errorf(at, "%q is not a domain name such as example.com: %v", wd.Name, err)
		}
		if j, dup := seen[d]; dup {
			return config.Errorf(k, "%s is listed twice (domains[%d] and domains[%d]): list it once, with all of its selectors", d, j, i)
		}
		seen[d] = i
		wd.Name = d
		for j, s := range wd.Selectors {
			n, err := SelectorName(s)
			if err != nil {
				return config.Errorf(fmt.Sprintf("%s.selectors[%d]", k, j), "%q is not a DKIM selector (the name before ._domainkey., such as s2026): %v", s, err)
			}
			wd.Selectors[j] = n
		}
	}
	if c.Helo != "" {
		h, err := DomainName(c.Helo)
		if err != nil {
			return config.Errorf(key("helo"), "%q is not a host name such as mail.example.com (the name the IPs say in HELO/EHLO): %v", c.Helo, err)
		}
		c.Helo = h
	}
	seenIP := map[netip.Addr]int{}
	for i := range c.IPs {
		wi := &c.IPs[i]
		k := key(fmt.Sprintf("ips[%d]", i))
		at := k // where the address is: the entry, or its ip: key
		if wi.Helo != "" {
			at = k + ".ip"
		}
		if strings.TrimSpace(wi.IP) == "" {
			return config.Errorf(at, "an IP needs an address: write the address, or {ip: ADDRESS, helo: NAME} to give it a HELO name of its own")
		}
		ip, err := netip.ParseAddr(strings.TrimSpace(wi.IP))
		if err != nil {
			return config.Errorf(at, "%q is not an IP address", wi.IP)
		}
		if j, dup := seenIP[ip]; dup {
			return config.Errorf(k, "%s is listed twice (ips[%d] and ips[%d]): list it once", ip, j, i)
		}
		seenIP[ip] = i
		wi.IP = ip.String()
		if wi.Helo != "" {
			h, err := DomainName(wi.Helo)
			if err != nil {
				return config.Errorf(k+".helo", "%q is not a host name such as mail.example.com (the name %s says in HELO/EHLO): %v", wi.Helo, ip, err)
			}
			wi.Helo = h
		}
	}
	for i, s := range c.Selectors {
		n, err := SelectorName(s)
		if err != nil {
			return config.Errorf(key(fmt.Sprintf("selectors[%d]", i)), "%q is not a DKIM selector (the name before ._domainkey., such as s2026): %v", s, err)
		}
		c.Selectors[i] = n
	}
	for i, s := range c.Resolvers {
		k := key(fmt.Sprintf("resolvers[%d]", i))
		n, err := resolver.NormalizeServer(s)
		if err != nil {
			return config.Errorf(k, "%s", strings.TrimPrefix(err.Error(), "resolver: server "))
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
		least := max(c.Interval, c.BlocklistInterval)
		return config.Errorf(key("keep"), "%s keeps less than one interval of results (%s is %s, %s is %s), so a run's results would be deleted before the next run compares with them: give at least %s, such as 30d (the default)",
			c.Keep, key("interval"), c.Interval, key("blocklist_interval"), c.BlocklistInterval, least)
	}
	if c.Timeout.D() <= 0 || c.Timeout.D() > MaxTimeout {
		return config.Errorf(key("timeout"), "%s: give a time more than 0 and at most %s, such as 3s, for one DNS query (a server that has not answered in %s will not)", c.Timeout, config.Duration(MaxTimeout), config.Duration(MaxTimeout))
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
	if n := len([]rune(c.Webhook.Secret)); n > 0 && n < minWebhookSecret {
		return config.Errorf(key("webhook.secret"), "is too short (%d of the %d characters it needs): anyone who can reach the receiver could find it by trying and sign posts of their own; give at least %d random characters, such as the output of `openssl rand -hex 32`", n, minWebhookSecret, minWebhookSecret)
	}
	if c.Webhook.URL == "" && c.Webhook.Secret != "" {
		// A secret signs posts: without a url there are none, and a
		// webhook the user meant to set up would silently not exist.
		return config.Errorf(key("webhook.url"), "is missing: %s signs the posts of the webhook, but without a url no change is posted; give the receiver's URL, such as url: https://hooks.example.com/relaylab, or remove the webhook section", key("webhook.secret"))
	}
	if c.Webhook.Attempts < 1 {
		return config.Errorf(key("webhook.attempts"), "must be at least 1")
	}
	if c.Webhook.Backoff.D() <= 0 {
		return config.Errorf(key("webhook.backoff"), "%s: give a time more than 0, such as 30s (the wait before the first retry, doubled before each next one)", c.Webhook.Backoff)
	}
	if c.Webhook.Timeout.D() <= 0 {
		return config.Errorf(key("webhook.timeout"), "%s: give a time more than 0, such as 10s (how long one POST may take)", c.Webhook.Timeout)
	}
	if err := c.validateMTASTS(key); err != nil {
		return err
	}
	return c.validateMXTLS(key)
}

// validateMXTLS checks mx_tls_ca and mx_tls_port as relaylab probe
// checks --mx-ca and --mx-port.
func (c *Config) validateMXTLS(key func(string) string) error {
	if (c.MXTLSCA != "" || c.MXTLSPort != 0) && !c.MXTLS {
		k := key("mx_tls_ca")
		if c.MXTLSPort != 0 {
			k = key("mx_tls_port")
		}
		return config.Errorf(k, "applies only with %s: true (the watchlist connects to MX hosts only then)", key("mx_tls"))
	}
	if c.MXTLSCA != "" {
		if _, err := caPool(c.MXTLSCA); err != nil {
			return config.Errorf(key("mx_tls_ca"), "%v: give a PEM file of the CA certificates that sign the MX hosts' certificates (a name that is not absolute is taken from the configuration file's directory)", err)
		}
	}
	if c.MXTLSPort == 0 {
		return nil
	}
	if c.MXTLSPort < 0 || c.MXTLSPort > 65535 {
		return config.Errorf(key("mx_tls_port"), "%d: give a port from 1 to 65535", c.MXTLSPort)
	}
	if !c.loopbackResolvers() {
		return config.Errorf(key("mx_tls_port"), "needs %s on loopback (such as 127.0.0.1:5353, serving zones that point the MX hosts at 127.0.0.1): senders connect to port 25, so another port is only for MX hosts on this machine, and they are then connected to on loopback addresses only", key("resolvers"))
	}
	return nil
}

// loopbackResolvers reports whether the monitor asks DNS servers on this
// machine alone, which serve test zones.
func (c *Config) loopbackResolvers() bool {
	loopback := len(c.Resolvers) > 0
	for _, s := range c.Resolvers {
		ap, err := netip.ParseAddrPort(s)
		loopback = loopback && err == nil && ap.Addr().Unmap().IsLoopback()
	}
	return loopback
}

// validateMTASTS checks mta_sts_ca and mta_sts_port as relaylab probe
// checks --mta-sts-ca and --mta-sts-port.
func (c *Config) validateMTASTS(key func(string) string) error {
	if c.MTASTSCA != "" {
		if _, err := caPool(c.MTASTSCA); err != nil {
			return config.Errorf(key("mta_sts_ca"), "%v: give a PEM file of the CA certificates that sign the policy hosts' certificates (a name that is not absolute is taken from the configuration file's directory)", err)
		}
	}
	if c.MTASTSPort == 0 {
		return nil
	}
	if c.MTASTSPort < 0 || c.MTASTSPort > 65535 {
		return config.Errorf(key("mta_sts_port"), "%d: give a port from 1 to 65535", c.MTASTSPort)
	}
	// As --mta-sts-port needs --zone: senders on the internet always
	// fetch from port 443, so another port is only for a policy served on
	// this machine, found through DNS servers on it.
	if !c.loopbackResolvers() {
		return config.Errorf(key("mta_sts_port"), "needs %s on loopback (such as 127.0.0.1:5353, serving zones that point mta-sts.DOMAIN at 127.0.0.1): senders fetch MTA-STS policies from port 443, so another port is only for a policy served on this machine, and policies are then fetched from loopback addresses only", key("resolvers"))
	}
	return nil
}
