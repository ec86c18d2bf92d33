package scenario

import (
	"errors"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestS16Q1UnquotedNumbersKeepTheirText: a scenario's text written
// without quotes that YAML reads as a number keeps the text the file
// gave it: name: 1.10 named the verdict "1.1", subject: 2.50 sent "2.5",
// and dsn_status: 5.10 asked for 5.1.
func TestS16Q1UnquotedNumbersKeepTheirText(t *testing.T) {
	t.Parallel()
	sc, err := Parse("n.yaml", []byte("name: 1.10\ndescription: 2.0\nmessages:\n"+
		"  - from: a@shop.test\n    to: [\"x@example.test\"]\n    subject: 2.50\n    body: 0x10\n    headers: {X-Version: 1.10, X-Flag: True}\n"+
		"expect:\n  recipients:\n    - {name: 3.10, match: \"x@example.test\", dsn_status: 5.10}\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := sc.Messages[0]
	got := []string{sc.Name, sc.Description, m.Subject, m.Body, m.Headers["X-Version"], m.Headers["X-Flag"], sc.Expect.Recipients[0].Name, sc.Expect.Recipients[0].DSNStatus}
	if want := "1.10|2.0|2.50|0x10|1.10|True|3.10|5.10"; strings.Join(got, "|") != want {
		t.Errorf("got %s, want %s as written", strings.Join(got, "|"), want)
	}
	// The defaults a scenario leaves alone stay.
	if len(sc.Relay.Paths) != 1 || sc.Relay.Paths[0].Host != "sink" {
		t.Errorf("relay paths %+v, want the default sink path", sc.Relay.Paths)
	}
}

// TestS16Q1NestedNamesKeepTheirText: the names in a scenario's sink and
// relay sections keep their text as its expectations do, so that a path
// named 1.10 is the path: 1.10 of an expectation (it was "1.1" there, and
// the expectation, which keeps "1.10", was refused as naming no path).
func TestS16Q1NestedNamesKeepTheirText(t *testing.T) {
	t.Parallel()
	sc, err := Parse("n.yaml", []byte("name: n\nsink:\n  listeners: [{name: 2.0}]\nrelay:\n  paths: [{name: 1.10, host: \"sink:2.0\"}]\n"+
		"messages:\n  - {from: a@shop.test, to: [\"x@example.test\"]}\nexpect:\n  recipients: [{match: \"x@example.test\", path: 1.10}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.Sink.Listeners[0].Name + " " + sc.Relay.Paths[0].Name; got != "2.0 1.10" {
		t.Errorf("listener and path %q, want \"2.0 1.10\" as written", got)
	}
}

// TestS16Q1EveryNeedsCount: every: spaces the copies of count:; on a
// message sent once it did nothing without a word.
func TestS16Q1EveryNeedsCount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ msg, want string }{
		{`{from: a@shop.test, to: ["x@example.test"], every: 1m}`, "e.yaml:3:56: messages[0].every: 1m0s spaces the messages of a count:, but without count: the message is sent once"},
		{`{from: a@shop.test, to: ["x@example.test"], count: 1, every: 1m}`, "messages[0].every: 1m0s spaces the messages of a count:, but with count: 1 the message is sent once"},
	} {
		_, err := Parse("e.yaml", []byte("name: e\nmessages:\n  - "+tc.msg+"\nexpect:\n  recipients: [{match: \"x@example.test\"}]\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.msg, err, tc.want)
		}
	}
	for _, msg := range []string{
		`{from: a@shop.test, to: ["x@example.test"], count: 2, every: 1m}`,
		`{from: a@shop.test, to: ["x@example.test"], every: 0s}`,
	} {
		if _, err := Parse("e.yaml", []byte("name: e\nmessages:\n  - "+msg+"\nexpect:\n  recipients: [{match: \"x@example.test\"}]\n")); err != nil {
			t.Errorf("%s: refused: %v", msg, err)
		}
	}
}

// TestS16Q1ScenarioAddresses: a scenario's from and to are checked as
// relaylab send checks --from and --to (RFC 5321 4.1.2), at their lines;
// x@@example.test and b@@shop.test were sent.
func TestS16Q1ScenarioAddresses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ from, to, want string }{
		{"a@shop.test", "x@@example.test", `a.yaml:3:32: messages[0].to[0]: "x@@example.test": the local part "x@" holds an @ outside quotes`},
		{"b@@shop.test", "x@example.test", `a.yaml:3:12: messages[0].from: "b@@shop.test": the local part "b@" holds an @`},
		{"a@shop.test", ".x@example.test", `messages[0].to[0]: ".x@example.test": the local part ".x" is not valid`},
		{"a@shop.test", "x.@example.test", `the local part "x." is not valid`},
		{"a@shop.test", "x..y@example.test", `the local part "x..y" is not valid`},
		{"a@shop.test", "x@exa_mple.test", `messages[0].to[0]: "x@exa_mple.test": the domain "exa_mple.test" is not a domain name`},
		{"a@shop.test", "x@example..test", `the domain "example..test" is not a domain name: it has an empty label`},
		{"a@shop.test", "x@example.test.", `the domain "example.test." ends in a dot`},
		{"a@shop.test", "x@[300.1.1.1]", `is not an IPv4 address literal`},
	} {
		_, err := Parse("a.yaml", []byte("name: a\nmessages:\n  - {from: \""+tc.from+"\", to: [\""+tc.to+"\"]}\nexpect:\n  recipients: [{match: \"*\"}]\n"))
		var ce *config.Error
		if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("from %s, to %s: error %v, want %q", tc.from, tc.to, err, tc.want)
		}
	}
	for _, to := range []string{"user{n}@example.test", "a.b+c{n}@sub.example.test", "x@[127.0.0.1]", "o'neil@example.test"} {
		if _, err := Parse("a.yaml", []byte("name: a\nmessages:\n  - {from: \"a{n}@shop.test\", to: [\""+to+"\"], count: 2}\nexpect:\n  recipients: [{match: \"*\"}]\n")); err != nil {
			t.Errorf("to %s: refused: %v", to, err)
		}
	}
}

// TestS16Q1NoFarFetchedSuggestion: a match that meets nothing the
// scenario sends is offered the closest address only when it is a slip
// of a few characters.
func TestS16Q1NoFarFetchedSuggestion(t *testing.T) {
	t.Parallel()
	_, err := Parse("bad.yaml", []byte(matchScenario("    - {match: \"nobody@nowhere.test\"}\n")))
	if err == nil || !strings.Contains(err.Error(), `"nobody@nowhere.test" matches none`) || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("error %v: want it refused without a suggestion", err)
	}
}
