package config

import (
	"strings"
	"testing"
)

// TestFO22KeyOfAnotherSectionNamesIt: walk L2. relay: {keep: 1h} said
// only `relay.keep: unknown field "keep"`, while a top-level keep named
// the sections that take it; a key in the wrong section now names them
// too, and the section it was written in. A near key of its own section
// keeps its "did you mean", and a key no section takes gets no hint.
func TestFO22KeyOfAnotherSectionNamesIt(t *testing.T) {
	t.Parallel()
	type doc struct {
		Store struct {
			Keep string `yaml:"keep"`
		} `yaml:"store"`
		Relay struct {
			Listen string `yaml:"listen"`
			Paths  []struct {
				Name string `yaml:"name"`
			} `yaml:"paths"`
		} `yaml:"relay"`
		Probe *struct {
			Keep string `yaml:"keep"`
		} `yaml:"probe"`
	}
	for _, tc := range []struct{ in, want, not string }{
		{"relay: {keep: 1h}\n", `f:1:9: relay.keep: unknown field "keep" ("keep" is a key of store, probe, not of relay: put it under its section)`, ""},
		{"relay:\n  paths:\n    - {name: a, keep: 1h}\n", `relay.paths[0].keep: unknown field "keep" ("keep" is a key of store, probe, not of relay.paths[0]: put it under its section)`, ""},
		{"store:\n  listen: x\n", `store.listen: unknown field "listen" ("listen" is a key of relay, not of store: put it under its section)`, ""},
		{"relay:\n  lisen: x\n", `did you mean "listen"?`, "is a key of"},
		{"relay:\n  colour: red\n", `relay.colour: unknown field "colour"`, "is a key of"},
	} {
		var v doc
		err := Decode("f", []byte(tc.in), &v)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %s", tc.in, err, tc.want)
		}
		if tc.not != "" && err != nil && strings.Contains(err.Error(), tc.not) {
			t.Errorf("%q: %v, want no %q", tc.in, err, tc.not)
		}
	}
}
