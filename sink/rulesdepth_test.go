package sink

import (
	"strings"
	"testing"
)

// TestParseRulesRefusesDeepNesting: the rules editor's text once reached
// the YAML parser whatever its depth, which took gigabytes for 200 KB of
// brackets; it is refused first, naming where and the limit.
func TestParseRulesRefusesDeepNesting(t *testing.T) {
	t.Parallel()
	d := 100000
	data := []byte("- " + strings.Repeat("[", d) + strings.Repeat("]", d))
	_, err := ParseRules(data)
	if err == nil || !strings.HasPrefix(err.Error(), "rules:1:102: lists and mappings nest deeper than 100 levels") {
		t.Fatalf("ParseRules = %v, want the depth refused at rules:1:102", err)
	}
	if _, err := ParseRules([]byte("- stage: rcpt\n  name: \"[[[[ a quoted name\"\n  reply: 550 5.1.1 no such user\n")); err != nil {
		t.Fatalf("a rule with brackets in a quoted string: %v", err)
	}
}
