package probe

import (
	"errors"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestWatchlistTakesTheNamesTheCLITakes: probe.domains, probe.helo and
// the selectors are checked by the validator relaylab probe uses
// (DomainName, SelectorName), so a name one refuses the other refuses:
// an IP address (with where it goes instead), a label that starts with a
// hyphen or holds an underscore, an all-digit last label.
func TestWatchlistTakesTheNamesTheCLITakes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		body, want string
		line       int
	}{
		{"probe:\n  domains: [ok.test, 1.2.3.4]\n", "list it under probe.ips", 2},
		{"probe:\n  domains: [\"-x.test\"]\n", "starts or ends with a hyphen", 2},
		{"probe:\n  domains: [bad_domain.test]\n", `holds '_'`, 2},
		{"probe:\n  domains: [host.123]\n", "all digits", 2},
		{"probe:\n  domains:\n    - {name: ok.test, selectors: [\"-s1\"]}\n", "starts or ends with a hyphen", 3},
		{"probe:\n  helo: 192.0.2.1\n", "IP address", 2},
	} {
		_, err := decodeProbe(t, tt.body)
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Line != tt.line || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want an error at line %d saying %q", tt.body, err, tt.line, tt.want)
		}
		for _, name := range []string{"1.2.3.4", "-x.test", "bad_domain.test", "host.123", "192.0.2.50"} {
			if _, err := DomainName(name); err == nil {
				t.Errorf("DomainName(%q) took it", name)
			}
		}
	}
	cfg, err := decodeProbe(t, "probe:\n  domains: [Shop.Test., {name: news.shop.test, selectors: [S_1]}]\n")
	if err != nil || cfg.Domains[0].Name != "shop.test" || cfg.Domains[1].Selectors[0] != "s_1" {
		t.Errorf("good names: %v, %+v", err, cfg.Domains)
	}
}
