package relay

import (
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/config"
)

// TestNegativePathTimeoutsRefused: a negative timeout or backoff on a path
// is an error naming its key, instead of being replaced by the default
// without a word.
func TestNegativePathTimeoutsRefused(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"connect_timeout", "command_timeout", "data_timeout", "backoff"} {
		c := testConfig("127.0.0.1:25")
		v := config.Duration(-time.Minute)
		switch key {
		case "connect_timeout":
			c.Paths[0].ConnectTimeout = v
		case "command_timeout":
			c.Paths[0].CommandTimeout = v
		case "data_timeout":
			c.Paths[0].DataTimeout = v
		case "backoff":
			c.Paths[0].Backoff = v
		}
		err := c.Validate("relay")
		if err == nil || !strings.Contains(err.Error(), "paths[0]."+key) || !strings.Contains(err.Error(), "must not be negative") {
			t.Errorf("%s -1m: %v, want refused naming the key", key, err)
		}
	}
}
