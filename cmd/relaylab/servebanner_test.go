package main

import (
	"net"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/relay"
)

// TestRelayBanner: serve's words about its relay say what the
// configuration allows, and the swaks line is one that gets through.
func TestRelayBanner(t *testing.T) {
	t.Parallel()
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 43187}
	for _, tc := range []struct {
		name      string
		nets      []string
		users     map[string]string
		want, not []string
	}{
		{"loopback allowed", []string{"127.0.0.0/8", "::1/128"}, nil,
			[]string{"loopback may send without AUTH", "try: swaks --server 127.0.0.1:43187 --to 'defer2+you@example.test'"}, []string{"--auth"}},
		{"no networks, users", []string{}, map[string]string{"zed": "x", "app": "s3cret"},
			[]string{"AUTH required", "users: app, zed", "try: swaks --server 127.0.0.1:43187 -tls --auth-user app --to"}, []string{"without AUTH", "s3cret"}},
		{"one loopback address", []string{"127.0.0.1/32"}, nil,
			[]string{"(submission; 127.0.0.1 may send without AUTH)"}, []string{"loopback may"}},
		{"loopback and users", []string{"127.0.0.0/8"}, map[string]string{"alice": "x"},
			[]string{"loopback may send without AUTH, others after AUTH; users: alice"}, nil},
		{"other networks, no users", []string{"10.0.0.0/8"}, nil,
			[]string{"no one can submit", "530 5.7.0", "relay.users"}, []string{"try: swaks", "without AUTH"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(relayBanner(addr, relay.Config{AllowedNetworks: tc.nets, Users: tc.users}), "\n")
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("banner lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("banner has %q:\n%s", n, got)
				}
			}
		})
	}
	// A relay bound to an address of its own is reached from that address
	// on this machine, not from loopback.
	own := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 5), Port: 43187}
	if got := strings.Join(relayBanner(own, relay.Config{AllowedNetworks: []string{"127.0.0.0/8"}}), "\n"); strings.Contains(got, "without AUTH") ||
		!strings.Contains(got, "does not cover 192.0.2.5 (this machine)") {
		t.Errorf("relay on 192.0.2.5 with only loopback allowed:\n%s", got)
	}
	if got := strings.Join(relayBanner(own, relay.Config{AllowedNetworks: []string{"192.0.2.0/24"}}), "\n"); !strings.Contains(got, "192.0.2.5 (this machine) may send without AUTH") {
		t.Errorf("relay on 192.0.2.5 with its network allowed:\n%s", got)
	}
	// A relay on every address is reached on loopback.
	all := &net.TCPAddr{IP: net.IPv4zero, Port: 43187}
	if got := strings.Join(relayBanner(all, relay.Config{AllowedNetworks: []string{"127.0.0.0/8"}}), "\n"); !strings.Contains(got, "--server 127.0.0.1:43187") {
		t.Errorf("relay on 0.0.0.0:\n%s", got)
	}
}
