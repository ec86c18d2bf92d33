package scenario

import (
	"errors"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// sinkRuleScenario is matchScenario's messages (dotdropx1+c@example.test
// and user1..3@example.test from news@shop.test, r1..2@other.test from
// a1..2@shop.test, null@other.test from the null sender) with the sink
// rules given.
func sinkRuleScenario(rules string) string {
	return "name: x\nsink:\n  rules:\n" + rules + "messages:\n" +
		"  - {from: news@shop.test, to: [\"dotdropx1+c@example.test\"]}\n" +
		"  - {from: news@shop.test, to: [\"user{n}@example.test\"], count: 3}\n" +
		"  - {from: \"a{n}@shop.test\", to: [\"r{n}@other.test\"], count: 2}\n" +
		"  - {to: [\"null@other.test\"]}\n"
}

// TestFnSinkRuleMatchesNoAddress: a sink rule whose recipient: or
// sender: meets none of the envelopes the scenario's messages (and the
// relay's DSNs to their senders) give the sink would never apply, and
// the replay would run as if it were not there: it is refused at load
// time, at its key and line, naming the pattern and the scenario's
// addresses, as an expectation's match that meets nothing is. Rules at
// stages without addresses, or with other conditions only, are not.
func TestFnSinkRuleMatchesNoAddress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, rules string
		want        []string
	}{
		{"recipient with a typo",
			"    - {stage: rcpt, recipient: \"user2@exmaple.test\", reply: \"550 5.1.1 no such user\"}\n",
			[]string{`bad.yaml:4:32: sink.rules[0].recipient: "user2@exmaple.test" matches none of the addresses the scenario sends to (dotdropx1+c@example.test, user{n}@example.test (n = 1 to 3), r{n}@other.test (n = 1 to 2), null@other.test), nor a sender (news@shop.test, a{n}@shop.test (n = 1 to 2), who gets the relay's DSNs), so the rule would never apply and the replay would run as if it were not there: correct the pattern (did you mean "user2@example.test"?), or remove the rule`}},
		{"second rule, by its index", "    - {stage: rcpt, recipient: \"*@example.test\", delay: 1s}\n    - {stage: data-end, recipient: \"vip@*\", reply: \"554 5.7.1 no\"}\n",
			[]string{`sink.rules[1].recipient: "vip@*" matches none of the addresses`}},
		{"a regexp", "    - {stage: rcpt, recipient: \"/^admin[0-9]+@/\", reply: \"550 5.1.1 no\"}\n",
			[]string{`sink.rules[0].recipient: "/^admin[0-9]+@/" matches none`}},
		{"a number past count", "    - {stage: rcpt, recipient: \"user4@example.test\", reply: \"550 5.1.1 no\"}\n",
			[]string{`"user4@example.test" matches none`}},
		{"a named rule", "    - {name: vip, stage: rcpt, recipient: \"vip@example.test\", reply: \"550 5.1.1 no\"}\n",
			[]string{`sink.rules[0].recipient: "vip@example.test" (rule "vip") matches none`}},
		{"sender with a typo", "    - {stage: mail, sender: \"news@shop.tst\", reply: \"550 5.7.1 no\"}\n",
			[]string{`sink.rules[0].sender: "news@shop.tst" matches none of the scenario's senders (news@shop.test, a{n}@shop.test (n = 1 to 2)), nor the null sender <> of the relay's DSNs, so the rule would never apply`,
				`did you mean "news@shop.test"?`}},
		{"a glob with a typo: the glob mended", "    - {stage: rcpt, recipient: \"*@exmaple.test\", reply: \"550 5.1.1 no\"}\n",
			[]string{`sink.rules[0].recipient: "*@exmaple.test" matches none`, `(did you mean "*@example.test"?)`}},
		{"sender at data-end", "    - {stage: data-end, sender: \"*@other.test\", reply: \"554 5.7.1 no\"}\n",
			[]string{`sink.rules[0].sender: "*@other.test" matches none of the scenario's senders`}},
		{"sender and recipient never together", "    - {stage: rcpt, sender: \"a*@shop.test\", recipient: \"user*@example.test\", reply: \"550 5.7.1 no\"}\n",
			[]string{`sink.rules[0]: sender "a*@shop.test" and recipient "user*@example.test" each match an address, but no envelope has both`,
				`from news@shop.test to dotdropx1+c@example.test, user{n}@example.test (n = 1 to 3)`,
				`from a{n}@shop.test (n = 1 to 2) to r{n}@other.test (n = 1 to 2)`,
				`from <> to null@other.test, and the relay's DSNs to the senders`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("bad.yaml", []byte(sinkRuleScenario(tc.rules)))
			var ce *config.Error
			if err == nil || !errors.As(err, &ce) {
				t.Fatalf("error %v, want a *config.Error with %q", err, tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\nwant it to hold %q", err, w)
				}
			}
		})
	}
	for _, tc := range []struct{ name, rules string }{
		{"stages without addresses", "    - {stage: connect, delay: 1s}\n    - {stage: ehlo, helo: \"*.test\", delay: 1s}\n    - {stage: ehlo, sender: \"*\", delay: 1s}\n"},
		{"other conditions only", "    - {stage: data-end, size: \">1MB\", reply: \"552 5.3.4 too big\"}\n    - {stage: data-end, header: \"Subject: *spam*\", reply: \"554 5.7.1 no\"}\n    - {stage: rcpt, attempt: \"1\", reply: \"451 4.7.1 later\"}\n"},
		{"a recipient of the scenario", "    - {stage: rcpt, recipient: \"user2@example.test\", reply: \"550 5.1.1 no\"}\n"},
		{"case does not matter in a glob", "    - {stage: rcpt, recipient: \"USER2@Example.TEST\", reply: \"550 5.1.1 no\"}\n"},
		{"a glob over directives", "    - {stage: data-end, recipient: \"*+c@*\", reply: \"554 5.7.1 no\"}\n"},
		{"a regexp over numbers", "    - {stage: rcpt, recipient: \"/^r[0-9]@other/\", reply: \"550 5.1.1 no\"}\n"},
		{"a sender as a DSN's recipient", "    - {stage: rcpt, recipient: \"news@shop.test\", reply: \"550 5.1.1 no\"}\n"},
		{"the null sender of DSNs", "    - {stage: mail, sender: \"/^$/\", reply: \"550 5.7.1 no bounces\"}\n"},
		{"a numbered sender", "    - {stage: mail, sender: \"A2@shop.test\", reply: \"550 5.7.1 no\"}\n"},
		{"sender and recipient together", "    - {stage: rcpt, sender: \"a*@shop.test\", recipient: \"r2@*\", reply: \"550 5.7.1 no\"}\n"},
		{"a DSN's envelope", "    - {stage: rcpt, sender: \"/^$/\", recipient: \"a1@shop.test\", reply: \"550 5.7.1 no\"}\n"},
		{"the null sender's message", "    - {stage: rcpt, sender: \"/^$/\", recipient: \"null@*\", reply: \"550 5.7.1 no\"}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Parse("ok.yaml", []byte(sinkRuleScenario(tc.rules))); err != nil {
				t.Errorf("refused: %v", err)
			}
		})
	}
}

// TestFnSinkRuleBeyondWhatIsTried: numbered addresses are tried up to a
// bound; a rule that matches none of those tried, where the count goes
// further, is left alone rather than refused on a guess.
func TestFnSinkRuleBeyondWhatIsTried(t *testing.T) {
	t.Parallel()
	data := "name: x\nsink:\n  rules:\n    - {stage: rcpt, recipient: \"user4500@example.test\", reply: \"550 5.1.1 no\"}\n" +
		"messages:\n  - {from: news@shop.test, to: [\"user{n}@example.test\"], count: 5000}\n"
	if _, err := Parse("ok.yaml", []byte(data)); err != nil {
		t.Errorf("refused: %v", err)
	}
}

// TestFnSinkRuleSenderWithVERP: with relay.dsn.verp the sink sees the
// relay's VERP address as the sender, not the scenario's: a sender:
// rule is not judged against the scenario's senders then.
func TestFnSinkRuleSenderWithVERP(t *testing.T) {
	t.Parallel()
	data := "name: x\nrelay:\n  dsn: {verp: true}\nsink:\n  rules:\n    - {stage: mail, sender: \"bounces+*@*\", reply: \"550 5.7.1 no\"}\n" +
		"messages:\n  - {from: news@shop.test, to: [\"u@example.test\"]}\n"
	if _, err := Parse("ok.yaml", []byte(data)); err != nil {
		t.Errorf("refused: %v", err)
	}
}

// TestFnSinkRuleOnlyNullSender: a scenario whose messages are all from
// the null sender has no sender for a sender: to match but <>, and no
// DSN goes to it.
func TestFnSinkRuleOnlyNullSender(t *testing.T) {
	t.Parallel()
	data := "name: x\nsink:\n  rules:\n    - {stage: rcpt, recipient: \"u@*\", sender: \"*@shop.test\", reply: \"550 5.7.1 no\"}\n" +
		"messages:\n  - {to: [\"u@example.test\"]}\n"
	_, err := Parse("bad.yaml", []byte(data))
	want := `bad.yaml:4:47: sink.rules[0].sender: "*@shop.test" matches no sender: every message of the scenario is from the null sender <>, so the rule would never apply and the replay would run as if it were not there: correct the pattern, or remove the rule`
	if err == nil || err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}
}
