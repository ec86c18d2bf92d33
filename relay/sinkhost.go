package relay

import (
	"fmt"
	"strings"
)

// SinkHost reports whether host is a placeholder for the sink running
// beside the relay: "sink" (its first listener) or "sink:NAME" (the
// listener NAME). It returns the listener's name, "" for the first.
func SinkHost(host string) (name string, ok bool) {
	if host == "sink" {
		return "", true
	}
	return strings.CutPrefix(host, "sink:")
}

// WithSinkAddrs returns c with every path whose host is a sink
// placeholder pointed at that listener's address in addrs (listener name
// to host:port); first names the listener that a bare "sink" means. The
// paths are copied: c's are left as they were.
func (c Config) WithSinkAddrs(addrs map[string]string, first string) (Config, error) {
	c.Paths = append([]PathConfig(nil), c.Paths...)
	for i := range c.Paths {
		name, ok := SinkHost(c.Paths[i].Host)
		if !ok {
			continue
		}
		if name == "" {
			name = first
		}
		a, ok := addrs[name]
		if !ok {
			return c, fmt.Errorf("relay.paths[%d].host: no sink listener named %q", i, name)
		}
		c.Paths[i].Host = a
	}
	return c, nil
}
