package sink

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestListenerLimitsAreWhole: a fraction in a listener's limits is refused
// at its line and key, not cut down (ListenerConfig decodes itself).
func TestListenerLimitsAreWhole(t *testing.T) {
	t.Parallel()
	var f struct {
		Sink Config `yaml:"sink"`
	}
	doc := "sink:\n  listeners:\n    - name: mx\n      listen: 127.0.0.1:0\n      limits:\n        max_recipients: 1.5\n"
	err := config.Decode("t.yaml", []byte(doc), &f)
	if err == nil || !strings.Contains(err.Error(), "sink.listeners[0].limits.max_recipients: want a whole number, got 1.5") {
		t.Errorf("a fraction in a listener's limits: %v", err)
	}
}
