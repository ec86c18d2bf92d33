package sink

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/mailaddr"
)

// Config is the `sink:` section of the configuration file.
type Config struct {
	Listeners []ListenerConfig `yaml:"listeners"`
	// Rules are tried in order at every stage; the first match wins. With
	// none matching, the sink accepts (a last rule with only a stage acts as
	// the default for that stage).
	Rules []Rule `yaml:"rules"`
	// Directives turns on directives in recipient addresses (default true).
	Directives *bool `yaml:"directives"`
	// Profiles maps recipient domains (globs) to a provider profile name
	// ("gmail", "yahoo", "microsoft" or one from ProfileFiles).
	Profiles map[string]string `yaml:"profiles"`
	// ProfileFiles are extra catalogues in the format of profiles.yaml.
	ProfileFiles []string `yaml:"profile_files"`
	// Bounce is where asynchronous bounces (DSNs) are sent.
	Bounce BounceConfig `yaml:"bounce"`
	// Verify checks SPF, DKIM and DMARC of received messages (off by
	// default); the wiring passes a Verifier in Options when it is on.
	Verify VerifyConfig `yaml:"verify"`
}

// BounceConfig says where and how asynchronous bounces go.
type BounceConfig struct {
	// Relay is host:port of the SMTP server that gets DSNs for the envelope
	// sender (default 127.0.0.1:2587, relaylab's relay).
	Relay string `yaml:"relay"`
	// ReportingMTA names the sink in DSNs (default: the listener hostname).
	ReportingMTA string `yaml:"reporting_mta"`
	// Delivered sends a "delivered" DSN (RFC 3464 2.3.3) for each accepted
	// recipient whose RCPT had NOTIFY=SUCCESS (RFC 3461 4.1). Off by
	// default: the sink then only notes in the transcript that none is sent.
	Delivered bool `yaml:"delivered"`
}

// ListenerConfig is one virtual MX host.
type ListenerConfig struct {
	Name   string `yaml:"name"`
	Listen string `yaml:"listen"` // host:port
	// Hostname is the name in the greeting, the EHLO reply and DSNs. A
	// listener in a file without one is called DefaultHostname(Name).
	Hostname string `yaml:"hostname"`
	// TLS is "starttls" (default), "implicit" (TLS from the first byte,
	// as on port 465) or "none".
	TLS      string     `yaml:"tls"`
	CertFile string     `yaml:"cert_file"` // PEM; a self-signed certificate is made when empty
	KeyFile  string     `yaml:"key_file"`
	Auth     AuthConfig `yaml:"auth"`
	Limits   Limits     `yaml:"limits"`
	// Hide lists EHLO extensions not to advertise (hideable; any case):
	// PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES, CHUNKING, STARTTLS, AUTH,
	// SMTPUTF8, DSN, SIZE, LIMITS; another name is refused.
	// A hidden extension is not offered at all: STARTTLS and AUTH get
	// 502, and the parameters of DSN, 8BITMIME (BODY=), SIZE and SMTPUTF8
	// get 555. Only BDAT is still taken under a hidden CHUNKING.
	Hide []string `yaml:"hide"`
	// Greeting is the text after the hostname in the 220 greeting.
	Greeting string `yaml:"greeting"`
	// Pregreet, when set, refuses a client that speaks before the
	// greeting (postscreen's pregreet test); nil (the default) only notes
	// one, and only when a connect rule holds the greeting back.
	Pregreet *PregreetConfig `yaml:"pregreet"`
}

// AuthConfig is SMTP AUTH (RFC 4954) with PLAIN and LOGIN.
type AuthConfig struct {
	Mode  string            `yaml:"mode"`  // off (default), optional, required
	Users map[string]string `yaml:"users"` // user -> password
	// RequireTLS refuses AUTH before TLS with 538 5.7.11 (RFC 4954 4:
	// PLAIN and LOGIN send the password in the clear).
	RequireTLS bool `yaml:"require_tls"`
	// AcceptAny takes any user name and password (Mailpit's
	// --smtp-auth-accept-any), for applications that must log in with
	// credentials of their own; the user is recorded as any other.
	AcceptAny bool `yaml:"accept_any"`
}

// Limits bound what one listener accepts.
type Limits struct {
	// Each limit that a listener in the file leaves out takes
	// DefaultListener's value; one written as 0 means no limit.
	MaxConnections int `yaml:"max_connections"` // beyond: 421 4.7.0 at connect
	// MaxConnectionsPerClient bounds the connections open at once from
	// one client address (default 0: none, so that load tests from one
	// address are not refused); beyond: 421 4.7.0 at connect.
	MaxConnectionsPerClient int             `yaml:"max_connections_per_client"`
	MaxMessageBytes         int64           `yaml:"max_message_bytes"` // SIZE; beyond: 552 5.3.4
	MaxRecipients           int             `yaml:"max_recipients"`    // per message; beyond: 452 4.5.3
	MaxLineLength           int             `yaml:"max_line_length"`   // beyond: 500 5.4.0 and close
	IdleTimeout             config.Duration `yaml:"idle_timeout"`      // RFC 5321 4.5.3.2: at least 5m
	// MaxRefusedRecipients bounds the RCPTs a session may have refused
	// (a 4xx or 5xx for any reason: over max_recipients, a rule, a
	// directive, a profile, the greylist, a bad address) since the last
	// message it got accepted; one more gets its reply, then 421 4.7.0,
	// and the connection closes. As Postfix's
	// smtpd_recipient_overshoot_limit (1000) and smtpd_hard_error_limit:
	// without it a client could send RCPTs without end, each one an
	// attempt the sink records.
	MaxRefusedRecipients int `yaml:"max_refused_recipients"`
	// MinDataRate is the rate, in octets a second, at which a message
	// (DATA, or a BDAT chunk) must come once an idle_timeout has passed
	// since its first read: the message gets idle_timeout plus one second
	// for each MinDataRate octets of it, so that a client sending an octet
	// now and then, each within the idle timeout, cannot hold a session
	// for ever; beyond: 421 4.4.2 and close. As Postfix's
	// smtpd_min_data_rate (500). Only with an idle_timeout.
	MinDataRate int       `yaml:"min_data_rate"`
	Rate        RateLimit `yaml:"rate"`
}

// RateLimit is a token bucket per client IP, one token per MAIL FROM.
type RateLimit struct {
	PerSecond float64 `yaml:"per_second"` // 0: no limit
	Burst     int     `yaml:"burst"`
	Reply     string  `yaml:"reply"` // default "451 4.7.1 ..."; a 421 also closes
}

// DefaultConfig is one listener "mx" on 127.0.0.1:2525.
func DefaultConfig() Config {
	on := true
	return Config{
		Listeners:  []ListenerConfig{DefaultListener("mx", "127.0.0.1:2525", "sink.relaylab.test")},
		Directives: &on,
		Bounce:     BounceConfig{Relay: "127.0.0.1:2587"},
		Verify:     VerifyConfig{Timeout: config.Duration(5 * time.Second)},
	}
}

// DefaultListener is a listener with sensible limits, STARTTLS on and
// AUTH off.
func DefaultListener(name, addr, hostname string) ListenerConfig {
	return ListenerConfig{
		Name: name, Listen: addr, Hostname: hostname, TLS: "starttls",
		Auth: AuthConfig{Mode: "off"},
		Limits: Limits{
			MaxConnections:  2000,
			MaxMessageBytes: 25 << 20,
			MaxRecipients:   100,
			MaxLineLength:   2000, // RFC 5321 4.5.3.1.6 says 1000; leave room
			IdleTimeout:     config.Duration(5 * time.Minute),
			// Postfix's smtpd_recipient_overshoot_limit: ten transactions
			// of max_recipients refused, or one of 100 taken and 1000 more
			// refused; a test of 50 refused recipients is far from it.
			MaxRefusedRecipients: 1000,
			MinDataRate:          500, // Postfix's smtpd_min_data_rate
		},
	}
}

// freeName is name with the first number from 2 that no listener's
// name has ("mx2"), for an error that asks for names of their own.
func freeName(name string, listeners []ListenerConfig) string {
	for n := 2; ; n++ {
		cand := name + strconv.Itoa(n)
		if !slices.ContainsFunc(listeners, func(l ListenerConfig) bool { return l.Name == cand }) {
			return cand
		}
	}
}

// DefaultHostname is the hostname of a listener named name that has none
// in the file: a name of its own under the default listener's
// sink.relaylab.test, so that several virtual MX hosts stay apart in
// greetings, transcripts and DSNs (relaylab sink --listen names the
// listeners it adds so too).
func DefaultHostname(name string) string { return name + ".sink.relaylab.test" }

// UnmarshalYAML starts a listener from DefaultListener's values, so that
// what the file leaves out (limits, tls, auth mode) keeps the defaults
// rather than zero (which would mean no idle timeout and no limits), and
// names a listener without a hostname after itself (DefaultHostname). The
// decoder is the caller's, so strict mode still reports unknown keys with
// their lines.
func (l *ListenerConfig) UnmarshalYAML(decode func(any) error) error {
	type plain ListenerConfig // without this method, so no recursion
	v := plain(DefaultListener("", "", ""))
	if err := decode(&v); err != nil {
		return err
	}
	if v.Hostname == "" && v.Name != "" {
		// A bad name is Validate's error, which names its key.
		v.Hostname = DefaultHostname(v.Name)
	}
	*l = ListenerConfig(v)
	return nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// Files returns the file names the configuration gives (each listener's
// certificate and key, the profile catalogues), for a caller that takes
// the relative ones from a directory; empty ones too.
func (c *Config) Files() []*string {
	var out []*string
	for i := range c.Listeners {
		out = append(out, &c.Listeners[i].CertFile, &c.Listeners[i].KeyFile)
	}
	for i := range c.ProfileFiles {
		out = append(out, &c.ProfileFiles[i])
	}
	return out
}

// Warnings are what the sink takes all the same in c, a valid
// configuration, each at its key under prefix ("sink"): a listener's
// limits.idle_timeout below the 5 minutes a client may wait between
// commands (which Start logs too), and a rule of sink.rules or of a
// profile file that never applies, as a rule before it answers
// everything it matches (ShadowedRules). relaylab config says them
// before a start does.
func (c *Config) Warnings(prefix string) []error {
	key := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	var out []error
	for i, l := range c.Listeners {
		if w := idleTimeoutWarning(l.Limits.IdleTimeout.D()); w != "" {
			out = append(out, config.Errorf(key(fmt.Sprintf("listeners[%d].limits.idle_timeout", i)), "%s", w))
		}
	}
	return append(out, c.ruleWarnings(key)...)
}

// ruleWarnings are Warnings' about rules: those of sink.rules and of the
// profile files that never apply, and a profile file's domain that takes
// a built-in profile's over whole; Start and Reload log them.
func (c *Config) ruleWarnings(key func(string) string) []error {
	out := ShadowedRules(key("rules"), c.Rules, false)
	for i, f := range c.ProfileFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // Validate says so
		}
		cat, err := ParseCatalogue(f, data)
		if err != nil {
			continue
		}
		for j, p := range cat.Profiles {
			ws := ShadowedRules(fmt.Sprintf("profiles[%d].rules", j), p.Rules, true)
			ws = append(ws, takenOver(j, p)...)
			for _, w := range ws {
				// The file's own line and key, after the key that names
				// it, as Validate's errors in a profile file.
				out = append(out, config.Errorf(key(fmt.Sprintf("profile_files[%d]", i)), "%v", config.Locate(f, data, w)))
			}
		}
	}
	return out
}

// takenOver says of each domain profile p (the i-th of a profile file)
// lists that a built-in profile lists too that p takes it over whole:
// there only p's rules answer, none of the built-in's, which a person
// who meant to add a reply to the built-in's does not expect.
func takenOver(i int, p ProfileConfig) []error {
	builtin, err := builtinCatalogue()
	if err != nil {
		return nil
	}
	var out []error
	for j, d := range p.Domains {
		for _, b := range builtin.Profiles {
			if !slices.ContainsFunc(b.Domains, func(bd string) bool { return domainID(bd) == domainID(d) }) {
				continue
			}
			out = append(out, config.Errorf(fmt.Sprintf("profiles[%d].domains[%d]", i, j),
				"profile %q takes %s over from the built-in profile %s: there only its own rules answer (%s), none of %s's %d; "+
					"to add a reply to %s's instead, write it in sink.rules on that domain (rules come before profiles), and leave the domain out of this profile",
				p.Name, d, b.Name, rulesCount(len(p.Rules)), b.Name, len(b.Rules), b.Name))
		}
	}
	return out
}

// rulesCount is "1 rule" or "N rules".
func rulesCount(n int) string {
	if n == 1 {
		return "1 rule"
	}
	return strconv.Itoa(n) + " rules"
}

// idleTimeoutWarning is the warning about an idle timeout of d, "" when
// it is none or long enough. Short ones are taken (tests use them), but
// said: a real client may wait that long between commands.
func idleTimeoutWarning(d time.Duration) string {
	if d <= 0 || d >= 5*time.Minute {
		return ""
	}
	return "sink: limits.idle_timeout is below the 5 minutes RFC 5321 4.5.3.2.7 asks a server to wait for a command; clients that pause longer are cut off"
}

// Validate checks c; prefix is its key path ("sink").
func (c *Config) Validate(prefix string) error {
	key := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	if len(c.Listeners) == 0 {
		return config.Errorf(key("listeners"), "the sink needs at least one listener")
	}
	names := map[string]int{} // the index of the listener with each
	for i := range c.Listeners {
		l := &c.Listeners[i]
		k := key(fmt.Sprintf("listeners[%d]", i))
		if l.Name == "" {
			// The error names the key: at the listener's own line when the
			// key is absent.
			return config.Errorf(k+".name", "every listener needs a name (rules, profiles and the web UI refer to it; the default listener is mx): add name: mx, or mx2 beside another")
		}
		if !nameRE.MatchString(l.Name) {
			return config.Errorf(k+".name", "%q: want a short name of letters, digits, '.', '_' or '-'", l.Name)
		}
		if first, ok := names[l.Name]; ok {
			firstKey := key(fmt.Sprintf("listeners[%d]", first))
			return config.ErrorfAlso(k+".name", firstKey, "listener %q is defined twice (%s has the name too): rules, events and the web UI name a listener by it, and two of one name cannot be told apart; give each listener its own name, such as %s",
				l.Name, firstKey, freeName(l.Name, c.Listeners))
		}
		names[l.Name] = i
		if err := config.ListenAddr(l.Listen); err != nil {
			return config.Errorf(k+".listen", "%v (for example 127.0.0.1:2525, or 127.0.0.1:0 for any free port)", err)
		}
		if l.Hostname == "" {
			return config.Errorf(k+".hostname", "a listener needs a hostname for its greeting (in a file, one left out is %s)", DefaultHostname(l.Name))
		}
		// Both go into replies as they are: a CR or LF would start a reply
		// of its own, a space would end the domain of the greeting
		// (RFC 5321 4.2: 220 SP domain).
		if i := strings.IndexFunc(l.Hostname, func(r rune) bool { return r <= ' ' || r == 0x7f }); i >= 0 {
			return config.Errorf(k+".hostname", "%q: a domain or address literal has no space or control character (octet %d)", l.Hostname, i+1)
		}
		if err := checkHostname(k+".hostname", l.Hostname); err != nil {
			return err
		}
		if i := mailaddr.ControlAt(l.Greeting); i >= 0 {
			return config.Errorf(k+".greeting", "%q: control character 0x%02x at octet %d; the greeting is one line of text", l.Greeting, l.Greeting[i], i+1)
		}
		if err := checkTLSMode(k+".tls", l.TLS); err != nil {
			return err
		}
		if err := checkGreeting(k+".greeting", l.Greeting); err != nil {
			return err
		}
		if err := checkPregreet(k+".pregreet", l); err != nil {
			return err
		}
		if err := checkHide(k+".hide", l.Hide); err != nil {
			return err
		}
		if (l.CertFile == "") != (l.KeyFile == "") {
			return config.Errorf(k+".cert_file", "give both cert_file and key_file, or neither for a self-signed certificate")
		}
		if l.CertFile != "" && l.TLS != "none" {
			// Read here, not only when the sink starts, so that a bad file
			// is named with the configuration file's line.
			if _, err := loadCertFiles(k, l); err != nil {
				return err
			}
		}
		switch l.Auth.Mode {
		case "", "off", "optional", "required":
		default:
			return config.Errorf(k+".auth.mode", "%q: want off, optional or required", l.Auth.Mode)
		}
		if l.Auth.RequireTLS && l.TLS == "none" {
			return config.Errorf(k+".auth.require_tls", "the listener has tls: none, so no AUTH could ever be taken; give it tls: starttls or implicit")
		}
		if l.Auth.RequireTLS && (l.Auth.Mode == "" || l.Auth.Mode == "off") {
			return config.Errorf(k+".auth.require_tls", "auth.mode is off, so there is no AUTH to require TLS for; set mode: optional or required")
		}
		if err := checkAuthUsers(k, l.Auth); err != nil {
			return err
		}
		if err := checkHideAuth(k, l); err != nil {
			return err
		}
		lim := l.Limits
		for _, n := range []struct {
			key string
			v   int64
		}{{"max_connections", int64(lim.MaxConnections)}, {"max_connections_per_client", int64(lim.MaxConnectionsPerClient)}, {"max_message_bytes", lim.MaxMessageBytes}, {"max_recipients", int64(lim.MaxRecipients)}, {"max_line_length", int64(lim.MaxLineLength)}, {"max_refused_recipients", int64(lim.MaxRefusedRecipients)}, {"min_data_rate", int64(lim.MinDataRate)}} {
			if n.v < 0 {
				return config.Errorf(k+".limits."+n.key, "%d: must not be negative (0 means no limit)", n.v)
			}
		}
		if pc, all := lim.MaxConnectionsPerClient, lim.MaxConnections; pc > 0 && all > 0 && pc > all {
			return config.Errorf(k+".limits.max_connections_per_client", "%d is above limits.max_connections (%d), which refuses the connection first: it would never apply; lower it, or raise max_connections", pc, all)
		}
		// go-smtp's ReadTimeout: 0 is none, and a negative one is a
		// deadline already past, so every read fails after the greeting.
		if lim.IdleTimeout < 0 {
			return config.Errorf(k+".limits.idle_timeout", "%s: must not be negative (0 means no idle timeout; RFC 5321 4.5.3.2 asks for at least 5m)", lim.IdleTimeout)
		}
		if lim.MaxLineLength > 0 && lim.MaxLineLength < 512 {
			return config.Errorf(k+".limits.max_line_length", "%d is below the 512 octets RFC 5321 4.5.3.1.4 requires for a command line", lim.MaxLineLength)
		}
		if lim.Rate.PerSecond < 0 {
			return config.Errorf(k+".limits.rate.per_second", "%v: must not be negative (0 means no rate limit)", lim.Rate.PerSecond)
		}
		if lim.Rate.Burst < 0 {
			return config.Errorf(k+".limits.rate.burst", "%d: must not be negative (0 and 1 both let one MAIL through at once)", lim.Rate.Burst)
		}
		if lim.Rate.Reply != "" {
			r, err := parseRuleReply(lim.Rate.Reply)
			if err != nil {
				return config.Errorf(k+".limits.rate.reply", "%v", err)
			}
			if r.Code < 400 {
				return config.Errorf(k+".limits.rate.reply", "%q: want a 4xx or 5xx reply, such as \"451 4.7.1 slow down\" (a 421 also closes the connection); a 2xx or 3xx would let the MAIL through", lim.Rate.Reply)
			}
		}
	}
	if _, err := compileRules(key("rules"), c.Rules); err != nil {
		return err
	}
	for i, r := range c.Rules {
		if _, ok := names[r.Listener]; r.Listener != "" && !ok {
			return config.Errorf(key(fmt.Sprintf("rules[%d].listener", i)), "%s", unknownListener(r.Listener, c.Listeners, key("listeners")))
		}
	}
	if err := needVerify(prefix, c.Rules, c.Verify.Enabled); err != nil {
		return err
	}
	if err := sizeNeverMatches(prefix, c.Rules, c.Listeners); err != nil {
		return err
	}
	// Reading the profile files here, not only when the sink starts, gives
	// their errors the configuration file's line.
	if _, err := profilesChecked(prefix, *c); err != nil {
		return err
	}
	if err := c.Verify.Validate(key("verify")); err != nil {
		return err
	}
	if c.Bounce.Relay != "" {
		if err := config.DialAddr(c.Bounce.Relay); err != nil {
			return config.Errorf(key("bounce.relay"), "%v (for example 127.0.0.1:2587)", err)
		}
	}
	return nil
}

// needVerify refuses a rule on a DMARC, SPF or DKIM result when
// verification is off: without it there is no result to match, so the
// rule would be dead and a test relying on it would pass unseen. The
// configuration file and SetRules (the web UI's rules editor) both ask;
// prefix is the sink's key path ("sink").
func needVerify(prefix string, rules []Rule, verifyOn bool) error {
	if verifyOn {
		return nil
	}
	key := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	for i, r := range rules {
		for _, a := range []struct{ key, name, val string }{{"dmarc", "DMARC", r.DMARC}, {"spf", "SPF", r.SPF}, {"dkim", "DKIM", r.DKIM}} {
			if a.val != "" {
				return config.Errorf(key(fmt.Sprintf("rules[%d].%s", i, a.key)), "never matches: %s is checked only with %s: true", a.name, key("verify.enabled"))
			}
		}
	}
	return nil
}

// unknownListener says that no listener of ls is named name, which ones
// are, and what was likely meant; where is the key that defines them, or
// "" for the rules of a running sink, whose listeners --listen has added
// already.
func unknownListener(name string, ls []ListenerConfig, where string) string {
	var defined []string
	near := ""
	for _, l := range ls {
		defined = append(defined, strconv.Quote(l.Name))
		if strings.EqualFold(l.Name, name) {
			near = l.Name
		}
	}
	msg := fmt.Sprintf("no listener is named %q (defined: %s)", name, strings.Join(defined, ", "))
	if near != "" {
		msg += fmt.Sprintf("; names are case-sensitive: did you mean %q?", near)
	}
	if where != "" && addedName.MatchString(name) {
		msg += "; a listener that --listen adds (named mx2, mx3, ... by its place) comes after this file is checked, so a rule cannot name it: define it under " + where
	}
	return msg
}

// addedName is how relaylab sink --listen names the listeners it adds.
var addedName = regexp.MustCompile(`^mx[0-9]+$`)

// checkAuthUsers refuses an AUTH that no client could pass: offered (mode
// optional or required) with neither users nor accept_any, every AUTH gets
// 535; and accept_any where it means nothing.
func checkAuthUsers(k string, a AuthConfig) error {
	on := a.Mode == "optional" || a.Mode == "required"
	switch {
	case a.AcceptAny && !on:
		return config.Errorf(k+".auth.accept_any", "auth.mode is off, so no AUTH is offered to accept; set mode: optional or required")
	case a.AcceptAny && len(a.Users) > 0:
		return config.Errorf(k+".auth.accept_any", "accept_any takes any user and password, so the %d of auth.users would never be checked; remove accept_any to check them, or remove users", len(a.Users))
	case on && !a.AcceptAny && len(a.Users) == 0:
		never := "every AUTH would get 535"
		if a.Mode == "required" {
			never += ", and MAIL 530, so the listener could never take mail"
		} else {
			never += ", so a client that logs in could never send"
		}
		return config.Errorf(k+".auth.users", "auth is %s but no user is configured: %s; give users: {NAME: PASSWORD}, or accept_any: true to take any user and password, or set mode: off", a.Mode, never)
	}
	return nil
}
