package scenario

import (
	"errors"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// mxScenario is a scenario with an mx path, its zone and addresses given.
func mxScenario(zone, addresses, to string) string {
	return "name: x\ndns:\n  zone: |\n" + indent(zone, "    ") + addresses +
		"relay:\n  paths: [{name: direct, type: mx, tls: none}]\n  retry: {kind: list, schedule: [10m], max_age: 30m}\n" +
		"messages:\n  - {from: a@shop.test, to: [\"" + to + "\"]}\n"
}

func indent(s, by string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString(by + l)
		}
	}
	return b.String()
}

const goodZone = "$ORIGIN test.\nshop MX 10 mx.shop\nmx.shop A 192.0.2.10\nexample MX 10 mx.example\nmx.example A 192.0.2.25\n"

// TestDNSSection: the dns section is checked against the paths and the
// listeners, with the file, line and key of what is wrong.
func TestDNSSection(t *testing.T) {
	t.Parallel()
	sinkAddrs := "  addresses: {192.0.2.25: sink, 192.0.2.10: sink}\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"dns without an mx path", "name: x\ndns: {zone: \"x.test. MX 10 mx.x.test.\"}\nmessages:\n  - to: [a@b.test]\n",
			"bad.yaml:2:6: dns: only a relay path of type mx asks the DNS"},
		{"mx path without a zone", "name: x\nrelay:\n  paths: [{name: direct, type: mx}]\nmessages:\n  - to: [a@b.test]\n",
			"relay.paths[0]: an mx path asks the DNS, and a replay asks only its own: add dns.zone"},
		{"bad record, its line in the zone", mxScenario("$ORIGIN test.\nshop MX 10 mx.shop\nmx.shop A not-an-address\n", sinkAddrs, "u@example.test"),
			"bad.yaml:3:9: dns.zone: dns: bad A A: \"not-an-address\" at line 3:24 of the zone"},
		{"bad directive, its line in the zone", mxScenario("$ORIGIN test.\n;@dnstest sometimes broken.test.\n", sinkAddrs, "u@example.test"),
			"dns.zone: line 2 of the zone: want \";@dnstest BEHAVIOUR NAME\" with a known behaviour"},
		{"address that is not one", mxScenario(goodZone, "  addresses: {mx.example.test: sink}\n", "u@example.test"),
			`dns.addresses: "mx.example.test" is not an IP address`},
		{"address of something else than the sink", mxScenario(goodZone, "  addresses: {192.0.2.25: \"smtp.example.com:25\"}\n", "u@example.test"),
			`dns.addresses: 192.0.2.25: "smtp.example.com:25": want sink (the first listener) or sink:NAME`},
		{"address of an unknown listener", mxScenario(goodZone, "  addresses: {192.0.2.25: \"sink:backup\"}\n", "u@example.test"),
			`dns.addresses: 192.0.2.25: no sink listener named "backup"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("bad.yaml", []byte(tc.yaml))
			var ce *config.Error
			if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := Parse("ok.yaml", []byte(mxScenario(goodZone, sinkAddrs, "u@example.test"))); err != nil {
		t.Errorf("a good dns section: %v", err)
	}
}

// TestDNSReplay: an mx path asks the scenario's zone, whose names alone
// exist (a domain under a top-level domain the zone never names is
// NXDOMAIN too, not a refused query), and reaches the sink only at the
// addresses dns.addresses maps; any other address is refused without a
// connection leaving the machine.
func TestDNSReplay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, addresses, to string
		status, category    string
		attempts            int
		wantError           string
	}{
		{"mapped address", "  addresses: {192.0.2.25: sink, 192.0.2.10: sink}\n", "u@example.test", "delivered", "", 1, ""},
		{"unknown top-level domain", "  addresses: {192.0.2.10: sink}\n", "u@nowhere.invalid", "bounced", "no-such-domain", 0, ""},
		{"unmapped address", "  addresses: {192.0.2.10: sink}\n", "u@example.test", "expired", "connection", 4,
			"dial 192.0.2.25:25: connection refused (the scenario's dns.addresses puts no sink listener there"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc, err := Parse("dns.yaml", []byte(mxScenario(goodZone, tc.addresses, tc.to)))
			if err != nil {
				t.Fatal(err)
			}
			out := replay(t, sc)
			var found bool
			for _, r := range out.Data.Recipients {
				if r.Address != tc.to {
					continue
				}
				found = true
				if r.Status != tc.status || r.Category != tc.category || len(r.Attempts) != tc.attempts {
					t.Errorf("%s: status %s, category %q, %d attempts; want %s, %q, %d (%s)",
						r.Address, r.Status, r.Category, len(r.Attempts), tc.status, tc.category, tc.attempts, r.Reason)
				}
				if tc.wantError != "" && (len(r.Attempts) == 0 || !strings.Contains(r.Attempts[0].Error, tc.wantError)) {
					t.Errorf("attempts %+v; want the first to fail with %q", r.Attempts, tc.wantError)
				}
			}
			if !found {
				t.Fatalf("no recipient %s in the replay", tc.to)
			}
		})
	}
}
