package sink

import (
	"strings"
	"testing"
)

// A glob that no address or EHLO name can match, as it is a regexp
// without its slashes or a list of patterns in one string, is refused
// at its key, with the pattern that was meant; a regexp between slashes
// that reads as a glob gets the glob.
func TestWR27PatternMistakes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, rule string
		want       []string
	}{
		{"regexp without slashes", `{stage: rcpt, recipient: "^bob.*@qa\\.test$", reply: "550 5.1.1 x"}`,
			[]string{"sink.rules[0].recipient:", "is a glob", `put it between slashes, "/^bob.*@qa\\.test$/"`}},
		{"anchored helo", `{stage: ehlo, helo: "^mail[0-9]+\\.spam\\.test", reply: "550 5.7.1 x"}`,
			[]string{"sink.rules[0].helo:", "is a glob"}},
		{"a list", `{stage: rcpt, recipient: "a@x.test, *@y.test", reply: "550 5.1.1 x"}`,
			[]string{"sink.rules[0].recipient:", "no address or name has a comma", `"/(?i)^(a@x\\.test|.*@y\\.test)$/", or a rule each`}},
		{"alternation of addresses", `{stage: mail, sender: "a@x.test|b@x.test", reply: "550 5.7.1 x"}`,
			[]string{"sink.rules[0].sender:", "has a | in it", `"/(?i)^(a@x\\.test|b@x\\.test)$/"`}},
		{"alternation of names", `{stage: ehlo, helo: "a.test|b.test", reply: "550 5.7.1 x"}`,
			[]string{"sink.rules[0].helo:", `"/(?i)^(a\\.test|b\\.test)$/"`}},
		{"a glob between slashes", `{stage: rcpt, recipient: "/*@qa.test/", reply: "550 5.1.1 x"}`,
			[]string{"sink.rules[0].recipient:", "bad regexp", `for a glob leave the slashes out: "*@qa.test"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeSink(t, sinkDoc("["+tc.rule+"]"))
			wantInOrder(t, tc.name, err, append([]string{"sink.yaml:5:"}, tc.want...)...)
		})
	}
	// What an address or a name may hold is taken: a | in a local part
	// (RFC 5322 atext), a quoted local part with a space, an address
	// literal.
	for _, ok := range []string{
		`{stage: rcpt, recipient: "a|b@x.test", reply: "550 5.1.1 x"}`,
		`{stage: rcpt, recipient: "\"a b\"@x.test", reply: "550 5.1.1 x"}`,
		`{stage: rcpt, recipient: "*@[127.0.0.1]", reply: "550 5.1.1 x"}`,
		`{stage: ehlo, helo: "[192.0.2.1]", reply: "550 5.7.1 x"}`,
		`{stage: rcpt, recipient: "/^(a|b)@x\\.test$/", reply: "550 5.1.1 x"}`,
		`{stage: data-end, header: "Subject: *(50% off)*", reply: "550 5.7.1 x"}`,
	} {
		if _, err := decodeSink(t, sinkDoc("["+ok+"]")); err != nil {
			t.Errorf("%s: %v, want it taken", ok, err)
		}
	}
}

// sender: "<>" is the null sender of bounces and DSNs (MAIL FROM:<>), as
// relaylab send --from and expect's from: write it: as a glob it matched
// no sender at all, silently. Before MAIL it would match every session,
// and is refused.
func TestWR27NullSenderRule(t *testing.T) {
	t.Parallel()
	_, _, addr := itSink(t, func(c *Config) {
		c.Rules = []Rule{{Name: "no dsn", Stage: "mail", Sender: " <> ", Reply: "550 5.7.1 No DSNs here"}}
	})
	c := dial(t, addr)
	c.greet()
	c.expect(550, "No DSNs here", "MAIL FROM:<>")
	c.expect(250, "", "MAIL FROM:<app@shop.test>")
	if !(Rule{Sender: "<>"}).MatchesSender("") || (Rule{Sender: "<>"}).MatchesSender("app@shop.test") {
		t.Error(`MatchesSender: "<>" does not match the null sender alone`)
	}

	for _, stage := range []string{"connect", "ehlo", "starttls", "auth"} {
		_, err := decodeSink(t, sinkDoc(`[{stage: `+stage+`, sender: "<>", reply: "421 4.3.2 x"}]`))
		wantInOrder(t, stage, err, "sink.rules[0].sender:", "null sender", "at stage "+stage, "use stage mail or later")
	}
	if _, err := decodeSink(t, sinkDoc(`[{stage: rcpt, sender: "<>", recipient: "*@x.test", reply: "550 5.7.1 x"}]`)); err != nil {
		t.Errorf("sender <> at rcpt: %v", err)
	}
}

// An unknown profile name that is a provider's mail domain ("outlook")
// is offered the profile with that domain; extends: in a profile file
// says how to build on a built-in profile.
func TestWR27ProfileNameHints(t *testing.T) {
	t.Parallel()
	_, err := decodeSink(t, "sink:\n  profiles: {\"x.test\": outlook, \"y.test\": gmail}\n")
	wantInOrder(t, "outlook", err, "sink.profiles.'x.test':", `no profile is named "outlook"`, `outlook.com is a domain of profile "microsoft": did you mean "microsoft"?`)
	_, err = decodeSink(t, "sink:\n  profiles: {\"x.test\": gmial}\n")
	wantInOrder(t, "gmial", err, `did you mean "gmail"?`)
	if strings.Contains(err.Error(), "is a domain of") {
		t.Errorf("gmial: %v, want the near name alone", err)
	}

	f := writeProfiles(t, "profiles:\n  - name: corp\n    extends: gmail\n    domains: [corp.test]\n    rules: [{stage: rcpt, recipient: \"x*\", reply: \"550 5.1.1 x\"}]\n")
	_, err = decodeSink(t, "sink:\n  profile_files: ["+f+"]\n")
	wantInOrder(t, "extends", err, f+":3:", `profiles[0].extends: unknown field "extends"`, "a profile does not build on another", "write sink.rules on its domains", "copy its rules")
}
