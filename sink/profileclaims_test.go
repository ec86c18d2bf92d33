package sink

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// profileDoc is a sink configuration with the profile files named, each
// written from its text into one directory, and extra lines under sink:.
func profileDoc(t *testing.T, extra string, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	var names []string
	for i, text := range files {
		f := filepath.Join(dir, "p"+string(rune('1'+i))+".yaml")
		if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		names = append(names, f)
	}
	doc := "sink:\n  listeners:\n    - name: mx\n      listen: 127.0.0.1:0\n"
	if len(names) > 0 {
		doc += "  profile_files: [" + strings.Join(names, ", ") + "]\n"
	}
	return doc + extra
}

const rule550 = "    rules: [{stage: rcpt, reply: \"550 5.7.1 no\"}]\n"

// TestProfileDomainClaimedTwice: two profiles of the profile files that
// list one domain (or glob) were taken silently, the last one winning an
// exact domain and the first a glob. Both are refused now, naming both
// places; a built-in's domain may still be taken over.
func TestProfileDomainClaimedTwice(t *testing.T) {
	t.Parallel()
	one := "profiles:\n  - name: acme\n    domains: [a.test, acme.test, \"*.acme.test\"]\n" + rule550
	for _, tc := range []struct {
		name  string
		files []string
		want  []string
	}{
		{"exact, in two files", []string{one, "profiles:\n  - name: other\n    domains: [x.test, ACME.test]\n" + rule550},
			[]string{"sink.profile_files[1]:", "p2.yaml:3:", "profiles[0].domains[1]:", `"ACME.test" is listed already by profile "acme" (`, "p1.yaml:3)", "two profiles may not claim one domain"}},
		// An absolute name is the same domain (walk V2: DUP.test. passed
		// the check, and matched no recipient).
		{"exact with a trailing dot", []string{one, "profiles:\n  - name: other\n    domains: [ACME.test.]\n" + rule550},
			[]string{"p2.yaml:3:", `"ACME.test." is listed already by profile "acme" (`}},
		{"a glob, in one file", []string{one + "  - name: other\n    domains: [\"*.acme.test\"]\n" + rule550},
			[]string{"sink.profile_files[0]:", "p1.yaml:6:", "profiles[1].domains[0]:", `"*.acme.test" is listed already by profile "acme" (`, "p1.yaml:3)"}},
	} {
		_, err := decodeSink(t, profileDoc(t, "", tc.files...))
		wantInOrder(t, tc.name, err, tc.want...)
	}
	// A built-in's domain, listed once, is taken over; one profile may
	// list a domain twice (it answers either way).
	cfg, err := decodeSink(t, profileDoc(t, "", "profiles:\n  - name: mine\n    domains: [gmail.test, gmail.test]\n"+rule550))
	if err != nil {
		t.Fatalf("a built-in's domain taken over: %v", err)
	}
	ps, err := loadProfiles(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p := ps.forDomain("gmail.test"); p == nil || p.name != "mine" {
		t.Errorf("gmail.test: %v, want mine", p)
	}
	// A domain with its root dot, in a file or in sink.profiles, answers
	// for the domain.
	cfg, err = decodeSink(t, profileDoc(t, "  profiles: {\"mapped.test.\": gmail}\n", "profiles:\n  - name: dotted\n    domains: [dotted.test.]\n"+rule550))
	if err != nil {
		t.Fatal(err)
	}
	if ps, err = loadProfiles(cfg); err != nil {
		t.Fatal(err)
	}
	for dom, want := range map[string]string{"dotted.test": "dotted", "mapped.test": "gmail"} {
		if p := ps.forDomain(dom); p == nil || p.name != want {
			t.Errorf("%s: %v, want %s", dom, p, want)
		}
	}
}

// TestProfilePrecedence: one order, exact before glob and sink.profiles
// before the catalogues. `sink.profiles: {"*.test": yahoo}` left
// outlook.test, an exact domain of the built-in catalogue, to microsoft,
// where the mapping was to win over the catalogue.
func TestProfilePrecedence(t *testing.T) {
	t.Parallel()
	file := "profiles:\n  - name: wide\n    domains: [\"*.test\", \"*.wide.example\"]\n" + rule550
	for _, tc := range []struct {
		name, extra string
		want        map[string]string
	}{
		{"a mapping's glob over the built-in's exact domains", "  profiles: {\"*.test\": yahoo}\n",
			map[string]string{"outlook.test": "yahoo", "gmail.test": "yahoo", "x.test": "yahoo", "gmail.com": "gmail"}},
		{"a mapping's exact domain before its glob", "  profiles: {\"*.test\": yahoo, outlook.test: microsoft}\n",
			map[string]string{"outlook.test": "microsoft", "gmail.test": "yahoo"}},
		// Alphabetical, *.test came first and took mail.x.test.
		{"the more specific glob first", "  profiles: {\"*.test\": yahoo, \"*.x.test\": gmail, \"*x.test\": strict}\n",
			map[string]string{"mail.x.test": "gmail", "ax.test": "strict", "b.test": "yahoo"}},
		{"a file's glob after the built-in's exact domains", "",
			map[string]string{"gmail.test": "gmail", "outlook.test": "microsoft", "other.test": "wide", "a.wide.example": "wide"}},
		{"a mapping names a profile in any case", "  profiles: {other.test: Gmail}\n",
			map[string]string{"other.test": "gmail", "b.test": "wide"}},
	} {
		cfg, err := decodeSink(t, profileDoc(t, tc.extra, file))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		ps, err := loadProfiles(cfg)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for dom, want := range tc.want {
			if p := ps.forDomain(dom); p == nil || p.name != want {
				t.Errorf("%s: %s: got %v, want %s", tc.name, dom, p, want)
			}
		}
	}
	_, err := decodeSink(t, profileDoc(t, "  profiles: {X.test: yahoo, x.test: gmail}\n"))
	wantInOrder(t, "one domain mapped twice", err, "sink.profiles.'x.test': maps the domain", `as "X.test" does`, "(gmail, not yahoo)")
}

// TestProfileFileMistakes: each was accepted silently.
func TestProfileFileMistakes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, extra, file string
		want              []string
	}{
		{"a built-in's name in another case", "", "profiles:\n  - name: GMAIL\n    domains: [g.test]\n" + rule550,
			[]string{"p1.yaml:2:", "profiles[0].name:", `profile "GMAIL" differs only in case from profile "gmail", defined in profiles.yaml (built in)`, `"gmail-custom"`}},
		{"two names that differ in case", "", "profiles:\n  - name: p1\n    domains: [a.test]\n" + rule550 + "  - name: P1\n    domains: [b.test]\n" + rule550,
			[]string{"p1.yaml:5:", "profiles[1].name:", `profile "P1" differs only in case from profile "p1", defined in `, "p1.yaml (a.test)"}},
		{"no domains", "", "profiles:\n  - name: lost\n" + rule550,
			[]string{"p1.yaml:2:", "profiles[0].name:", `profile "lost" lists no domains, and sink.profiles maps none to it, so it never answers`}},
		{"no rules", "", "profiles:\n  - name: idle\n    domains: [i.test]\n",
			[]string{"p1.yaml:2:", "profiles[0].rules:", `profile "idle" has no rules`}},
		{"empty rules", "", "profiles:\n  - name: idle\n    domains: [i.test]\n    rules: []\n",
			[]string{"p1.yaml:4:", "profiles[0].rules:", `profile "idle" has no rules`}},
		{"a name with a space", "", "profiles:\n  - name: my profile\n    domains: [m.test]\n" + rule550,
			[]string{"p1.yaml:2:", "profiles[0].name:", `"my profile": a profile's name has no space`, `write "my-profile"`}},
	} {
		_, err := decodeSink(t, profileDoc(t, tc.extra, tc.file))
		wantInOrder(t, tc.name, err, tc.want...)
	}
	// Without domains, a profile that sink.profiles maps domains to.
	cfg, err := decodeSink(t, profileDoc(t, "  profiles: {\"*.mapped.test\": Mapped}\n", "profiles:\n  - name: mapped\n"+rule550))
	if err != nil {
		t.Fatalf("a profile mapped in sink.profiles, without domains: %v", err)
	}
	if ps, err := loadProfiles(cfg); err != nil || ps.forDomain("a.mapped.test") == nil || ps.forDomain("a.mapped.test").name != "mapped" {
		t.Errorf("a.mapped.test: %v, want profile mapped", err)
	}
}
