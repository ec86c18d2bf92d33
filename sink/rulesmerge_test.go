package sink

import "testing"

// TestParseRulesMergeOverrides: rules given to ParseRules (the web's
// rules editor, a SIGHUP's file) read merge keys as a configuration file
// does: a rule's own key wins over one it merges from an anchor. Before,
// the rule was refused as a duplicate key.
func TestParseRulesMergeOverrides(t *testing.T) {
	t.Parallel()
	rs, err := ParseRules([]byte("- &defer {stage: rcpt, recipient: \"a@x.test\", reply: \"451 4.7.1 later\"}\n- {<<: *defer, recipient: \"b@x.test\"}\n"))
	if err != nil {
		t.Fatalf("rules with a merge key that overrides: %v", err)
	}
	if len(rs) != 2 || rs[1].Recipient != "b@x.test" || rs[1].Reply != rs[0].Reply {
		t.Errorf("rules %+v: want the second with its own recipient and the anchor's reply", rs)
	}
}
