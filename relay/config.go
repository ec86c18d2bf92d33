package relay

import (
	"cmp"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/mailaddr"
)

// Config is the relay section ("relay:") of relaylab's YAML file.
type Config struct {
	// Listen is the submission listener (SMTP with STARTTLS); "" disables it.
	Listen string `yaml:"listen"`
	// TLSListen is an optional implicit-TLS submission listener.
	TLSListen string `yaml:"tls_listen"`
	// Hostname is our name in the greeting, in EHLO and in DSNs.
	Hostname string `yaml:"hostname"`
	// CertFile and KeyFile serve STARTTLS; a self-signed certificate is made
	// at start when they are empty.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// AllowedNetworks may submit without AUTH (CIDRs).
	AllowedNetworks []string `yaml:"allowed_networks"`
	// Users may submit from anywhere after AUTH PLAIN or LOGIN.
	Users map[string]string `yaml:"users"`
	// MaxMessageBytes is the SIZE limit of the submission listener.
	MaxMessageBytes int64 `yaml:"max_message_bytes"`
	// MaxConnections caps the connections each submission listener has
	// open at once (0: 1000); one more is answered 421 4.7.0 and closed.
	MaxConnections int `yaml:"max_connections"`
	// Workers caps the deliveries in progress at once.
	Workers int `yaml:"workers"`
	// Batch caps the recipients claimed from the queue in one scheduler pass.
	Batch int `yaml:"batch"`
	// Resolvers are IP:PORT of the DNS servers that mx paths ask ([IPv6]:PORT),
	// tried in order; empty: the system's (/etc/resolv.conf). Options.Resolver,
	// when given, is used instead.
	Resolvers []string `yaml:"resolvers"`

	Paths []PathConfig `yaml:"paths"`
	// Routes send recipients over the paths. Left out (nil), Validate
	// makes one route, "default", over every path in the order given (a
	// failover list), so that a file that gives its own paths needs no
	// route to use them; an empty list (routes: []) is an error.
	Routes []RouteConfig `yaml:"routes"`
	Retry  RetryConfig   `yaml:"retry"`
	// Classify rules are tried before the built-in table.
	Classify    []Rule            `yaml:"classify"`
	DSN         DSNConfig         `yaml:"dsn"`
	Suppression SuppressionConfig `yaml:"suppression"`
	// DKIM signs outgoing mail per sending domain, with one key or with
	// an RSA and an Ed25519 key (two signatures, RFC 8463).
	DKIM []DKIMConfig `yaml:"dkim"`
	// Transcripts keeps each attempt's SMTP conversation in its
	// relay.attempt event (default true); false saves the space and the
	// work at high volume, and the reply, category and reason remain.
	Transcripts *bool `yaml:"transcripts,omitempty"`
}

// transcriptsOn reports whether attempts record their conversation.
func (c *Config) transcriptsOn() bool { return c.Transcripts == nil || *c.Transcripts }

// The values of PathConfig.Destination.
const (
	DestinationHost   = "host"
	DestinationDomain = "domain"
)

// PathConfig is one upstream: a smarthost or direct MX delivery.
type PathConfig struct {
	Name string `yaml:"name"`
	// Type is "smarthost" (the default) or "mx".
	Type string `yaml:"type"`
	// Host is the smarthost's host:port.
	Host string `yaml:"host"`
	// Port is the port MX hosts are reached on (default 25).
	Port int `yaml:"port"`
	// TLS is none, opportunistic (STARTTLS when offered), required
	// (STARTTLS or fail) or implicit (TLS from the first byte).
	TLS string `yaml:"tls"`
	// Verify checks the server's certificate.
	Verify bool `yaml:"verify"`
	// CAFile is a PEM file of the CA certificates that Verify checks the
	// server's certificate against, in place of the system's (Postfix's
	// smtp_tls_CAfile): a smarthost with a private CA, trusted on this
	// path alone. Empty: the system's CAs (or SSL_CERT_FILE); relaylab
	// config leaves an empty one out.
	CAFile   string `yaml:"ca_file"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// Auth is PLAIN (default) or LOGIN, used when Username is set.
	Auth string `yaml:"auth"`
	// Helo is the name we send in EHLO (default: Config.Hostname).
	Helo string `yaml:"helo"`
	// Source is the local address to connect from.
	Source string `yaml:"source"`
	// MaxConnections caps concurrent connections per destination on this
	// path, over all its domains on a destination: domain path (0: no
	// cap).
	MaxConnections int `yaml:"max_connections"`
	// MessagesPerConnection caps messages sent over one connection.
	MessagesPerConnection int `yaml:"messages_per_connection"`
	// MaxRecipients caps the recipients of one transaction (0: no cap):
	// a message to more at one destination goes in several transactions,
	// one after another, on the same connection where it can. Set it to a
	// receiver's limit (RFC 5321 4.5.3.1.10: a server with one answers
	// 452 to the RCPT over it).
	MaxRecipients int `yaml:"max_recipients"`
	// Rate caps messages per second per destination (0: no cap).
	Rate float64 `yaml:"rate"`
	// Destination says what one destination of a smarthost path is, the
	// unit that rate and the rest after a 421 or a rate limit (backoff)
	// apply to: "host" (the default) is the smarthost, all the path's
	// mail together, as a real smarthost's 421 means it wants less of
	// everything; "domain" is each recipient domain apart, for a host
	// that stands in for every domain's own MX (the sink: a 421 it gives
	// as yahoo.test holds no mail to example.test). max_connections and
	// the kept connections are the path's either way: they all go to the
	// one host. An mx path's destinations are its domains' sets of MX
	// hosts.
	Destination string `yaml:"destination"`
	// Warmup is a daily message cap that rises over days: day 0 (the
	// WarmupStart date, UTC) may send Warmup[0], day 1 Warmup[1], and so
	// on; the last cap holds after that.
	Warmup      []int  `yaml:"warmup"`
	WarmupStart string `yaml:"warmup_start"`
	// Backoff is how long a destination rests after a 421 or a rate
	// limit reply (default 5m).
	Backoff config.Duration `yaml:"backoff"`
	// MaxMXAddresses caps the MX host addresses one attempt on an mx path
	// may use, counted down the MX list in preference order (default 5,
	// as Postfix's smtp_mx_address_limit; 0: no cap).
	MaxMXAddresses *int `yaml:"max_mx_addresses,omitempty"`
	// MaxMXSessions caps the sessions of one attempt on an mx path that
	// reached SMTP, past the greeting, EHLO and STARTTLS (default 2, as
	// Postfix's smtp_mx_session_limit; 0: no cap).
	MaxMXSessions *int `yaml:"max_mx_sessions,omitempty"`
	// Timeouts per stage; RFC 5321 4.5.3.2 defaults.
	ConnectTimeout config.Duration `yaml:"connect_timeout"`
	CommandTimeout config.Duration `yaml:"command_timeout"`
	DataTimeout    config.Duration `yaml:"data_timeout"`
}

// RouteConfig sends matching recipients over its paths. Routes are tried in
// order; the first that matches wins.
type RouteConfig struct {
	Name string `yaml:"name"`
	// Recipients and Senders are domain patterns ("example.com",
	// "*.example.com", "*"); empty matches everything.
	Recipients []string `yaml:"recipients"`
	Senders    []string `yaml:"senders"`
	// MinAttempt and MaxAttempt bound the attempt number (1-based) the
	// route applies to; 0 is no bound.
	MinAttempt int `yaml:"min_attempt"`
	MaxAttempt int `yaml:"max_attempt"`
	// Paths is an ordered failover list: the next path is tried when one
	// refuses connections or defers.
	Paths []string `yaml:"paths"`
	// Split spreads messages over paths by weight instead.
	Split []WeightedPath `yaml:"split"`
	// Windows are daily sending windows ("09:00-17:00") in Timezone
	// (default UTC); outside them the route's recipients wait.
	Windows  []string `yaml:"windows"`
	Timezone string   `yaml:"timezone"`
	// Fallback is used instead after FallbackAfter failed attempts.
	Fallback      string `yaml:"fallback"`
	FallbackAfter int    `yaml:"fallback_after"`
}

// WeightedPath is one arm of a split route.
type WeightedPath struct {
	Path   string `yaml:"path"`
	Weight int    `yaml:"weight"`
}

// DSNConfig controls the delivery status notifications we write.
type DSNConfig struct {
	// Disabled stops DSNs entirely.
	Disabled bool `yaml:"disabled"`
	// DelayWarning sends a "delayed" DSN once a recipient has waited this
	// long (0: never), to senders that asked for it.
	DelayWarning config.Duration `yaml:"delay_warning"`
	// BounceAddress receives incoming DSNs; recipients of the form
	// local+VERP@domain are matched too. Default "bounces@" + Hostname.
	BounceAddress string `yaml:"bounce_address"`
	// VERP rewrites each message's envelope sender to
	// BounceAddress with the message's queue id and a MAC added to its
	// local part (bounces+QUEUEID.MAC@domain, bouncetoken.go), so that an
	// asynchronous bounce names its message even when its DSN is not
	// standard, and no one outside can forge one.
	VERP bool `yaml:"verp"`
}

// SuppressionConfig decides who is suppressed.
type SuppressionConfig struct {
	// Disabled turns suppression off.
	Disabled bool `yaml:"disabled"`
	// SoftBounces suppresses an address after this many expired or
	// soft-bounced deliveries (0: never).
	SoftBounces int `yaml:"soft_bounces"`
}

// The values the relay runs with where its section leaves a key at 0 or
// "" (Config.WithDefaults).
const (
	DefaultHostname = "relaylab.localhost"
	DefaultWorkers  = 64
	DefaultBatch    = 256
	// DefaultMaxConnections is relay.max_connections when it is 0: each
	// submission session holds its message in memory while it is read.
	DefaultMaxConnections = 1000
	// DefaultBackoff is how long a destination rests after a 421 or a
	// rate limit reply when its path gives no backoff.
	DefaultBackoff = 5 * time.Minute
)

// WithDefaults returns c, which has passed Validate, with the value the
// relay runs with in place of each 0 or "" that stands for a default: the
// hostname, the workers, the submission connections, each path's
// (PathConfig.WithDefaults, its destination, backoff, helo and AUTH
// mechanism), each route's time zone, the retry policy's (its preset's,
// an exponential ceiling, the bounce lifetime), the bounce address, and
// the DKIM domains as signatures name them. relaylab config prints it; a
// 0 or "" left is the key's own value (no cap, none, never). Lists are
// copied, so c's are not changed.
func (c Config) WithDefaults() Config {
	c.Hostname = cmp.Or(c.Hostname, DefaultHostname)
	c.Workers = cmp.Or(c.Workers, DefaultWorkers)
	c.Batch = cmp.Or(c.Batch, DefaultBatch)
	c.MaxConnections = cmp.Or(c.MaxConnections, DefaultMaxConnections)
	if c.Transcripts == nil {
		on := true
		c.Transcripts = &on
	}
	c.Paths = slices.Clone(c.Paths)
	for i := range c.Paths {
		c.Paths[i] = c.Paths[i].runDefaults(c.Hostname)
	}
	c.Routes = slices.Clone(c.Routes)
	for i := range c.Routes {
		// compileRoutes: no time zone is UTC.
		c.Routes[i].Timezone = cmp.Or(c.Routes[i].Timezone, "UTC")
	}
	c.Retry = c.Retry.runDefaults()
	c.Classify = slices.Clone(c.Classify)
	for i := range c.Classify {
		c.Classify[i] = c.Classify[i].withDefaults(i)
	}
	// bounceAddress: bounces@ and the hostname, compared in lower case.
	c.DSN.BounceAddress = normAddr(cmp.Or(c.DSN.BounceAddress, "bounces@"+c.Hostname))
	c.DKIM = slices.Clone(c.DKIM)
	for i := range c.DKIM {
		if d, err := dkimDomain(c.DKIM[i].Domain); err == nil {
			c.DKIM[i].Domain = d
		}
	}
	return c
}

// runDefaults is pc as the relay runs it: PathConfig.WithDefaults, and
// what the relay fills elsewhere (the shaping's destination and backoff,
// newPath's helo, the client's AUTH mechanism). hostname is the relay's.
func (pc PathConfig) runDefaults(hostname string) PathConfig {
	pc = pc.WithDefaults()
	if pc.Type != "mx" && pc.Destination == "" {
		pc.Destination = DestinationHost // the shaping's unit unless domain
	}
	if pc.Backoff <= 0 {
		pc.Backoff = dur(DefaultBackoff)
	}
	pc.Helo = cmp.Or(pc.Helo, hostname)
	if pc.Username != "" && pc.Auth == "" {
		pc.Auth = "PLAIN" // client.auth: LOGIN when asked, else PLAIN
	}
	pc.Warmup = slices.Clone(pc.Warmup)
	return pc
}

// withDefaults is r, the i-th rule of relay.classify, with the reason and
// advice that NewClassifier gives a rule that has none.
func (r Rule) withDefaults(i int) Rule {
	r.Reason = cmp.Or(r.Reason, fmt.Sprintf("matched configured classification rule %d (%s)", i, r.Category))
	r.Advice = cmp.Or(r.Advice, defaultRuleAdvice)
	return r
}

// defaultRuleAdvice is the advice of a classification rule that gives none.
const defaultRuleAdvice = "read the reply text"

// runDefaults is the retry policy as the relay runs it: its preset's
// values (Resolved), an exponential policy's ceiling where max is 0
// (Policy.ceiling: max_age, else a day), and bounce_max_age as max_age
// where it is 0 (Policy.Lifetime).
func (c RetryConfig) runDefaults() RetryConfig {
	c = c.resolved()
	c.Schedule = slices.Clone(c.Schedule) // not the preset's own
	if c.Kind == "exponential" && c.Max <= 0 {
		c.Max = dur(Policy{c: c}.ceiling())
	}
	if c.BounceMaxAge <= 0 {
		c.BounceMaxAge = c.MaxAge
	}
	return c
}

// DefaultConfig is what `relaylab serve` runs with no file: submission on
// 127.0.0.1:2587 without AUTH from loopback, every recipient sent to the
// local sink (by the default route Validate adds over the one path).
func DefaultConfig() Config {
	return Config{
		Listen:          "127.0.0.1:2587",
		Hostname:        DefaultHostname,
		AllowedNetworks: []string{"127.0.0.0/8", "::1/128"},
		MaxMessageBytes: 25 << 20,
		Workers:         DefaultWorkers,
		Batch:           DefaultBatch,
		Paths: []PathConfig{{
			Name: "local-sink", Type: "smarthost", Host: "sink",
			TLS: "opportunistic", MessagesPerConnection: 100,
			// The sink plays every recipient domain's receiver, so each
			// domain is shaped apart, as over an mx path.
			Destination: DestinationDomain,
		}},
		Retry: RetryConfig{Preset: "postfix"},
		Suppression: SuppressionConfig{
			SoftBounces: 0,
		},
	}
}

// Validate checks every value, naming the key of the first bad one.
// Files returns the file names the configuration gives (its certificate
// and key, the paths' CA files, the DKIM keys), for a caller that takes
// the relative ones from a directory; empty ones too.
func (c *Config) Files() []*string {
	out := []*string{&c.CertFile, &c.KeyFile}
	for i := range c.Paths {
		out = append(out, &c.Paths[i].CAFile)
	}
	for i := range c.DKIM {
		out = append(out, &c.DKIM[i].KeyFile)
	}
	return out
}

func (c *Config) Validate(prefix string) error {
	key := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	if f := hostNameFault(c.Hostname); c.Hostname != "" && f != "" {
		return config.Errorf(key("hostname"), "%q: %s; the relay's name goes into its greeting, EHLO (RFC 5321 4.1.1.1), Message-IDs and its DSNs' From, so it must be a host name such as relay.example.com", c.Hostname, f)
	}
	if b := c.DSN.BounceAddress; b != "" {
		if f := bounceAddressFault(b); f != "" {
			return config.Errorf(key("dsn.bounce_address"), "%q: %s; write a mailbox the relay receives DSNs at, such as bounces@example.com (no angle brackets), or leave it out for bounces@ and relay.hostname", b, f)
		}
	}
	for _, l := range []struct{ k, v string }{{"listen", c.Listen}, {"tls_listen", c.TLSListen}} {
		if l.v == "" {
			continue
		}
		if err := config.ListenAddr(l.v); err != nil {
			return config.Errorf(key(l.k), "%v (for example 127.0.0.1:2587)", err)
		}
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return config.Errorf(key("cert_file"), "cert_file and key_file go together: set both or neither")
	}
	for i, r := range c.Resolvers {
		if err := resolverAddr(r); err != nil {
			return config.Errorf(key(fmt.Sprintf("resolvers[%d]", i)), "%v", err)
		}
	}
	if err := config.Passwords(key("users"), c.Users); err != nil {
		return err
	}
	var open openNetworks
	for i, n := range c.AllowedNetworks {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			return config.Errorf(key(fmt.Sprintf("allowed_networks[%d]", i)), "%q is not a CIDR such as 10.0.0.0/8", n)
		}
		if p.Addr().Is4In6() {
			return config.Errorf(key(fmt.Sprintf("allowed_networks[%d]", i)), "%q is an IPv4-mapped IPv6 network, which matches no client (client addresses are compared in their IPv4 form): write it as an IPv4 network, such as 10.0.0.0/8", n)
		}
		// A network this wide is most of the internet: anyone in it
		// could send through the relay without AUTH, an open relay.
		// (Not one of the private networks: fc00::/7 is wider than /16.)
		if (p.Addr().Unmap().Is4() && p.Bits() < 8 || !p.Addr().Unmap().Is4() && p.Bits() < 16) && publicSize(p).Sign() > 0 {
			return config.Errorf(key(fmt.Sprintf("allowed_networks[%d]", i)), "%q would let a large part of the internet send through the relay without AUTH (an open relay, which blocklists find within hours): list only your own networks (at least /8 for IPv4, /16 for IPv6), and give other senders a user in relay.users", n)
		}
		// Many narrower networks are as wide as one that is refused:
		// 65 separate /8s are a quarter of IPv4.
		if over := open.add(p); over != "" {
			return config.Errorf(key(fmt.Sprintf("allowed_networks[%d]", i)), "%q brings the networks of allowed_networks that are not private, loopback or link-local to %s: together they would let a large part of the internet send through the relay without AUTH (an open relay, which blocklists find within hours), as one network that wide is refused. List only your own senders' networks, and give other senders a user in relay.users to send with AUTH", n, over)
		}
	}
	for _, n := range []struct {
		key string
		v   int64
	}{{"max_message_bytes", int64(c.MaxMessageBytes)}, {"max_connections", int64(c.MaxConnections)}, {"workers", int64(c.Workers)}, {"batch", int64(c.Batch)}} {
		if n.v < 0 {
			return config.Errorf(key(n.key), "%d: must not be negative (0 is the default)", n.v)
		}
	}
	names := map[string]bool{}
	for i := range c.Paths {
		p := &c.Paths[i]
		k := key(fmt.Sprintf("paths[%d]", i))
		if err := p.validate(k); err != nil {
			return err
		}
		if names[p.Name] {
			return config.Errorf(k+".name", "path %q is defined twice", p.Name)
		}
		names[p.Name] = true
	}
	if len(c.Paths) == 0 {
		return config.Errorf(key("paths"), "no path: list at least one (a smarthost with its host, or type: mx)")
	}
	if c.Routes == nil {
		c.Routes = []RouteConfig{defaultRoute(c.Paths)}
	}
	if len(c.Routes) == 0 {
		return config.Errorf(key("routes"), "no route: add at least one (a route with no recipients matches everything), or leave routes out for one over every path")
	}
	routeAt := map[string]int{}
	for i := range c.Routes {
		r := &c.Routes[i]
		k := key(fmt.Sprintf("routes[%d]", i))
		if err := r.validate(k, names); err != nil {
			return err
		}
		if j, ok := routeAt[r.Name]; ok && r.Name != "" {
			return config.Errorf(k+".name", "route %q is defined twice (routes[%d] has the name too): events and reports name the route that sent each recipient, and two of one name cannot be told apart; rename one", r.Name, j)
		}
		routeAt[r.Name] = i
	}
	if err := checkRouteOrder(c.Routes, key("routes")); err != nil {
		return err
	}
	if err := c.Retry.Validate(key("retry")); err != nil {
		return err
	}
	if w := c.DSN.DelayWarning; w < 0 {
		return config.Errorf(key("dsn.delay_warning"), "%s: must not be negative (0 sends no delay warnings)", w)
	} else if maxAge := c.Retry.resolved().MaxAge; w > 0 && maxAge > 0 && w >= maxAge {
		return config.Errorf(key("dsn.delay_warning"), "%s is not shorter than the retry policy's max_age (%s): a recipient expires before it has waited that long, so the warning would never be sent; set it shorter than max_age (4h is usual under a max_age of days), or 0 for no delay warnings", w, maxAge)
	}
	for i, r := range c.Classify {
		if err := r.validate(key(fmt.Sprintf("classify[%d]", i))); err != nil {
			return err
		}
	}
	if err := validateDKIM(c.DKIM, func(i int) string { return key(fmt.Sprintf("dkim[%d]", i)) }); err != nil {
		return err
	}
	if c.Suppression.SoftBounces < 0 {
		return config.Errorf(key("suppression.soft_bounces"), "must not be negative: give N to suppress an address after N expiries in a row, or 0, the default, for never")
	}
	return nil
}

// defaultRoute is the route of a configuration that gives none: every
// recipient, over every path in the order given, each the next one's
// failover.
func defaultRoute(paths []PathConfig) RouteConfig {
	r := RouteConfig{Name: "default"}
	for _, p := range paths {
		r.Paths = append(r.Paths, p.Name)
	}
	return r
}

func (p *PathConfig) validate(k string) error {
	if p.Name == "" {
		return config.Errorf(k+".name", "every path needs a name")
	}
	// The name is part of its destinations' keys (path:NAME,
	// path:NAME:DOMAIN, mx:NAME:HOSTS), which holds carry up to a space
	// and a restart splits at the first colon.
	if strings.Contains(p.Name, ":") {
		return config.Errorf(k+".name", "%q: a path's name must not hold ':', which separates it from the recipient domain or MX hosts in its destinations' keys (path:NAME:DOMAIN); use '-' or '.'", p.Name)
	}
	if strings.IndexFunc(p.Name, unicode.IsSpace) >= 0 {
		return config.Errorf(k+".name", "%q: a path's name must not hold spaces: it is part of the destination key that the text of a held recipient names, read back up to the first space; use '-' or '_'", p.Name)
	}
	switch p.Type {
	case "", "smarthost":
		p.Type = "smarthost"
		if _, ok := SinkHost(p.Host); ok {
			break // the sink beside the relay: WithSinkAddrs fills in where
		}
		if err := config.DialAddr(p.Host); err != nil {
			return config.Errorf(k+".host", "%v (for example smtp.example.com:587)", err)
		}
	case "mx":
		if p.Host != "" {
			return config.Errorf(k+".host", "an mx path finds its hosts in DNS: remove host, or use type smarthost")
		}
	default:
		return config.Errorf(k+".type", "%q: want smarthost or mx", p.Type)
	}
	switch {
	case p.Destination == "" || p.Destination == DestinationHost && p.Type == "smarthost":
	case p.Type == "mx":
		return config.Errorf(k+".destination", "%q: an mx path's destinations are its recipient domains' sets of MX hosts, found in DNS: remove destination, or use type smarthost", p.Destination)
	case p.Destination != DestinationDomain:
		return config.Errorf(k+".destination", "%q: want host (the smarthost shapes all the path's mail together; the default) or domain (each recipient domain apart, for a host that plays every domain's MX, such as the sink)", p.Destination)
	}
	switch p.TLS {
	case "":
		p.TLS = "opportunistic"
	case "none", "opportunistic", "required", "implicit":
	default:
		return config.Errorf(k+".tls", "%q: want none, opportunistic, required or implicit", p.TLS)
	}
	if err := config.Password(k+".password", p.Username, p.Password); err != nil {
		return err
	}
	if p.Username != "" && p.TLS == "none" {
		// RFC 4954 14, RFC 4616 6: AUTH PLAIN and LOGIN carry the password
		// as it is, so the relay sends them only over TLS (as Postfix's
		// smtp_sasl_security_options = noplaintext).
		return config.Errorf(k+".tls", "none with username %q: the relay sends a path's password only over TLS, and tls: none would send it in the clear; set tls: required (STARTTLS) or tls: implicit (TLS from the first byte, port 465), or remove username and password if the server needs none", p.Username)
	}
	switch strings.ToUpper(p.Auth) {
	case "", "PLAIN", "LOGIN":
	default:
		return config.Errorf(k+".auth", "%q: want PLAIN or LOGIN", p.Auth)
	}
	if p.Auth != "" && p.Username == "" {
		return config.Errorf(k+".auth", "%q with no username: auth chooses the mechanism the path logs in with, and without username and password the path does not log in at all; add username and password, or remove auth", p.Auth)
	}
	if p.Verify && p.TLS == "none" {
		return config.Errorf(k+".verify", "true with tls: none: the path never starts TLS, so there is no certificate to check; set tls: required (STARTTLS) or tls: implicit (port 465) to check the server's certificate, or remove verify")
	}
	if p.CAFile != "" {
		if !p.Verify {
			return config.Errorf(k+".ca_file", "%q with verify false: the CA file is what the server's certificate is checked against, and without verify nothing is checked; set verify: true, or remove ca_file", p.CAFile)
		}
		if _, err := loadCAFile(p.CAFile); err != nil {
			return config.Errorf(k+".ca_file", "%v", err)
		}
	}
	if p.Helo != "" {
		if f := hostNameFault(p.Helo); f != "" {
			return config.Errorf(k+".helo", "%q: %s; EHLO takes the relay's own host name (RFC 5321 4.1.1.1), such as out.example.com, or an address literal such as [192.0.2.1]; leave helo out for relay.hostname", p.Helo, f)
		}
	}
	if p.Source != "" {
		if _, err := netip.ParseAddr(p.Source); err != nil {
			return config.Errorf(k+".source", "%q is not an IP address", p.Source)
		}
	}
	if p.Port < 0 || p.Port > 65535 {
		return config.Errorf(k+".port", "%d is not a port", p.Port)
	}
	if p.Port != 0 && p.Type == "smarthost" {
		// port is an mx path's: a smarthost dials host as written.
		return config.Errorf(k+".port", "%d on a smarthost path, whose port is the one in host (%q), which the relay dials as written: port is the port of an mx path's MX hosts; remove port, or give the port in host (HOST:%d)", p.Port, p.Host, p.Port)
	}
	for _, n := range []struct {
		key string
		v   float64
	}{{"max_connections", float64(p.MaxConnections)}, {"messages_per_connection", float64(p.MessagesPerConnection)}, {"rate", p.Rate}} {
		if n.v < 0 {
			return config.Errorf(k+"."+n.key, "%g: must not be negative", n.v)
		}
	}
	if p.MaxRecipients < 0 {
		return config.Errorf(k+".max_recipients", "%d: must not be negative (0 is no cap: all of a message's recipients at one destination in one transaction; set it to the receiving server's recipients per transaction, often 100)", p.MaxRecipients)
	}
	for _, d := range []struct {
		key string
		v   config.Duration
	}{{"connect_timeout", p.ConnectTimeout}, {"command_timeout", p.CommandTimeout}, {"data_timeout", p.DataTimeout}, {"backoff", p.Backoff}} {
		if d.v < 0 {
			return config.Errorf(k+"."+d.key, "%s: must not be negative (leave it out for the default)", d.v.D())
		}
	}
	for _, c := range []struct {
		key string
		v   *int
	}{{"max_mx_addresses", p.MaxMXAddresses}, {"max_mx_sessions", p.MaxMXSessions}} {
		switch {
		case c.v == nil:
		case p.Type != "mx":
			return config.Errorf(k+"."+c.key, "caps the MX hosts of an mx path; a smarthost path has one host: remove %s, or use type mx", c.key)
		case *c.v < 0:
			return config.Errorf(k+"."+c.key, "%d: must not be negative (0 is no cap)", *c.v)
		}
	}
	for i, c := range p.Warmup {
		if c <= 0 {
			return config.Errorf(fmt.Sprintf("%s.warmup[%d]", k, i), "daily caps must be positive")
		}
		if i > 0 && c < p.Warmup[i-1] {
			// A warm-up builds a new IP's reputation by sending more day
			// by day; a drop is most often a typo (150 for 1500), and
			// a path that must send less for a while wants a cap that
			// holds, not a schedule that goes back.
			return config.Errorf(fmt.Sprintf("%s.warmup[%d]", k, i), "%d is below the day before's %d: a warm-up's daily caps rise (or stay) day by day, as the receiving side learns the new IP; check for a digit missing, or give the lower cap from the day it should hold and after", c, p.Warmup[i-1])
		}
	}
	if p.WarmupStart != "" && len(p.Warmup) == 0 {
		// The date is checked as a warmup reads it, then the lone key refused.
		if _, err := newWarmup([]int{1}, p.WarmupStart); err != nil {
			return config.Errorf(k+".warmup_start", "%v", err)
		}
		return config.Errorf(k+".warmup_start", "%q is the first day of a warmup, but the path has no warmup: list its daily caps (warmup: [100, 500, 2000]) or remove warmup_start", p.WarmupStart)
	}
	if _, err := newWarmup(p.Warmup, p.WarmupStart); err != nil {
		return config.Errorf(k+".warmup_start", "%v", err)
	}
	return nil
}

func (r *RouteConfig) validate(k string, paths map[string]bool) error {
	if len(r.Paths) == 0 && len(r.Split) == 0 {
		return config.Errorf(k+".paths", "route has no paths: list paths (failover) or split (weighted)")
	}
	if len(r.Paths) > 0 && len(r.Split) > 0 {
		return config.Errorf(k+".split", "use paths (failover) or split (weighted), not both")
	}
	for i, p := range r.Paths {
		if !paths[p] {
			return config.Errorf(fmt.Sprintf("%s.paths[%d]", k, i), "no path named %q in relay.paths", p)
		}
		if j := slices.Index(r.Paths, p); j < i {
			return config.Errorf(fmt.Sprintf("%s.paths[%d]", k, i), "path %q is listed twice (paths[%d] has it too): a failover list tries each path once in an attempt, so the second place tries nothing; list another path, or remove it", p, j)
		}
	}
	for i, w := range r.Split {
		if !paths[w.Path] {
			return config.Errorf(fmt.Sprintf("%s.split[%d].path", k, i), "no path named %q in relay.paths", w.Path)
		}
	}
	if err := r.checkWeights(k); err != nil {
		return err
	}
	if r.Fallback != "" && !paths[r.Fallback] {
		return config.Errorf(k+".fallback", "no path named %q in relay.paths", r.Fallback)
	}
	if _, err := parseWindows(r.Windows); err != nil {
		return config.Errorf(k+".windows", "%v", err)
	}
	if r.Timezone != "" {
		if _, err := time.LoadLocation(r.Timezone); err != nil {
			return config.Errorf(k+".timezone", "%q: want an IANA zone such as Europe/Paris", r.Timezone)
		}
	}
	for _, n := range []struct {
		key  string
		v    int
		zero string
	}{
		{"min_attempt", r.MinAttempt, "no lower bound"},
		{"max_attempt", r.MaxAttempt, "no upper bound"},
		{"fallback_after", r.FallbackAfter, "no fallback"},
	} {
		if n.v < 0 {
			return config.Errorf(k+"."+n.key, "%d: attempt numbers must not be negative (they count from 1; 0 or left out: %s)", n.v, n.zero)
		}
	}
	if r.MinAttempt > 0 && r.MaxAttempt > 0 && r.MinAttempt > r.MaxAttempt {
		return config.Errorf(k+".max_attempt", "%d is below min_attempt %d: no attempt number is both, so the route would never match; swap them, or remove one", r.MaxAttempt, r.MinAttempt)
	}
	switch {
	case r.Fallback != "" && r.FallbackAfter == 0:
		return config.Errorf(k+".fallback", "%q without fallback_after: the fallback path replaces the route's paths after fallback_after failed attempts, so without it the fallback is never used; add fallback_after (3, say), or remove fallback", r.Fallback)
	case r.Fallback == "" && r.FallbackAfter > 0:
		return config.Errorf(k+".fallback_after", "%d without fallback: fallback_after says after how many failed attempts the fallback path takes over, and no fallback path is named; add fallback: PATH, or remove fallback_after", r.FallbackAfter)
	}
	for _, list := range []struct {
		key      string
		patterns []string
	}{{"recipients", r.Recipients}, {"senders", r.Senders}} {
		for i, p := range list.patterns {
			if p == "" || strings.ContainsAny(p, " @") {
				return config.Errorf(fmt.Sprintf("%s.%s[%d]", k, list.key, i), "%q is not a domain pattern (example.com, *.example.com or *)", p)
			}
		}
	}
	return nil
}

// narrowedBy returns the key of the route's first filter that could fail
// to match (recipients, senders or an attempt bound), or "" when the route
// takes every recipient at every attempt ("*" matches everything, and
// min_attempt 1 is every attempt).
func (r *RouteConfig) narrowedBy() string {
	all := func(patterns []string) bool {
		return len(patterns) == 0 || slices.Contains(patterns, "*")
	}
	switch {
	case !all(r.Recipients):
		return "recipients"
	case !all(r.Senders):
		return "senders"
	case r.MinAttempt > 1:
		return "min_attempt"
	case r.MaxAttempt > 0:
		return "max_attempt"
	}
	return ""
}

// checkRouteOrder checks that routes (whose key is k, "relay.routes")
// reach every recipient: routes are tried in order and the first that
// matches wins, so a route after one that matches everything is never
// used, and the last route must match everything, as a recipient no
// route matches would have nowhere to go. (The relay once sent such a
// recipient over the last route whatever its filters, so that mail for
// anyone left by a route meant for corp.test alone.)
func checkRouteOrder(routes []RouteConfig, k string) error {
	for i := range routes {
		r := &routes[i]
		narrow := r.narrowedBy()
		if i < len(routes)-1 && narrow == "" {
			return config.Errorf(fmt.Sprintf("%s[%d]", k, i+1), "route %q is never used: route %q before it (routes[%d]) matches every recipient, and the first route that matches wins; move it before %q, or remove it", routes[i+1].Name, r.Name, i, r.Name)
		}
		for j := range i {
			if by := routes[j].covers(r); by != "" {
				return config.Errorf(fmt.Sprintf("%s[%d]", k, i), "route %q is never used: route %q before it (routes[%d]) matches every recipient it would (%s), and the first route that matches wins; move it before %q, narrow %q, or remove it", r.Name, routes[j].Name, j, by, routes[j].Name, routes[j].Name)
			}
		}
		if i == len(routes)-1 && narrow != "" {
			return config.Errorf(fmt.Sprintf("%s[%d].%s", k, i, narrow), "route %q is the last route but has %s, so some recipients would match no route: the last route must take every recipient the routes before it leave; add a last route without recipients, senders or attempt bounds, such as {name: default, paths: [...]} over the paths that carry everything else, or remove %s from this one", r.Name, narrow, narrow)
		}
	}
	return nil
}

// covers says how route r matches every recipient, sender and attempt
// that route o does, so that o, after it, is never used; "" when it does
// not. A route's windows and paths do not enter: the first route that
// matches holds its recipients outside its windows too.
func (r *RouteConfig) covers(o *RouteConfig) string {
	if !patternsCover(r.Recipients, o.Recipients) || !patternsCover(r.Senders, o.Senders) {
		return ""
	}
	lo := func(n int) int { return max(n, 1) }
	hi := func(n int) int {
		if n == 0 {
			return int(^uint(0) >> 1)
		}
		return n
	}
	if lo(r.MinAttempt) > lo(o.MinAttempt) || hi(r.MaxAttempt) < hi(o.MaxAttempt) {
		return ""
	}
	var what []string
	if len(o.Recipients) > 0 {
		what = append(what, fmt.Sprintf("recipients %v within %v", o.Recipients, orAll(r.Recipients)))
	}
	if len(o.Senders) > 0 {
		what = append(what, fmt.Sprintf("senders %v within %v", o.Senders, orAll(r.Senders)))
	}
	if o.MinAttempt > 0 || o.MaxAttempt > 0 {
		what = append(what, "attempts within its own")
	}
	if len(what) == 0 {
		return "every recipient"
	}
	return strings.Join(what, ", ")
}

// orAll is patterns, or ["*"] for none (which matches everything).
func orAll(patterns []string) []string {
	if len(patterns) == 0 {
		return []string{"*"}
	}
	return patterns
}

// patternsCover reports whether the domain patterns outer match every
// domain that inner match (no patterns match everything).
func patternsCover(outer, inner []string) bool {
	if len(outer) == 0 || slices.Contains(outer, "*") {
		return true
	}
	if len(inner) == 0 || slices.Contains(inner, "*") {
		return false
	}
	for _, p := range inner {
		if !slices.ContainsFunc(outer, func(q string) bool { return patternCovers(q, p) }) {
			return false
		}
	}
	return true
}

// patternCovers reports whether domain pattern q matches every domain
// that p does, as matchDomains reads them.
func patternCovers(q, p string) bool {
	q, p = normPattern(q), normPattern(p)
	if q == p {
		return true
	}
	base, ok := strings.CutPrefix(q, "*.")
	if !ok {
		return false
	}
	p = strings.TrimPrefix(p, "*.")
	return p == base || strings.HasSuffix(p, "."+base)
}

func (r Rule) validate(k string) error {
	if r.Text != "" {
		if _, err := regexp.Compile("(?i)" + r.Text); err != nil {
			return config.Errorf(k+".text", "bad pattern: %v", err)
		}
	}
	switch r.Disposition {
	case Retry, Bounce, Suppress, Reroute:
	default:
		return config.Errorf(k+".disposition", "%q: want retry, bounce, suppress or reroute", r.Disposition)
	}
	if r.Category == "" {
		return config.Errorf(k+".category", "every rule needs a category")
	}
	// A stage, code or enhanced prefix that no reply can have would make
	// the rule match nothing, silently.
	for _, st := range strings.Split(r.Stage, "|") {
		st = strings.TrimSpace(st)
		if r.Stage == "" || slices.Contains(ruleStages, st) {
			continue
		}
		hint := "want one of " + strings.Join(ruleStages, ", ") + ", several joined by |"
		switch {
		case st == "data-end" || st == "end-of-data":
			hint = "the relay calls the reply to the final dot stage dot (data-end is the sink's name for it)"
		case slices.Contains(ruleStages, strings.ToLower(st)):
			hint = "stages are written in lower case: " + strings.ToLower(st)
		}
		return config.Errorf(k+".stage", "%q is not a stage of the relay: %s", st, hint)
	}
	if r.Code != "" && !ruleCode.MatchString(r.Code) {
		return config.Errorf(k+".code", "%q: want the first one to three digits of a reply code (\"5\" for every 5xx, \"55\", \"550\"), or \"0\" for a failure without a reply", r.Code)
	}
	if r.Enhanced != "" && r.Enhanced != "none" && !ruleEnhanced.MatchString(r.Enhanced) {
		return config.Errorf(k+".enhanced", "%q: want the start of an enhanced status code (RFC 3463), such as \"5.7.\" or \"4.2.2\", or none for a reply without one", r.Enhanced)
	}
	return nil
}

// ruleStages are the stages a reply or failure of the relay can have.
var ruleStages = []string{"connect", "dns", "greeting", "ehlo", "starttls", "tls", "auth", "mail", "rcpt", "data", "dot", "rset", "async", "shaping"}

var (
	ruleCode     = regexp.MustCompile(`^(0|[2-5][0-9]{0,2})$`)
	ruleEnhanced = regexp.MustCompile(`^[245](\.([0-9]{1,3}(\.([0-9]{1,3})?)?)?)?$`)
)

// resolverAddr checks a relay.resolvers entry: the IP address and port of
// a DNS server, an IPv6 address in brackets. A host name is refused, as
// dialling it would ask the system's resolvers, which relay.resolvers
// replaces; a bare IP address is refused with the entry to write, rather
// than given port 53 unseen.
func resolverAddr(s string) error {
	const want = "want IP:PORT of a DNS server, like 127.0.0.1:53 (IPv6 in brackets: [::1]:53)"
	ap, err := netip.ParseAddrPort(s)
	if err == nil {
		if ap.Port() == 0 {
			return fmt.Errorf("%q: port 0: %s", s, want)
		}
		return nil
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		if a.Is6() && !strings.HasPrefix(s, "[") && strings.Count(s, ":") > 2 {
			// "::1:53" is itself an IPv6 address: the port is not apart.
			return fmt.Errorf("%q is an IPv6 address without a port, or one whose port is not apart: write the address in brackets, as [::1]:53 (IPv6 in brackets, RFC 3986 3.2.2)", s)
		}
		return fmt.Errorf("%q has no port: write %s", s, netip.AddrPortFrom(a, 53))
	}
	if host, port, err := net.SplitHostPort(s); err == nil && host != "" && port != "" {
		if a, err := netip.ParseAddr(host); err == nil {
			// An address with a port that is no port number.
			if n, err := strconv.Atoi(port); err == nil && n > 65535 {
				return fmt.Errorf("%q: port %d is out of range (a port is 1 to 65535): %s", s, n, want)
			}
			return fmt.Errorf("%q: port %q is not a number from 1 to 65535: write %s", s, port, netip.AddrPortFrom(a, 53))
		}
		return fmt.Errorf("%q names a host, and a name would itself be looked up through the system's resolvers: %s", s, want)
	}
	return fmt.Errorf("%q: %s", s, want)
}

// hostNameFault explains why s cannot be a host name in EHLO (RFC 5321
// 4.1.2: Domain, sub-domains of letters, digits and hyphens, or an
// address literal), or returns "".
func hostNameFault(s string) string {
	if strings.HasPrefix(s, "[") {
		if f := mailaddr.LiteralFault("x@" + s); f != "" {
			return f
		}
		if !strings.HasSuffix(s, "]") {
			return "an address literal ends in ]"
		}
		return ""
	}
	d := strings.TrimSuffix(s, ".")
	switch {
	case d == "":
		return "empty"
	case len(d) > 253:
		return "longer than a domain name can be (253 octets)"
	}
	for _, l := range strings.Split(d, ".") {
		switch {
		case l == "":
			return "an empty label (two dots in a row, or a leading dot)"
		case len(l) > 63:
			return fmt.Sprintf("the label %.20q... is over 63 octets", l)
		case l[0] == '-' || l[len(l)-1] == '-':
			return fmt.Sprintf("the label %q starts or ends with a hyphen", l)
		}
		for i := 0; i < len(l); i++ {
			if b := l[i]; !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-') {
				if b >= 0x80 {
					return "not in A-labels (write an IDN as xn--..., RFC 5891)"
				}
				return fmt.Sprintf("%q is not a letter, digit or hyphen, all a host name may hold", rune(b))
			}
		}
	}
	return ""
}

// bounceAddressFault explains why s cannot be the mailbox DSNs come back
// to, or returns "".
func bounceAddressFault(s string) string {
	at := strings.LastIndexByte(s, '@')
	switch {
	case strings.ContainsAny(s, "<>"):
		return "angle brackets belong to SMTP's path, not to the address"
	case at < 0:
		return "no @: a mailbox is local-part@domain"
	case at == 0:
		return "no local part before the @"
	case strings.IndexFunc(s, unicode.IsSpace) >= 0:
		return "a space is not allowed in an address"
	}
	if f := mailaddr.Fault(s); f != "" {
		return f
	}
	if f := hostNameFault(s[at+1:]); f != "" {
		return "its domain: " + f
	}
	return ""
}

// localNetworks are the networks from which no stranger on the internet
// reaches the relay: private (RFC 1918), shared address space (RFC
// 6598), loopback and link-local, and IPv6's loopback, unique local (RFC
// 4193) and link-local addresses.
var localNetworks = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("fc00::/7"), netip.MustParsePrefix("fe80::/10"),
}

// publicSize is the number of addresses of network p outside
// localNetworks. Two networks in CIDR either nest or do not meet, and
// localNetworks do not meet each other, so each local network is all of
// p, a part of it to take away, or none of it.
func publicSize(p netip.Prefix) *big.Int {
	p = p.Masked()
	n := prefixSize(p)
	for _, l := range localNetworks {
		switch {
		case l.Addr().BitLen() != p.Addr().BitLen() || !l.Overlaps(p):
		case l.Bits() <= p.Bits():
			return new(big.Int) // p is local
		default:
			n.Sub(n, prefixSize(l))
		}
	}
	return n
}

// prefixSize is the number of addresses of p.
func prefixSize(p netip.Prefix) *big.Int {
	return new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-p.Bits()))
}

// openNetworks adds up the addresses of allowed_networks beyond
// localNetworks, each counted once however the entries nest, against the
// widest single network Validate takes: a /8 of IPv4, a /16 of IPv6.
type openNetworks struct {
	nets []netip.Prefix // none inside another
}

// add adds p and says how wide the open networks of p's family are in
// all, when that is wider than the widest one network taken; "" while it
// is not.
func (o *openNetworks) add(p netip.Prefix) string {
	p = p.Masked()
	for _, q := range o.nets {
		if q.Bits() <= p.Bits() && q.Overlaps(p) {
			return "" // inside one listed before
		}
	}
	o.nets = slices.DeleteFunc(o.nets, func(q netip.Prefix) bool { return p.Overlaps(q) })
	o.nets = append(o.nets, p)
	widest := 16
	if p.Addr().Is4() {
		widest = 8
	}
	total := new(big.Int)
	for _, q := range o.nets {
		if q.Addr().Is4() == p.Addr().Is4() {
			total.Add(total, publicSize(q))
		}
	}
	limit := prefixSize(netip.PrefixFrom(p.Addr(), widest))
	if total.Cmp(limit) <= 0 {
		return ""
	}
	ratio, _ := new(big.Rat).SetFrac(total, limit).Float64()
	times := fmt.Sprintf("%.3g", ratio)
	switch {
	case p.Addr().Is6() && times == "1":
		return fmt.Sprintf("more addresses than one /%d network", widest)
	case p.Addr().Is6():
		return fmt.Sprintf("as many addresses as %s /%d networks", times, widest)
	case times == "1":
		return fmt.Sprintf("%s addresses, more than one /%d network", total, widest)
	}
	return fmt.Sprintf("%s addresses, as many as %s /%d networks", total, times, widest)
}

// networkWarnings are the entries of allowed_networks that reach beyond
// localNetworks, each a *config.FieldError at its key under prefix: every
// address in them may send through the relay without AUTH, which makes
// an open relay of any that is not the operator's. A warning, not an
// error: a server of one's own may have a public address.
func (c *Config) networkWarnings(prefix string) []error {
	var out []error
	for i, n := range c.AllowedNetworks {
		p, err := netip.ParsePrefix(n)
		if err != nil || publicSize(p).Sign() == 0 {
			continue // refused by Validate, or local
		}
		k := fmt.Sprintf("allowed_networks[%d]", i)
		if prefix != "" {
			k = prefix + "." + k
		}
		out = append(out, config.Errorf(k, "%q is not a private, loopback or link-local network (RFC 1918 10/8, 172.16/12, 192.168/16; RFC 6598 100.64/10; 127/8, 169.254/16; ::1, fc00::/7, fe80::/10): every address in it may send through the relay without AUTH, so unless each is a sender of yours the relay is an open relay. List only your own senders' addresses, and give other senders a user in relay.users to send with AUTH", n))
	}
	return out
}
