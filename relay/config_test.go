package relay

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

type fileWithRelay struct {
	Relay Config `yaml:"relay"`
}

func (f *fileWithRelay) Validate(string) error { return f.Relay.Validate("relay") }

func TestConfigErrorsNameKeyAndLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", "relay:\n  listne: x\n", "listne"},
		{"bad listen", "relay:\n  listen: nope\n", "relay.listen"},
		{"listen port out of range", "relay:\n  listen: 127.0.0.1:99999\n", `relaylab.yaml:2:11: relay.listen: "127.0.0.1:99999": port 99999 is out of range (0-65535)`},
		{"tls_listen port not a number", "relay: {tls_listen: '127.0.0.1:465x'}\n", `relaylab.yaml:1:21: relay.tls_listen: "127.0.0.1:465x": port "465x" is not a number`},
		{"smarthost port out of range", "relay:\n  paths:\n    - {name: p, host: 'h:70000'}\n  routes: [{paths: [p]}]\n", `relaylab.yaml:3:23: relay.paths[0].host: "h:70000": port 70000 is out of range (1-65535)`},
		{"smarthost port 0", "relay:\n  paths:\n    - {name: p, host: 'h:0'}\n  routes: [{paths: [p]}]\n", `relay.paths[0].host: "h:0": port 0 is out of range (1-65535)`},
		{"smarthost without host", "relay:\n  paths:\n    - {name: p, host: ':25'}\n  routes: [{paths: [p]}]\n", `relay.paths[0].host: ":25" has no host`},
		{"open relay", "relay:\n  listen: 0.0.0.0:2587\n  allowed_networks: [127.0.0.0/8, 0.0.0.0/0]\n", `relaylab.yaml:3:35: relay.allowed_networks[1]: "0.0.0.0/0" would let a large part of the internet send through the relay without AUTH`},
		{"open relay over IPv6", "relay:\n  allowed_networks: ['::/0']\n", `relay.allowed_networks[0]: "::/0" would let`},
		{"IPv4-mapped network", "relay:\n  allowed_networks: ['::ffff:0.0.0.0/96']\n", `relay.allowed_networks[0]: "::ffff:0.0.0.0/96" is an IPv4-mapped IPv6 network, which matches no client`},
		{"half the internet", "relay:\n  allowed_networks: [0.0.0.0/1]\n", `relay.allowed_networks[0]: "0.0.0.0/1" would let`},
		{"bad cidr", "relay:\n  allowed_networks: [10.0.0.0/33]\n", "relay.allowed_networks[0]"},
		{"route to unknown path", "relay:\n  routes:\n    - {name: r, paths: [missing]}\n", "relay.routes[0].paths[0]"},
		{"bad tls", "relay:\n  paths:\n    - {name: p, host: 'h:25', tls: maybe}\n  routes: [{paths: [p]}]\n", "relay.paths[0].tls"},
		{"mx with host", "relay:\n  paths:\n    - {name: p, type: mx, host: 'h:25'}\n  routes: [{paths: [p]}]\n", "relay.paths[0].host"},
		{"bad preset", "relay:\n  retry: {preset: sendmail}\n", "relay.retry.preset"},
		{"list without schedule", "relay:\n  retry: {preset: '', kind: list}\n", "relay.retry.schedule"},
		{"bad jitter", "relay:\n  retry: {preset: '', kind: exponential, initial: 1m, factor: 2, jitter: 1.5}\n", "relay.retry.jitter"},
		{"bad rule", "relay:\n  classify:\n    - {code: '5', disposition: explode, category: x}\n", "relay.classify[0].disposition"},
		{"bad window", "relay:\n  routes:\n    - {paths: [local-sink], windows: ['9-5']}\n", "relay.routes[0].windows"},
		{"bad route sender", "relay:\n  routes:\n    - {paths: [local-sink], recipients: [a.test], senders: ['bad sender@x']}\n", "relay.routes[0].senders[0]"},
		{"overflowing weights", "relay:\n  routes:\n    - {split: [{path: local-sink, weight: 9223372036854775807}]}\n", "relay.routes[0].split[0].weight"},
		{"negative max_mx_sessions", "relay:\n  paths:\n    - name: p\n      type: mx\n      max_mx_sessions: -1\n  routes: [{paths: [p]}]\n", `relaylab.yaml:5:24: relay.paths[0].max_mx_sessions: -1: must not be negative (0 is no cap)`},
		{"negative max_mx_addresses", "relay:\n  paths:\n    - {name: p, type: mx, max_mx_addresses: -3}\n  routes: [{paths: [p]}]\n", `relay.paths[0].max_mx_addresses: -3: must not be negative`},
		// Each negative count is named as itself, at its own line.
		{"negative max_message_bytes", "relay:\n  hostname: x.test\n  max_message_bytes: -10\n", `relaylab.yaml:3:22: relay.max_message_bytes: -10: must not be negative`},
		{"negative batch", "relay:\n  workers: 3\n  batch: -1\n", `relaylab.yaml:3:10: relay.batch: -1: must not be negative`},
		{"negative rate", "relay:\n  paths:\n    - name: p\n      host: 127.0.0.1:25\n      rate: -1\n", `relaylab.yaml:5:13: relay.paths[0].rate: -1: must not be negative`},
		{"max_mx_addresses on a smarthost", "relay:\n  paths:\n    - {name: p, host: 'h:25', max_mx_addresses: 3}\n  routes: [{paths: [p]}]\n", `relay.paths[0].max_mx_addresses: caps the MX hosts of an mx path`},
		{"bad dkim", "relay:\n  dkim:\n    - {domain: d.test, selector: 'a_b', key_file: k}\n", "relay.dkim[0].selector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fileWithRelay{Relay: DefaultConfig()}
			err := config.Decode("relaylab.yaml", []byte(tt.yaml), f)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "relaylab.yaml:") {
				t.Errorf("error %q, want it to name relaylab.yaml:LINE and %q", err, tt.want)
			}
		})
	}
	f := &fileWithRelay{Relay: DefaultConfig()}
	if err := config.Decode("zero.yaml", []byte("relay: {listen: '127.0.0.1:0', tls_listen: '[::1]:0'}\n"), f); err != nil {
		t.Errorf("port 0 (any free port, as tests use): %v", err)
	}
	f = &fileWithRelay{Relay: DefaultConfig()}
	good := "relay:\n  retry: {preset: kumomta, max_attempts: 10}\n  paths:\n    - {name: mx, type: mx, max_mx_addresses: 0, max_mx_sessions: 3}\n    - {name: sh, host: 'smtp.example.test:587', tls: required, username: u, password: p, auth: login}\n" +
		"  routes:\n    - {recipients: ['*.example.test'], split: [{path: mx, weight: 3}, {path: sh, weight: 1}]}\n    - {paths: [sh, mx], fallback: mx, fallback_after: 3, windows: ['08:00-20:00'], timezone: Europe/Paris}\n"
	if err := config.Decode("good.yaml", []byte(good), f); err != nil {
		t.Fatalf("a good file: %v", err)
	}
	if c := newWalkCaps(f.Relay.Paths[0]); c != (walkCaps{addresses: 0, sessions: 3}) {
		t.Errorf("caps %+v, want addresses 0 (no cap) and sessions 3 as the file says", c)
	}
	if c := newWalkCaps(PathConfig{Type: "mx"}); c != (walkCaps{addresses: 5, sessions: 2}) {
		t.Errorf("default caps %+v, want Postfix's 5 addresses and 2 sessions", c)
	}
}

func FuzzConfig(f *testing.F) {
	f.Add("relay:\n  listen: 127.0.0.1:2587\n")
	f.Add("relay:\n  routes:\n    - {paths: [local-sink], windows: ['23:00-01:00']}\n")
	f.Add("relay:\n  retry: {kind: list, schedule: [1m, 5m]}\n")
	f.Fuzz(func(t *testing.T, y string) {
		c := &fileWithRelay{Relay: DefaultConfig()}
		if err := config.Decode("fuzz.yaml", []byte(y), c); err != nil {
			return
		}
		// What validates must build.
		if _, err := NewClassifier(c.Relay.Classify); err != nil {
			t.Fatalf("valid config, classifier fails: %v", err)
		}
		for _, rt := range c.Relay.Routes {
			if _, err := parseWindows(rt.Windows); err != nil {
				t.Fatalf("valid config, windows fail: %v", err)
			}
		}
	})
}
