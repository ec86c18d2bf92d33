package scenario

import (
	"errors"
	"github.com/relaylab/relaylab/reports"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// matchScenario is a scenario that sends to dotdropx1+c@example.test and
// to user1..3@example.test from news@shop.test, with the recipient
// expectations given.
func matchScenario(recipients string) string {
	return "name: x\nmessages:\n" +
		"  - {from: news@shop.test, to: [\"dotdropx1+c@example.test\"]}\n" +
		"  - {from: news@shop.test, to: [\"user{n}@example.test\"], count: 3}\n" +
		"  - {from: \"a{n}@shop.test\", to: [\"r{n}@other.test\"], count: 2}\n" +
		"  - {to: [\"null@other.test\"]}\n" +
		"expect:\n  recipients:\n" + recipients
}

// TestMatchThatMatchesNothingSent: a recipient expectation whose match
// no address the scenario sends to (nor a sender, who gets the relay's
// DSNs) can meet is refused at load time, at its line, with the closest
// address sent; count: 0, which asserts that none matches, is not.
func TestMatchThatMatchesNothingSent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, recipients, want string }{
		{"typo in the domain",
			"    - {match: \"*@example.test\"}\n    - {match: \"user2@example.test\", status: delivered}\n    - {match: \"dotdropx1+c@exmaple.test\", status: delivered}\n",
			`bad.yaml:11:15: expect.recipients[2].match: "dotdropx1+c@exmaple.test" matches none of the addresses the scenario sends to, nor a sender (who gets the relay's DSNs), so it would find 0 recipients: did you mean "dotdropx1+c@example.test"? (to assert that no recipient matches, give count: 0)`},
		{"glob with a typo", "    - {match: \"user*@exmaple.test\"}\n", `expect.recipients[0].match: "user*@exmaple.test" matches none of the addresses`},
		{"glob with a typo suggests the glob mended", "    - {match: \"user*@exmaple.test\"}\n", `did you mean "user*@example.test"?`},
		{"number past count", "    - {match: \"user4@example.test\"}\n", `expect.recipients[0].match: "user4@example.test" matches none`},
		{"a count that needs one", "    - {match: \"nobody@example.test\", count: \">=1\"}\n", `"nobody@example.test" matches none`},
		// An upper bound on what cannot match holds whatever happens.
		{"a count that only bounds", "    - {match: \"nobody@example.test\", count: \"<=2\"}\n", `"nobody@example.test" matches none`},
		{"closest is a sender", "    - {match: \"news@shop.tst\"}\n", `did you mean "news@shop.test" (a sender, who gets the relay's DSNs)?`},
		{"from with {n} past count", "    - {match: \"a3@shop.test\"}\n", `did you mean "a1@shop.test" (a sender`},
		// The null sender gets no DSN: MAILER-DAEMON is only its header.
		{"null sender", "    - {match: \"mailer-daemon@*\"}\n", `"mailer-daemon@*" matches none`},
		{"with message", "    - {match: \"r9@other.test\", message: msg-5}\n", `"r9@other.test" matches none`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("bad.yaml", []byte(matchScenario(tc.recipients)))
			var ce *config.Error
			if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, recipients string }{
		{"absence asserted", "    - {match: \"dotdropx1+c@exmaple.test\", count: 0}\n"},
		{"absence asserted as a range", "    - {match: \"nobody@example.test\", count: \"<=0\"}\n"},
		{"the sender's DSNs", "    - {match: \"news@shop.test\", dsn: none}\n"},
		{"a numbered sender", "    - {match: \"A2@shop.test\"}\n"},
		{"numbered recipients", "    - {match: \"user3@example.test\"}\n    - {match: \"user?@example.test\", count: 3}\n    - {match: \"r2@*\"}\n"},
		{"case does not matter", "    - {match: \"DotDropX1+C@Example.TEST\"}\n"},
		{"everything", "    - {match: \"*\"}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Parse("ok.yaml", []byte(matchScenario(tc.recipients))); err != nil {
				t.Errorf("refused: %v", err)
			}
		})
	}
}

// TestGlobDistance: the edits an address needs for a glob to match it,
// where * and ? match for free.
func TestGlobDistance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		glob, addr string
		want       int
	}{
		{"a@b.test", "a@b.test", 0},
		{"dotdropx1+c@exmaple.test", "dotdropx1+c@example.test", 2},
		{"user*@exmaple.test", "user12@example.test", 2},
		{"*", "anything@x.test", 0},
		{"?@b.test", "ab@b.test", 1},
		{"news@shop.tst", "news@shop.test", 1},
		{"", "ab", 2},
		{"ab*", "", 2},
	} {
		if got := reports.GlobDistance(tc.glob, tc.addr); got != tc.want {
			t.Errorf("globDistance(%q, %q) = %d, want %d", tc.glob, tc.addr, got, tc.want)
		}
	}
}
