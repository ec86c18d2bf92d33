package sink

import (
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// A rule that a rule before it answers for, at every input it matches,
// never applies: sink.Config.Warnings names it at its key, with the rule
// that answers and what to do. Rules that only look alike, or that a
// probability or a narrower condition lets through, are not named.
func TestWR27ShadowedRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		rules string // a YAML list
		want  []string
	}{
		{"domain glob before one address", `[{name: all, stage: rcpt, recipient: "*@qa.test", reply: "550 5.1.1 no"}, {name: bob, stage: rcpt, recipient: "BOB@qa.test", reply: "451 4.7.1 later"}]`,
			[]string{`sink.rules[1]: never applies: sink.rules[0] ("all") comes before it at stage rcpt`, "move this rule above"}},
		{"no condition", `[{stage: rcpt, delay: 5s}, {stage: rcpt, recipient: "bob@*", reply: "550 5.1.1 no"}]`,
			[]string{"sink.rules[1]: never applies", "has no condition but its stage", "a rule that only delays"}},
		{"listener", `[{stage: rcpt, listener: mx, reply: "451 4.7.1 x"}, {stage: rcpt, listener: mx, sender: "a@*", reply: "550 5.1.1 x"}]`,
			[]string{"sink.rules[1]", "its stage and listener"}},
		{"attempt range", `[{stage: rcpt, attempt: "1-3", reply: "451 4.7.1 x"}, {stage: rcpt, attempt: "2", reply: "550 5.1.1 x"}]`,
			[]string{"sink.rules[1]", `(its attempt: "1-3" takes in this rule's "2")`}},
		{"client prefix", `[{stage: connect, client: 127.0.0.0/8, reply: "554 5.7.1 x"}, {stage: connect, client: 127.0.0.1, reply: "421 4.3.2 x"}]`,
			[]string{"sink.rules[1]"}},
		{"glob in glob", `[{stage: rcpt, recipient: "*@*.test", reply: "550 5.1.1 x"}, {stage: rcpt, recipient: "b?b*@qa.test", reply: "451 4.7.1 x"}]`,
			[]string{"sink.rules[1]"}},
		{"data-end results", `[{stage: data-end, spf: "fail|softfail", reply: "550 5.7.23 x"}, {stage: data-end, spf: fail, recipient: "a@*", reply: "550 5.7.1 x"}]`,
			[]string{"sink.rules[1]"}},
		{"the more specific first", `[{stage: rcpt, recipient: "bob@qa.test", reply: "451 4.7.1 later"}, {stage: rcpt, recipient: "*@qa.test", reply: "550 5.1.1 no"}]`, nil},
		{"a probability", `[{stage: rcpt, probability: 0.5, reply: "451 4.7.1 x"}, {stage: rcpt, reply: "550 5.1.1 x"}]`, nil},
		{"other stages", `[{stage: rcpt, reply: "451 4.7.1 x"}, {stage: data-end, reply: "550 5.7.1 x"}]`, nil},
		{"other listener", `[{stage: rcpt, listener: mx, reply: "451 4.7.1 x"}, {stage: rcpt, reply: "550 5.1.1 x"}]`, nil},
		{"open attempt", `[{stage: rcpt, attempt: "1-3", reply: "451 4.7.1 x"}, {stage: rcpt, attempt: "2-", reply: "550 5.1.1 x"}]`, nil},
		{"wider client later", `[{stage: connect, client: 127.0.0.1, reply: "421 4.3.2 x"}, {stage: connect, client: 127.0.0.0/8, reply: "554 5.7.1 x"}]`, nil},
		{"? is not *", `[{stage: rcpt, recipient: "?@qa.test", reply: "550 5.1.1 x"}, {stage: rcpt, recipient: "*@qa.test", reply: "451 4.7.1 x"}]`, nil},
		{"regexps", `[{stage: rcpt, recipient: "/@qa/", reply: "550 5.1.1 x"}, {stage: rcpt, recipient: "/^bob@qa/", reply: "451 4.7.1 x"}]`, nil},
		{"header", `[{stage: data-end, header: "Subject:*a*", reply: "550 5.7.1 x"}, {stage: data-end, reply: "451 4.7.1 x"}]`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := decodeSink(t, sinkDoc(tc.rules)+"  verify: {enabled: true}\n")
			if err != nil {
				t.Fatal(err)
			}
			ws := cfg.Warnings("sink")
			if tc.want == nil {
				if len(ws) > 0 {
					t.Fatalf("warnings %v, want none", ws)
				}
				return
			}
			if len(ws) != 1 {
				t.Fatalf("warnings %v, want one", ws)
			}
			wantInOrder(t, tc.name, ws[0], tc.want...)
			if fe, ok := ws[0].(*config.FieldError); !ok || fe.Key != "sink.rules[1]" {
				t.Errorf("warning %#v, want a *config.FieldError at sink.rules[1], to be given its line", ws[0])
			}
		})
	}
}

// A profile file's rules are checked the same way, named in the file.
func TestWR27ShadowedProfileRules(t *testing.T) {
	t.Parallel()
	f := writeProfiles(t, `profiles:
  - name: corp
    domains: [corp.test]
    rules:
      - {stage: rcpt, recipient: "*", reply: "451 4.7.1 busy"}
      - {stage: rcpt, recipient: "disabled*@*", reply: "550 5.2.1 disabled"}
`)
	wantInOrder(t, "profile file", profileFileWarning(t, f), "sink.profile_files[0]: ", f+":6:", "profiles[0].rules[1]: never applies: profiles[0].rules[0]")
}

// The built-in catalogue has no rule that another answers for.
func TestWR27BuiltinProfilesNotShadowed(t *testing.T) {
	t.Parallel()
	cat, err := builtinCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range cat.Profiles {
		if ws := ShadowedRules("profiles "+p.Name, p.Rules, true); len(ws) > 0 {
			t.Errorf("profile %s: %v", p.Name, ws)
		}
	}
}

func TestWR27GlobCovers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"*", "anything", true},
		{"*@x.test", "bob@X.TEST", true},
		{"*@x.test", "b*@x.test", true},
		{"*@x.test", "*@y.test", false},
		{"?@x.test", "*@x.test", false},
		{"?@x.test", "?@x.test", true},
		{"b?b@x.test", "bob@x.test", true},
		{"*a*", "xa", true},
		{"*.test", "*@x.test", true},
		{"a*", "*a", false},
	} {
		if got := globCovers([]rune(tc.a), []rune(tc.b)); got != tc.want {
			t.Errorf("globCovers(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// A profile file's profile that lists a built-in profile's domain takes
// it over whole, so the built-in's other replies stop there: allowed, and
// warned of, with the way to add a reply instead.
func TestWR27ProfileTakesOverWarning(t *testing.T) {
	t.Parallel()
	f := writeProfiles(t, `profiles:
  - name: gmail-qa
    domains: [corp.test, GMAIL.com]
    rules:
      - {stage: rcpt, recipient: "disabled*", reply: "550 5.2.1 disabled"}
`)
	wantInOrder(t, "take-over", profileFileWarning(t, f), "sink.profile_files[0]: ", f+":3:", "profiles[0].domains[1]:", `profile "gmail-qa" takes GMAIL.com over from the built-in profile gmail: there only its own rules answer (1 rule), none of gmail's`, "write it in sink.rules on that domain")
}

// profileFileWarning is the one warning of a configuration with the
// profile file f.
func profileFileWarning(t *testing.T, f string) error {
	t.Helper()
	cfg, err := decodeSink(t, "sink:\n  profile_files: ["+f+"]\n")
	if err != nil {
		t.Fatal(err)
	}
	ws := cfg.Warnings("sink")
	if len(ws) != 1 {
		t.Fatalf("warnings %v, want one", ws)
	}
	return ws[0]
}
