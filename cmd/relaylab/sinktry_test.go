package main

import (
	"net"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/sink"
)

// TestSinkTry: the swaks line sink and serve print names a listener that
// takes the mail it suggests, the same one on every run, with the flags
// it needs.
func TestSinkTry(t *testing.T) {
	t.Parallel()
	at := func(port int) net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port} }
	secure := sink.ListenerConfig{Name: "secure", Auth: sink.AuthConfig{Mode: "required", Users: map[string]string{"zed": "x", "app": "s3cret"}}}
	plain := sink.ListenerConfig{Name: "plain"}
	smtps := sink.ListenerConfig{Name: "smtps", TLS: "implicit"}
	for _, tc := range []struct {
		name      string
		ls        []sink.ListenerConfig
		addrs     map[string]net.Addr
		want, not string
	}{
		{"auth first in the file", []sink.ListenerConfig{secure, plain},
			map[string]net.Addr{"secure": at(43612), "plain": at(43611)}, "swaks --server 127.0.0.1:43611", "--auth"},
		{"plain after implicit TLS", []sink.ListenerConfig{smtps, secure, plain},
			map[string]net.Addr{"smtps": at(43613), "secure": at(43612), "plain": at(43611)}, "swaks --server 127.0.0.1:43611", "--tls"},
		{"implicit TLS before AUTH", []sink.ListenerConfig{secure, smtps},
			map[string]net.Addr{"smtps": at(43613), "secure": at(43612)}, "swaks --server 127.0.0.1:43613 --tls-on-connect", "--auth"},
		{"only AUTH", []sink.ListenerConfig{secure},
			map[string]net.Addr{"secure": at(43612)}, "swaks --server 127.0.0.1:43612 --auth-user app", "s3cret"},
		{"unspecified address", []sink.ListenerConfig{plain},
			map[string]net.Addr{"plain": &net.TCPAddr{IP: net.IPv4zero, Port: 43611}}, "swaks --server 127.0.0.1:43611", "0.0.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := 0; i < 20; i++ { // a map's order changes from run to run
				got := sinkTry(tc.ls, nil, tc.addrs)
				if got != tc.want && !strings.HasPrefix(got, tc.want+" ") {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
				if strings.Contains(got, tc.not) {
					t.Fatalf("got %q, has %q", got, tc.not)
				}
			}
		})
	}
}
