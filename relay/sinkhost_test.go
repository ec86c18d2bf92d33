package relay

import (
	"strings"
	"testing"
)

// TestWithSinkAddrs points "sink" and "sink:NAME" paths at the sink's
// listeners, leaves other paths and the original config alone, and names
// a listener that does not exist.
func TestWithSinkAddrs(t *testing.T) {
	t.Parallel()
	c := DefaultConfig()
	c.Paths = append(c.Paths, PathConfig{Name: "edge", Host: "sink:edge"}, PathConfig{Name: "isp", Host: "smtp.example.test:587"},
		PathConfig{Name: "container", Host: "sink:2525"}) // a host called sink
	if err := c.Validate("relay"); err != nil {
		t.Fatalf("placeholders should pass validation: %v", err)
	}
	got, err := c.WithSinkAddrs(map[string]string{"mx": "127.0.0.1:2626", "edge": "127.0.0.1:2727"}, "mx")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.1:2626", "127.0.0.1:2727", "smtp.example.test:587", "sink:2525"}
	for i, p := range got.Paths {
		if p.Host != want[i] {
			t.Errorf("path %s: host %q, want %q", p.Name, p.Host, want[i])
		}
	}
	if c.Paths[0].Host != "sink" {
		t.Errorf("the original config changed: %q", c.Paths[0].Host)
	}
	if _, err := c.WithSinkAddrs(map[string]string{"mx": "127.0.0.1:2626"}, "mx"); err == nil || !strings.Contains(err.Error(), `relay.paths[1].host: no sink listener named "edge"`) {
		t.Errorf("a missing listener: %v", err)
	}
}
