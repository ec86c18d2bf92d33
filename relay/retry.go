package relay

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"

	"github.com/relaylab/relaylab/internal/config"
)

// RetryConfig is a retry policy: when to try again after a temporary
// failure, and when to give up.
type RetryConfig struct {
	// Preset fills the fields left empty: postfix, kumomta or rfc5321.
	Preset string `yaml:"preset"`
	// Kind is exponential, list or postfix.
	Kind string `yaml:"kind"`
	// Exponential: Initial * Factor^(n-1) (Factor from 1 to 100), +/-
	// Jitter (a fraction, 0.1 is 10%) from a seeded generator, capped at
	// Max, else at MaxAge, else at 24h.
	Initial config.Duration `yaml:"initial"`
	Factor  float64         `yaml:"factor"`
	Max     config.Duration `yaml:"max"`
	Jitter  float64         `yaml:"jitter"`
	// List: the delay after failed attempt n is Schedule[n-1]; the last
	// entry repeats.
	Schedule []config.Duration `yaml:"schedule"`
	// Postfix: the delay is the message's age, clamped to [MinBackoff,
	// MaxBackoff].
	MinBackoff config.Duration `yaml:"min_backoff"`
	MaxBackoff config.Duration `yaml:"max_backoff"`
	// MaxAge gives up on a recipient this long after the message arrived;
	// BounceMaxAge does the same for the DSNs we send. 0: no limit.
	MaxAge       config.Duration `yaml:"max_age"`
	BounceMaxAge config.Duration `yaml:"bounce_max_age"`
	// MaxAttempts gives up after this many attempts (0: no limit).
	MaxAttempts int `yaml:"max_attempts"`
}

// Presets by name.
var presets = map[string]RetryConfig{
	// Postfix: minimal_backoff_time 300s, maximal_backoff_time 4000s,
	// maximal_queue_lifetime 5d, bounce_queue_lifetime 5d.
	"postfix": {Kind: "postfix", MinBackoff: dur(300 * time.Second), MaxBackoff: dur(4000 * time.Second),
		MaxAge: dur(5 * 24 * time.Hour), BounceMaxAge: dur(5 * 24 * time.Hour)},
	// KumoMTA: retry_interval 20m doubling up to max_retry_interval, max_age
	// 7d (we cap the interval at 8h).
	"kumomta": {Kind: "exponential", Initial: dur(20 * time.Minute), Factor: 2, Max: dur(8 * time.Hour),
		MaxAge: dur(7 * 24 * time.Hour), BounceMaxAge: dur(2 * 24 * time.Hour)},
	// RFC 5321 4.5.4.1: retry after at least 30 minutes, give up after at
	// least 4-5 days.
	"rfc5321": {Kind: "list", Schedule: []config.Duration{dur(30 * time.Minute)},
		MaxAge: dur(5 * 24 * time.Hour), BounceMaxAge: dur(5 * 24 * time.Hour)},
}

func dur(d time.Duration) config.Duration { return config.Duration(d) }

// Resolved returns c with its preset's values where c has none: the
// policy the relay runs with (relaylab config prints it).
func (c RetryConfig) Resolved() RetryConfig { return c.resolved() }

// resolved returns c with its preset's values where c has none.
func (c RetryConfig) resolved() RetryConfig {
	p, ok := presets[c.Preset]
	if !ok {
		return c
	}
	if c.Kind == "" {
		c.Kind = p.Kind
	}
	if c.Kind == p.Kind {
		if c.Initial == 0 {
			c.Initial = p.Initial
		}
		if c.Factor == 0 {
			c.Factor = p.Factor
		}
		if c.Max == 0 {
			c.Max = p.Max
		}
		if len(c.Schedule) == 0 {
			c.Schedule = p.Schedule
		}
		if c.MinBackoff == 0 {
			c.MinBackoff = p.MinBackoff
		}
		if c.MaxBackoff == 0 {
			c.MaxBackoff = p.MaxBackoff
		}
	}
	if c.MaxAge == 0 {
		c.MaxAge = p.MaxAge
	}
	if c.BounceMaxAge == 0 {
		c.BounceMaxAge = p.BounceMaxAge
	}
	return c
}

// Validate checks the policy.
func (c *RetryConfig) Validate(k string) error {
	if c.Preset != "" {
		if _, ok := presets[c.Preset]; !ok {
			return config.Errorf(k+".preset", "%q: want postfix, kumomta or rfc5321%s", c.Preset, didYouMean(c.Preset, "postfix", "kumomta", "rfc5321"))
		}
	}
	r := c.resolved()
	switch r.Kind {
	case "exponential":
		if r.Initial <= 0 {
			return config.Errorf(k+".initial", "exponential retry needs a positive initial delay")
		}
		if r.Factor == 0 {
			// Left out, most likely (factor has no default): say so,
			// not "factor 0" of a key the file may never have written.
			return config.Errorf(k+".factor", "exponential retry needs a factor from 1 to %d, and none is set (0 counts as none): factor: 2 doubles the wait after each attempt, as the kumomta preset does; 1 keeps it fixed", maxFactor)
		}
		// Written to refuse NaN too, which fails every comparison.
		if !(r.Factor >= 1 && r.Factor <= maxFactor) {
			return config.Errorf(k+".factor", "factor %v: want a number from 1 to %d (2 doubles the wait after each attempt)", r.Factor, maxFactor)
		}
		if r.Max < 0 {
			return config.Errorf(k+".max", "max must not be negative (0: capped at max_age, else at %v)", defaultCeiling)
		}
		if !(r.Jitter >= 0 && r.Jitter < 1) {
			return config.Errorf(k+".jitter", "jitter %v: want a fraction of the delay in [0, 1) (0.1 moves each delay by up to 10%% either way), not a duration", r.Jitter)
		}
	case "list":
		if len(r.Schedule) == 0 {
			return config.Errorf(k+".schedule", "list retry needs a schedule such as [1m, 5m, 5m, 1h]")
		}
		for i, d := range r.Schedule {
			if d <= 0 {
				return config.Errorf(fmt.Sprintf("%s.schedule[%d]", k, i), "delays must be positive")
			}
		}
	case "postfix":
		if r.MinBackoff <= 0 || r.MaxBackoff < r.MinBackoff {
			return config.Errorf(k+".min_backoff", "postfix retry needs 0 < min_backoff <= max_backoff")
		}
	case "":
		return config.Errorf(k+".kind", "no retry kind: set kind (exponential, list, postfix) or a preset")
	default:
		return config.Errorf(k+".kind", "%q: want exponential, list or postfix%s", r.Kind, didYouMean(r.Kind, "exponential", "list", "postfix"))
	}
	for _, l := range []struct {
		key  string
		bad  bool
		v    string
		zero string
	}{
		{"max_age", r.MaxAge < 0, r.MaxAge.String(), "the preset's, else no age limit"},
		{"bounce_max_age", r.BounceMaxAge < 0, r.BounceMaxAge.String(), "the preset's, else max_age"},
		{"max_attempts", r.MaxAttempts < 0, fmt.Sprint(r.MaxAttempts), "no limit on attempts"},
	} {
		if l.bad {
			return config.Errorf(k+"."+l.key, "%s: must not be negative (0 or left out: %s)", l.v, l.zero)
		}
	}
	return nil
}

// didYouMean is " (did you mean X?)" for the one of names that word was
// most likely meant as (config.Nearest, as for an unknown key), or "".
func didYouMean(word string, names ...string) string {
	if n := config.Nearest(word, names); n != "" {
		return fmt.Sprintf(" (did you mean %q?)", n)
	}
	return ""
}

// Policy computes retry times. It holds no state: the jitter of attempt n
// comes from (seed, key, n), where the caller's key names the recipient and
// its message, so a run is reproducible whatever order the work is done in.
type Policy struct {
	c    RetryConfig
	seed int64
}

// NewPolicy returns the policy of c (which must have passed Validate).
func NewPolicy(c RetryConfig, seed int64) Policy {
	return Policy{c: c.resolved(), seed: seed}
}

// Delay is the wait after failed attempt n (1-based) of the recipient and
// message that id names, which arrived age ago.
func (p Policy) Delay(id string, n int, age time.Duration) time.Duration {
	if n < 1 {
		n = 1
	}
	c := p.c
	switch c.Kind {
	case "list":
		if n > len(c.Schedule) {
			n = len(c.Schedule)
		}
		return c.Schedule[n-1].D()
	case "postfix":
		return min(max(age, c.MinBackoff.D()), c.MaxBackoff.D())
	default:
		// The arithmetic is in float64, where a steep factor reaches +Inf
		// (or NaN) instead of wrapping; each step saturates at the ceiling
		// before converting back, so the delay is never negative.
		ceil := p.ceiling()
		d := float64(c.Initial) * math.Pow(c.Factor, float64(n-1))
		if !(d < float64(ceil)) {
			d = float64(ceil)
		}
		if c.Jitter > 0 {
			h := fnv.New64a()
			fmt.Fprintf(h, "%s/%d", id, n)
			rng := rand.New(rand.NewPCG(uint64(p.seed), h.Sum64()))
			d *= 1 + c.Jitter*(2*rng.Float64()-1)
		}
		switch {
		case !(d < float64(ceil)):
			return ceil
		case d < 0:
			return 0
		}
		return time.Duration(d)
	}
}

// Bounds of exponential retry.
const (
	// maxFactor: a factor of 100 already waits a day by the fourth attempt
	// from a one-minute start; a larger one is a typo.
	maxFactor = 100
	// defaultCeiling caps the wait when neither max nor max_age is set.
	defaultCeiling = 24 * time.Hour
)

// ceiling is the longest exponential wait: max, else max_age, else a day.
func (p Policy) ceiling() time.Duration {
	switch {
	case p.c.Max > 0:
		return p.c.Max.D()
	case p.c.MaxAge > 0:
		return p.c.MaxAge.D()
	}
	return defaultCeiling
}

// Lifetime is how long a message may wait before its recipients expire
// (0: forever). isDSN selects the bounce lifetime.
func (p Policy) Lifetime(isDSN bool) time.Duration {
	if isDSN && p.c.BounceMaxAge > 0 {
		return p.c.BounceMaxAge.D()
	}
	return p.c.MaxAge.D()
}

// GiveUp reports whether a recipient that has failed attempts times must
// stop for want of attempts.
func (p Policy) GiveUp(attempts int) bool {
	return p.c.MaxAttempts > 0 && attempts >= p.c.MaxAttempts
}
