package main

import (
	"net"
	"testing"

	"github.com/relaylab/relaylab/sink"
)

// TestS14SinkTryTLSFlags: the swaks line has the TLS flags the picked
// listener needs to take its mail: STARTTLS (swaks's -tls) before an
// AUTH that auth.require_tls takes only under TLS (without it, swaks's
// AUTH gets 538), --tls-on-connect for implicit TLS (and no -tls beside
// it), and neither where the mail goes without AUTH.
func TestS14SinkTryTLSFlags(t *testing.T) {
	t.Parallel()
	at := map[string]net.Addr{"mx": &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 44150}}
	users := map[string]string{"carol": "pw3"}
	for _, tc := range []struct {
		name string
		lc   sink.ListenerConfig
		want string
	}{
		{"required AUTH under STARTTLS only", sink.ListenerConfig{Name: "mx", TLS: "starttls", Auth: sink.AuthConfig{Mode: "required", RequireTLS: true, Users: users}},
			"swaks --server 127.0.0.1:44150 -tls --auth-user carol"},
		{"required AUTH, TLS left to the default", sink.ListenerConfig{Name: "mx", Auth: sink.AuthConfig{Mode: "required", RequireTLS: true, Users: users}},
			"swaks --server 127.0.0.1:44150 -tls --auth-user carol"},
		{"required AUTH in the clear", sink.ListenerConfig{Name: "mx", Auth: sink.AuthConfig{Mode: "required", Users: users}},
			"swaks --server 127.0.0.1:44150 --auth-user carol"},
		{"required AUTH under implicit TLS", sink.ListenerConfig{Name: "mx", TLS: "implicit", Auth: sink.AuthConfig{Mode: "required", RequireTLS: true, Users: users}},
			"swaks --server 127.0.0.1:44150 --tls-on-connect --auth-user carol"},
		{"optional AUTH under STARTTLS only", sink.ListenerConfig{Name: "mx", Auth: sink.AuthConfig{Mode: "optional", RequireTLS: true, Users: users}},
			"swaks --server 127.0.0.1:44150"},
		{"implicit TLS, no AUTH", sink.ListenerConfig{Name: "mx", TLS: "implicit"},
			"swaks --server 127.0.0.1:44150 --tls-on-connect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := sinkTry([]sink.ListenerConfig{tc.lc}, nil, at); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// A listener that a connect rule refuses to everyone is not the one the
// try line suggests while another takes mail; a rule that refuses only
// some clients, or only sometimes, does not count.
func TestSinkTrySkipsListenerRefusedAtConnect(t *testing.T) {
	t.Parallel()
	ls := []sink.ListenerConfig{{Name: "closed"}, {Name: "open"}}
	at := map[string]net.Addr{
		"closed": &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 44151},
		"open":   &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 44152},
	}
	half := 0.5
	for _, tc := range []struct {
		name  string
		rules []sink.Rule
		want  string
	}{
		{"554 greeting", []sink.Rule{{Stage: "connect", Listener: "closed", Reply: "554 5.7.1 go away"}}, "swaks --server 127.0.0.1:44152"},
		{"drop", []sink.Rule{{Stage: "connect", Listener: "closed", Drop: true}}, "swaks --server 127.0.0.1:44152"},
		{"some clients only", []sink.Rule{{Stage: "connect", Listener: "closed", Client: "127.0.0.2", Reply: "554 5.7.1 go away"}}, "swaks --server 127.0.0.1:44151"},
		{"sometimes", []sink.Rule{{Stage: "connect", Listener: "closed", Probability: &half, Reply: "421 4.3.2 busy"}}, "swaks --server 127.0.0.1:44151"},
		{"a 220 banner", []sink.Rule{{Stage: "connect", Listener: "closed", Reply: "220 hello"}}, "swaks --server 127.0.0.1:44151"},
		{"every listener refused", []sink.Rule{{Stage: "connect", Reply: "554 5.7.1 go away"}}, "swaks --server 127.0.0.1:44151"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := sinkTry(ls, tc.rules, at); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
