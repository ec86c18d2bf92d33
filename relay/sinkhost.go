package relay

import (
	"fmt"
	"strings"
)

// SinkHost reports whether host is a placeholder for the sink running
// beside the relay: "sink" (its first listener) or "sink:NAME" (the
// listener NAME). It returns the listener's name, "" for the first.
// "sink:2525" is a real host called sink and its port (a container's
// name, say), not a placeholder, so a listener named with digits alone
// cannot be reached this way.
func SinkHost(host string) (name string, ok bool) {
	if host == "sink" {
		return "", true
	}
	name, ok = strings.CutPrefix(host, "sink:")
	if ok && name != "" && strings.Trim(name, "0123456789") == "" {
		return "", false
	}
	return name, ok
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
