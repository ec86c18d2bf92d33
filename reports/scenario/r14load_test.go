package scenario

import (
	"errors"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestR14LoadRefusals: what a replay could only fail on at its end, for a
// slip in the file, is refused when the file is read, at its line and
// key: a message submitted after the clock limit (which then said "raise
// clock.limit or shorten the retry policy"), a message: that names no
// message, a DSN expected of a message sent with the null sender, two
// expectations of one name (naming both lines), and a recipient's key at
// the indentation of recipients:.
func TestR14LoadRefusals(t *testing.T) {
	t.Parallel()
	head := "name: s\nclock: {limit: 1h}\nmessages:\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"at after the limit", head + "  - {from: a@shop.test, to: [a@x.test]}\n  - {from: a@shop.test, to: [b@x.test], at: 2h}\nexpect:\n  recipients:\n    - {match: \"*@x.test\"}\n",
			"s.yaml:5:45: messages[1].at: +2h0m0s is after the clock limit, 1h0m0s (clock.limit): the replay ends there, so the message would never be sent"},
		{"at after the default limit", "name: s\nmessages:\n  - {from: a@shop.test, to: [a@x.test], at: 31d}\nexpect:\n  recipients:\n    - {match: \"*@x.test\"}\n",
			"messages[0].at: +744h0m0s is after the clock limit, 720h0m0s (the default: set clock.limit for more)"},
		{"the last of count after the limit", head + "  - {from: a@shop.test, to: [\"u{n}@x.test\"], count: 10, every: 10m}\nexpect:\n  recipients:\n    - {match: \"*@x.test\"}\n",
			"messages[0].every: 10m0s apart, the last of the 10 messages would be submitted after the clock limit, 1h0m0s (clock.limit), where the replay ends: 7 of them fit"},
		{"no such message", head + "  - {from: a@shop.test, to: [a@x.test], count: 3}\nexpect:\n  recipients:\n    - {match: \"*@x.test\", message: msg-9}\n",
			`s.yaml:7:36: expect.recipients[0].message: "msg-9" names no message of the scenario, so the expectation would find 0 recipients: its messages are msg-1 to msg-3`},
		{"no such message glob", head + "  - {from: a@shop.test, to: [a@x.test]}\nexpect:\n  recipients:\n    - {match: \"*@x.test\", message: \"msg-2*\"}\n",
			`expect.recipients[0].message: "msg-2*" names no message of the scenario`},
		{"a DSN to the null sender", head + "  - {to: [a@x.test]}\nexpect:\n  recipients:\n    - {match: \"*@x.test\", dsn: sent}\n",
			"s.yaml:7:32: expect.recipients[0].dsn: asks for a DSN about a@x.test, but messages[0], which sends to it, has no from: and so goes out with the null sender <>, to which no DSN is ever sent"},
		{"a DSN status to the null sender", head + "  - {from: a@shop.test, to: [a@x.test]}\n  - {to: [b@x.test], at: 1m}\nexpect:\n  recipients:\n    - {match: \"*@x.test\", message: msg-2, dsn_status: \"5.\"}\n",
			"expect.recipients[0].dsn_status: asks for a DSN about b@x.test, but messages[1]"},
		{"one name twice", head + "  - {from: a@shop.test, to: [a@x.test]}\nexpect:\n  recipients:\n    - {name: same, match: a@x.test}\n    - {name: same, match: a@x.test, attempts: 1}\n",
			`s.yaml:8:14: expect.recipients[1].name: "same" is also the name of expect.recipients[0] (line 7)`},
		{"attempts under expect", head + "  - {from: a@shop.test, to: [a@x.test]}\nexpect:\n  recipients:\n    - match: a@x.test\n  attempts: 1\n",
			`s.yaml:8:3: expect.attempts: unknown field "attempts" (it belongs in an item of expect.recipients, beside that item's match:)`},
	} {
		_, err := Parse("s.yaml", []byte(tc.yaml))
		var ce *config.Error
		if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v\nwant %q", tc.name, err, tc.want)
		}
	}
	// What is fine stays fine: a DSN expected of the messages that have
	// a sender, beside one without; message names that exist; at the
	// limit itself.
	ok := head + "  - {from: a@shop.test, to: [\"a@x.test\"], count: 2, at: 1h}\n  - {to: [b@y.test]}\nexpect:\n  recipients:\n" +
		"    - {match: \"*@x.test\", message: \"msg-[23]\", count: 0}\n    - {match: \"*@x.test\", message: msg-3, dsn: sent}\n    - {match: \"*@y.test\", message: msg-1, dsn: none}\n" +
		"    - {match: \"*@shop.test\", message: \"relay-*\"}\n"
	if _, err := Parse("s.yaml", []byte(ok)); err != nil {
		t.Errorf("a scenario without slips: %v", err)
	}
}

// TestR14EveryProblemOfAFile: one reading of a file reports each problem
// its checks find (the first of each message and of each expectation),
// in the order of their lines, not only the first.
func TestR14EveryProblemOfAFile(t *testing.T) {
	t.Parallel()
	text := "name: s\nmessages:\n  - {from: a@shop.test, to: [a@x.test], ret: ALL}\n  - {from: a@shop.test, to: [b@x.test], size: -1}\nexpect:\n  recipients:\n" +
		"    - {match: a@x.test, status: gone}\n    - {match: b@x.test, min_interval: 0s}\n  aggregate: {delivered_share: 0}\n"
	_, err := Parse("s.yaml", []byte(text))
	if err == nil {
		t.Fatal("a file of five problems loaded")
	}
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		lines = append(lines, strings.SplitN(l, ": ", 3)[:2]...)
	}
	want := []string{"s.yaml:3:46", "messages[0].ret", "s.yaml:4:47", "messages[1].size", "s.yaml:7:33", "expect.recipients[0].status",
		"s.yaml:8:39", "expect.recipients[1].min_interval", "s.yaml:9:32", "expect.aggregate.delivered_share"}
	if strings.Join(lines, " ") != strings.Join(want, " ") {
		t.Errorf("problems:\n%v\nwant at\n%q", err, want)
	}
}

// A message sent too late for the clock is a problem of its timing only:
// the checks of the expectations against the messages still run, and
// their problems are reported with it.
func TestLateMessageKeepsExpectationChecks(t *testing.T) {
	t.Parallel()
	text := "name: s\nclock: {limit: 1d}\nmessages:\n  - {from: a@shop.test, to: [a@x.test]}\n  - {from: a@shop.test, to: [b@x.test], at: 2d}\n" +
		"expect:\n  recipients:\n    - {match: a@x.test, message: msg-9}\n"
	_, err := Parse("s.yaml", []byte(text))
	if err == nil || !strings.Contains(err.Error(), "messages[1].at") || !strings.Contains(err.Error(), "expect.recipients[0].message") {
		t.Errorf("Parse = %v; want both the late message and the message name that names none", err)
	}
}
