package relay

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestConfigMistakesRefused: values that were accepted and then ignored
// or sent as they were (a port a smarthost never dials, a host name with
// spaces in EHLO and every Message-ID, verify with no TLS, an auth
// mechanism with no one to log in) are refused at their key, saying what
// to write instead.
func TestConfigMistakesRefused(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ yaml, want string }{
		{"relay:\n  paths:\n    - {name: p, host: '127.0.0.1:25', port: 26}\n",
			`relay.paths[0].port: 26 on a smarthost path, whose port is the one in host ("127.0.0.1:25"), which the relay dials as written`},
		{"relay:\n  hostname: 'not a host name!'\n",
			`relay.hostname: "not a host name!": ' ' is not a letter, digit or hyphen, all a host name may hold; the relay's name goes into its greeting`},
		{"relay:\n  hostname: 'relay..test'\n", `relay.hostname: "relay..test": an empty label`},
		{"relay:\n  dsn: {bounce_address: not-an-address}\n",
			`relay.dsn.bounce_address: "not-an-address": no @: a mailbox is local-part@domain; write a mailbox the relay receives DSNs at`},
		{"relay:\n  dsn: {bounce_address: '<bounces@shop.test>'}\n",
			`relay.dsn.bounce_address: "<bounces@shop.test>": angle brackets belong to SMTP's path`},
		{"relay:\n  dsn: {bounce_address: 'bounces@shop test'}\n", `relay.dsn.bounce_address: "bounces@shop test": a space is not allowed`},
		{"relay:\n  paths:\n    - {name: p, host: '127.0.0.1:25', helo: 'bad name with spaces'}\n",
			`relay.paths[0].helo: "bad name with spaces": ' ' is not a letter, digit or hyphen, all a host name may hold; EHLO takes the relay's own host name (RFC 5321 4.1.1.1)`},
		{"relay:\n  paths:\n    - {name: p, host: '127.0.0.1:25', helo: '[300.1.1.1]'}\n",
			`relay.paths[0].helo: "[300.1.1.1]": [300.1.1.1] is not an IPv4 address literal`},
		{"relay:\n  paths:\n    - {name: p, host: '127.0.0.1:25', tls: none, verify: true}\n",
			`relay.paths[0].verify: true with tls: none: the path never starts TLS, so there is no certificate to check`},
		{"relay:\n  paths:\n    - {name: p, host: '127.0.0.1:25', tls: required, auth: plain}\n",
			`relay.paths[0].auth: "plain" with no username: auth chooses the mechanism the path logs in with`},
		{"relay:\n  retry: {preset: postfix, max_attempts: -1}\n",
			`relay.retry.max_attempts: -1: must not be negative (0 or left out: no limit on attempts)`},
		{"relay:\n  retry: {preset: postfix, bounce_max_age: -1h}\n",
			`relay.retry.bounce_max_age: -1h0m0s: must not be negative`},
		{"relay:\n  retry: {preset: postfix, max_age: -1h}\n",
			`relay.retry.max_age: -1h0m0s: must not be negative`},
	} {
		f := &fileWithRelay{Relay: DefaultConfig()}
		err := config.Decode("c6.yaml", []byte(tt.yaml), f)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Decode(%q) = %v\nwant it to hold %s", tt.yaml, err, tt.want)
		}
	}
	for _, good := range []string{
		"relay:\n  hostname: relay.example.test.\n  dsn: {bounce_address: bounces@shop.test}\n",
		"relay:\n  hostname: '[127.0.0.1]'\n",
		"relay:\n  paths:\n    - {name: p, host: '127.0.0.1:25', helo: out-1.relay.test, tls: required, verify: true, username: u, password: p, auth: login}\n    - {name: m, type: mx, port: 2525}\n",
	} {
		f := &fileWithRelay{Relay: DefaultConfig()}
		if err := config.Decode("c6.yaml", []byte(good), f); err != nil {
			t.Errorf("Decode(%q) = %v, want no error", good, err)
		}
	}
}
