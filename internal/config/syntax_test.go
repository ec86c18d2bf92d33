package config

import (
	"strings"
	"testing"
)

// TestSyntaxHintInWords: the YAML parser's own words for a tab and for a
// key given twice ("tab character cannot use as a map key directly",
// "already defined at [1:1]") become what to do about them, with the key,
// for a file as for a document that stands for a key (the rules editor's
// bare list of rules).
func TestSyntaxHintInWords(t *testing.T) {
	t.Parallel()
	type item struct {
		Stage string `yaml:"stage"`
		Code  int    `yaml:"code"`
	}
	for _, tc := range []struct {
		name, root, yaml, want string
	}{
		{"tab in a file", "", "items:\n  - stage: rcpt\n\tcode: 451\n",
			"f:3:1: line 3 has a tab character (column 1): YAML indents with spaces only; replace the tab with spaces (the key before it is items[0].stage)"},
		{"tab after a dash", "", "items:\n  - \tstage: rcpt\n", "f:2:"},
		{"tab in the rules editor", "rules", "- stage: rcpt\n\tcode: 451\n",
			"f:2:1: line 2 has a tab character (column 1): YAML indents with spaces only; replace the tab with spaces (the key before it is rules[0].stage)"},
		{"key twice", "", "items:\n  - stage: rcpt\n    stage: data\n",
			"f:3:5: items[0].stage: given twice, at line 2 and at line 3: a key appears once in its section"},
		{"key twice in the rules editor", "rules", "- stage: rcpt\n  code: 451\n  code: 452\n",
			"f:3:3: rules[0].code: given twice, at line 2 and at line 3"},
		{"indentation", "", "items:\n  - stage: rcpt\n     code: 451\n", "check the indentation of line 2 and the lines around it; the key before it is items;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var v any = &struct {
				Items []item `yaml:"items"`
			}{}
			if tc.root != "" {
				v = &[]item{}
			}
			err := DecodeRoot("f", tc.root, []byte(tc.yaml), v)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q in it", err, tc.want)
			}
			for _, raw := range []string{"already defined", "cannot use", "cannot start any token"} {
				if strings.Contains(err.Error(), raw) {
					t.Errorf("error %q still has the parser's words %q", err, raw)
				}
			}
		})
	}
}
