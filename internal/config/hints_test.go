package config

import (
	"strings"
	"testing"
)

type hintRate struct {
	PerSecond float64 `yaml:"per_second"`
	Burst     int     `yaml:"burst"`
}

type hintRule struct {
	Stage     string `yaml:"stage"`
	Recipient string `yaml:"recipient"`
	Hang      bool   `yaml:"hang"`
}

type hintDoc struct {
	Rate  hintRate   `yaml:"rate"`
	Rules []hintRule `yaml:"rules"`
}

// TestDecodeHints: the YAML library's words for a value starting with *
// or @, a value of the wrong shape and true in quotes become advice in
// the file's own terms, at the line of the value.
func TestDecodeHints(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		want     []string // in the error, in order
	}{
		{"star at glob", "rules:\n  - stage: rcpt\n    recipient: *@x.test\n",
			[]string{"t.yaml:3:", "rules[0].recipient:", "*@x.test starts with *", "alias", "must be quoted", `recipient: "*@x.test"`}},
		{"star alias", "rules:\n  - stage: rcpt\n    recipient: *bob\n",
			[]string{"t.yaml:3:", "rules[0].recipient:", "*bob starts with *", `recipient: "*bob"`}},
		{"star in flow", "rate: {burst: 1}\nrules: [{stage: rcpt, recipient: *@x.test}]\n",
			[]string{"t.yaml:2:", "*@x.test starts with *", `recipient: "*@x.test"`}},
		{"at sign", "rules:\n  - stage: rcpt\n    recipient: @x.test\n",
			[]string{"t.yaml:3:", "@x.test starts with @", `recipient: "@x.test"`}},
		{"greater-than, block", "rules:\n  - stage: rcpt\n    recipient: >x.test\n",
			[]string{"t.yaml:3:", "rules[0].recipient:", ">x.test starts with >", "block of text", `recipient: ">x.test"`}},
		{"greater-than in flow", "rules: [{stage: rcpt, recipient: >x.test, hang: true}]\n",
			[]string{"t.yaml:1:", ">x.test starts with >", `recipient: ">x.test"`}},
		{"bar", "rules:\n  - stage: rcpt\n    recipient: |x.test\n",
			[]string{"t.yaml:3:", "|x.test starts with |", `recipient: "|x.test"`}},
		{"number for a mapping", "rate: 5\n",
			[]string{"t.yaml:1:", "rate: want a mapping of the keys per_second, burst, as in rate: {per_second: ...}, got 5"}},
		// The file itself is the mapping: its example is a key at the
		// start of a line, not "- {rate: ...}", a list item as well.
		{"list for the file", "- rate: 5\n",
			[]string{"t.yaml:1:", "want a mapping of the keys rate, rules, each key at the start of a line, as in rate: ..., got a list", `remove the "- " before them`}},
		{"mapping for a list", "rules:\n  stage: rcpt\n",
			[]string{"t.yaml:2:", `rules: want a list, each item on a line of its own starting with "- " (each a mapping of the keys stage, recipient, hang)`, "got a mapping"}},
		{"true in quotes", "rules:\n  - hang: \"true\"\n",
			[]string{"t.yaml:2:", `rules[0].hang: want true or false, got "true", which the quotes make text: write true without quotes`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var v hintDoc
			err := Decode("t.yaml", []byte(tc.in), &v)
			if err == nil {
				t.Fatalf("Decode(%q) accepted it", tc.in)
			}
			msg, at := err.Error(), 0
			for _, w := range tc.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("Decode(%q):\n got %v\nwant %q in order", tc.in, err, tc.want)
				}
				at += i + len(w)
			}
		})
	}
	// A real alias still works, and a quoted glob is text.
	var v hintDoc
	if err := Decode("t.yaml", []byte("rules:\n  - &r {stage: rcpt, recipient: \"*@x.test\"}\n  - *r\n"), &v); err != nil || len(v.Rules) != 2 || v.Rules[1].Recipient != "*@x.test" {
		t.Errorf("an alias to an anchor: %v, %+v", err, v.Rules)
	}
}
