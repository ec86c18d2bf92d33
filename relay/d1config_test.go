package relay

import (
	"crypto/ed25519"
	"crypto/rand"
	"reflect"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
)

// zeroConfig leaves at 0 or "" every key of the relay whose default the
// relay fills in, with a DKIM key at keyFile.
func zeroConfig(keyFile string) Config {
	return Config{
		Listen: "127.0.0.1:0",
		Paths: []PathConfig{
			{Name: "sh", Host: "127.0.0.1:2525", Username: "u", Password: "p", TLS: "required"},
			{Name: "sink-like", Host: "127.0.0.1:2526", Destination: DestinationDomain},
			{Name: "direct", Type: "mx"},
		},
		Routes: []RouteConfig{
			{Name: "night", Recipients: []string{"corp.test"}, Paths: []string{"direct"}, Windows: []string{"22:00-06:00"}},
			{Name: "rest", Paths: []string{"sh", "sink-like"}},
		},
		Retry:    RetryConfig{Kind: "exponential", Initial: dur(time.Minute), Factor: 2, MaxAge: dur(10 * time.Hour)},
		Classify: []Rule{{Code: "451", Disposition: Retry, Category: "greylisted"}},
		DKIM:     []DKIMConfig{{Domain: "Shop.Test.", Selector: "s1", KeyFile: keyFile}},
	}
}

// TestConfigWithDefaultsAsRun: Config.WithDefaults, which relaylab config
// prints, gives each key the value the relay runs with where the
// configuration leaves it at 0 or "": the relay's own (New, the
// submission listener's connection cap, the shaping's backoff, newPath's
// helo, the route's time zone, the retry policy, the bounce address, the
// classification's reason and advice, the DKIM domain as signatures name
// it). relaylab config printed 0 for max_connections and backoff, "" for
// a smarthost's destination, left out transcripts, and printed a DKIM
// domain as written.
func TestConfigWithDefaultsAsRun(t *testing.T) {
	t.Parallel()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cfg := zeroConfig(writeKey(t, key))
	r, err := New(cfg, Options{Store: openStore(t, clock.NewVirtual(epoch))})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate("relay"); err != nil {
		t.Fatal(err)
	}
	w := cfg.WithDefaults()

	for _, c := range []struct {
		key       string
		got, want any
	}{
		{"hostname", w.Hostname, r.cfg.Hostname},
		{"workers", w.Workers, r.cfg.Workers},
		{"batch", w.Batch, r.cfg.Batch},
		{"max_connections", w.MaxConnections, defaultMaxConnections},
		{"transcripts", *w.Transcripts, r.cfg.transcriptsOn()},
		{"dsn.bounce_address", w.DSN.BounceAddress, r.bounceAddress()},
		{"classify[0].reason", w.Classify[0].Reason, r.classify.rules[0].Reason},
		{"classify[0].advice", w.Classify[0].Advice, r.classify.rules[0].Advice},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: WithDefaults gives %v, the relay runs with %v", c.key, c.got, c.want)
		}
	}
	if s, ok := r.signer.(*dkimSigner); !ok || w.DKIM[0].Domain != "shop.test" {
		t.Errorf("dkim[0].domain: WithDefaults gives %q, want shop.test; the signer is %T", w.DKIM[0].Domain, r.signer)
	} else if _, ok := s.keys[w.DKIM[0].Domain]; !ok {
		t.Errorf("dkim[0].domain: WithDefaults gives %q, the signer's keys are %v", w.DKIM[0].Domain, s.keys)
	}
	for i, rc := range w.Routes {
		if got := r.routes[i].loc.String(); rc.Timezone != got {
			t.Errorf("routes[%d].timezone: WithDefaults gives %q, the relay runs in %q", i, rc.Timezone, got)
		}
	}
	for i, pc := range w.Paths {
		p := r.paths[pc.Name]
		run := p.cfg
		run.Destination, run.Backoff, run.Helo, run.Auth = pc.Destination, pc.Backoff, pc.Helo, pc.Auth
		if !reflect.DeepEqual(pc, run) {
			t.Errorf("paths[%d]: WithDefaults gives\n%+v\nthe relay runs\n%+v", i, pc, run)
		}
		if pc.Helo != p.helo {
			t.Errorf("paths[%d].helo: WithDefaults gives %q, the relay says %q", i, pc.Helo, p.helo)
		}
		if rest := r.destFor("d1:"+pc.Name, p).rest; pc.Backoff.D() != rest {
			t.Errorf("paths[%d].backoff: WithDefaults gives %s, the shaping rests %s", i, pc.Backoff.D(), rest)
		}
		wantDest := map[string]string{"sh": DestinationHost, "sink-like": DestinationDomain, "direct": ""}[pc.Name]
		if pc.Destination != wantDest || (p.conns != nil) != (pc.Destination == DestinationDomain) {
			t.Errorf("paths[%d].destination: WithDefaults gives %q (want %q), the path shares its connections: %v", i, pc.Destination, wantDest, p.conns != nil)
		}
	}
	if w.Paths[0].Auth != "PLAIN" || w.Paths[1].Auth != "" {
		t.Errorf("auth: %q with a username, %q without; want PLAIN (the client's choice) and none", w.Paths[0].Auth, w.Paths[1].Auth)
	}

	// What WithDefaults gives loads back as the same configuration.
	again := w
	if err := again.Validate("relay"); err != nil {
		t.Fatalf("WithDefaults' configuration does not validate: %v", err)
	}
	if again := again.WithDefaults(); !reflect.DeepEqual(again, w) {
		t.Errorf("WithDefaults twice:\n%+v\nonce:\n%+v", again, w)
	}
	// The caller's lists are left alone.
	if cfg.Paths[0].Backoff != 0 || cfg.Routes[0].Timezone != "" || cfg.DKIM[0].Domain != "Shop.Test." || cfg.Classify[0].Reason != "" {
		t.Errorf("WithDefaults changed its receiver's lists: %+v", cfg)
	}
}

// TestConfigWithDefaultsRetry: the retry policy WithDefaults writes out
// waits and gives up as the one it came from, for each kind and preset.
func TestConfigWithDefaultsRetry(t *testing.T) {
	t.Parallel()
	for _, rc := range []RetryConfig{
		{Preset: "postfix"},
		{Preset: "kumomta"},
		{Preset: "rfc5321"},
		{Preset: "postfix", Kind: "list", Schedule: []config.Duration{dur(time.Minute)}},
		{Kind: "exponential", Initial: dur(time.Minute), Factor: 3},
		{Kind: "exponential", Initial: dur(time.Minute), Factor: 3, MaxAge: dur(2 * time.Hour), Jitter: 0.2},
		{Kind: "list", Schedule: []config.Duration{dur(time.Minute)}, MaxAge: dur(time.Hour), BounceMaxAge: dur(time.Minute)},
	} {
		w := rc.runDefaults()
		a, b := NewPolicy(rc, 7), NewPolicy(w, 7)
		for n := 1; n <= 12; n++ {
			for _, age := range []time.Duration{0, time.Hour, 100 * time.Hour} {
				if x, y := a.Delay("m/r", n, age), b.Delay("m/r", n, age); x != y {
					t.Errorf("%+v: attempt %d at age %s waits %s, written out %s", rc, n, age, x, y)
				}
			}
		}
		for _, dsn := range []bool{false, true} {
			if x, y := a.Lifetime(dsn), b.Lifetime(dsn); x != y {
				t.Errorf("%+v: lifetime (DSN %v) %s, written out %s", rc, dsn, x, y)
			}
		}
		if w.Kind == "exponential" && w.Max == 0 || w.BounceMaxAge == 0 && w.MaxAge != 0 {
			t.Errorf("%+v: written out %+v still has a 0 for a default", rc, w)
		}
		if len(w.Schedule) > 0 && (len(rc.Schedule) > 0 && &rc.Schedule[0] == &w.Schedule[0] || &presets["rfc5321"].Schedule[0] == &w.Schedule[0]) {
			t.Errorf("%+v: the schedule is shared, not copied", rc)
		}
	}
}
