package relay

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
)

// TestDelayWarningOnTime: the delay DSN goes out once a recipient has
// waited delay_warning, not at the next deferral written after that (with
// a 3h retry delay and a 1h delay_warning it went out at 3h), and mail a
// shaping hold keeps back gets one too (it got none until the hold
// ended).
func TestDelayWarningOnTime(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		shape func(*Config)
	}{
		{"deferred", func(*Config) {}},
		{"held by a window", func(c *Config) { c.Routes[0].Windows = []string{"03:00-04:00"} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mta := startMTA(t, func(f *fakeMTA) {
				f.onRcpt = func(to string) error {
					if strings.HasPrefix(to, "slow@") {
						return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "try again later")
					}
					return nil
				}
			})
			cfg := testConfig(mta.addr)
			cfg.Retry = RetryConfig{Kind: "list", Schedule: []config.Duration{dur(3 * time.Hour)}, MaxAge: dur(20 * time.Hour)}
			cfg.DSN.DelayWarning = dur(time.Hour)
			tt.shape(&cfg)
			h := newHarness(t, cfg, Options{})
			id := h.enqueue("alice@s.test", "slow@r.test")
			h.runUntil("a delay warning", func() bool {
				return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}})) > 0
			})
			dsns := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}})
			if at := dsns[0].Time.Sub(epoch); at != time.Hour || payload(t, dsns[0])["action"] != "delayed" {
				t.Errorf("DSN %s at %v, want a delay warning at 1h", dsns[0].Payload, at)
			}
			h.v.Advance(30 * time.Minute)
			h.settle()
			if n := len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDSN}})); n != 1 {
				t.Errorf("%d DSNs, want the one warning", n)
			}
		})
	}
}

// TestDelayWarningNotBeforeMaxAge: a delay_warning not shorter than the
// retry policy's max_age could never be sent, and is refused at its key.
func TestDelayWarningNotBeforeMaxAge(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ yaml, want string }{
		{"relay:\n  retry: {kind: list, schedule: [1m], max_age: 4h}\n  dsn: {delay_warning: 4h}\n", "relaylab.yaml:3:"},
		{"relay:\n  retry: {preset: kumomta}\n  dsn: {delay_warning: 8d}\n", "relay.dsn.delay_warning: 192h0m0s is not shorter than the retry policy's max_age (168h0m0s)"},
	} {
		f := &fileWithRelay{Relay: DefaultConfig()}
		err := config.Decode("relaylab.yaml", []byte(tt.yaml), f)
		if err == nil || !strings.Contains(err.Error(), "relay.dsn.delay_warning") || !strings.Contains(err.Error(), "max_age") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want relay.dsn.delay_warning refused against max_age (%s)", tt.yaml, err, tt.want)
		}
	}
	f := &fileWithRelay{Relay: DefaultConfig()}
	if err := config.Decode("relaylab.yaml", []byte("relay:\n  retry: {preset: kumomta}\n  dsn: {delay_warning: 4h}\n"), f); err != nil {
		t.Errorf("a 4h warning under kumomta's 7 days: %v", err)
	}
}
