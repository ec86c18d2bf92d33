package sink

import (
	"strings"
	"testing"
)

// Two rules of one name are refused at the second's name: the record of
// a reply ("reply by rule \"a\"") would not say which one chose it.
func TestRuleNameDefinedTwice(t *testing.T) {
	t.Parallel()
	doc := "sink:\n  rules:\n    - {name: a, stage: rcpt, recipient: \"x@*\", reply: \"550 no\"}\n    - {stage: rcpt, reply: \"451 later\"}\n    - {name: a, stage: rcpt, reply: \"452 full\"}\n"
	_, err := decodeSink(t, doc)
	wantInOrder(t, "sink.rules", err, "sink.yaml:5:", "sink.rules[2].name:", `"a" is the name of sink.rules[0] already`, "a name of its own")

	file := writeProfiles(t, "profiles:\n  - name: acme\n    domains: [acme.test]\n    rules:\n      - {name: b, stage: rcpt, reply: \"550 no\"}\n      - {name: b, stage: data-end, reply: \"550 no\"}\n")
	_, err = decodeSink(t, "sink:\n  profile_files: ["+file+"]\n")
	wantInOrder(t, "profile file", err, "sink.profile_files[0]:", "extra.yaml:6:", "profiles[0].rules[1].name:", `"b" is the name of profiles[0].rules[0] already`)

	s, _ := testSink(t, nil, nil)
	err = s.SetRules([]Rule{{Name: "c", Stage: "rcpt", Reply: "550 no"}, {Name: "c", Stage: "mail", Reply: "550 no"}})
	if err == nil || !strings.Contains(err.Error(), `"c" is the name of sink.rules[0] already`) {
		t.Errorf("SetRules: got %v, want the second name refused", err)
	}
	// Rules without names, and one name in two profiles, are fine.
	if _, err := decodeSink(t, "sink:\n  rules:\n    - {stage: rcpt, reply: \"550 no\"}\n    - {stage: rcpt, reply: \"451 no\"}\n"); err != nil {
		t.Errorf("unnamed rules: %v", err)
	}
}
