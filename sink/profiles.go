package sink

import (
	"cmp"
	_ "embed"
	"fmt"
	"os"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/mailaddr"
	"golang.org/x/net/idna"
)

// defaultProfiles is the built-in catalogue.
//
//go:embed profiles.yaml
var defaultProfiles []byte

// builtinName names the built-in catalogue in errors.
const builtinName = "profiles.yaml (built in)"

// builtinCatalogue is defaultProfiles parsed and checked, once: a load
// (Validate, then the sink's, as relaylab sink explain does at each call)
// took milliseconds to parse it again. It is read-only: profilesOf
// compiles each load's rules from it, and a rule keeps a copy of its
// Rule (rule.src), whose pointers no one writes through.
var builtinCatalogue = sync.OnceValues(func() (*Catalogue, error) { return ParseCatalogue(builtinName, defaultProfiles) })

// Catalogue is the format of a profiles file.
type Catalogue struct {
	Profiles []ProfileConfig `yaml:"profiles"`
}

// ProfileConfig is a provider profile: rules for the recipients of its
// domains.
type ProfileConfig struct {
	Name        string   `yaml:"name"`
	Description string   `yaml:"description,omitempty"`
	Domains     []string `yaml:"domains,omitempty"`
	Rules       []Rule   `yaml:"rules"`
}

type profile struct {
	name    string
	rules   []*rule
	domains []string // as its catalogue lists them
	// in names the file of a profile from sink.profile_files, for the
	// record of its replies ("in FILE, "); "" for a built-in one.
	in string
}

type domainMap struct {
	m   *matcher
	p   *profile
	src string // the pattern as written
}

// sameProfileName says why a second profile named name is refused: it
// would replace the one defined in where (p) for every domain of that
// one, a built-in's included, where a profile of another name that lists
// a domain takes over that domain alone.
func sameProfileName(name, where string, p *profile) string {
	doms := ""
	if p != nil && len(p.domains) > 0 {
		doms = " (" + strings.Join(p.domains, ", ") + ")"
	}
	if p != nil && p.name != name {
		// GMAIL beside gmail: not a replacement, but one name to whoever
		// reads "reply by profile gmail" or writes sink.profiles.
		return fmt.Sprintf("profile %q differs only in case from profile %q, defined in %s%s: profile names ignore case, as sink.profiles and the record of a reply (reply by profile %s) name them. "+
			"Give this one a name of its own (such as %q); to answer for some of that one's domains, list them in its domains:", name, p.name, where, doms, p.name, strings.ToLower(name)+"-custom")
	}
	return fmt.Sprintf("profile %q is defined already, in %s: a second one of that name would replace it for all its domains%s. "+
		"Give this one a name of its own (such as %q); to answer for some of those domains, list them in its domains: (a profile file's profile that lists a domain takes it over), "+
		"or map them with sink.profiles", name, where, doms, name+"-custom")
}

// profileSet finds the profile for a recipient domain. forDomain looks
// in this order, the first that matches wins: sink.profiles' exact
// domains, then its globs and regexps (the more specific first:
// mapGlobOrder); then the catalogues' exact domains (a profile file's
// takes a built-in's over), then their globs and regexps (the profile
// files' before the built-in's, each in its order). So an exact domain
// comes before a glob, and what sink.profiles maps before any catalogue,
// as its mapping is the configuration's own word: "*.test": yahoo takes
// outlook.test too.
type profileSet struct {
	byName   map[string]*profile
	mapExact map[string]*profile // sink.profiles, by domainID
	mapGlobs []domainMap
	exact    map[string]*profile // by domainID
	globs    []domainMap
}

// ParseCatalogue reads and checks a profiles file; name is for errors,
// which are *config.Error with name's line and key.
func ParseCatalogue(name string, data []byte) (*Catalogue, error) {
	var cat Catalogue
	if err := config.Decode(name, data, &cat); err != nil {
		return nil, err
	}
	if len(cat.Profiles) == 0 {
		const msg = "the file has no profiles: want a list under profiles:, in the format of the built-in profiles.yaml"
		err := config.Locate(name, data, config.Errorf("profiles", msg))
		if ce, ok := err.(*config.Error); ok && ce.Line == 0 {
			ce.Key = "" // an empty file has no profiles key to name
		}
		return nil, err
	}
	for i, p := range cat.Profiles {
		if p.Name == "" {
			return nil, config.Locate(name, data, config.Errorf(fmt.Sprintf("profiles[%d].name", i), "a profile needs a name"))
		}
		if j := strings.IndexFunc(p.Name, func(r rune) bool { return r <= ' ' || r == 0x7f }); j >= 0 {
			// The record of a reply says "reply by profile NAME (...)",
			// and sink.profiles names it: a space would blur where it ends.
			return nil, config.Locate(name, data, config.Errorf(fmt.Sprintf("profiles[%d].name", i),
				"%q: a profile's name has no space or control character (octet %d), as the record of a reply names it (reply by profile NAME) and sink.profiles maps domains to it: write %q", p.Name, j+1, strings.Join(strings.Fields(p.Name), "-")))
		}
		if len(p.Rules) == 0 {
			// Its domains would get the sink's normal replies, as
			// without it: most likely the rules were left out or
			// mis-indented.
			return nil, config.Locate(name, data, config.Errorf(fmt.Sprintf("profiles[%d].rules", i),
				"profile %q has no rules: its recipients would get the sink's normal replies, as if it were not there; give it rules: (a list, as sink.rules), or remove it", p.Name))
		}
		for j, d := range p.Domains {
			if err := checkDomainPattern(d); err != nil {
				return nil, config.Locate(name, data, config.Errorf(fmt.Sprintf("profiles[%d].domains[%d]", i, j), "%v", err))
			}
		}
		if _, err := compileProfileRules(fmt.Sprintf("profiles[%d].rules", i), p.Rules); err != nil {
			return nil, config.Locate(name, data, err)
		}
		for j, r := range p.Rules {
			// compileProfileRules has checked the stage; "helo" or
			// "Connect" is a stage as well as "ehlo" and "connect".
			switch st, _ := parseStage(r.Stage); st {
			case StageConnect, StageEHLO, StageStartTLS, StageAuth, StageRset, StageQuit:
				// decide picks a profile by the recipient's domain, and
				// tries a profile's rules only with a recipient.
				return nil, config.Locate(name, data, config.Errorf(fmt.Sprintf("profiles[%d].rules[%d].stage", i, j),
					"%s: never matches: a profile is chosen by the recipient's domain, and its rules are tried at stages mail (at the first recipient), rcpt, data and data-end; put a rule for this stage in sink.rules, matched on client or listener", r.Stage))
			}
		}
	}
	return &cat, nil
}

// loadProfiles builds the profile set of cfg: the built-in catalogue, then
// cfg.ProfileFiles (a name defined twice, in any case, is refused: the
// second would silently replace the first for all its domains; so is a
// domain two of the files' profiles list), then cfg.Profiles' domain
// mappings, which win over the catalogues' domains, exact or not
// (profileSet has the order).
// Its errors are config.FieldErrors under "sink".
func loadProfiles(cfg Config) (*profileSet, error) { return profilesUnder("sink", cfg) }

// profilesChecked is profilesUnder for Config.Validate, which also refuses
// in the profile files what could never match with cfg: a rule naming a
// listener cfg does not define, or one on a DMARC, SPF or DKIM result
// with sink.verify off (as needVerify does for sink.rules).
func profilesChecked(prefix string, cfg Config) (*profileSet, error) {
	return profilesOf(prefix, cfg, true)
}

// profilesUnder is loadProfiles with its error keys under prefix, so that
// Validate's errors get the configuration file's line.
func profilesUnder(prefix string, cfg Config) (*profileSet, error) {
	return profilesOf(prefix, cfg, false)
}

// fileRuleProblem is what makes rule j of profile i in a profile file
// never match with cfg (profilesChecked), as a *config.FieldError with
// the file's keys; nil when none does.
func fileRuleProblem(i, j int, r Rule, cfg Config, verifyKey, listenersKey string) error {
	k := fmt.Sprintf("profiles[%d].rules[%d]", i, j)
	if r.Listener != "" && !slices.ContainsFunc(cfg.Listeners, func(l ListenerConfig) bool { return l.Name == r.Listener }) {
		return config.Errorf(k+".listener", "never matches: %s", unknownListener(r.Listener, cfg.Listeners, listenersKey))
	}
	if cfg.Verify.Enabled {
		return nil
	}
	for _, a := range []struct{ key, name, val string }{{"dmarc", "DMARC", r.DMARC}, {"spf", "SPF", r.SPF}, {"dkim", "DKIM", r.DKIM}} {
		if a.val != "" {
			return config.Errorf(k+"."+a.key, "never matches: %s is checked only with %s: true", a.name, verifyKey)
		}
	}
	return nil
}

// checkDomainPattern refuses a domain pattern that could never match a
// recipient's domain: an address pattern ("*@x.test"), which is compared
// with the domain alone, and one with a space or a control character.
// A regexp (/.../) is taken as written.
func checkDomainPattern(d string) error {
	if _, err := compilePattern(d); err != nil {
		return err
	}
	if strings.HasPrefix(d, "/") {
		return nil
	}
	if at := strings.LastIndexByte(d, '@'); at >= 0 {
		return fmt.Errorf("%q is an address pattern, and a profile is chosen by the recipient's domain alone: write the domain, %q (or %q for its subdomains)", d, d[at+1:], "*."+strings.TrimPrefix(d[at+1:], "*."))
	}
	if i := strings.IndexFunc(d, func(r rune) bool { return r <= ' ' || r == 0x7f }); i >= 0 {
		return fmt.Errorf("%q: a domain has no space or control character (octet %d)", d, i+1)
	}
	if d == "" {
		return fmt.Errorf("empty domain: write a domain (x.test) or a glob (*.x.test)")
	}
	return domainNeverMatches(d)
}

// domainNeverMatches refuses a domain or glob that no recipient's domain
// can match, since the sink refuses such a domain at RCPT (553 5.1.3,
// addrFault) before any profile is looked for: two dots in a row, or a
// leading dot (a glob's * or ? stands for some characters, not for the
// empty label); and, for a domain without wildcards, anything else that
// is no domain name (mailaddr.DomainFault: an underscore, a label
// starting with a hyphen). An address literal ([192.0.2.1]) is taken.
func domainNeverMatches(d string) error {
	const never = "; the sink refuses a recipient's domain like that at RCPT (553 5.1.3), so this never matches"
	switch {
	case strings.HasPrefix(d, "["):
		return nil
	case strings.Contains(d, ".."):
		fixed := d
		for strings.Contains(fixed, "..") {
			fixed = strings.ReplaceAll(fixed, "..", ".")
		}
		return fmt.Errorf("%q has two dots in a row, an empty label no domain name has (RFC 5321 4.1.2)%s: write %q", d, never, fixed)
	case strings.HasPrefix(d, "."):
		return fmt.Errorf("%q starts with a dot, an empty label no domain name has (RFC 5321 4.1.2)%s: for the domain write %q, for its subdomains %q", d, never, d[1:], "*"+d)
	case strings.ContainsAny(d, "*?"):
		return nil
	}
	if why := mailaddr.DomainFault(d); why != "" {
		return fmt.Errorf("%q is not a domain name: %s%s", d, why, never)
	}
	return nil
}

// regexpCapital returns a capital letter that regexp d (/.../) needs, as
// written (outside (?i)), to match anything: such a regexp never matches
// a domain, which forDomain is given in lower case. A capital in one
// branch of an alternation, or under * or ?, is not needed; classes such
// as \S or [A-Z] are left alone. ok is false for a glob or a domain, and
// for a bad regexp, which compilePattern refuses.
func regexpCapital(d string) (c rune, ok bool) {
	if len(d) < 2 || d[0] != '/' || d[len(d)-1] != '/' {
		return 0, false
	}
	re, err := syntax.Parse(d[1:len(d)-1], syntax.Perl)
	if err != nil {
		return 0, false
	}
	return neededCapital(re)
}

// neededCapital is regexpCapital for a node of the parsed regexp: a
// capital letter without which re matches nothing.
func neededCapital(re *syntax.Regexp) (rune, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase == 0 {
			for _, r := range re.Rune {
				if unicode.IsUpper(r) {
					return r, true
				}
			}
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if c, ok := neededCapital(sub); ok {
				return c, true
			}
		}
	case syntax.OpAlternate:
		var c rune
		for _, sub := range re.Sub {
			sc, ok := neededCapital(sub)
			if !ok {
				return 0, false
			}
			c = cmp.Or(c, sc)
		}
		return c, len(re.Sub) > 0
	case syntax.OpCapture, syntax.OpPlus:
		return neededCapital(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min > 0 {
			return neededCapital(re.Sub[0])
		}
	}
	return 0, false
}

func profilesOf(prefix string, cfg Config, strict bool) (*profileSet, error) {
	key := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	ps := &profileSet{byName: map[string]*profile{}, mapExact: map[string]*profile{}, exact: map[string]*profile{}}
	type source struct {
		key, name string
		data      []byte
	}
	cats := []source{{"", builtinName, defaultProfiles}}
	for i, f := range cfg.ProfileFiles {
		k := key(fmt.Sprintf("profile_files[%d]", i))
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, config.Errorf(k, "%v", err)
		}
		cats = append(cats, source{k, f, data})
	}
	mapped := map[string]bool{} // lower-case names sink.profiles maps domains to
	for _, n := range cfg.Profiles {
		mapped[strings.ToLower(n)] = true
	}
	type listed struct {
		dom string
		p   *profile
	}
	var fileDomains, builtinDomains []listed
	where := map[string]string{}  // lower-case profile name: the catalogue that defines it
	claimed := map[string]claim{} // a domain pattern of the profile files: who lists it first
	for _, c := range cats {
		var cat *Catalogue
		var err error
		if c.key == "" {
			cat, err = builtinCatalogue()
		} else {
			cat, err = ParseCatalogue(c.name, c.data)
		}
		if err != nil {
			if c.key == "" {
				return nil, err
			}
			// The file's own line and key, after the key that names it.
			return nil, config.Errorf(c.key, "%v", err)
		}
		fail := func(err error) error {
			err = config.Locate(c.name, c.data, err)
			if c.key == "" {
				return err
			}
			return config.Errorf(c.key, "%v", err)
		}
		if strict && c.key != "" {
			for i, pc := range cat.Profiles {
				for j, r := range pc.Rules {
					if err := fileRuleProblem(i, j, r, cfg, key("verify.enabled"), key("listeners")); err != nil {
						return nil, fail(err)
					}
				}
			}
		}
		for i, pc := range cat.Profiles {
			lname := strings.ToLower(pc.Name)
			if w, ok := where[lname]; ok {
				return nil, fail(config.Errorf(fmt.Sprintf("profiles[%d].name", i), "%s", sameProfileName(pc.Name, w, ps.named(pc.Name))))
			}
			where[lname] = c.name
			if c.key != "" {
				if len(pc.Domains) == 0 && !mapped[lname] {
					return nil, fail(config.Errorf(fmt.Sprintf("profiles[%d].name", i),
						"profile %q lists no domains, and sink.profiles maps none to it, so it never answers: list its domains (domains: [example.test, \"*.example.test\"]), or map some to it with sink.profiles", pc.Name))
				}
				for j, d := range pc.Domains {
					k := fmt.Sprintf("profiles[%d].domains[%d]", i, j)
					id := domainID(d)
					if cl, ok := claimed[id]; ok && cl.profile != pc.Name {
						return nil, fail(config.Errorf(k, "%q is listed already by profile %q (%s): two profiles may not claim one domain, as which one answers for it would be a matter of order; keep it in one of them (a domain of a built-in profile may be listed once, to take it over)", d, cl.profile, cl.at))
					}
					if _, ok := claimed[id]; !ok {
						claimed[id] = claim{profile: pc.Name, at: fmt.Sprintf("%s:%d", c.name, config.KeyLine(c.data, k))}
					}
				}
			}
			rs, _ := compileProfileRules("profile "+pc.Name, pc.Rules)
			p := &profile{name: pc.Name, rules: rs, domains: pc.Domains}
			if c.key != "" {
				p.in = "in " + c.name + ", "
			}
			for _, r := range rs {
				r.behavior.Rule = "profile " + pc.Name + ": " + r.behavior.Rule
			}
			ps.byName[pc.Name] = p
			for _, d := range pc.Domains {
				if c.key == "" {
					builtinDomains = append(builtinDomains, listed{d, p})
				} else {
					fileDomains = append(fileDomains, listed{d, p})
				}
			}
		}
	}
	// The built-in's first, so that a file's exact domain takes it over;
	// the files' globs come first all the same (add appends them, and
	// they are put before the built-in's below).
	for _, d := range builtinDomains {
		ps.add(d.dom, d.p)
	}
	builtinGlobs := ps.globs
	ps.globs = nil
	for _, d := range fileDomains {
		ps.add(d.dom, d.p)
	}
	ps.globs = append(ps.globs, builtinGlobs...)
	keys := make([]string, 0, len(cfg.Profiles))
	for k := range cfg.Profiles {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	mappedAs := map[string]string{} // lower-case domain: the key that maps it
	for _, dom := range keys {
		// Quoted, as a YAML path has it, since a domain holds dots.
		k := key("profiles") + ".'" + dom + "'"
		if err := checkDomainPattern(dom); err != nil {
			return nil, config.Errorf(k, "%v", err)
		}
		if c, ok := regexpCapital(dom); ok {
			// Unlike a profile file's regexps (profileSet.add), taken as
			// written.
			return nil, config.Errorf(k, "the regexp %s needs the capital letter %q, and it is matched against the recipient's domain in lower case (domains have no case), so it never matches: write its letters in lower case, or make it case-insensitive with (?i) (as in /(?i)^x\\.test$/); a glob (*.x.test) ignores case", dom, c)
		}
		p := ps.named(cfg.Profiles[dom])
		if p == nil {
			return nil, config.Errorf(k, "no profile is named %q%s (known: %s)", cfg.Profiles[dom], ps.meant(cfg.Profiles[dom]), strings.Join(ps.names(), ", "))
		}
		if strings.ContainsAny(dom, "*?/") {
			m, err := compilePattern(dom)
			if err != nil {
				return nil, config.Errorf(k, "%v", err)
			}
			ps.mapGlobs = append(ps.mapGlobs, domainMap{m, p, dom})
			continue
		}
		low := domainID(dom) // "x.test." is x.test, "Bücher.test" is xn--bcher-kva.test
		if other, ok := mappedAs[low]; ok && ps.mapExact[low] != p {
			return nil, config.Errorf(k, "maps the domain %q, as %q does, to another profile (%s, not %s): domains have no case, and a domain in UTF-8 and its A-label (xn--) form are one, so one of them would be ignored; keep one", dom, other, p.name, ps.mapExact[low].name)
		}
		mappedAs[low] = dom
		ps.mapExact[low] = p
	}
	slices.SortStableFunc(ps.mapGlobs, mapGlobOrder)
	return ps, nil
}

// claim is the first profile of the profile files to list a domain
// pattern, and where (FILE:LINE).
type claim struct{ profile, at string }

// domainID is what two domain patterns of the profile files are compared
// by, and the key of an exact domain: a glob in lower case, a domain in
// lower case with its labels as A-labels (domains and globs have no case,
// and bücher.test is xn--bcher-kva.test), a regexp as written
// (lower-casing it would turn \S into \s); a domain's one trailing dot
// (an absolute name) is dropped.
func domainID(d string) string {
	if strings.HasPrefix(d, "/") {
		return d
	}
	return domainKey(mailaddr.WithoutRootDot(d))
}

// domainKey is domain d as mailaddr.Key writes an address's domain: in
// lower case, as A-labels when IDNA takes it (a glob's * stays as
// written), so that a profile is found by the key that counts attempts.
func domainKey(d string) string { return mailaddr.Key("@" + d)[1:] }

// domainSpellings are the forms of a (lower-case) domain that a glob or
// a regexp may have been written to match: as given, and its other form,
// A-labels for one in UTF-8 or UTF-8 for one of A-labels (RFC 5890
// 2.3.2.1), when it has one.
func domainSpellings(dom string) []string {
	if a := domainKey(dom); a != dom {
		return []string{dom, a}
	}
	if strings.Contains(dom, "xn--") {
		if u, err := idna.Lookup.ToUnicode(dom); err == nil && u != dom {
			return []string{dom, strings.ToLower(u)}
		}
	}
	return []string{dom}
}

// mapGlobOrder sorts sink.profiles' globs and regexps, which a YAML
// mapping gives in no order, the more specific first: by the number of
// characters other than * and ? (*.corp.test before *.test), then by the
// pattern. The first that matches a domain chooses its profile.
func mapGlobOrder(a, b domainMap) int {
	lit := func(s string) int { return len(s) - strings.Count(s, "*") - strings.Count(s, "?") }
	if d := lit(b.src) - lit(a.src); d != 0 {
		return d
	}
	return strings.Compare(a.src, b.src)
}

// named is the profile of that name, in any case (ParseCatalogue and
// profilesOf refuse two names that differ only in case), or nil.
func (ps *profileSet) named(name string) *profile {
	if p, ok := ps.byName[name]; ok {
		return p
	}
	for n, p := range ps.byName {
		if strings.EqualFold(n, name) {
			return p
		}
	}
	return nil
}

// add maps dom to p. ParseCatalogue has compiled the patterns; a regexp is
// kept as written (lower-casing it would turn \S into \s), and globs
// ignore case.
func (ps *profileSet) add(dom string, p *profile) {
	if strings.ContainsAny(dom, "*?/") {
		if len(dom) >= 2 && dom[0] == '/' && dom[len(dom)-1] == '/' {
			// Domains have no case: forDomain is given a lower-case one.
			dom = "/(?i)" + dom[1:]
		}
		if m, err := compilePattern(dom); err == nil {
			ps.globs = append(ps.globs, domainMap{m, p, dom})
		}
		return
	}
	ps.exact[domainID(dom)] = p
}

// meant is " (did you mean X?)" for the profile an unknown name most
// likely meant: one a letter or two away, or the one with a domain the
// name is the first label of ("outlook" is microsoft's outlook.com, as a
// provider is often called by its mail domain); "" when none.
func (ps *profileSet) meant(name string) string {
	if hint := didYouMean(name, ps.names()); hint != "" {
		return hint
	}
	want := strings.ToLower(strings.TrimSpace(name))
	for _, n := range ps.names() {
		for _, d := range ps.byName[n].domains {
			if first, _, ok := strings.Cut(strings.ToLower(d), "."); ok && first == want && !strings.ContainsAny(d, "*?/") {
				return fmt.Sprintf(" (%s is a domain of profile %q: did you mean %q?)", d, n, n)
			}
		}
	}
	return ""
}

func (ps *profileSet) names() []string {
	var out []string
	for n := range ps.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// forDomain returns the profile for a (lower-case) domain, or nil.
func (ps *profileSet) forDomain(dom string) *profile {
	p, _ := ps.lookup(dom)
	return p
}

// domainMatch is how lookup chose a profile for a domain: the pattern
// that matched it, and whether sink.profiles maps it (or the profile's
// domains: list it).
type domainMatch struct {
	pattern string
	mapped  bool
}

// lookup is forDomain, also saying how it chose (Explain says it).
func (ps *profileSet) lookup(dom string) (*profile, domainMatch) {
	if ps == nil || dom == "" {
		return nil, domainMatch{}
	}
	// Exact domains are keyed by domainKey; a glob or a regexp matches
	// the domain in either spelling, as it was written in one.
	key, spellings := domainKey(dom), domainSpellings(dom)
	if p, ok := ps.mapExact[key]; ok {
		return p, domainMatch{dom, true}
	}
	if g, ok := firstMatch(ps.mapGlobs, spellings); ok {
		return g.p, domainMatch{g.src, true}
	}
	if p, ok := ps.exact[key]; ok {
		return p, domainMatch{dom, false}
	}
	if g, ok := firstMatch(ps.globs, spellings); ok {
		return g.p, domainMatch{g.src, false}
	}
	return nil, domainMatch{}
}

// firstMatch is the first of maps whose pattern matches one of spellings.
func firstMatch(maps []domainMap, spellings []string) (domainMap, bool) {
	for _, g := range maps {
		for _, d := range spellings {
			if g.m.match(d) {
				return g, true
			}
		}
	}
	return domainMap{}, false
}
