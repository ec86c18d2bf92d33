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
		// In a flow mapping both are on one line: their columns tell them
		// apart, and the key is the one given twice, not its mapping.
		{"key twice on one line", "", "items:\n  - {stage: rcpt, code: 451, stage: data}\n",
			"f:2:30: items[0].stage: given twice, at 2:6 and at 2:30 (line:column): a key appears once in its section"},
		{"key twice in a nested flow mapping", "", "items: [{stage: rcpt, stage: data}]\n",
			"f:1:23: items[0].stage: given twice, at 1:10 and at 1:23 (line:column)"},
		{"quoted key twice on one line", "", "items:\n  - {\"stage\": rcpt, 'stage': data}\n",
			"items[0].stage: given twice, at 2:6 and at 2:21 (line:column)"},
		{"key twice in the rules editor's flow list", "rules", "- {code: 451, code: 452}\n",
			"f:1:15: rules[0].code: given twice, at 1:4 and at 1:15 (line:column)"},
		// The parser reports the line before the one indented too far.
		{"indentation", "", "items:\n  - stage: rcpt\n     code: 451\n",
			"f:3:6: line 3 (code) is indented 5 spaces, 1 more than items[0].stage on line 2, so YAML reads it as more of that key's value: a key lines up, with spaces, under the other keys of its section (4 spaces here)"},
		{"indentation in the rules editor", "rules", "- name: broken\n  stage: rcpt\n   reply: \"550 5.1.1 x\"\n",
			"f:3:4: line 3 (reply) is indented 3 spaces, 1 more than rules[0].stage on line 2"},
		// Items of a list at the top of the document count like any
		// others: the second rule is rules[1], not rules[0] again.
		{"indentation in the rules editor's second rule", "rules", "- name: a\n  stage: rcpt\n- name: b\n  stage: rcpt\n   reply: \"550 5.1.1 x\"\n",
			"f:5:4: line 5 (reply) is indented 3 spaces, 1 more than rules[1].stage on line 4"},
		{"tab in the rules editor's third rule", "rules", "- stage: rcpt\n- stage: data\n- stage: mail\n\tcode: 451\n",
			"(the key before it is rules[2].stage)"},
		{"indentation after a comment", "", "items:\n  - stage: rcpt\n    # why\n\n      code: 451\n", "f:5:7: line 5 (code) is indented 6 spaces, 2 more than items[0].stage on line 2"},
		{"indentation too little", "", "items:\n  - stage: rcpt\n   code: 451\n", "check the indentation of line 3"},
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
