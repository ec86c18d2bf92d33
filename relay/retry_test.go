package relay

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/config"
)

// A factor that overflows the delay must saturate at the ceiling, never
// wrap to a negative delay that retries at once, forever.
func TestPolicyDelaySaturates(t *testing.T) {
	t.Parallel()
	exp := func(factor float64, max, maxAge time.Duration, jitter float64) RetryConfig {
		return RetryConfig{Kind: "exponential", Initial: dur(time.Minute), Factor: factor, Max: dur(max), MaxAge: dur(maxAge), Jitter: jitter}
	}
	tests := []struct {
		name    string
		c       RetryConfig
		ceiling time.Duration
	}{
		{"huge factor, max_age", exp(1e300, 0, 24*time.Hour, 0), 24 * time.Hour},
		{"huge factor, no limit", exp(1e300, 0, 0, 0), 24 * time.Hour},
		{"huge factor, max", exp(1e300, 2*time.Hour, 24*time.Hour, 0), 2 * time.Hour},
		{"max with jitter", exp(2, time.Hour, 0, 0.5), time.Hour},
		{"factor 100, 60 attempts", exp(100, 0, 5*24*time.Hour, 0.1), 5 * 24 * time.Hour},
		{"infinite factor", exp(math.Inf(1), 0, 0, 0), 24 * time.Hour},
		{"NaN factor", exp(math.NaN(), 0, 0, 0), 24 * time.Hour},
		{"max near the int64 limit", exp(1e300, math.MaxInt64, 0, 0.3), math.MaxInt64},
	}
	for _, tt := range tests {
		p := NewPolicy(tt.c, 3)
		for _, n := range []int{1, 2, 3, 10, 60, 1000, math.MaxInt32} {
			d := p.Delay("x@r.test/1", n, 0)
			if d < 0 || d > tt.ceiling {
				t.Errorf("%s: attempt %d: delay %v, want within [0, %v]", tt.name, n, d, tt.ceiling)
			}
		}
		if d := p.Delay("x@r.test/1", 1000, 0); tt.c.Jitter == 0 && !math.IsNaN(tt.c.Factor) && d != tt.ceiling {
			t.Errorf("%s: attempt 1000: delay %v, want the ceiling %v", tt.name, d, tt.ceiling)
		}
	}
}

func TestRetryValidateFactorAndJitter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		factor, jitter float64
		max            time.Duration
		key            string // "" for no error
	}{
		{1, 0, 0, ""},
		{2, 0.1, time.Hour, ""},
		{100, 0, 0, ""},
		{0.5, 0, 0, "relay.retry.factor"},
		{100.5, 0, 0, "relay.retry.factor"},
		{1e300, 0, 0, "relay.retry.factor"},
		{math.Inf(1), 0, 0, "relay.retry.factor"},
		{math.NaN(), 0, 0, "relay.retry.factor"},
		{2, math.NaN(), 0, "relay.retry.jitter"},
		{2, 0, -time.Minute, "relay.retry.max"},
	}
	for _, tt := range tests {
		c := RetryConfig{Kind: "exponential", Initial: dur(time.Minute), Factor: tt.factor, Jitter: tt.jitter, Max: dur(tt.max), MaxAge: dur(24 * time.Hour)}
		err := c.Validate("relay.retry")
		if tt.key == "" {
			if err != nil {
				t.Errorf("factor %v jitter %v max %v: %v, want no error", tt.factor, tt.jitter, tt.max, err)
			}
			continue
		}
		var fe *config.FieldError
		if !errors.As(err, &fe) || fe.Key != tt.key {
			t.Errorf("factor %v jitter %v max %v: error %v, want one on %s", tt.factor, tt.jitter, tt.max, err, tt.key)
		}
	}
}

// With no max and no max_age, a steep factor waits at most a day between
// attempts, and the attempts never bunch up.
func TestSteepExponentialRetryWaitsAtMostADay(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(string) error { return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "try later") }
	})
	cfg := testConfig(mta.addr)
	cfg.Retry = RetryConfig{Kind: "exponential", Initial: dur(time.Minute), Factor: 100, MaxAttempts: 8}
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("", "x@r.test")
	h.runUntil("give up", h.done(id, 1))
	day := 24 * time.Hour
	base := 101 * time.Minute // 1m, then 100m
	want := []time.Duration{0, time.Minute, base, base + day, base + 2*day, base + 3*day, base + 4*day, base + 5*day}
	if got := h.attemptTimes(id, "x@r.test"); !reflect.DeepEqual(got, want) {
		t.Errorf("attempts at %v\nwant       %v", got, want)
	}
}

func TestRetryFactorErrorSaysWhy(t *testing.T) {
	t.Parallel()
	c := RetryConfig{Kind: "exponential", Initial: dur(time.Minute), Factor: 1e300}
	err := c.Validate("relay.retry")
	if err == nil || !strings.Contains(err.Error(), "1e+300") || !strings.Contains(err.Error(), "100") {
		t.Errorf("error %v, want it to name the factor and the bound", err)
	}
}
