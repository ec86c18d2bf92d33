package relay

import (
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/relaylab/relaylab/internal/config"
)

// TestClassifyRuleMatchersChecked: a classification rule whose stage,
// code or enhanced prefix no reply can have is refused at its line and
// key with what to write, instead of a rule that silently matches
// nothing ("data-end" for the relay's "dot", "RCPT", "5xx", "5.7.x").
func TestClassifyRuleMatchersChecked(t *testing.T) {
	t.Parallel()
	rule := func(m string) string {
		return "relay:\n  classify:\n    - {" + m + ", disposition: bounce, category: content}\n"
	}
	for _, tt := range []struct{ name, yaml, want string }{
		{"sink's stage name", rule("stage: data-end"), `relaylab.yaml:3:15: relay.classify[0].stage: "data-end" is not a stage of the relay: the relay calls the reply to the final dot stage dot`},
		{"upper case", rule("stage: 'mail|RCPT'"), `relay.classify[0].stage: "RCPT" is not a stage of the relay: stages are written in lower case: rcpt`},
		{"unknown stage", rule("stage: helo"), `relay.classify[0].stage: "helo" is not a stage of the relay: want one of connect, dns, greeting, ehlo,`},
		{"5xx", rule("code: 5xx"), `relay.classify[0].code: "5xx": want the first one to three digits of a reply code ("5" for every 5xx`},
		{"four digits", rule("code: '5500'"), `relay.classify[0].code: "5500"`},
		{"x in enhanced", rule("enhanced: 5.7.x"), `relay.classify[0].enhanced: "5.7.x": want the start of an enhanced status code (RFC 3463)`},
		{"class 3", rule("enhanced: '3.1.1'"), `relay.classify[0].enhanced: "3.1.1"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fileWithRelay{Relay: DefaultConfig()}
			err := config.Decode("relaylab.yaml", []byte(tt.yaml), f)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
	for _, ok := range []string{"stage: 'mail | rcpt', code: '55'", "code: '0', stage: dot", "enhanced: '5.'", "enhanced: '5.7.'", "enhanced: 4.2.2", "code: '4', enhanced: '4'"} {
		f := &fileWithRelay{Relay: DefaultConfig()}
		if err := config.Decode("ok.yaml", []byte(rule(ok)), f); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	// The built-in table passes the same checks.
	var builtin []Rule
	if err := yaml.Unmarshal(builtinRules, &builtin); err != nil {
		t.Fatal(err)
	}
	for i, r := range builtin {
		if err := r.validate("classify.yaml"); err != nil {
			t.Errorf("built-in rule %d: %v", i, err)
		}
	}
}
