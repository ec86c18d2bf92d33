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

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
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
	// Attempt is "2", "1-2", "3-" (or ">=3") or "<=2": the attempt number counted across
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
	// Header, Body and Size match the message itself (stage data-end),
	// as Postfix's header_checks and body_checks do: Header a pattern
	// tried on each header field, unfolded, as "Name: value"; Body one
	// tried on each line of the body as received (no MIME decoding); Size
	// a comparison of the message's size in octets, as ">1MB" or
	// "<=10KB" (content.go).
	Header string `yaml:"header,omitempty" json:"header,omitempty"`
	Body   string `yaml:"body,omitempty" json:"body,omitempty"`
	Size   string `yaml:"size,omitempty" json:"size,omitempty"`

	Reply    ReplyText       `yaml:"reply,omitempty" json:"reply,omitempty"` // "451 4.7.1 try later", or several lines
	Delay    config.Duration `yaml:"delay,omitempty" json:"delay,omitempty"`
	Tarpit   config.Duration `yaml:"tarpit,omitempty" json:"tarpit,omitempty"` // time per byte of the reply
	Hang     bool            `yaml:"hang,omitempty" json:"hang,omitempty"`
	Drop     bool            `yaml:"drop,omitempty" json:"drop,omitempty"`
	Greylist *GreylistRule   `yaml:"greylist,omitempty" json:"greylist,omitempty"`
	Bounce   *BounceRule     `yaml:"bounce,omitempty" json:"bounce,omitempty"`
}

// GreylistRule configures greylisting in a rule (stage rcpt). A
// duration left out (nil) is its default; one written out is taken as it
// is, 0 included (WithDefaults, compileIn).
type GreylistRule struct {
	// Delay is the minimum retry delay; default 5m. 0: a retry passes at
	// any time after the first attempt.
	Delay *config.Duration `yaml:"delay,omitempty" json:"delay,omitempty"`
	// Expiry is the retry window: a triple not retried within it after
	// its first attempt starts over. Default 4h; longer than Delay.
	Expiry *config.Duration `yaml:"expiry,omitempty" json:"expiry,omitempty"`
	// KeepPassed is how long a triple that got through stays let through
	// without greylisting, counted from its last delivery (each one renews
	// it, RFC 6647 4.2). Default 35d, as postgrey's --max-age: a sender
	// that writes monthly is not greylisted again. 0: not kept, each
	// message is greylisted again.
	KeepPassed *config.Duration `yaml:"keep_passed,omitempty" json:"keep_passed,omitempty"`
	Reply      string           `yaml:"reply,omitempty" json:"reply,omitempty"`
}

// BounceRule configures an asynchronous bounce in a rule (stage data-end).
type BounceRule struct {
	// After is how long after the final dot the DSN goes; default 1m
	// when left out (nil), at once for 0.
	After *config.Duration `yaml:"after,omitempty" json:"after,omitempty"`
	Reply string           `yaml:"reply,omitempty" json:"reply,omitempty"` // the failure reported; default 550 5.1.1
}

// matcher is a compiled pattern; nil matches everything.
type matcher struct{ re *regexp.Regexp }

func compilePattern(p string) (*matcher, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] == '/' && (len(p) < 2 || p[len(p)-1] != '/') {
		return nil, fmt.Errorf("%q starts with / but does not end with one: a regexp goes between slashes, as in \"/^bob@/\" (a glob such as \"bob@*\" does not start with /)", p)
	}
	if len(p) >= 2 && p[0] == '/' && p[len(p)-1] == '/' {
		re, err := regexp.Compile(p[1 : len(p)-1])
		if err != nil {
			return nil, fmt.Errorf("bad regexp %s: %v", p, err)
		}
		return &matcher{re}, nil
	}
	return &matcher{regexp.MustCompile("(?i)^" + globRegexp(p) + "$")}, nil
}

func (m *matcher) match(s string) bool { return m == nil || m.re.MatchString(s) }

// matchAddr is match for an address: one whose domain is an IDN matches
// in either spelling of its domain (addrSpellings), as sink.profiles'
// domains do, since bob@bücher.test and bob@xn--bcher-kva.test are one
// mailbox: a rule written in one spelling meets a client that sends the
// other. The other spellings are tried only for a domain that may have
// one (non-ASCII, or with an A-label).
func (m *matcher) matchAddr(addr string) bool {
	if m.match(addr) {
		return true
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || isASCII(addr[at+1:]) && !strings.Contains(strings.ToLower(addr[at+1:]), "xn--") {
		return false
	}
	for _, a := range addrSpellings(addr)[1:] {
		if m.re.MatchString(a) {
			return true
		}
	}
	return false
}

// MatchesSender reports whether r's sender: pattern matches the envelope
// sender addr as the sink would match it (true when r has none); a
// pattern that does not compile matches nothing.
func (r Rule) MatchesSender(addr string) bool {
	m, err := compileAddrPattern("sender", r.Sender)
	return err == nil && m.matchAddr(addr)
}

func (m *matcher) matchBytes(b []byte) bool { return m == nil || m.re.Match(b) }

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
	dmarc              string        // lower case; "" no condition
	spf, dkim          []string      // any of these results; nil no condition
	content            *contentConds // header, body, size; nil no condition
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
	attempt    int          // per (sender, recipient)
	msgAttempt int          // per Message-ID; 0 before data-end
	auth       *AuthResult  // data-end with verification on; nil otherwise
	msg        *contentScan // the message, at data-end; nil before
	// maybe, when set (Explain), is told of each behaviour decide meets
	// "with probability p" instead of rolling for it (Sink.draw).
	maybe func(p float64, b Behavior)
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
	if !r.helo.match(in.helo) || !r.sender.matchAddr(in.sender) {
		return false
	}
	if r.rcpt != nil && (in.rcpt == "" || !r.rcpt.matchAddr(in.rcpt)) {
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
	// Last: the only condition that reads the message.
	if r.content != nil && (in.msg == nil || !in.msg.test(r, r.content)) {
		return false
	}
	return true
}

// notePerMessage notes in the transcript each rule with per: message and
// an attempt condition that a message without a Message-ID meets in all
// but its count: per: message counts by Message-ID, so such a message has
// no count (0), and the rule silently never matched it. Only for such a
// message, off the path of every other.
func (s *Sink) notePerMessage(sess *session) {
	for i, r := range *s.rules.Load() {
		if !r.perMessage || r.attLo == 0 || r.stage != StageDataEnd {
			continue
		}
		for _, rc := range sess.rcpts {
			in := sess.input(StageDataEnd, rc.addr)
			in.attempt, in.msgAttempt, in.msg = rc.attempt, r.attLo, &sess.msg
			if r.matches(in) {
				sess.c.notef('*', ruleOrigin("sink.rules", i, r.src.Name)+" (per: message, attempt: "+strconv.Quote(r.src.Attempt)+
					") did not apply: the message has no Message-ID, by which per: message counts attempts; give the message a Message-ID, or leave per: out to count per sender and recipient")
				break
			}
		}
	}
}

// parseAttempt reads "2", "1-2", "3-", ">=3" or "<=2" (as the expect
// language writes the last two: the same as "3-" and "1-2").
func parseAttempt(s string) (lo, hi int, err error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("attempt %q: want a number (2), a range (1-3), an open range (4- or >=4) or an upper bound (<=3), counting from 1", s)
	num := func(t string) (int, bool) {
		n, err := strconv.Atoi(strings.TrimSpace(t))
		return n, err == nil && n >= 1
	}
	if t, ok := strings.CutPrefix(s, ">="); ok {
		if lo, ok = num(t); !ok {
			return 0, 0, bad
		}
		return lo, -1, nil
	}
	if t, ok := strings.CutPrefix(s, "<="); ok {
		if hi, ok = num(t); !ok {
			return 0, 0, bad
		}
		return 1, hi, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	lo, ok := num(a)
	if !ok {
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
func (r Rule) compile(key string) (*rule, error) { return r.compileIn(key, false) }

// compileIn is compile; inProfile says r is a provider profile's rule,
// which decide also tries at RCPT for stage mail, with the recipient known.
func (r Rule) compileIn(key string, inProfile bool) (*rule, error) {
	c := &rule{src: r, prob: 1}
	if r.Probability != nil {
		c.prob = *r.Probability
	}
	var ok bool
	if r.Stage == "" {
		return nil, config.Errorf(key+".stage", "a rule needs a stage: the SMTP stage at which it answers, one of %s", stageList())
	}
	if c.stage, ok = parseStage(r.Stage); !ok {
		hint := ""
		if near := config.Nearest(strings.TrimSpace(r.Stage), stageNames()); near != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", near)
		}
		return nil, config.Errorf(key+".stage", "unknown stage %q%s: want one of %s", r.Stage, hint, stageList())
	}
	var err error
	for _, p := range []struct {
		name string
		pat  string
		dst  **matcher
	}{{"recipient", r.Recipient, &c.rcpt}, {"sender", r.Sender, &c.sender}, {"helo", r.HELO, &c.helo}} {
		if *p.dst, err = compileAddrPattern(p.name, p.pat); err != nil {
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
	if err := c.neverMatches(key, inProfile); err != nil {
		return nil, err
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
	if c.content, err = compileContent(key, r, c.stage); err != nil {
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
		rep, err := parseRuleReplyLines(string(r.Reply))
		if err != nil {
			k := key + ".reply"
			if le, ok := errors.AsType[*replyLineError](err); ok && le.n > 1 {
				// At the list's item (reply[1]); a block scalar's error
				// is found at the reply: key, its parent.
				k += "[" + strconv.Itoa(le.line) + "]"
			}
			return nil, config.Errorf(k, "%v", err)
		}
		if why := replyMisfit(rep.Code, c.stage); why != "" {
			return nil, config.Errorf(key+".reply", "%d does not fit stage %s: %s", rep.Code, c.stage, why)
		}
		b.Reply = &rep
	}
	for _, d := range []struct {
		key string
		d   config.Duration
	}{{"delay", r.Delay}, {"tarpit", r.Tarpit}} {
		if err := ruleDuration(key+"."+d.key, d.d); err != nil {
			return nil, err
		}
	}
	if err := r.contradiction(key); err != nil {
		return nil, err
	}
	b.Delay, b.Tarpit, b.Hang, b.Drop = r.Delay.D(), r.Tarpit.D(), r.Hang, r.Drop
	if r.Greylist != nil {
		if c.stage != StageRcpt {
			return nil, config.Errorf(key+".greylist", "greylisting works at stage rcpt, where the triple (client, sender, recipient) is known")
		}
		if b.Greylist, err = r.Greylist.compile(key + ".greylist"); err != nil {
			return nil, err
		}
	}
	if r.Bounce != nil {
		if c.stage != StageDataEnd {
			return nil, config.Errorf(key+".bounce", "an asynchronous bounce follows an accepted message: use stage data-end")
		}
		if b.Reply != nil && b.Reply.Code != 250 {
			// Sink.deliver bounces a message it answered 250 alone.
			return nil, config.Errorf(key+".bounce", "bounce with reply %q: the sink sends a bounce for a message it accepts with 250 after the final dot, and this rule answers %d, so the bounce would never be sent; keep one: reply alone to refuse the message there, or bounce alone (or with a 250 reply) to accept it and bounce it later", b.Reply.String(), b.Reply.Code)
		}
		if b.Bounce, err = r.Bounce.compile(key + ".bounce"); err != nil {
			return nil, err
		}
	}
	if b.isZero() {
		return nil, config.Errorf(key, "the rule does nothing: give it a reply, delay, tarpit, hang, drop, greylist or bounce")
	}
	return c, nil
}

func stageList() string {
	return strings.Join(stageNames(), ", ")
}

// stageNames are the stages a rule takes, as written.
func stageNames() []string {
	var s []string
	for _, st := range Stages() {
		s = append(s, string(st))
	}
	return s
}

// compileRules compiles rs, naming errors from prefix ("sink.rules").
func compileRules(prefix string, rs []Rule) ([]*rule, error) {
	return compileRulesOf(prefix, rs, false)
}

// compileProfileRules is compileRules for the rules of a provider profile.
func compileProfileRules(prefix string, rs []Rule) ([]*rule, error) {
	return compileRulesOf(prefix, rs, true)
}

func compileRulesOf(prefix string, rs []Rule, inProfile bool) ([]*rule, error) {
	out := make([]*rule, 0, len(rs))
	for i, r := range rs {
		c, err := r.compileIn(fmt.Sprintf("%s[%d]", prefix, i), inProfile)
		if err != nil {
			return nil, err
		}
		if r.Name != "" {
			// The record of a reply names the rule that chose it by its
			// name ("reply by rule \"a\""): two of one name would leave
			// the reader guessing which.
			for j, o := range rs[:i] {
				if o.Name == r.Name {
					return nil, config.Errorf(fmt.Sprintf("%s[%d].name", prefix, i), "%q is the name of %s[%d] already: the record of each reply names the rule that chose it, so give each rule a name of its own (or none, to be named by its place)", r.Name, prefix, j)
				}
			}
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
	// Refused before the parser sees it, which needed gigabytes for a
	// few hundred kilobytes of nested brackets.
	if err := config.CheckShape("rules", data); err != nil {
		return nil, err
	}
	switch has, err := config.Documents("rules", data); {
	case err != nil:
		return nil, err
	case !has:
		// Only comments (or a "---"): no rules, as an empty text is, and
		// as a configuration file of only comments sets nothing
		// (config.HasDocument), where the decoder failed with "EOF".
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

// decodeYAML decodes strictly, with merge keys and aliases read as a
// configuration file's are (config.Unmarshal: a mapping's own key wins
// over a merged one); a panic of the YAML library on malformed input
// (found by FuzzRules) is an error.
func decodeYAML(data []byte, v any) error {
	return config.Unmarshal(data, v, yaml.Strict())
}

// maxReplyLine is the longest reply line, code and CRLF included (RFC
// 5321 4.5.3.1.5); a client may cut or refuse a longer one.
const maxReplyLine = 512

// parseRuleReply is ParseReply for a reply written in a rule, which also
// refuses what ParseReply would take as text by mistake: a first word
// shaped like an enhanced status code but not one ("5.1"), and a line
// longer than a reply line may be.
func parseRuleReply(s string) (Reply, error) {
	if strings.ContainsAny(strings.TrimRight(s, "\r\n"), "\r\n") {
		return Reply{}, fmt.Errorf("reply %q has several lines: only a rule's reply: may have several; write one line here", s)
	}
	if i, r := replyControl(strings.TrimRight(s, "\r\n")); i >= 0 {
		// Sent as it is, it would reach the client's terminal or log.
		return Reply{}, fmt.Errorf("reply %q: control character %U at octet %d: a reply's text is printable characters, spaces and tabs (RFC 5321 4.2, textstring; UTF-8 text where the client can read it, RFC 6531); remove it or write it out in words", s, r, i+1)
	}
	rep, err := ParseReply(s)
	if err != nil {
		return Reply{}, err
	}
	if first, _, _ := strings.Cut(rep.Text, " "); rep.Enhanced == "" && looksEnhanced(first) {
		return Reply{}, fmt.Errorf("reply %q: %s is not an enhanced status code: want the form x.y.z, class 2, 4 or 5 (that of the reply), then up to 3 digits each, such as 5.1.1 (RFC 3463 2); or leave it out", s, first)
	}
	if n := len(rep.wire()); n > maxReplyLine {
		head := s
		if len(head) > 40 {
			head = head[:40] + "..."
		}
		return Reply{}, fmt.Errorf("reply %q is %d octets long on the wire, over the %d a reply line may have, code and CRLF included (RFC 5321 4.5.3.1.5): shorten its text by %d", head, n, maxReplyLine, n-maxReplyLine)
	}
	return rep, nil
}

// maxRuleReplyLines is the most lines a rule's reply may have. RFC 5321
// sets no number; big receivers write 2 to 6 (Gmail's 550 5.7.1 has 5),
// and a client keeps only so many (relaylab's relay, 200).
const maxRuleReplyLines = 20

// ReplyText is a rule's reply: one line ("550 5.7.1 text"), or several,
// written as a YAML list of lines or as a block scalar (reply: |), one
// reply line a line, each with the reply's code ("550 5.7.1 first",
// "550 second", or "550-5.7.1 first" as a log shows it). An enhanced
// code on the first line is the reply's and goes on every line. Several
// lines are kept separated by "\n".
type ReplyText string

// UnmarshalYAML takes a string or a list of strings (yaml.NodeUnmarshaler),
// reporting a list item that is no string at its line.
func (t *ReplyText) UnmarshalYAML(node ast.Node) error {
	seq, ok := node.(*ast.SequenceNode)
	if !ok {
		var s string
		if err := yaml.NodeToValue(node, &s); err != nil {
			return config.NodeError(node, "a reply is a string, as \"550 5.7.1 text\", or a list of such lines for a reply of several")
		}
		*t = ReplyText(s)
		return nil
	}
	lines := make([]string, 0, len(seq.Values))
	for i, v := range seq.Values {
		var s string
		if _, isSeq := v.(*ast.SequenceNode); isSeq || yaml.NodeToValue(v, &s) != nil || isMapping(v) {
			return config.NodeError(v, "each line of a reply is a string, as \"550-5.7.1 first line\"")
		}
		if strings.TrimSpace(s) == "" {
			// Said here, at the item's line: joined, an empty last line
			// would vanish with the line break a block ends with.
			return config.NodeError(v, fmt.Sprintf("line %d of %d: empty: every line of a reply has the reply's code and some text (RFC 5321 4.2.1); remove the empty line", i+1, len(seq.Values)))
		}
		lines = append(lines, s)
	}
	*t = ReplyText(strings.Join(lines, "\n"))
	return nil
}

func isMapping(n ast.Node) bool {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return true
	}
	return false
}

// replyLineError is a fault of one line (0-based) of a reply of n lines.
type replyLineError struct {
	line, n int
	msg     string
}

func (e *replyLineError) Error() string { return e.msg }

// parseRuleReplyLines is parseRuleReply for a rule's reply:, which may
// have several lines (ReplyText). Each line has the reply's code; the
// first may have an enhanced code, which the others leave out or repeat,
// and which the sink writes on every line (Reply.wire).
func parseRuleReplyLines(s string) (Reply, error) {
	// The line break a block scalar (reply: |) ends with.
	s = strings.TrimRight(s, "\r\n")
	if strings.IndexByte(s, '\n') < 0 {
		if t := strings.TrimSpace(s); len(t) > 3 && t[3] == '-' && strings.Trim(t[:3], "0123456789") == "" {
			return Reply{}, fmt.Errorf("%q: a reply's last line, here its only one, has a space after its code, not '-' (RFC 5321 4.2.1): write %q, or give the lines that follow", t, t[:3]+" "+t[4:])
		}
		return parseRuleReply(s)
	}
	lines := strings.Split(s, "\n")
	n := len(lines)
	if n > maxRuleReplyLines {
		return Reply{}, fmt.Errorf("the reply has %d lines, over the %d the sink takes (big receivers write 2 to 6): shorten it", n, maxRuleReplyLines)
	}
	var out Reply
	texts := make([]string, n)
	for i, ln := range lines {
		bad := func(format string, args ...any) error {
			return &replyLineError{line: i, n: n, msg: fmt.Sprintf("line %d of %d: ", i+1, n) + fmt.Sprintf(format, args...)}
		}
		ln = strings.TrimSpace(ln)
		if ln == "" {
			return Reply{}, bad("empty: every line of a reply has the reply's code and some text (RFC 5321 4.2.1); remove the empty line")
		}
		if len(ln) > 3 && ln[3] == '-' {
			if i == n-1 {
				return Reply{}, bad("%q: the last line ends the reply, so its code is followed by a space, not '-' (RFC 5321 4.2.1)", ln)
			}
			// As a log shows the lines before the last (550-5.7.1 ...).
			ln = ln[:3] + " " + ln[4:]
		}
		rep, err := parseRuleReply(ln)
		if err != nil {
			return Reply{}, bad("%v", err)
		}
		_, text, _ := strings.Cut(ln, " ")
		text = strings.TrimSpace(text)
		if rep.Enhanced != "" {
			text = strings.TrimSpace(strings.TrimPrefix(text, rep.Enhanced))
		}
		if text == "" {
			return Reply{}, bad("%q has no text after its code: give every line some words", ln)
		}
		switch {
		case i == 0:
			out.Code, out.Enhanced = rep.Code, rep.Enhanced
		case rep.Code != out.Code:
			return Reply{}, bad("code %d, where line 1 has %d: a reply has one code, on every line (RFC 5321 4.2.1); write %d here, or make two rules", rep.Code, out.Code, out.Code)
		case rep.Enhanced != "" && out.Enhanced == "":
			return Reply{}, bad("enhanced code %s, where line 1 has none: give it on the first line, and the sink writes it on every line", rep.Enhanced)
		case rep.Enhanced != "" && rep.Enhanced != out.Enhanced:
			return Reply{}, bad("enhanced code %s, where line 1 has %s: a reply has one, which the sink writes on every line; write %s here, or leave it out", rep.Enhanced, out.Enhanced, out.Enhanced)
		}
		texts[i] = text
	}
	out.Text = strings.Join(texts, "\n")
	// Each line on the wire: code, "-" or " ", the enhanced code and a
	// space (on every line), the text, CRLF.
	head := 4
	if out.Enhanced != "" {
		head += len(out.Enhanced) + 1
	}
	for i, t := range texts {
		if w := head + len(t) + 2; w > maxReplyLine {
			return Reply{}, &replyLineError{line: i, n: n, msg: fmt.Sprintf("line %d of %d is %d octets long on the wire, with the code and enhanced code the sink writes on every line and CRLF, over the %d a reply line may have (RFC 5321 4.5.3.1.5): shorten its text by %d", i+1, n, w, maxReplyLine, w-maxReplyLine)}
		}
	}
	return out, nil
}

// looksEnhanced reports whether w is digits and dots with a dot, as an
// enhanced status code is written (whether or not it is a valid one).
func looksEnhanced(w string) bool {
	return len(w) > 1 && w[0] >= '0' && w[0] <= '9' && strings.Contains(w, ".") && strings.Trim(w, "0123456789.") == ""
}

// replyMisfit says why a rule's reply code does not fit stage, or "".
// The sink puts a rule's reply on the wire as written, so a code the
// client cannot read at that point (354 to RCPT, 250 to DATA) would test
// nothing but confusion; such a reply is refused rather than allowed,
// and there is no switch to allow it (see DIRECTIVES.md).
func replyMisfit(code int, stage Stage) string {
	class := code / 100
	switch {
	case stage == StageData && code == 354:
		return ""
	case stage == StageData && class == 2:
		return "a 2xx to DATA tells the client neither to send the message nor that DATA failed: 354 (the normal reply) lets the message come; a 4xx or 5xx refuses it"
	case stage == StageData && class == 3:
		return "the go-ahead to DATA is 354"
	case stage == StageDataEnd && class == 3:
		return "after the final dot the message is accepted (2xx) or refused (4xx, 5xx); a 3xx there is not sent (the message would get 250)"
	case class == 3:
		return "a 3xx is an intermediate reply, which the sink's rules give only as 354 to DATA; here the client would wait for a final reply (to send one anyway, to see how a client copes with a reply no server should give, write it as a directive in the address: rcpt354@x)"
	case stage == StageConnect && class == 2 && code != 220:
		return "the greeting is 220 (RFC 5321 4.2); to refuse the connection, use a 4xx or 5xx (554, RFC 5321 3.1)"
	case stage == StageEHLO && class == 2:
		return "the 250 to EHLO is the sink's own, with the extensions it offers (a listener's hide: takes one away); a rule at ehlo refuses (4xx or 5xx) or delays"
	}
	return ""
}

// ruleDuration refuses a negative duration in a rule, and one longer
// than a directive may have (maxDirectiveDuration).
func ruleDuration(key string, d config.Duration) error {
	switch {
	case d < 0:
		return config.Errorf(key, "%s: must not be negative", d.D())
	case d.D() > maxDirectiveDuration:
		return config.Errorf(key, "%s is over the 30-day limit (720h or 30d), as for directives: no client waits or retries that long (RFC 5321 4.5.4.1 gives up after 4-5 days)", d.D())
	}
	return nil
}

// contradiction refuses a rule whose actions exclude each other: a hang
// or a drop writes no reply, so a reply, a tarpit (which slows the
// reply), a greylist (451) or a bounce (after a 250) in the same rule
// would never be seen, and which of hang and drop applies is not defined.
// A delay goes with both: the sink waits, then hangs or drops.
func (r Rule) contradiction(key string) error {
	if r.Hang && r.Drop {
		return config.Errorf(key+".drop", "hang: true and drop: true together: which one applies is not defined; keep one (drop closes the connection at once, hang keeps it open and never replies)")
	}
	if !r.Hang && !r.Drop {
		return nil
	}
	what := "drop"
	if r.Hang {
		what = "hang"
	}
	for _, o := range []struct {
		key string
		set bool
	}{{"reply", r.Reply != ""}, {"tarpit", r.Tarpit != 0}, {"greylist", r.Greylist != nil}, {"bounce", r.Bounce != nil}} {
		if o.set {
			return config.Errorf(key+"."+o.key, "%s and %s: true together: a %s sends no reply, so the %s would never be seen; keep one (to reply and then close, write a 421 reply, which closes the connection)", o.key, what, what, o.key)
		}
	}
	return nil
}

// neverMatches refuses a condition on something the sink does not know
// at the rule's stage: such a rule would never apply, and a test relying
// on it would pass unseen. What decide gives a rule (sink.go, session.go):
// the recipient and the attempt number at rcpt, data and data-end (each
// recipient of the transaction; and at mail for a profile's rules, which
// decide tries at RCPT); the sender from MAIL on, empty before (and at
// auth, refused inside a transaction; at starttls, which clients send
// before MAIL); the EHLO name from EHLO on, empty before.
func (c *rule) neverMatches(key string, inProfile bool) error {
	perRecipient := c.stage == StageRcpt || c.stage == StageData || c.stage == StageDataEnd ||
		(inProfile && c.stage == StageMail)
	where := "rcpt, data and data-end (each recipient of the transaction)"
	if inProfile {
		where = "mail (tried at RCPT in a profile), " + where
	}
	if c.rcpt != nil && !perRecipient {
		return config.Errorf(key+".recipient", "never matches: no recipient is known at stage %s; rules see the recipient at stages %s: use one of those", c.stage, where)
	}
	if c.attLo > 0 && !perRecipient {
		return config.Errorf(key+".attempt", "never matches: the attempt number is counted per sender and recipient, known at stages %s, not at %s: use one of those", where, c.stage)
	}
	if isNullSender(c.src.Sender) && (c.stage == StageConnect || c.stage == StageEHLO || c.stage == StageStartTLS || c.stage == StageAuth) {
		return config.Errorf(key+".sender", "\"<>\" is the null sender of MAIL FROM:<> (bounces and DSNs), and at stage %s no MAIL FROM has been given, so the sender is empty in every session and the rule would answer them all: use stage mail or later", c.stage)
	}
	// A pattern that matches the empty value (*) does match there.
	if c.sender != nil && !c.sender.match("") && (c.stage == StageConnect || c.stage == StageEHLO) {
		return config.Errorf(key+".sender", "never matches: at stage %s no MAIL FROM has been given, so the sender is empty and %q cannot match it: use stage mail or later", c.stage, c.src.Sender)
	}
	if c.sender != nil && !c.sender.match("") && c.stage == StageAuth {
		// session.Auth answers 503 inside a transaction before any rule.
		return config.Errorf(key+".sender", "never matches: AUTH inside a mail transaction gets 503 before any rule is tried (RFC 4954 4), so at stage auth no MAIL FROM is open, the sender is empty and %q cannot match it: match the client, helo or listener at auth, or use stage mail or later to answer by sender", c.src.Sender)
	}
	if c.sender != nil && !c.sender.match("") && c.stage == StageStartTLS {
		return config.Errorf(key+".sender", "never matches: a client sends STARTTLS after EHLO, before MAIL FROM (TLS resets the session, RFC 3207 4.2: a transaction open then would be lost), so at stage starttls the sender is empty and %q cannot match it: match the client, helo or listener at starttls, or use stage mail or later to answer by sender", c.src.Sender)
	}
	if c.helo != nil && !c.helo.match("") && c.stage == StageConnect {
		return config.Errorf(key+".helo", "never matches: at stage connect the client has not sent EHLO or HELO, so the name is empty and %q cannot match it: use stage ehlo or later", c.src.HELO)
	}
	return nil
}

// replyControl returns the index and value of the first control
// character in s that a reply's text may not have (any but HT: C0, DEL,
// and the C1 controls of UTF-8), or -1.
func replyControl(s string) (int, rune) {
	for i, r := range s {
		if r < 0x20 && r != '\t' || r >= 0x7f && r <= 0x9f {
			return i, r
		}
	}
	return -1, 0
}
