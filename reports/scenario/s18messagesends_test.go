package scenario

import (
	"strings"
	"testing"
)

// TestS18MessageThatSendsElsewhere: a message: whose messages send to none
// of the addresses the match takes is refused at its line, naming what
// they send to and which message does send to the address; a message:
// that can name the relay's DSNs (which go to senders), one that sends to
// the address, and count: 0 are left alone.
func TestS18MessageThatSendsElsewhere(t *testing.T) {
	t.Parallel()
	head := "name: s\nmessages:\n  - {from: a@shop.test, to: [\"ok@example.test\"]}\n  - {from: a@shop.test, to: [\"ok2@example.test\", \"x{n}@example.test\"], count: 2, at: 1m}\nexpect:\n  recipients:\n"
	for _, tc := range []struct{ exp, want string }{
		{`    - {match: "ok2@example.test", message: msg-1}`,
			`s.yaml:7:44: expect.recipients[0].message: msg-1 sends to none of the addresses "ok2@example.test" matches (it sends to ok@example.test), so the expectation would find 0 recipients; msg-2 and msg-3 do: did you mean message: msg-2? (to assert that no recipient matches, give count: 0)`},
		{`    - {match: "ok@example.test", message: "msg-[23]"}`, `names no message of the scenario`},
		{`    - {match: "ok@example.test", message: "msg-?"}`, ``},
		{`    - {match: "ok@example.test", message: "msg-[23]*"}`, `names no message`},
		{`    - {match: "ok@example.test", message: "msg-2*"}`, `"msg-2*" names msg-2, which sends to none of the addresses "ok@example.test" matches (it sends to ok2@example.test and x1@example.test)`},
		{`    - {match: "x2@example.test", message: msg-2}`,
			`expect.recipients[0].message: msg-2 sends to none of the addresses "x2@example.test" matches (it sends to ok2@example.test and x1@example.test), so the expectation would find 0 recipients; msg-3 does: did you mean message: msg-3?`},
		{`    - {match: "ok@example.test", message: msg-2, count: 0}`, ``},
		{`    - {match: "a@shop.test", message: "*"}`, ``},
		{`    - {match: "ok@example.test", message: msg-1}`, ``},
	} {
		_, err := Parse("s.yaml", []byte(head+tc.exp+"\n"))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.exp, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v\nwant %q", tc.exp, err, tc.want)
		}
	}
}
