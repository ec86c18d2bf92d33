package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// sighupSink is a fakeSink on which a SIGHUP's reload comes right after
// the first read of its rules, the interleaving that slipped a reload
// between a PUT's version check and its change: it replaces the rules
// with reloaded once, and logs the reload and each change in order. It
// tests and changes its rules in one step (SinkRulesIfAPI), as the sink
// does under its lock.
type sighupSink struct {
	*fakeSink
	reloaded SinkRules
	fired    bool
	log      []string
}

var _ SinkRulesIfAPI = (*sighupSink)(nil)

func (s *sighupSink) Rules(ctx context.Context) (SinkRules, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.rules
	if !s.fired {
		s.fired = true
		s.rules = s.reloaded
		s.log = append(s.log, "reload")
	}
	return cur, nil
}

func (s *sighupSink) SetRules(ctx context.Context, r SinkRules) error {
	if err := s.fakeSink.SetRules(ctx, r); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, "install")
	return nil
}

func (s *sighupSink) SetRulesIf(ctx context.Context, r SinkRules, cond func(SinkRules) bool) (SinkRules, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.rules
	if !cond(cur) {
		return cur, false, nil
	}
	s.rules = r
	s.log = append(s.log, "install")
	return cur, true, nil
}

// TestRulesPutAtomic: a PUT of the rules with If-Match or a version
// either installs over exactly the rules it names or gets its 412 or
// 409; a reload (SIGHUP) between its check and its change was lost
// under the PUT's rules, which answered 200.
func TestRulesPutAtomic(t *testing.T) {
	t.Parallel()
	old := SinkRules{YAML: "rules:\n- stage: rcpt\n  reply: 550 old\n"}
	for _, c := range []struct {
		name string
		hdr  []string
		body string
		code int
	}{
		{"If-Match", []string{"If-Match", `"` + rulesVersion(old.YAML) + `"`}, `{"yaml": "rules: []\n"}`, http.StatusPreconditionFailed},
		{"version", nil, `{"yaml": "rules: []\n", "version": "` + rulesVersion(old.YAML) + `"}`, http.StatusConflict},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sk := &sighupSink{fakeSink: newFakeSink(), reloaded: SinkRules{YAML: "rules:\n- stage: rcpt\n  reply: 451 from the SIGHUP\n"}}
			sk.rules = old
			ts := startServer(t, Options{Sink: sk})
			code, _, body := do(t, "PUT", ts.url+"/api/v1/sink/rules", c.body, c.hdr...)
			sk.mu.Lock()
			log, final := strings.Join(sk.log, " "), sk.rules.YAML
			sk.mu.Unlock()
			switch {
			case code == http.StatusOK && strings.HasPrefix(log, "reload install"):
				t.Errorf("PUT: 200 after the SIGHUP's reload came between its check and its change (%s): the reload is lost, the rules are %q", log, final)
			case code == http.StatusOK && log != "install reload":
				t.Errorf("PUT: 200 with %q", log)
			case code != http.StatusOK && (code != c.code || !strings.Contains(string(body), "451 from the SIGHUP") || final != sk.reloaded.YAML):
				t.Errorf("PUT: %d %s, rules %q; want %d with the reloaded rules kept and shown", code, body, final, c.code)
			}
		})
	}
}
