package config

import (
	"strings"
	"testing"
)

// TestUnknownKeySuggestsNear: an unknown key one edit from a key that the
// place has gets that key named, in a file as in a document that stands
// for a key; a key far from all gets none, and no guess is made at a
// place whose keys are not known.
func TestUnknownKeySuggestsNear(t *testing.T) {
	t.Parallel()
	type rule struct {
		Name      string `yaml:"name"`
		Recipient string `yaml:"recipient"`
		Stage     string `yaml:"stage"`
	}
	type Common struct {
		Hostname string `yaml:"hostname"`
	}
	type doc struct {
		Sink struct {
			Rules     []rule `yaml:"rules"`
			Listeners []struct {
				Common `yaml:",inline"`
				Listen string `yaml:"listen"`
			} `yaml:"listeners"`
			Tags map[string]rule `yaml:"tags"`
		} `yaml:"sink"`
		Hidden string `yaml:"-"`
	}
	for _, tc := range []struct {
		name, root, in, want string
	}{
		{"one added", "", "sink:\n  rules:\n    - recipent: a@x.test\n", `f:3:7: sink.rules[0].recipent: unknown field "recipent" (did you mean "recipient"?)`},
		{"rules editor", "rules", "- name: a\n  recipent: a@x.test\n", `f:2:3: rules[0].recipent: unknown field "recipent" (did you mean "recipient"?)`},
		{"swapped", "", "sink:\n  rules: [{stgae: rcpt}]\n", `(did you mean "stage"?)`},
		{"one changed, inline", "", "sink:\n  listeners:\n    - hostnane: x\n", `(did you mean "hostname"?)`},
		{"one taken out, map of structs", "", "sink:\n  tags:\n    a: {stagee: rcpt}\n", `(did you mean "stage"?)`},
		{"top level", "", "snk:\n  rules: []\n", `f:1:1: snk: unknown field "snk" (did you mean "sink"?)`},
		{"two edits in a long key", "", "sink:\n  listeners:\n    - hsotnmae: x\n", `(did you mean "hostname"?)`},
		{"far", "", "sink:\n  rules:\n    - rcpt: a@x.test\n", `unknown field "rcpt"`},
		{"not offered", "", "hiden: x\n", `unknown field "hiden"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var err error
			if tc.root != "" {
				err = DecodeRoot("f", tc.root, []byte(tc.in), &[]rule{})
			} else {
				err = Decode("f", []byte(tc.in), &doc{})
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q in it", err, tc.want)
			}
			if !strings.Contains(tc.want, "did you mean") && strings.Contains(err.Error(), "did you mean") {
				t.Errorf("error %v suggests a key, want none", err)
			}
		})
	}
}

func TestNearKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"recipent", "recipient", true}, {"recipient", "recipent", true},
		{"stgae", "stage", true}, {"stagf", "stage", true}, {"stag", "stage", true}, {"tage", "stage", true},
		{"stage", "stage", false}, {"sgtae", "stage", false}, {"st", "stage", false}, {"code", "mode", true},
		{"", "a", true}, {"ab", "ba", true}, {"abc", "cba", false}, {"é", "e", true},
		// Two edits are taken for keys of six characters or more only.
		{"schedual", "schedule", true}, {"shcedual", "schedule", false}, {"stgea", "stage", false},
		{"listners", "listeners", true}, {"lsitners", "listeners", true},
	} {
		if got := nearKey(tc.a, tc.b); got != tc.want {
			t.Errorf("nearKey(%q, %q) = %v (distance %d), want %v", tc.a, tc.b, got, EditDistance(tc.a, tc.b), tc.want)
		}
	}
}
