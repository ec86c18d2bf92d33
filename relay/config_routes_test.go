package relay

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestLastRouteMustMatchEverything: a route list whose last route has a
// filter (recipients, senders, an attempt bound) is refused at that
// filter's key, with the route to add, instead of sending every recipient
// no route matched over that last route whatever its filter said (mail for
// customer@elsewhere.test went out over a path meant for corp.test).
// A route after one that matches everything is refused as never used.
func TestLastRouteMustMatchEverything(t *testing.T) {
	t.Parallel()
	const paths = "relay:\n  paths:\n    - {name: internal-only, host: '127.0.0.1:2526'}\n    - {name: out, host: '127.0.0.1:2527'}\n  routes:\n"
	for _, tt := range []struct {
		name, routes, want string
	}{
		{"recipients on the only route", "    - {name: corp, recipients: [corp.test], paths: [internal-only]}\n",
			`c1.yaml:6:32: relay.routes[0].recipients: route "corp" is the last route but has recipients, so some recipients would match no route: the last route must take every recipient the routes before it leave; add a last route without recipients, senders or attempt bounds, such as {name: default, paths: [...]} over the paths that carry everything else, or remove recipients from this one`},
		{"senders on the last route", "    - {name: a, recipients: [a.test], paths: [out]}\n    - {name: b, senders: [shop.test], paths: [out]}\n",
			`relay.routes[1].senders: route "b" is the last route but has senders`},
		{"min_attempt on the last route", "    - {name: late, min_attempt: 3, paths: [out]}\n",
			`relay.routes[0].min_attempt: route "late" is the last route but has min_attempt`},
		{"max_attempt on the last route", "    - {name: early, max_attempt: 3, paths: [out]}\n",
			`relay.routes[0].max_attempt: route "early" is the last route but has max_attempt`},
		{"a route after a match-all", "    - {name: all, paths: [out]}\n    - {name: corp, recipients: [corp.test], paths: [internal-only]}\n",
			`c1.yaml:7:7: relay.routes[1]: route "corp" is never used: route "all" before it (routes[0]) matches every recipient, and the first route that matches wins; move it before "all", or remove it`},
		{"a match-all by star after a match-all", "    - {name: all, recipients: ['*'], paths: [out]}\n    - {name: again, paths: [out]}\n",
			`relay.routes[1]: route "again" is never used`},
		{"duplicate names", "    - {name: corp, recipients: [corp.test], paths: [internal-only]}\n    - {name: corp, paths: [out]}\n",
			`c1.yaml:7:14: relay.routes[1].name: route "corp" is defined twice (routes[0] has the name too)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fileWithRelay{Relay: DefaultConfig()}
			err := config.Decode("c1.yaml", []byte(paths+tt.routes), f)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode = %v\nwant it to hold %s", err, tt.want)
			}
		})
	}
	for _, routes := range []string{
		"    - {name: corp, recipients: [corp.test], paths: [internal-only]}\n    - {name: default, paths: [out]}\n",
		"    - {name: corp, recipients: [corp.test], paths: [internal-only]}\n    - {name: default, recipients: ['*'], senders: ['*'], min_attempt: 1, paths: [out]}\n",
		"    - {name: first, max_attempt: 2, paths: [internal-only]}\n    - {name: then, paths: [out]}\n",
	} {
		f := &fileWithRelay{Relay: DefaultConfig()}
		if err := config.Decode("c1.yaml", []byte(paths+routes), f); err != nil {
			t.Errorf("Decode(%q) = %v, want no error", routes, err)
		}
	}
}

// TestRouteKeysNamed: each mistake in a route is refused at its own key:
// a negative min_attempt or max_attempt was reported at fallback_after,
// and a min_attempt above max_attempt, a fallback without fallback_after
// (never used) or a fallback_after without fallback were accepted.
func TestRouteKeysNamed(t *testing.T) {
	t.Parallel()
	const head = "relay:\n  paths:\n    - {name: a, host: '127.0.0.1:2526'}\n    - {name: b, host: '127.0.0.1:2527'}\n  routes:\n"
	const tail = "    - {name: default, paths: [a]}\n"
	for _, tt := range []struct{ route, want string }{
		{"{name: r, recipients: [x.test], min_attempt: -1, paths: [a]}",
			"relay.routes[0].min_attempt: -1: attempt numbers must not be negative (they count from 1; 0 or left out: no lower bound)"},
		{"{name: r, recipients: [x.test], max_attempt: -2, paths: [a]}",
			"relay.routes[0].max_attempt: -2: attempt numbers must not be negative"},
		{"{name: r, recipients: [x.test], fallback: b, fallback_after: -1, paths: [a]}",
			"relay.routes[0].fallback_after: -1: attempt numbers must not be negative"},
		{"{name: r, recipients: [x.test], min_attempt: 5, max_attempt: 2, paths: [a]}",
			"relay.routes[0].max_attempt: 2 is below min_attempt 5: no attempt number is both, so the route would never match"},
		{"{name: r, recipients: [x.test], fallback: b, paths: [a]}",
			`relay.routes[0].fallback: "b" without fallback_after: the fallback path replaces the route's paths after fallback_after failed attempts, so without it the fallback is never used`},
		{"{name: r, recipients: [x.test], fallback_after: 3, paths: [a]}",
			"relay.routes[0].fallback_after: 3 without fallback: "},
	} {
		f := &fileWithRelay{Relay: DefaultConfig()}
		err := config.Decode("c7.yaml", []byte(head+"    - "+tt.route+"\n"+tail), f)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Decode = %v\nwant it to hold %s", tt.route, err, tt.want)
		}
	}
}
