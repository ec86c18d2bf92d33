package scenario

import (
	"strings"
	"testing"
)

// TestS18ClockLimitRefusals: clock.limit: 0s is refused at its line, not
// read as the default 30d (whose error at the limit then named 720h0m0s
// beside a line that says 0s); and a max_age beyond the clock limit, when
// an expectation asks for status expired, is refused at the max_age (or,
// when the file gives none, at clock.limit): no recipient can expire
// before the replay stops at the limit. Without an expectation of
// expired, or with max_attempts, it is fine.
func TestS18ClockLimitRefusals(t *testing.T) {
	t.Parallel()
	const msgs = "messages:\n  - {from: a@shop.test, to: [\"rcpt451+q@example.test\"], at: 1m}\n"
	const expired = "expect:\n  recipients:\n    - {match: \"rcpt451+q@example.test\", status: expired}\n"
	const deferred = "expect:\n  recipients:\n    - {match: \"rcpt451+q@example.test\", status: delivered}\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"0s", "name: s\nclock: {limit: 0s}\n" + msgs + deferred,
			"s.yaml:2:16: clock.limit: 0s (or no value) would leave the replay no virtual time: give how much it may use, such as 1d, or leave the key out for the default, 30d"},
		{"no value", "name: s\nclock:\n  limit:\n" + msgs + deferred, "s.yaml:3:9: clock.limit: 0s (or no value)"},
		{"max_age beyond the default limit", "name: s\nrelay:\n  retry: {kind: list, schedule: [1h], max_age: 40d}\n" + msgs + expired,
			"s.yaml:3:48: relay.retry.max_age: 960h0m0s is beyond the clock limit: the relay gives a recipient up as expired only once its message is max_age old, and the first message is sent at +1m0s, so none can expire before +960h1m0s; the replay stops at the clock limit, 720h0m0s (the default: set clock.limit for more), first, so status expired at expect.recipients[0] (line 8) could never hold: raise clock.limit, or shorten max_age"},
		{"a preset's max_age beyond clock.limit", "name: s\nclock: {limit: 1d}\n" + msgs + expired,
			"s.yaml:2:16: clock.limit: 24h0m0s is shorter than the retry policy's max_age, 120h0m0s: the relay gives a recipient up as expired only once"},
	} {
		_, err := Parse("s.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v\nwant %q", tc.name, err, tc.want)
		}
	}
	for _, ok := range []string{
		"name: s\nclock: {limit: 1d}\nrelay:\n  retry: {kind: list, schedule: [1h], max_age: 40d}\n" + msgs + deferred,
		"name: s\nclock: {limit: 1d}\nrelay:\n  retry: {kind: list, schedule: [1h], max_age: 40d, max_attempts: 3}\n" + msgs + expired,
		"name: s\nclock: {limit: 2d}\nrelay:\n  retry: {kind: list, schedule: [1h], max_age: 1d}\n" + msgs + expired,
	} {
		if _, err := Parse("s.yaml", []byte(ok)); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}
