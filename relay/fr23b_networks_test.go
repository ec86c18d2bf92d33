package relay

import (
	"fmt"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestAllowedNetworksAddUp: allowed_networks is refused when the
// networks beyond the private, loopback and link-local ones add up to
// more than the one /8 (or IPv6 /16) it takes as one entry, at the entry
// that goes over: 65 separate /8s, a quarter of IPv4, passed, as each
// /8 alone does. Private networks count for nothing, and a network
// listed twice, or inside another, counts once.
func TestAllowedNetworksAddUp(t *testing.T) {
	t.Parallel()
	var quarter []string
	for i := range 65 {
		quarter = append(quarter, fmt.Sprintf("%d.0.0.0/8", i+1))
	}
	tests := []struct {
		name string
		nets []string
		want string // "" for taken
	}{
		{"65 separate /8s", quarter, `relay.allowed_networks[1]: "2.0.0.0/8" brings the networks of allowed_networks that are not private, loopback or link-local to 33554432 addresses, as many as 2 /8 networks`},
		{"two public /8s", []string{"127.0.0.0/8", "8.0.0.0/8", "9.0.0.0/8"}, `relay.allowed_networks[2]: "9.0.0.0/8" brings`},
		{"IPv6 beyond one /16", []string{"2001::/16", "2a00::/16"}, `relay.allowed_networks[1]: "2a00::/16" brings the networks of allowed_networks that are not private, loopback or link-local to as many addresses as 2 /16 networks`},
		{"the private ones and loopback", []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "::1/128", "fc00::/7", "fe80::/10"}, ""},
		{"one public /8", []string{"10.0.0.0/8", "8.0.0.0/8"}, ""},
		{"a /8 holding a private /12, and one more /24", []string{"172.0.0.0/8", "198.51.100.0/24"}, ""},
		{"one /8 twice and nested", []string{"8.0.0.0/8", "8.8.0.0/16", "8.0.0.0/8"}, ""},
		{"IPv6 a /32 and a /48", []string{"2001:db8::/32", "2a00:1:2::/48", "::1/128"}, ""},
		{"IPv6 just over one /16", []string{"2001::/16", "2a00:1:2::/48"}, `relay.allowed_networks[1]: "2a00:1:2::/48" brings the networks of allowed_networks that are not private, loopback or link-local to more addresses than one /16 network`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fileWithRelay{Relay: DefaultConfig()}
			err := config.Decode("relaylab.yaml", []byte("relay:\n  allowed_networks: ['"+strings.Join(tt.nets, "', '")+"']\n"), f)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "relay.users")):
				t.Errorf("error %v, want %q and the advice to give senders a user in relay.users", err, tt.want)
			}
		})
	}
}

// TestAllowedNetworksWarnBeyondPrivate: each entry of allowed_networks
// that reaches beyond the private, loopback and link-local networks is
// warned of at its key (an open-relay risk, with what to do); those
// within them are not. One public /8 passed without a word.
func TestAllowedNetworksWarnBeyondPrivate(t *testing.T) {
	t.Parallel()
	c := DefaultConfig()
	c.AllowedNetworks = []string{"127.0.0.0/8", "10.1.0.0/16", "8.0.0.0/8", "192.168.0.0/16", "203.0.113.7/32", "fd00::/8", "2001:db8::/32", "172.0.0.0/8"}
	ws := c.networkWarnings("relay")
	var got []string
	for _, w := range ws {
		got = append(got, w.Error())
	}
	want := []string{"relay.allowed_networks[2]", "relay.allowed_networks[4]", "relay.allowed_networks[6]", "relay.allowed_networks[7]"}
	if len(got) != len(want) {
		t.Fatalf("warnings %q, want one at each of %q", got, want)
	}
	for i, w := range got {
		if !strings.HasPrefix(w, want[i]+": ") || !strings.Contains(w, "open relay") || !strings.Contains(w, "relay.users") {
			t.Errorf("warning %q, want it at %s, naming the open-relay risk and relay.users", w, want[i])
		}
	}
}
