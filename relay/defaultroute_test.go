package relay

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
)

// TestDefaultRouteOverGivenPaths: a file with paths and no routes gets one
// route, "default", over its paths in the order given, instead of an error
// about the built-in route to local-sink, a path the file replaced; the
// route is in the configuration (as relaylab config prints it). Routes the
// file gives are kept as they are, and an empty list or no path at all is
// an error at its own key.
func TestDefaultRouteOverGivenPaths(t *testing.T) {
	t.Parallel()
	decode := func(t *testing.T, doc string) (*fileWithRelay, error) {
		t.Helper()
		f := &fileWithRelay{Relay: DefaultConfig()}
		return f, config.Decode("c6.yaml", []byte(doc), f)
	}
	for _, tt := range []struct {
		name, doc string
		want      []RouteConfig
	}{
		{"no file", "", []RouteConfig{{Name: "default", Paths: []string{"local-sink"}}}},
		{"paths, no routes", "relay:\n  paths:\n    - {name: second, host: 'b.test:25'}\n    - {name: first, host: 'a.test:25'}\n    - {name: direct, type: mx}\n",
			[]RouteConfig{{Name: "default", Paths: []string{"second", "first", "direct"}}}},
		{"routes: with no value", "relay:\n  paths: [{name: p, host: 'a.test:25'}]\n  routes:\n",
			[]RouteConfig{{Name: "default", Paths: []string{"p"}}}},
		{"routes given", "relay:\n  paths: [{name: p, host: 'a.test:25'}, {name: q, host: 'b.test:25'}]\n  routes: [{name: only-q, paths: [q]}]\n",
			[]RouteConfig{{Name: "only-q", Paths: []string{"q"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := decode(t, tt.doc)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(f.Relay.Routes, tt.want) {
				t.Errorf("routes %+v, want %+v", f.Relay.Routes, tt.want)
			}
			// What relaylab config prints loads back the same.
			out, err := yaml.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			again, err := decode(t, string(out))
			if err != nil || len(again.Relay.Routes) != len(tt.want) || again.Relay.Routes[0].Name != tt.want[0].Name ||
				!reflect.DeepEqual(again.Relay.Routes[0].Paths, tt.want[0].Paths) {
				t.Errorf("printed and read again: routes %+v (%v), want %+v", again.Relay.Routes, err, tt.want)
			}
		})
	}
	for _, tt := range []struct{ name, doc, want string }{
		{"empty routes", "relay:\n  paths: [{name: p, host: 'a.test:25'}]\n  routes: []\n",
			"c6.yaml:3:11: relay.routes: no route: add at least one (a route with no recipients matches everything), or leave routes out for one over every path"},
		{"no paths", "relay:\n  paths: []\n", "c6.yaml:2:10: relay.paths: no path: list at least one (a smarthost with its host, or type: mx)"},
		{"route to a replaced path", "relay:\n  paths: [{name: p, host: 'a.test:25'}]\n  routes: [{paths: [local-sink]}]\n",
			`c6.yaml:3:21: relay.routes[0].paths[0]: no path named "local-sink" in relay.paths`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decode(t, tt.doc); err == nil || err.Error() != tt.want {
				t.Errorf("Decode = %v\nwant %s", err, tt.want)
			}
		})
	}
}

// TestDefaultRouteFailsOver: the default route is a failover list in the
// order the paths are given: a primary that refuses connections leaves the
// message to the next path in the same attempt.
func TestDefaultRouteFailsOver(t *testing.T) {
	t.Parallel()
	backup := startMTA(t, nil)
	cfg := testConfig(closedAddr(t))
	cfg.Paths = append(cfg.Paths, PathConfig{Name: "backup", Host: backup.addr, TLS: "none"})
	cfg.Routes = nil
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@s.test", "b@r.test")
	h.runUntil("delivery", h.done(id, 1))
	evs := h.events(events.Filter{Message: id, Kinds: []string{events.RelayAttempt}})
	if len(evs) != 2 || evs[0].Path != "primary" || evs[1].Path != "backup" {
		t.Fatalf("attempts %v, want primary then backup", evs)
	}
	var p struct {
		Route string `json:"route"`
	}
	if err := json.Unmarshal(evs[1].Payload, &p); err != nil || p.Route != "default" {
		t.Errorf("attempt over route %q (%v), want default", p.Route, err)
	}
}
