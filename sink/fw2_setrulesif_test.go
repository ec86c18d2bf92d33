package sink

import (
	"testing"
)

// TestSetRulesIf: SetRulesIf installs the rules only when its test
// accepts those running, which it is shown, and a reload (a SIGHUP) that
// starts while the test runs waits for the change to be made, so that
// it replaces the rules installed rather than being overwritten by them:
// a PUT of the rules editor over the version it read could otherwise
// undo a SIGHUP that came between its check and its change.
func TestSetRulesIf(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) {
		c.Rules = []Rule{{Stage: "rcpt", Recipient: "*@a.test", Reply: "550 5.1.1 first"}}
	})
	put := []Rule{{Stage: "rcpt", Recipient: "*@b.test", Reply: "451 4.7.1 put"}}
	var seen []Rule
	ok, err := s.SetRulesIf(put, func(cur []Rule) bool { seen = cur; return false })
	if ok || err != nil || len(seen) != 1 || seen[0].Reply != "550 5.1.1 first" {
		t.Fatalf("a refused SetRulesIf: ok %v, err %v, shown %+v; want false, nil, the rules running", ok, err, seen)
	}
	if rs := s.Rules(); len(rs) != 1 || rs[0].Reply != "550 5.1.1 first" {
		t.Fatalf("a refused SetRulesIf changed the rules: %+v", rs)
	}
	if ok, err := s.SetRulesIf([]Rule{{Stage: "rcpt", Reply: "bad"}}, func([]Rule) bool { return true }); !ok || err == nil {
		t.Errorf("SetRulesIf of a bad rule: ok %v, err %v; want the sink's error", ok, err)
	}

	// The hook: a reload begins while SetRulesIf holds its test true.
	reloaded := DefaultConfig()
	reloaded.Listeners[0].Listen = "127.0.0.1:0"
	reloaded.Bounce.Relay = ""
	reloaded.Rules = []Rule{{Stage: "rcpt", Recipient: "*@c.test", Reply: "452 4.2.2 reloaded"}}
	started, done := make(chan struct{}), make(chan error, 1)
	ok, err = s.SetRulesIf(put, func([]Rule) bool {
		go func() {
			close(started)
			done <- s.Reload(reloaded)
		}()
		<-started
		return true
	})
	if !ok || err != nil {
		t.Fatalf("SetRulesIf = %v, %v; want installed", ok, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if rs := s.Rules(); len(rs) != 1 || rs[0].Reply != "452 4.2.2 reloaded" {
		t.Errorf("after a reload that began during SetRulesIf, the rules are %+v; want the reload's, which came after", rs)
	}
}
