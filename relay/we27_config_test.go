package relay

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestShadowedRouteRefused: a route that an earlier one matches in full
// (its recipients within the earlier one's patterns, its senders and
// attempts too) is never used, since the first route that matches wins;
// it is refused at its file, line and key, naming the route that hides
// it. A route the earlier one leaves something to (other senders, later
// attempts, a parent domain) is taken.
func TestShadowedRouteRefused(t *testing.T) {
	t.Parallel()
	const paths = "relay:\n  paths:\n    - {name: a, host: '127.0.0.1:2526'}\n    - {name: b, host: '127.0.0.1:2527'}\n  routes:\n"
	const last = "    - {name: default, paths: [a]}\n"
	for _, tt := range []struct {
		name, routes, want string
	}{
		{"the same domain twice", "    - {name: r1, recipients: [x.test], paths: [a]}\n    - {name: r2, recipients: [x.test], paths: [b]}\n",
			`c.yaml:7:7: relay.routes[1]: route "r2" is never used: route "r1" before it (routes[0]) matches every recipient it would (recipients [x.test] within [x.test])`},
		{"a subdomain after its wildcard", "    - {name: r1, recipients: ['*.x.test'], paths: [a]}\n    - {name: r2, recipients: [y.x.test, '*.z.x.test'], paths: [b]}\n",
			`relay.routes[1]: route "r2" is never used: route "r1" before it`},
		{"the domain after its wildcard (which matches it)", "    - {name: r1, recipients: ['*.x.test'], paths: [a]}\n    - {name: r2, recipients: [X.Test.], paths: [b]}\n",
			`relay.routes[1]: route "r2" is never used`},
		{"senders within an earlier route for all recipients", "    - {name: r1, senders: [shop.test], paths: [a]}\n    - {name: r2, recipients: [x.test], senders: [shop.test], paths: [b]}\n",
			`senders [shop.test] within [shop.test]`},
		{"attempts within the earlier route's", "    - {name: r1, recipients: [x.test], max_attempt: 5, paths: [a]}\n    - {name: r2, recipients: [x.test], min_attempt: 2, max_attempt: 3, paths: [b]}\n",
			`attempts within its own`},
		{"a path twice in a failover list", "    - {name: r1, recipients: [x.test], paths: [a, b, a]}\n",
			`c.yaml:6:54: relay.routes[0].paths[2]: path "a" is listed twice (paths[0] has it too)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := config.Decode("c.yaml", []byte(paths+tt.routes+last), &fileWithRelay{Relay: DefaultConfig()})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode = %v\nwant it to hold %s", err, tt.want)
			}
		})
	}
	for _, routes := range []string{
		"    - {name: r1, recipients: [y.x.test], paths: [a]}\n    - {name: r2, recipients: ['*.x.test'], paths: [b]}\n",
		"    - {name: r1, recipients: [x.test], senders: [shop.test], paths: [a]}\n    - {name: r2, recipients: [x.test], paths: [b]}\n",
		"    - {name: r1, recipients: [x.test], max_attempt: 2, paths: [a]}\n    - {name: r2, recipients: [x.test], paths: [b]}\n",
		"    - {name: r1, recipients: [y.x.test], paths: [a]}\n    - {name: r2, recipients: [x.test, y.x.test], paths: [b]}\n",
		"    - {name: r1, recipients: [x.test], paths: [a], fallback: a, fallback_after: 2}\n",
	} {
		if err := config.Decode("c.yaml", []byte(paths+routes+last), &fileWithRelay{Relay: DefaultConfig()}); err != nil {
			t.Errorf("Decode(%q) = %v, want no error", routes, err)
		}
	}
}

// TestWarmupMustNotDecrease: a warm-up whose daily cap falls (200, then
// 150: a digit missing from 1500) is refused at the cap that falls; caps
// that stay level are taken.
func TestWarmupMustNotDecrease(t *testing.T) {
	t.Parallel()
	const head = "relay:\n  paths:\n    - {name: a, host: '127.0.0.1:2526', warmup_start: '2026-11-01', warmup: "
	err := config.Decode("w.yaml", []byte(head+"[100, 200, 150, 400]}\n"), &fileWithRelay{Relay: DefaultConfig()})
	if want := `w.yaml:3:88: relay.paths[0].warmup[2]: 150 is below the day before's 200`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Decode = %v\nwant it to hold %s", err, want)
	}
	if err := config.Decode("w.yaml", []byte(head+"[100, 100, 400]}\n"), &fileWithRelay{Relay: DefaultConfig()}); err != nil {
		t.Errorf("level caps: %v, want no error", err)
	}
}

// TestRoutePatternWithTrailingDot: a recipient pattern written as a
// fully qualified name ("shop.test.") matches the addresses of that
// domain, which the relay records without the dot; it matched nothing,
// and its mail went over the last route.
func TestRoutePatternWithTrailingDot(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		patterns []string
		domain   string
		want     bool
	}{
		{[]string{"shop.test."}, "shop.test", true},
		{[]string{"*.Shop.Test."}, "eu.shop.test", true},
		{[]string{"shop.test."}, "other.test", false},
	} {
		if got := matchDomains(tt.patterns, tt.domain); got != tt.want {
			t.Errorf("matchDomains(%q, %q) = %v, want %v", tt.patterns, tt.domain, got, tt.want)
		}
	}
}
