package sink

import (
	"strings"
	"testing"
)

// TestSetRulesUnknownListener: the rules editor (PUT /api/v1/sink/rules)
// said only `no listener is named "MX"`, where the configuration file's
// check lists the listeners and hints at the case. Both say it alike now,
// without the configuration's --listen advice: a running sink has its
// --listen listeners already.
func TestSetRulesUnknownListener(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) {
		l := c.Listeners[0]
		l.Name, l.Hostname = "mx2", "mx2.sink.test"
		c.Listeners = append(c.Listeners, l)
	})
	err := s.SetRules([]Rule{{Stage: "rcpt", Listener: "MX", Reply: "550 no"}})
	wantInOrder(t, "listener MX", err, "sink.rules[0].listener:", `no listener is named "MX"`, `(defined: "mx", "mx2")`, "case-sensitive", `did you mean "mx"?`)
	err = s.SetRules([]Rule{{Stage: "rcpt", Listener: "mx3", Reply: "550 no"}})
	wantInOrder(t, "listener mx3", err, `no listener is named "mx3" (defined: "mx", "mx2")`)
	if strings.Contains(err.Error(), "--listen") || strings.Contains(err.Error(), "case-sensitive") {
		t.Errorf("listener mx3: %v, want neither the --listen advice nor a case hint", err)
	}
}
