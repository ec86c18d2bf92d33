package sink

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/relaylab/relaylab/internal/config"
)

// Rule is one entry of the sink's ordered rule list: conditions, and the
// behaviour to apply when all of them hold. The first matching rule wins.
type Rule struct {
	Name  string `yaml:"name,omitempty" json:"name,omitempty"`
	Stage string `yaml:"stage" json:"stage"` // one of the Stage values; "helo" and "dot" are accepted too
	// Patterns: a glob ("*@example.com", "user?@*") or a regexp between
	// slashes ("/^bob[0-9]+@/"). Globs ignore case.
	Recipient string `yaml:"recipient,omitempty" json:"recipient,omitempty"`
	Sender    string `yaml:"sender,omitempty" json:"sender,omitempty"`
	HELO      string `yaml:"helo,omitempty" json:"helo,omitempty"`
	Client    string `yaml:"client,omitempty" json:"client,omitempty"` // an address or a CIDR prefix
	Listener  string `yaml:"listener,omitempty" json:"listener,omitempty"`
	// Attempt is "2", "1-2" or "3-": the attempt number counted across
	// sessions per (sender, recipient), or per Message-ID when Per is
	// "message" (known only at data-end).
	Attempt string `yaml:"attempt,omitempty" json:"attempt,omitempty"`
	Per     string `yaml:"per,omitempty" json:"per,omitempty"` // "pair" (default) or "message"
	// Probability is the chance, above 0 and up to 1, that the rule
	// applies when it matches; absent means always. An explicit 0 is
	// refused: it would never apply (it used to mean always, as unset).
	Probability *float64 `yaml:"probability,omitempty" json:"probability,omitempty"`
	// DMARC matches the DMARC result of the message (stage data-end, with
	// sink.verify on): pass, fail, none, temperror or permerror; or
	// reject / quarantine for a failure whose policy asks for that. Big
	// receivers answer "550 5.7.26" to `dmarc: reject` (RFC 7489 6.3).
	DMARC string `yaml:"dmarc,omitempty" json:"dmarc,omitempty"`
	// SPF and DKIM match those results of the message the same way (stage
	// data-end, with sink.verify on); several results go with "|", as in
	// "fail|softfail". SPF: pass, fail, softfail, neutral, none, temperror
	// or permerror (RFC 7208 2.6). DKIM: pass (a signature passed), fail,
	// policy, neutral, none (no signature), temperror or permerror (RFC 8601
	// 2.7.1). Receivers answer an SPF failure with "550 5.7.23" and a
	// missing or failed signature with "550 5.7.20" (RFC 7372).
	SPF  string `yaml:"spf,omitempty" json:"spf,omitempty"`
	DKIM string `yaml:"dkim,omitempty" json:"dkim,omitempty"`

	Reply    string          `yaml:"reply,omitempty" json:"reply,omitempty"` // "451 4.7.1 try later"
	Delay    config.Duration `yaml:"delay,omitempty" json:"delay,omitempty"`
	Tarpit   config.Duration `yaml:"tarpit,omitempty" json:"tarpit,omitempty"` // time per byte of the reply
	Hang     bool            `yaml:"hang,omitempty" json:"hang,omitempty"`
	Drop     bool            `yaml:"drop,omitempty" json:"drop,omitempty"`
	Greylist *GreylistRule   `yaml:"greylist,omitempty" json:"greylist,omitempty"`
	Bounce   *BounceRule     `yaml:"bounce,omitempty" json:"bounce,omitempty"`
}

// GreylistRule configures greylisting in a rule (stage rcpt).
type GreylistRule struct {
	Delay  config.Duration `yaml:"delay,omitempty" json:"delay,omitempty"`   // minimum retry delay; default 5m
	Expiry config.Duration `yaml:"expiry,omitempty" json:"expiry,omitempty"` // default 4h
	Reply  string          `yaml:"reply,omitempty" json:"reply,omitempty"`
}

// BounceRule configures an asynchronous bounce in a rule (stage data-end).
type BounceRule struct {
	After config.Duration `yaml:"after,omitempty" json:"after,omitempty"` // default 1m
	Reply string          `yaml:"reply,omitempty" json:"reply,omitempty"` // the failure reported; default 550 5.1.1
}

// matcher is a compiled pattern; nil matches everything.
type matcher struct{ re *regexp.Regexp }

func compilePattern(p string) (*matcher, error) {
	if p == "" {
		return nil, nil
	}
	if len(p) >= 2 && p[0] == '/' && p[len(p)-1] == '/' {
		re, err := regexp.Compile(p[1 : len(p)-1])
		if err != nil {
			return nil, fmt.Errorf("bad regexp %s: %v", p, err)
		}
		return &matcher{re}, nil
	}
	var b strings.Builder
	b.WriteString("(?i)^")
	for _, r := range p {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return &matcher{regexp.MustCompile(b.String())}, nil
}

func (m *matcher) match(s string) bool { return m == nil || m.re.MatchString(s) }

// authCondition parses an spf: or dkim: condition, results separated by
// "|", each one of allowed; nil when value is empty.
func authCondition(key, value string, stage Stage, what string, allowed ...string) ([]string, error) {
	if strings.TrimSpace(value) == "" {
		return nil, nil
	}
	if stage != StageDataEnd {
		return nil, config.Errorf(key, "the %s result is known after the message: use stage data-end", what)
	}
	var out []string
	for _, v := range strings.Split(value, "|") {
		v = strings.ToLower(strings.TrimSpace(v))
		if !slices.Contains(allowed, v) {
			return nil, config.Errorf(key, "unknown %s result %q: want %s (several with |)", what, v, strings.Join(allowed, ", "))
		}
		out = append(out, v)
	}
	return out, nil
}

// rule is a Rule ready to be evaluated.
type rule struct {
	src                Rule
	stage              Stage
	rcpt, sender, helo *matcher
	client             netip.Prefix
	hasClient          bool
	attLo, attHi       int // 0: no condition; attHi -1: open-ended
	perMessage         bool
	dmarc              string   // lower case; "" no condition
	spf, dkim          []string // any of these results; nil no condition
	prob               float64
	behavior           Behavior
}

// input is what a rule is matched against.
type input struct {
	stage      Stage
	listener   string
	client     netip.Addr
	helo       string
	sender     string
	rcpt       string
	attempt    int         // per (sender, recipient)
	msgAttempt int         // per Message-ID; 0 before data-end
	auth       *AuthResult // data-end with verification on; nil otherwise
}

// matches reports whether every condition of r holds, except probability.
func (r *rule) matches(in *input) bool {
	if r.stage != in.stage {
		return false
	}
	if r.src.Listener != "" && r.src.Listener != in.listener {
		return false
	}
	if r.hasClient && !r.client.Contains(in.client.Unmap()) {
		return false
	}
	if !r.helo.match(in.helo) || !r.sender.match(in.sender) {
		return false
	}
	if r.rcpt != nil && (in.rcpt == "" || !r.rcpt.match(in.rcpt)) {
		return false
	}
	if r.dmarc != "" {
		switch {
		case in.auth == nil:
			return false
		case r.dmarc == "reject" || r.dmarc == "quarantine":
			if in.auth.DMARC != "fail" || in.auth.DMARCPolicy != r.dmarc {
				return false
			}
		case in.auth.DMARC != r.dmarc:
			return false
		}
	}
	if r.spf != nil && (in.auth == nil || !slices.Contains(r.spf, in.auth.SPF)) {
		return false
	}
	if r.dkim != nil && (in.auth == nil || !slices.Contains(r.dkim, in.auth.DKIM)) {
		return false
	}
	if r.attLo > 0 {
		n := in.attempt
		if r.perMessage {
			n = in.msgAttempt
		}
		if n < r.attLo || (r.attHi >= 0 && n > r.attHi) {
			return false
		}
	}
	return true
}

// parseAttempt reads "2", "1-2" or "3-".
func parseAttempt(s string) (lo, hi int, err error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("attempt %q: want a number (2), a range (1-3) or an open range (4-), counting from 1", s)
	a, b, isRange := strings.Cut(s, "-")
	lo, err = strconv.Atoi(strings.TrimSpace(a))
	if err != nil || lo < 1 {
		return 0, 0, bad
	}
	if !isRange {
		return lo, lo, nil
	}
	if strings.TrimSpace(b) == "" {
		return lo, -1, nil
	}
	hi, err = strconv.Atoi(strings.TrimSpace(b))
	if err != nil || hi < lo {
		return 0, 0, bad
	}
	return lo, hi, nil
}

// compile checks r and prepares it; key is its config path for errors.
func (r Rule) compile(key string) (*rule, error) {
	c := &rule{src: r, prob: 1}
	if r.Probability != nil {
		c.prob = *r.Probability
	}
	var ok bool
	if c.stage, ok = parseStage(r.Stage); !ok {
		return nil, config.Errorf(key+".stage", "unknown stage %q: want one of %s", r.Stage, stageList())
	}
	var err error
	for _, p := range []struct {
		name string
		pat  string
		dst  **matcher
	}{{"recipient", r.Recipient, &c.rcpt}, {"sender", r.Sender, &c.sender}, {"helo", r.HELO, &c.helo}} {
		if *p.dst, err = compilePattern(p.pat); err != nil {
			return nil, config.Errorf(key+"."+p.name, "%v", err)
		}
	}
	if r.Client != "" {
		c.hasClient = true
		if c.client, err = netip.ParsePrefix(r.Client); err != nil {
			a, aerr := netip.ParseAddr(r.Client)
			if aerr != nil {
				return nil, config.Errorf(key+".client", "%q is neither an address nor a CIDR prefix like 192.0.2.0/24", r.Client)
			}
			c.client = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		c.client = c.client.Masked()
		if c.client.Addr().Is4In6() {
			c.client = netip.PrefixFrom(c.client.Addr().Unmap(), c.client.Bits()-96)
		}
	}
	if r.Attempt != "" {
		if c.attLo, c.attHi, err = parseAttempt(r.Attempt); err != nil {
			return nil, config.Errorf(key+".attempt", "%v", err)
		}
	}
	switch r.Per {
	case "", "pair":
	case "message":
		c.perMessage = true
		if c.stage != StageDataEnd {
			return nil, config.Errorf(key+".per", "per: message counts attempts by Message-ID, which is known only at stage data-end")
		}
	default:
		return nil, config.Errorf(key+".per", "unknown %q: want pair (sender and recipient) or message (Message-ID)", r.Per)
	}
	if r.DMARC != "" {
		c.dmarc = strings.ToLower(strings.TrimSpace(r.DMARC))
		switch c.dmarc {
		case "pass", "fail", "none", "temperror", "permerror", "reject", "quarantine":
		default:
			return nil, config.Errorf(key+".dmarc", "unknown %q: want pass, fail, none, temperror, permerror, or reject or quarantine (a failure under that policy)", r.DMARC)
		}
		if c.stage != StageDataEnd {
			return nil, config.Errorf(key+".dmarc", "the DMARC result is known after the message: use stage data-end")
		}
	}
	if c.spf, err = authCondition(key+".spf", r.SPF, c.stage, "SPF", "pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"); err != nil {
		return nil, err
	}
	if c.dkim, err = authCondition(key+".dkim", r.DKIM, c.stage, "DKIM", "pass", "fail", "policy", "neutral", "none", "temperror", "permerror"); err != nil {
		return nil, err
	}
	switch p := c.prob; {
	case p == 0:
		return nil, config.Errorf(key+".probability", "0 would never apply: remove the rule (or leave probability out for always)")
	case p < 0 || p > 1 || p != p:
		return nil, config.Errorf(key+".probability", "%v is not a probability: want a number above 0 and up to 1 (leave it out for always)", p)
	}
	b := &c.behavior
	b.Rule = r.Name
	if b.Rule == "" {
		b.Rule = key
	}
	if r.Reply != "" {
		rep, err := ParseReply(r.Reply)
		if err != nil {
			return nil, config.Errorf(key+".reply", "%v", err)
		}
		b.Reply = &rep
	}
	if r.Delay < 0 {
		return nil, config.Errorf(key+".delay", "%s: must not be negative", r.Delay.D())
	}
	if r.Tarpit < 0 {
		return nil, config.Errorf(key+".tarpit", "%s: must not be negative", r.Tarpit.D())
	}
	b.Delay, b.Tarpit, b.Hang, b.Drop = r.Delay.D(), r.Tarpit.D(), r.Hang, r.Drop
	if r.Greylist != nil {
		if c.stage != StageRcpt {
			return nil, config.Errorf(key+".greylist", "greylisting works at stage rcpt, where the triple (client, sender, recipient) is known")
		}
		if r.Greylist.Delay < 0 {
			return nil, config.Errorf(key+".greylist.delay", "%s: must not be negative", r.Greylist.Delay.D())
		}
		if r.Greylist.Expiry < 0 {
			return nil, config.Errorf(key+".greylist.expiry", "%s: must not be negative", r.Greylist.Expiry.D())
		}
		g := &Greylist{MinDelay: r.Greylist.Delay.D(), Expiry: r.Greylist.Expiry.D(), Reply: defaultGreyReply()}
		if g.MinDelay == 0 {
			g.MinDelay = 5 * time.Minute
		}
		if g.Expiry == 0 {
			g.Expiry = 4 * time.Hour
		}
		if g.Expiry <= g.MinDelay {
			return nil, config.Errorf(key+".greylist.expiry", "expiry (%s) must be longer than the retry delay (%s)", g.Expiry, g.MinDelay)
		}
		if r.Greylist.Reply != "" {
			if g.Reply, err = ParseReply(r.Greylist.Reply); err != nil {
				return nil, config.Errorf(key+".greylist.reply", "%v", err)
			}
		}
		b.Greylist = g
	}
	if r.Bounce != nil {
		if c.stage != StageDataEnd {
			return nil, config.Errorf(key+".bounce", "an asynchronous bounce follows an accepted message: use stage data-end")
		}
		if r.Bounce.After < 0 {
			return nil, config.Errorf(key+".bounce.after", "%s: must not be negative", r.Bounce.After.D())
		}
		bo := &Bounce{After: r.Bounce.After.D(), Reply: defaultBounceReply()}
		if bo.After <= 0 {
			bo.After = time.Minute
		}
		if r.Bounce.Reply != "" {
			if bo.Reply, err = ParseReply(r.Bounce.Reply); err != nil {
				return nil, config.Errorf(key+".bounce.reply", "%v", err)
			}
			if bo.Reply.Code < 400 {
				return nil, config.Errorf(key+".bounce.reply", "a bounce reports a failure: want a 4xx or 5xx code")
			}
		}
		b.Bounce = bo
	}
	if b.isZero() {
		return nil, config.Errorf(key, "the rule does nothing: give it a reply, delay, tarpit, hang, drop, greylist or bounce")
	}
	return c, nil
}

func stageList() string {
	var s []string
	for _, st := range Stages() {
		s = append(s, string(st))
	}
	return strings.Join(s, ", ")
}

// compileRules compiles rs, naming errors from prefix ("sink.rules").
func compileRules(prefix string, rs []Rule) ([]*rule, error) {
	out := make([]*rule, 0, len(rs))
	for i, r := range rs {
		c, err := r.compile(fmt.Sprintf("%s[%d]", prefix, i))
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// ParseRules reads a YAML list of rules strictly and checks each.
func ParseRules(data []byte) (rs []Rule, err error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	if err := decodeYAML(data, &rs); err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	if _, err := compileRules("rules", rs); err != nil {
		var fe *config.FieldError
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, fmt.Errorf("rules: %w", err)
	}
	return rs, nil
}

// decodeYAML decodes strictly. The YAML library can panic on some
// malformed input (found by FuzzRules): that becomes an error.
func decodeYAML(data []byte, v any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed YAML (%v)", p)
		}
	}()
	return yaml.NewDecoder(bytes.NewReader(data), yaml.Strict()).Decode(v)
}
