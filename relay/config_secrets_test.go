package relay

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestConfigSecrets: the relay's passwords are neither empty nor the
// "<redacted>" that relaylab config prints in their place, refused at
// their line and key wherever a relay section is read (a configuration
// file, a scenario).
func TestConfigSecrets(t *testing.T) {
	t.Parallel()
	const path = "    - {name: p, host: 'smtp.example.test:587', tls: required, "
	for _, tt := range []struct{ name, yaml, want string }{
		{"empty user password", "relay:\n  users: {app: \"\"}\n", `relaylab.yaml:2:16: relay.users.app: user "app" has an empty password`},
		{"null user password", "relay:\n  users:\n    app:\n", `relay.users.app: user "app" has an empty password`},
		{"redacted user password", "relay:\n  users:\n    app: <redacted>\n", `relaylab.yaml:3:10: relay.users.app: "<redacted>" is what relaylab config prints in place of a secret: this file came from ` + "`relaylab config`" + ` without --show-secrets`},
		{"redacted path password", "relay:\n  paths:\n" + path + "username: u, password: <redacted>}\n", `relaylab.yaml:3:86: relay.paths[0].password: "<redacted>" is what relaylab config prints`},
		{"username without password", "relay:\n  paths:\n" + path + "username: u}\n", `relay.paths[0].password: username "u" has no password`},
		{"password without username", "relay:\n  paths:\n" + path + "password: p}\n", `relaylab.yaml:3:73: relay.paths[0].password: a password without a username is never sent (AUTH needs both)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fileWithRelay{Relay: DefaultConfig()}
			err := config.Decode("relaylab.yaml", []byte(tt.yaml), f)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
	f := &fileWithRelay{Relay: DefaultConfig()}
	if err := config.Decode("ok.yaml", []byte("relay:\n  users: {app: s3cret}\n  paths:\n"+path+"username: u, password: p}\n"), f); err != nil {
		t.Errorf("real passwords: %v", err)
	}
}
