package relay

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// A path's name is part of its destinations' keys (path:NAME,
// path:NAME:DOMAIN, mx:NAME:HOSTS), which a hold's text carries up to
// the first space and a restart reads back up to the first colon. A name
// with a colon made path a's mail to domain b (destination: domain) and
// path a:b one destination, whose rest a restart gave back to the wrong
// path; one with a space made holds that no restart could read back. Both
// are refused at the path's name, saying why.
func TestPathNameRefusesColonAndSpace(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"colon beside a domain path",
			"relay:\n  paths:\n    - {name: a, host: 'h:25', destination: domain}\n    - {name: 'a:b', host: 'h:25'}\n  routes: [{paths: [a, 'a:b']}]\n",
			`relaylab.yaml:4:14: relay.paths[1].name: "a:b": a path's name must not hold ':'`},
		{"space", "relay:\n  paths:\n    - {name: 'my path', host: 'h:25'}\n  routes: [{paths: ['my path']}]\n",
			`relaylab.yaml:3:14: relay.paths[0].name: "my path": a path's name must not hold spaces`},
		{"tab", "relay:\n  paths:\n    - {name: \"p\\tq\", host: 'h:25'}\n  routes: [{paths: [\"p\\tq\"]}]\n",
			`relay.paths[0].name: "p\tq": a path's name must not hold spaces`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := &fileWithRelay{Relay: DefaultConfig()}
			err := config.Decode("relaylab.yaml", []byte(tc.yaml), f)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	// The names that ship, and those with dots, dashes and digits, pass.
	for _, name := range []string{"local-sink", "primary", "new-ip", "tls-only", "mx2.backup_1"} {
		c := DefaultConfig()
		c.Paths[0].Name = name
		c.Routes = nil
		if err := c.Validate("relay"); err != nil {
			t.Errorf("path name %q: %v, want no error", name, err)
		}
	}
}
