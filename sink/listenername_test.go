package sink

import (
	"strings"
	"testing"
)

// TestListenerWithoutName: a listener without a name is told it needs
// one, and what the default's is, at its line; the error said only that
// "" was not a short name of letters and digits.
func TestListenerWithoutName(t *testing.T) {
	t.Parallel()
	_, err := decodeSink(t, "sink:\n  listeners:\n    - {listen: '127.0.0.1:0'}\n")
	if err == nil || !strings.Contains(err.Error(), "sink.yaml:3:") || !strings.Contains(err.Error(), "sink.listeners[0].name: every listener needs a name") ||
		!strings.Contains(err.Error(), "the default listener is mx") {
		t.Errorf("got %v, want the missing name said at its line", err)
	}
}
