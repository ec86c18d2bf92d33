package sink

import (
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// A key a listener, a rule or a profile does not have, that a person
// writes for what is written elsewhere, gets the way to write it: the
// rules of one listener are sink.rules with listener:, a profile is
// chosen by domain, to: is recipient:.
func TestWR27UnknownKeyAdvice(t *testing.T) {
	t.Parallel()
	head := "sink:\n  listeners:\n    - name: mx\n      listen: 127.0.0.1:0\n"
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"rules in a listener", head + "      rules:\n        - {stage: rcpt, reply: \"451 4.3.2 busy\"}\n",
			[]string{"sink.yaml:5:7: sink.listeners[0].rules: unknown field \"rules\": the sink's rules are for all its listeners, under sink.rules", "listener: mx2"}},
		{"a profile for a listener", head + "      profile: gmail\n",
			[]string{"sink.listeners[0].profile:", "answers by the recipient's domain", "sink.profiles"}},
		{"to: in a rule", head + "  rules:\n    - {stage: rcpt, to: \"a@x.test\", reply: \"550 5.1.1 x\"}\n",
			[]string{"sink.rules[0].to:", `recipient: "bob@x.test"`}},
		{"code: in a rule", head + "  rules:\n    - {stage: rcpt, code: 550}\n",
			[]string{"sink.rules[0].code:", `reply: "550 5.1.1 No such user"`}},
		{"port: in a listener", head + "      port: 25\n",
			[]string{"sink.listeners[0].port:", `listen: "127.0.0.1:2525"`}},
		{"a size limit by another name", head + "      limits: {max_message_size: 10485760}\n",
			[]string{"sink.listeners[0].limits.max_message_size:", "max_message_bytes"}},
		{"a size with a unit", head + "      limits: {max_message_bytes: 10MB}\n",
			[]string{"sink.listeners[0].limits.max_message_bytes: want a whole number", "10MB is 10000000"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := decodeSink(t, tc.doc)
			wantInOrder(t, tc.name, err, tc.want...)
		})
	}
	// The rules editor's text has the same words.
	var rs []Rule
	err := config.DecodeRoot("rules", "rules", []byte("- {stage: rcpt, from: \"a@x.test\", reply: \"550 5.1.1 x\"}\n"), &rs)
	wantInOrder(t, "editor", err, "rules:1:17: rules[0].from:", `sender: "app@x.test"`, `"<>" is the null sender`)
}
