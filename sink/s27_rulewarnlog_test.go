package sink

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestS27ShadowedRulesLogged: a rule that a rule before it always answers
// for is said by relaylab config, and by the log of a start, of a reload
// and of rules replaced at run time (the API, the UI's editor), which
// take it all the same: a user who never ran relaylab config learns why
// the rule never fires.
func TestS27ShadowedRulesLogged(t *testing.T) {
	t.Parallel()
	cfg, err := decodeSink(t, sinkDoc(`[{name: all, stage: rcpt, recipient: "*@qa.test", reply: "550 5.1.1 no"}, {name: bob, stage: rcpt, recipient: "bob@qa.test", reply: "451 4.7.1 later"}]`))
	if err != nil {
		t.Fatal(err)
	}
	shadowed := cfg.Rules
	const want = `sink.rules[1]: never applies: sink.rules[0]`
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s, _ := testSinkLogged(t, filepath.Join(t.TempDir(), "sink.db"), nil, log, func(c *Config) { c.Rules = shadowed })
	if n := strings.Count(logs.String(), want); n != 1 {
		t.Errorf("start logged %q %d times, want once:\n%s", want, n, logs.String())
	}

	since := func(mark int) string { return logs.String()[mark:] }
	mark := len(logs.String())
	if err := s.SetRules(shadowed[:1]); err != nil {
		t.Fatal(err)
	}
	if l := since(mark); strings.Contains(l, "never applies") {
		t.Errorf("rules with none shadowed logged a warning:\n%s", l)
	}
	mark = len(logs.String())
	if err := s.SetRules(shadowed); err != nil {
		t.Fatal(err)
	}
	if l := since(mark); !strings.Contains(l, want) {
		t.Errorf("SetRules logged no warning %q:\n%s", want, l)
	}

	mark = len(logs.String())
	c := s.cfg
	c.Rules = shadowed
	if err := s.Reload(c); err != nil {
		t.Fatal(err)
	}
	if l := since(mark); !strings.Contains(l, want) {
		t.Errorf("Reload logged no warning %q:\n%s", want, l)
	}
}
