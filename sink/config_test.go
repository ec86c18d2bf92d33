package sink

import (
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/config"
)

// decodeSink decodes a `sink:` document the way the config file is read.
func decodeSink(t *testing.T, doc string) (Config, error) {
	t.Helper()
	var f struct {
		Sink Config `yaml:"sink"`
	}
	f.Sink = DefaultConfig()
	err := config.Decode("sink.yaml", []byte(doc), &f)
	return f.Sink, err
}

// A listener written in the file takes DefaultListener's values for what
// it leaves out; what it writes, even 0, wins.
func TestFileListenerDefaults(t *testing.T) {
	t.Parallel()
	def := DefaultListener("", "", "").Limits
	tests := []struct {
		name  string
		extra string // lines under the listener, indented by six spaces
		want  func(l ListenerConfig) Limits
		tls   string
	}{
		{"no limits", "", func(ListenerConfig) Limits { return def }, "starttls"},
		{"only a rate", "      limits: {rate: {per_second: 10, burst: 20}}\n", func(ListenerConfig) Limits {
			w := def
			w.Rate = RateLimit{PerSecond: 10, Burst: 20}
			return w
		}, "starttls"},
		{"explicit zero means no limit", "      limits:\n        max_connections: 0\n        idle_timeout: 1m\n", func(ListenerConfig) Limits {
			w := def
			w.MaxConnections, w.IdleTimeout = 0, config.Duration(time.Minute)
			return w
		}, "starttls"},
		{"tls written", "      tls: none\n", func(ListenerConfig) Limits { return def }, "none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := "sink:\n  listeners:\n    - name: mx2\n      listen: 127.0.0.1:0\n      hostname: mx2.test\n" + tc.extra
			cfg, err := decodeSink(t, doc)
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Listeners) != 1 {
				t.Fatalf("got %d listeners, want 1", len(cfg.Listeners))
			}
			l := cfg.Listeners[0]
			if l.Name != "mx2" || l.Hostname != "mx2.test" || l.Listen != "127.0.0.1:0" {
				t.Errorf("written fields lost: %+v", l)
			}
			if want := tc.want(l); l.Limits != want {
				t.Errorf("limits = %+v, want %+v", l.Limits, want)
			}
			if l.TLS != tc.tls || l.Auth.Mode != "off" {
				t.Errorf("tls %q auth %q, want %q and off", l.TLS, l.Auth.Mode, tc.tls)
			}
		})
	}
}

// The listener's own decoding keeps the caller's strict mode: unknown keys
// are errors, with their line.
func TestFileListenerUnknownKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, want string
	}{
		{"in the listener", "sink:\n  listeners:\n    - name: mx2\n      listen: 127.0.0.1:0\n      hostname: h\n      hostnme: typo\n", "sink.yaml:6"},
		{"in its limits", "sink:\n  listeners:\n    - name: mx2\n      listen: 127.0.0.1:0\n      hostname: h\n      limits:\n        idle_timeot: 1m\n", "sink.yaml:7"},
		{"wrong type", "sink:\n  listeners:\n    - name: mx2\n      listen: 127.0.0.1:0\n      hostname: h\n      limits: {max_connections: many}\n", "sink.yaml:6"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeSink(t, tc.doc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error at %s", err, tc.want)
			}
		})
	}
}

// A running listener from the file has the default idle timeout.
func TestFileListenerIdleTimeoutApplies(t *testing.T) {
	t.Parallel()
	cfg, err := decodeSink(t, "sink:\n  listeners:\n    - {name: mx2, listen: \"127.0.0.1:0\", hostname: mx2.test}\n")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := testSink(t, nil, func(c *Config) { c.Listeners = cfg.Listeners })
	if got := s.listenerNamed("mx2").cfg.Limits.IdleTimeout.D(); got != 5*time.Minute {
		t.Errorf("idle timeout %v, want 5m", got)
	}
}
