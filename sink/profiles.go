package sink

import (
	_ "embed"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/relaylab/relaylab/internal/config"
)

// defaultProfiles is the built-in catalogue.
//
//go:embed profiles.yaml
var defaultProfiles []byte

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
	m *matcher
	p *profile
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
	return fmt.Sprintf("profile %q is defined already, in %s: a second one of that name would replace it for all its domains%s. "+
		"Give this one a name of its own (such as %q); to answer for some of those domains, list them in its domains: (a profile file's profile that lists a domain takes it over), "+
		"or map them with sink.profiles", name, where, doms, name+"-custom")
}

// profileSet finds the profile for a recipient domain.
type profileSet struct {
	byName map[string]*profile
	exact  map[string]*profile
	globs  []domainMap
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
// cfg.ProfileFiles (a name defined twice is refused: the second would
// silently replace the first for all its domains), then cfg.Profiles'
// domain mappings, which win over the catalogue's.
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
	return nil
}

func profilesOf(prefix string, cfg Config, strict bool) (*profileSet, error) {
	key := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	ps := &profileSet{byName: map[string]*profile{}, exact: map[string]*profile{}}
	type source struct {
		key, name string
		data      []byte
	}
	cats := []source{{"", "profiles.yaml (built in)", defaultProfiles}}
	for i, f := range cfg.ProfileFiles {
		k := key(fmt.Sprintf("profile_files[%d]", i))
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, config.Errorf(k, "%v", err)
		}
		cats = append(cats, source{k, f, data})
	}
	var domains []struct {
		dom string
		p   *profile
	}
	where := map[string]string{} // profile name: the catalogue that defines it
	for _, c := range cats {
		cat, err := ParseCatalogue(c.name, c.data)
		if err != nil {
			if c.key == "" {
				return nil, err
			}
			// The file's own line and key, after the key that names it.
			return nil, config.Errorf(c.key, "%v", err)
		}
		if strict && c.key != "" {
			for i, pc := range cat.Profiles {
				for j, r := range pc.Rules {
					if err := fileRuleProblem(i, j, r, cfg, key("verify.enabled"), key("listeners")); err != nil {
						return nil, config.Errorf(c.key, "%v", config.Locate(c.name, c.data, err))
					}
				}
			}
		}
		for i, pc := range cat.Profiles {
			if w, ok := where[pc.Name]; ok {
				err := config.Locate(c.name, c.data, config.Errorf(fmt.Sprintf("profiles[%d].name", i), "%s", sameProfileName(pc.Name, w, ps.byName[pc.Name])))
				if c.key == "" {
					return nil, err
				}
				return nil, config.Errorf(c.key, "%v", err)
			}
			where[pc.Name] = c.name
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
				domains = append(domains, struct {
					dom string
					p   *profile
				}{d, p})
			}
		}
	}
	for _, d := range domains {
		ps.add(d.dom, ps.byName[d.p.name])
	}
	keys := make([]string, 0, len(cfg.Profiles))
	for k := range cfg.Profiles {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var globs []domainMap
	for _, dom := range keys {
		// Quoted, as a YAML path has it, since a domain holds dots.
		k := key("profiles") + ".'" + dom + "'"
		if err := checkDomainPattern(dom); err != nil {
			return nil, config.Errorf(k, "%v", err)
		}
		p := ps.byName[cfg.Profiles[dom]]
		if p == nil {
			return nil, config.Errorf(k, "no profile is named %q (known: %s)", cfg.Profiles[dom], strings.Join(ps.names(), ", "))
		}
		if strings.ContainsAny(dom, "*?/") {
			m, err := compilePattern(dom)
			if err != nil {
				return nil, config.Errorf(k, "%v", err)
			}
			globs = append(globs, domainMap{m, p})
			continue
		}
		ps.exact[strings.ToLower(dom)] = p
	}
	ps.globs = append(globs, ps.globs...)
	return ps, nil
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
			ps.globs = append(ps.globs, domainMap{m, p})
		}
		return
	}
	ps.exact[strings.ToLower(dom)] = p
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
	if ps == nil || dom == "" {
		return nil
	}
	if p, ok := ps.exact[dom]; ok {
		return p
	}
	for _, g := range ps.globs {
		if g.m.match(dom) {
			return g.p
		}
	}
	return nil
}
