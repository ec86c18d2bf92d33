package sink

import (
	"testing"
)

// TestParseRulesDocuments: the rules are one YAML list in one document.
// A second document (after ---) is refused at the line and column of its
// first value, where its rules were dropped without a word (and with an
// empty first document, every rule); a text of only comments, or only
// ---, is no rules, as an empty one is, where it failed with "rules: EOF".
func TestParseRulesDocuments(t *testing.T) {
	t.Parallel()
	const p, q = `- {name: p, stage: rcpt, reply: "550 5.1.1 no"}`, `- {name: q, stage: rcpt, reply: "450 4.2.2 full"}`
	// As config.DecodeRoot says it of a configuration file.
	const second = ": a second YAML document (after ---), which would be ignored: the text holds one document; merge the two or remove the --- line"
	for _, tc := range []struct {
		name, text string
		rules      int
		err        string
	}{
		{"two documents", p + "\n---\n" + q + "\n", 0, "rules:3:1" + second},
		{"an empty first", "---\n---\n" + q + "\n", 0, "rules:3:1" + second},
		{"after an end", p + "\n...\n---\n" + q + "\n", 0, "rules:4:1" + second},
		{"on the --- line", p + "\n--- [" + q[2:] + "]\n", 0, "rules:2:5" + second},
		{"a comment", "# no rules for now\n", 0, ""},
		{"a ---", "---\n", 0, ""},
		{"comments and ---", "# a\n---\n# b\n...\n", 0, ""},
		{"one, opened", "# the rules\n---\n" + p + "\n", 1, ""},
		{"one, closed", p + "\n" + q + "\n---\n# more later\n", 2, ""},
		{"a block scalar holding ---", "- stage: rcpt\n  reply: \"550 5.1.1 no\"\n  name: >\n    p\n    ---\n", 1, ""},
		{"a quoted ---", "- {name: \"---\", stage: rcpt, reply: \"550 5.1.1 no\"}\n", 1, ""},
	} {
		rs, err := ParseRules([]byte(tc.text))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.err || len(rs) != tc.rules {
			t.Errorf("%s: %d rules, error %q; want %d, %q", tc.name, len(rs), got, tc.rules, tc.err)
		}
	}
}
