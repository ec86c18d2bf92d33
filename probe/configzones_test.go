package probe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// fileWithProbe is a configuration file with a probe section, as relaylab
// serve reads it.
type fileWithProbe struct {
	Probe Config `yaml:"probe"`
}

func (f *fileWithProbe) Validate(string) error { return f.Probe.Validate("probe") }

func decodeProbe(t *testing.T, body string) (Config, error) {
	t.Helper()
	f := fileWithProbe{Probe: DefaultConfig()}
	err := config.Decode("relaylab.yaml", []byte(body), &f)
	return f.Probe, err
}

// probe.zones takes what relaylab probe --zones takes, a zones file, as
// well as the zones themselves, or a list mixing both.
func TestConfigZonesFromAFile(t *testing.T) {
	t.Parallel()
	file := "../testdata/probe/zones.yaml"
	fromFile, err := LoadZones(file)
	if err != nil {
		t.Fatal(err)
	}
	var loaded []string
	for _, z := range fromFile {
		loaded = append(loaded, z.Zone)
	}
	all := strings.Join(loaded, " ")
	for _, tt := range []struct{ name, body, want string }{
		{"a file", "probe:\n  zones: " + file + "\n", all},
		{"a list of a file", "probe:\n  zones: [" + file + "]\n", all},
		{"a file and a zone", "probe:\n  zones:\n    - " + file + "\n    - {zone: Extra.BL.test., kind: domain}\n", all + " extra.bl.test"},
		{"a zone and a file", "probe:\n  zones:\n    - zone: first.bl.test\n    - " + file + "\n", "first.bl.test " + all},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := decodeProbe(t, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, z := range cfg.Zones {
				got = append(got, z.Zone)
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("zones %q, want %q", got, tt.want)
			}
			for _, z := range cfg.Zones {
				if z.Kind == "" || z.File != "" {
					t.Errorf("zone %+v was not loaded and validated", z)
				}
			}
		})
	}
}

// A bad zones file, a missing one, or a bad zone beside a file is an error
// naming the configuration file, the line and the key (and, inside the
// zones file, its own line and key).
func TestConfigZonesErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("- zone: good.bl.test\n- zone: b.bl.test\n  kind: ipp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, body string
		want       []string
	}{
		{"missing file", "probe:\n  zones: zen.spamhaus.org\n",
			[]string{"relaylab.yaml:2:10: probe.zones: ", "zen.spamhaus.org", "names a zones file", "{zone: zen.spamhaus.org"}},
		{"bad file", "probe:\n  zones:\n    - " + bad + "\n",
			[]string{"relaylab.yaml:3:5: probe.zones: in the zones file: ", bad + ":3:9: [1].kind: kind \"ipp\" is not one of ip, domain, uri"}},
		{"bad zone after a file", "probe:\n  zones:\n    - ../testdata/probe/zones.yaml\n    - zone: nodots\n",
			[]string{"relaylab.yaml:4:13: probe.zones[1].zone: \"nodots\" is not a blocklist zone name"}},
		{"unknown key", "probe:\n  zones:\n    - zone: x.bl.test\n      kindd: ip\n",
			[]string{"relaylab.yaml:4:", "probe.zones[0]"}},
		{"a list in the list", "probe:\n  zones:\n    - [a.bl.test]\n",
			[]string{"relaylab.yaml:3:", "probe.zones[0]"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeProbe(t, tt.body)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n  %v\nlacks\n  %s", err, w)
				}
			}
		})
	}
}
