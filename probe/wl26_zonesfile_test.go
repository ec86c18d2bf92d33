package probe

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestWL26ZonesFileMissing: relaylab probe --zones FILE with no such file
// said only "open FILE: no such file or directory"; it now says what the
// flag wants and that leaving it out uses the built-in lists, and the
// error is still the file's.
func TestWL26ZonesFileMissing(t *testing.T) {
	t.Parallel()
	name := filepath.Join(t.TempDir(), "nothere.yaml")
	_, err := LoadZones(name)
	if err == nil {
		t.Fatal("no error")
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v: want one that is fs.ErrNotExist", err)
	}
	for _, w := range []string{name, "no zones file there", "a YAML list of blocklists", "{zone: zen.spamhaus.org, kind: ip}", "leave --zones out for the built-in lists"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error\n  %v\nlacks\n  %s", err, w)
		}
	}
}

// TestWL26ConfigZonesFileMissing: a probe.zones string that names no file
// suggested the file's name as a blocklist zone ({zone: bad/nothere.yaml,
// kind: ip}), with the directory of the configuration file before it (as
// the configuration's reader resolves the name). A name with a directory
// or a file's extension is said to be a missing file, with what to do;
// only a name like a zone's is suggested as a mapping, as it was written.
func TestWL26ConfigZonesFileMissing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		name, body string
		want, not  []string
	}{
		{"a path", "zones: bad/nothere.yaml\n",
			[]string{"no zones file there", "relative to the configuration file's directory", "fix the name, or remove it from probe.zones", "the built-in lists"},
			[]string{"{zone:", "write a blocklist itself"}},
		{"a file name", "zones: [lists.yml]\n",
			[]string{"no zones file there"}, []string{"{zone:"}},
		{"a zone's name", "zones: zen.spamhaus.org\n",
			[]string{"names a zones file", "{zone: zen.spamhaus.org, kind: ip}"},
			[]string{"{zone: " + dir}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var f struct {
				Zones ZoneList `yaml:"zones"`
			}
			if err := config.Decode("relaylab.yaml", []byte(tt.body), &f); err != nil {
				t.Fatal(err)
			}
			for i := range f.Zones {
				// As the configuration's reader does (resolveFiles).
				f.Zones[i].File = filepath.Join(dir, f.Zones[i].File)
			}
			err := f.Zones.load("probe.zones")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n  %v\nlacks\n  %s", err, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error\n  %v\nhas\n  %s", err, n)
				}
			}
		})
	}
}
