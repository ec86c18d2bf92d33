package relay

import (
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestConfigNumbersAreWhole: a count that is not a whole number, or does
// not fit, is refused at its file, line and key in words ("want a whole
// number"), not in the YAML library's Go type names; 1.5 is refused, not
// cut to 1.
func TestConfigNumbersAreWhole(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		yaml, want string
	}{
		{"relay:\n  paths:\n    - name: p\n      type: mx\n      max_mx_sessions: \"two\"\n",
			`relaylab.yaml:5:24: relay.paths[0].max_mx_sessions: want a whole number, got "two"`},
		{"relay:\n  paths:\n    - {name: p, type: mx, max_mx_sessions: 99999999999999999999}\n",
			`relaylab.yaml:3:44: relay.paths[0].max_mx_sessions: want a whole number, got 99999999999999999999, which is too large (at most 9223372036854775807)`},
		{"relay:\n  paths:\n    - {name: p, type: mx, max_mx_addresses: 1.5}\n",
			`relaylab.yaml:3:45: relay.paths[0].max_mx_addresses: want a whole number, got 1.5`},
		{"relay:\n  workers: 2.5\n", `relaylab.yaml:2:12: relay.workers: want a whole number, got 2.5`},
		{"relay:\n  max_message_bytes: ten\n", `relaylab.yaml:2:22: relay.max_message_bytes: want a whole number, got "ten"`},
		{"relay:\n  retry: {max_attempts: 3.5}\n", `relaylab.yaml:2:25: relay.retry.max_attempts: want a whole number, got 3.5`},
		{"relay:\n  paths:\n    - {name: p, host: 'h:25', warmup: [10, 20.5]}\n",
			`relaylab.yaml:3:44: relay.paths[0].warmup[1]: want a whole number, got 20.5`},
		{"relay:\n  routes:\n    - {split: [{path: local-sink, weight: 0.5}]}\n",
			`relaylab.yaml:3:43: relay.routes[0].split[0].weight: want a whole number, got 0.5`},
		{"relay:\n  suppression: {soft_bounces: yes}\n", `relaylab.yaml:2:31: relay.suppression.soft_bounces: want a whole number, got "yes"`},
	} {
		f := &fileWithRelay{Relay: DefaultConfig()}
		err := config.Decode("relaylab.yaml", []byte(tt.yaml), f)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Decode(%q) = %v\nwant %s", tt.yaml, err, tt.want)
		}
	}
}
