package config

import (
	"strings"
	"testing"
)

// TestTopLevelKeyOfASectionNamesIt: a section whose body lost its
// indentation ("relay:" then "listen:" at the start of the next line)
// read as an empty section and an unknown top-level key, with no word of
// where the key belongs (walk N). The error now names the section above
// when it takes the key, else the sections that do.
func TestTopLevelKeyOfASectionNamesIt(t *testing.T) {
	t.Parallel()
	type doc struct {
		Relay struct {
			Listen string `yaml:"listen"`
			Retry  struct {
				Kind string `yaml:"kind"`
			} `yaml:"retry"`
		} `yaml:"relay"`
		Web *struct {
			Listen string `yaml:"listen"`
		} `yaml:"web"`
		Probe struct{} `yaml:"probe"`
	}
	for _, tc := range []struct{ in, want string }{
		{"relay:\nlisten: 127.0.0.1:1\n", `f:2:1: listen: unknown field "listen" ("listen" is a key of relay: indent it under "relay:" above, which has no value as written)`},
		{"probe:\nlisten: 127.0.0.1:1\n", `f:2:1: listen: unknown field "listen" ("listen" is a key of relay, web: put it under its section)`},
		{"listen: 127.0.0.1:1\n", `("listen" is a key of relay, web: put it under its section)`},
		{"kind: list\n", `unknown field "kind"`}, // a key of relay.retry, not of a section: no hint
		{"relay:\n  retry:\nkind: list\n", `unknown field "kind"`},
		{"lisen: x\n", `unknown field "lisen"`}, // no near key at the top, none of a section's either
	} {
		var v doc
		err := Decode("f", []byte(tc.in), &v)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %s", tc.in, err, tc.want)
		}
		if strings.HasPrefix(tc.in, "kind") || strings.HasPrefix(tc.in, "lisen") || strings.Contains(tc.in, "retry:\n") {
			if err != nil && strings.Contains(err.Error(), "is a key of") {
				t.Errorf("%q: %v, want no section named", tc.in, err)
			}
		}
	}
}
