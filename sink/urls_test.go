package sink

import (
	"slices"
	"strings"
	"testing"
)

// A banner names a listener of implicit TLS smtps://, as serve does the
// relay's TLS listener; the others smtp://. ProfileNames counts what is
// in force: the built-in profiles, not the entries of sink.profiles.
func TestURLsAndProfileNames(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) {
		tls := DefaultListener("tls", "127.0.0.1:0", "tls.sink.test")
		tls.TLS = "implicit"
		c.Listeners = append(c.Listeners, tls)
		c.Profiles = map[string]string{"a.test": "gmail"}
	})
	urls, addrs := s.URLs(), s.HostPorts()
	if got, want := urls["mx"], "smtp://"+addrs["mx"]; got != want {
		t.Errorf("mx: %q, want %q", got, want)
	}
	if got, want := urls["tls"], "smtps://"+addrs["tls"]; got != want {
		t.Errorf("tls: %q, want %q", got, want)
	}
	if got := s.ProfileNames(); !slices.Equal(got, []string{"gmail", "microsoft", "strict", "yahoo"}) {
		t.Errorf("profiles in force: %s", strings.Join(got, ", "))
	}
}
