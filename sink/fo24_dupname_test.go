package sink

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestFO24ListenerDefinedTwice: walk item (e). `listener "mx" is defined
// twice` said neither where the first is nor what to do. It names the
// first listener of that name and asks for a name of each one's own,
// with one that is free.
func TestFO24ListenerDefinedTwice(t *testing.T) {
	t.Parallel()
	data := []byte("listeners:\n  - name: mx\n    listen: 127.0.0.1:0\n  - name: mx2\n    listen: 127.0.0.1:0\n  - name: mx\n    listen: 127.0.0.1:0\n")
	cfg := DefaultConfig()
	err := config.DecodeRoot("s.yaml", "sink", data, &cfg)
	if err == nil {
		t.Fatal("two listeners named mx: no error")
	}
	for _, want := range []string{"s.yaml:6:", "sink.listeners[2].name: listener \"mx\" is defined twice (sink.listeners[0] at line 2 has the name too)",
		"give each listener its own name, such as mx3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
