package probe

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestLoadZonesNamesLineAndKey: every bad value in a zones file is reported
// with the file, line, column and key, as an unknown key already was.
func TestLoadZonesNamesLineAndKey(t *testing.T) {
	t.Parallel()
	ok := "- zone: good.bl.test\n  kind: ip\n"
	for _, tt := range []struct {
		name, body, want string
	}{
		{"kind", ok + "- zone: b.bl.test\n  kind: ipp\n", `z.yaml:4:9: [1].kind: kind "ipp" is not one of ip, domain, uri`},
		{"zone", ok + "- zone: nodots\n", `z.yaml:3:9: [1].zone: "nodots" is not a blocklist zone name`},
		{"zone with a space", ok + "- zone: \"bl test.org\"\n", `z.yaml:3:9: [1].zone: "bl test.org" is not`},
		{"zone missing", ok + "- kind: ip\n", `z.yaml:3:`},
		{"code", ok + "  codes:\n    127.0.0.2: listed\n    \"127.0.0.x\": other\n", `z.yaml:5:18: [0].codes.'127.0.0.x': code "127.0.0.x" is not an IPv4 address`},
		{"error prefix", ok + "  errors: [127.255.255.0/24, nope]\n", `z.yaml:3:30: [0].errors[1]: "nope" is not an address or prefix`},
		{"test point of an ip list", ok + "  test_listed: test\n", `z.yaml:3:16: [0].test_listed: "test" is not an IP address`},
		{"test point of a domain list", "- zone: d.bl.test\n  kind: domain\n  test_unlisted: \"a b\"\n", `z.yaml:3:18: [0].test_unlisted: "a b" is not a domain name`},
		{"unknown key", ok + "  ipv5: true\n", `z.yaml:3:3:`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "z.yaml")
			if err := os.WriteFile(path, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadZones(path)
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("LoadZones: %v (%T), want a *config.Error", err, err)
			}
			got := strings.TrimPrefix(err.Error(), filepath.Dir(path)+string(filepath.Separator))
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("error\n  %s\nwant it to start with\n  %s", got, tt.want)
			}
			if ce.Line == 0 || ce.Column == 0 {
				t.Errorf("error %q has no line and column", err)
			}
		})
	}
}

// TestLoadZonesGood: a valid file loads, normalised and ready to use.
func TestLoadZonesGood(t *testing.T) {
	t.Parallel()
	zs, err := LoadZones("../testdata/probe/zones.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(zs) == 0 || zs[0].Zone != "good.bl.test" || zs[0].Kind != ZoneIP {
		t.Errorf("zones %+v", zs)
	}
}
