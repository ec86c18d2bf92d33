package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/relay"
)

// TestFO22SinkBeyondLoopbackNamesBackscatter: walk M4. In serve with
// sink.bounce.relay unset, the sink's late bounces go through serve's own
// relay, to whatever sender a client claims: with a sink listener beyond
// loopback and a relay path that leaves the machine, any host can have
// serve send DSNs anywhere. The listener's warning now says so, naming
// those paths; it does not where every path stays on the machine (the
// sink's own listeners, loopback smarthosts).
func TestFO22SinkBeyondLoopbackNamesBackscatter(t *testing.T) {
	t.Parallel()
	paths := func(ps ...relay.PathConfig) relay.Config { return relay.Config{Paths: ps} }
	sinkPath := relay.PathConfig{Name: "local-sink", Type: "smarthost", Host: "sink"}
	for _, tc := range []struct {
		name  string
		rc    relay.Config
		paths string // "" when no risk is named
	}{
		{"the default, to serve's own sink", relay.DefaultConfig(), ""},
		{"loopback smarthosts", paths(sinkPath, relay.PathConfig{Name: "lo", Host: "127.0.0.1:2525"}, relay.PathConfig{Name: "lo6", Host: "[::1]:25"}), ""},
		{"an mx path", paths(sinkPath, relay.PathConfig{Name: "direct", Type: "mx"}), "direct (mx)"},
		{"a smarthost elsewhere", paths(relay.PathConfig{Name: "isp", Host: "smtp.example.net:587"}, relay.PathConfig{Name: "lan", Host: "192.0.2.7:25"}),
			"isp (smtp.example.net:587), lan (192.0.2.7:25)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			risk := backscatterRisk(tc.rc)
			if tc.paths == "" {
				if risk != "" {
					t.Fatalf("named a risk for paths that stay on the machine: %s", risk)
				}
				return
			}
			for _, want := range []string{"paths " + tc.paths + " leave this machine", "backscatter", "sink.bounce.relay is unset", `sink.bounce.relay: ""`} {
				if !strings.Contains(risk, want) {
					t.Errorf("the risk says\n%s\nwant %q in it", risk, want)
				}
			}
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, nil))
			warnSinkListenerRisk(log, "mx", "[::]:2525", risk)
			warnSinkListenerRisk(log, "lo", "127.0.0.1:2526", risk)
			got := buf.String()
			if strings.Count(got, "level=WARN") != 1 || !strings.Contains(got, "listener mx is on [::]:2525, beyond loopback") ||
				!strings.Contains(got, "backscatter=true") || !strings.Contains(got, tc.paths) {
				t.Errorf("one warning for the listener beyond loopback, naming the risk, want; got\n%s", got)
			}
		})
	}
}
