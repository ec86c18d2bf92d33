package sink

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/relaylab/relaylab/internal/config"
)

// sinkFile is a file with only a `sink:` section.
type sinkFile struct {
	Sink Config `yaml:"sink"`
}

func (f *sinkFile) Validate(string) error { return f.Sink.Validate("sink") }

// decodeSink decodes and checks a `sink:` document the way the config file
// is read.
func decodeSink(t *testing.T, doc string) (Config, error) {
	t.Helper()
	f := sinkFile{Sink: DefaultConfig()}
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

// Bad values are refused at load with the file, line and key: a port out
// of range used to fail only at bind (or dial), and a negative idle timeout
// made the sink close every connection right after the greeting.
func TestValidateNamesBadValues(t *testing.T) {
	t.Parallel()
	listener := "sink:\n  listeners:\n    - name: mx2\n      hostname: mx2.test\n"
	tests := []struct {
		name, doc, want string
	}{
		{"listen port too big", listener + "      listen: 127.0.0.1:99999\n", `sink.yaml:5:15: sink.listeners[0].listen: "127.0.0.1:99999": port 99999 is out of range (0-65535)`},
		{"listen port not a number", listener + "      listen: 127.0.0.1:smtp\n", `sink.yaml:5:15: sink.listeners[0].listen: "127.0.0.1:smtp": port "smtp" is not a number`},
		{"listen without port", listener + "      listen: 127.0.0.1\n", `sink.listeners[0].listen: "127.0.0.1" is not host:port`},
		{"bounce relay port 0", "sink:\n  bounce:\n    relay: 127.0.0.1:0\n", `sink.yaml:3:12: sink.bounce.relay: "127.0.0.1:0": port 0 is out of range (1-65535)`},
		{"bounce relay without host", "sink:\n  bounce:\n    relay: \":2587\"\n", `sink.bounce.relay: ":2587" has no host`},
		{"negative idle timeout", listener + "      listen: 127.0.0.1:0\n      limits: {idle_timeout: -5s}\n", `sink.yaml:6:30: sink.listeners[0].limits.idle_timeout: -5s: must not be negative (0 means no idle timeout`},
		// Both go into replies as written: a CRLF would forge a reply.
		{"greeting with CRLF", listener + "      listen: 127.0.0.1:0\n      greeting: \"ready\\r\\n250 forged\"\n", `sink.yaml:6:17: sink.listeners[0].greeting: "ready\r\n250 forged": control character 0x0d at octet 6`},
		{"hostname with a space", "sink:\n  listeners:\n    - {name: mx2, listen: \"127.0.0.1:0\", hostname: \"mx two.test\"}\n", `sink.listeners[0].hostname: "mx two.test": a domain or address literal has no space or control character (octet 3)`},
		// Without sink.verify there is no result to match.
		{"dmarc rule without verify", "sink:\n  rules:\n    - {stage: data-end, reply: \"550 5.7.26 no\"}\n    - {stage: data-end, dmarc: reject, reply: \"550 5.7.26 no\"}\n", `sink.yaml:4:32: sink.rules[1].dmarc: never matches: DMARC is checked only with sink.verify.enabled: true`},
		{"spf rule without verify", "sink:\n  verify: {enabled: false}\n  rules:\n    - {stage: data-end, spf: fail, reply: \"550 5.7.23 no\"}\n", `sink.rules[0].spf: never matches: SPF is checked only with sink.verify.enabled: true`},
		{"dkim rule without verify", "sink:\n  rules:\n    - {stage: data-end, dkim: none, reply: \"550 5.7.20 no\"}\n", `sink.rules[0].dkim: never matches: DKIM is checked only`},
		{"idle timeout too long", listener + "      listen: 127.0.0.1:0\n      limits: {idle_timeout: 999999999d}\n", `sink.yaml:6:`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeSink(t, tc.doc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant an error containing %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "negative") && !strings.Contains(tc.want, "negative") {
				t.Errorf("a positive value is reported as negative: %v", err)
			}
		})
	}
}

// The values at the edges of what is allowed load.
func TestValidateAcceptsEdges(t *testing.T) {
	t.Parallel()
	doc := "sink:\n  bounce: {relay: \"localhost:65535\"}\n  listeners:\n" +
		"    - {name: a, hostname: a.test, listen: \"127.0.0.1:0\", limits: {idle_timeout: 0s}}\n" +
		"    - {name: b, hostname: b.test, listen: \":65535\", limits: {idle_timeout: 106751d}}\n" +
		"    - {name: c, hostname: c.test, listen: \"[::1]:2525\"}\n"
	cfg, err := decodeSink(t, doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeSink(t, "sink:\n  verify: {enabled: true, resolvers: [\"127.0.0.1:5353\"]}\n  rules:\n    - {stage: data-end, dmarc: reject, spf: fail, dkim: none, reply: \"550 5.7.26 no\"}\n"); err != nil {
		t.Errorf("authentication rules with verification on: %v", err)
	}
	if got := cfg.Listeners[1].Limits.IdleTimeout.D(); got != 106751*24*time.Hour {
		t.Errorf("idle timeout %v, want 106751d", got)
	}
}

// `relaylab config` prints every key: none of the sink's is left out for
// being empty, and the printout decodes back to the same configuration.
func TestConfigPrintsEveryKey(t *testing.T) {
	t.Parallel()
	out, err := yaml.Marshal(sinkFile{Sink: DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"rules:", "directives:", "profiles:", "profile_files:", "reporting_mta:", "delivered:", "resolvers:", "timeout:",
		"hide:", "greeting:", "cert_file:", "key_file:", "users:", "per_second:", "reply:"} {
		if !strings.Contains(string(out), key) {
			t.Errorf("printed sink configuration lacks %q:\n%s", key, out)
		}
	}
	back, err := decodeSink(t, string(out))
	if err != nil {
		t.Fatalf("the printout does not decode: %v\n%s", err, out)
	}
	again, _ := yaml.Marshal(sinkFile{Sink: back})
	if string(again) != string(out) {
		t.Errorf("printed again:\n%s\nwant:\n%s", again, out)
	}
}

// A listener in the file without a hostname is named after itself under
// sink.relaylab.test, one name per listener; a written one is kept, and a
// bad one is still an error at its key.
func TestFileListenerDefaultHostname(t *testing.T) {
	t.Parallel()
	cfg, err := decodeSink(t, "sink:\n  listeners:\n    - {name: mx, listen: \"127.0.0.1:0\"}\n    - {name: backup, listen: \"127.0.0.1:0\", hostname: \"\"}\n    - {name: own, listen: \"127.0.0.1:0\", hostname: own.test}\n")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range cfg.Listeners {
		got = append(got, l.Hostname)
	}
	if want := "[mx.sink.relaylab.test backup.sink.relaylab.test own.test]"; fmt.Sprint(got) != want {
		t.Errorf("hostnames %v, want %s", got, want)
	}
	s, _ := testSink(t, nil, func(c *Config) { c.Listeners = cfg.Listeners[:1] })
	c := dial(t, addrOf(t, s, "mx"))
	if code, msg := c.read(); code != 220 || !strings.HasPrefix(msg, "mx.sink.relaylab.test ESMTP") {
		t.Errorf("greeting %d %q, want 220 mx.sink.relaylab.test", code, msg)
	}
	_, err = decodeSink(t, "sink:\n  listeners:\n    - {name: mx, listen: \"127.0.0.1:0\", hostname: \"m x\"}\n")
	if want := `sink.yaml:3:51: sink.listeners[0].hostname: "m x"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("bad hostname: got %v, want %s", err, want)
	}
	// Built in Go, not read from a file: still an error that says what a
	// file would have had.
	bad := DefaultConfig()
	bad.Listeners[0].Hostname = ""
	if err := bad.Validate("sink"); err == nil || !strings.Contains(err.Error(), "sink.listeners[0].hostname: a listener needs a hostname for its greeting (in a file, one left out is mx.sink.relaylab.test)") {
		t.Errorf("no hostname in Go: got %v", err)
	}
}
