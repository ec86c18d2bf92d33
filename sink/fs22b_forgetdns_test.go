package sink

import (
	"context"
	"net/netip"
	"sync/atomic"
	"testing"
)

// forgetting is a Verifier with a DNS cache: it counts ForgetDNS.
type forgetting struct{ forgot atomic.Int32 }

var _ dnsForgetter = (*forgetting)(nil)

func (f *forgetting) Verify(context.Context, netip.Addr, string, string, []byte) (AuthResult, error) {
	return AuthResult{}, nil
}

func (f *forgetting) ForgetDNS() { f.forgot.Add(1) }

// A reload that works makes the sink.verify checks forget their cached
// DNS answers; one refused changes nothing, and a change of the rules
// alone (the web's rules editor) reloads no DNS either.
func TestReloadForgetsVerifierDNS(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, nil)
	v := &forgetting{}
	if err := s.SetVerifier(VerifyConfig{Enabled: true}, v); err != nil {
		t.Fatal(err)
	}
	cfg := s.cfg
	steps := []struct {
		what   string
		do     func() error
		forgot int32
	}{
		{"SetRules", func() error { return s.SetRules(nil) }, 0},
		{"a refused Reload", func() error {
			bad := cfg
			bad.Rules = []Rule{{Stage: "nowhere"}}
			if s.Reload(bad) == nil {
				t.Error("Reload took a rule of an unknown stage")
			}
			return nil
		}, 0},
		{"Reload", func() error { return s.Reload(cfg) }, 1},
		{"another Reload", func() error { return s.Reload(cfg) }, 2},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.what, err)
		}
		if got := v.forgot.Load(); got != st.forgot {
			t.Errorf("after %s the verifier forgot its DNS answers %d times, want %d: a reload (SIGHUP), and only one that works, makes sink.verify read DNS again", st.what, got, st.forgot)
		}
	}
}
