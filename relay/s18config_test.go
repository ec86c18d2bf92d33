package relay

import (
	"strings"
	"testing"
)

// TestConfigResolverPortOutOfRange: an IP address with a port over 65535,
// or one that is no number, is refused for its port; it was said to name
// a host that would be looked up.
func TestConfigResolverPortOutOfRange(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ bad, want string }{
		{"127.0.0.1:99999", "port 99999 is out of range (a port is 1 to 65535)"},
		{"[::1]:70000", "port 70000 is out of range"},
		{"127.0.0.1:dns", `port "dns" is not a number from 1 to 65535: write 127.0.0.1:53`},
	} {
		cfg := DefaultConfig()
		cfg.Resolvers = []string{tt.bad}
		err := cfg.Validate("relay")
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "names a host") {
			t.Errorf("resolvers %q: %v, want %q", tt.bad, err, tt.want)
		}
	}
}
