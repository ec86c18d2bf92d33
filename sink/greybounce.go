package sink

import (
	"cmp"
	"time"

	"github.com/relaylab/relaylab/internal/config"
)

// The defaults of a rule's greylist: and bounce: for what they leave out
// (defaultKeepPassed, defaultGreyReply and defaultBounceReply too).
const (
	defaultGreyDelay   = 5 * time.Minute
	defaultGreyExpiry  = 4 * time.Hour
	defaultBounceAfter = time.Minute
)

// WithDefaults is r with what its greylist: and bounce: leave out written
// as the values the sink runs them with (a delay, a window, a reply), as
// relaylab config prints them; r's own blocks are not changed. Compiled,
// it is the same rule as r.
func (r Rule) WithDefaults() Rule {
	if g := r.Greylist; g != nil {
		d := *g
		d.Delay = durationOr(d.Delay, defaultGreyDelay)
		d.Expiry = durationOr(d.Expiry, defaultGreyExpiry)
		d.KeepPassed = durationOr(d.KeepPassed, defaultKeepPassed)
		d.Reply = cmp.Or(d.Reply, defaultGreyReply().String())
		r.Greylist = &d
	}
	if b := r.Bounce; b != nil {
		d := *b
		d.After = durationOr(d.After, defaultBounceAfter)
		d.Reply = cmp.Or(d.Reply, defaultBounceReply().String())
		r.Bounce = &d
	}
	return r
}

// durationOr is d, or def when d is left out (nil).
func durationOr(d *config.Duration, def time.Duration) *config.Duration {
	if d != nil {
		return d
	}
	v := config.Duration(def)
	return &v
}

// compile checks a rule's greylist: (key is its path) and makes its
// Greylist. A duration written out is taken as it is: a delay of 0 lets a
// retry through at any time after the first attempt, and a keep_passed
// of 0 keeps no triple that got through, so that each message is
// greylisted again; an expiry of 0 would let no retry through, and is
// refused with what to write.
func (r *GreylistRule) compile(key string) (*Greylist, error) {
	w := Rule{Greylist: r}.WithDefaults().Greylist
	if err := ruleDuration(key+".delay", *w.Delay); err != nil {
		return nil, err
	}
	if *w.Expiry < 0 {
		return nil, config.Errorf(key+".expiry", "%s: must not be negative", w.Expiry.D())
	}
	if *w.KeepPassed < 0 {
		return nil, config.Errorf(key+".keep_passed", "%s: must not be negative (leave it out for %s, or write 0s to greylist each message again)", w.KeepPassed.D(), config.FormatDuration(defaultKeepPassed))
	}
	g := &Greylist{MinDelay: w.Delay.D(), Expiry: w.Expiry.D(), KeepPassed: w.KeepPassed.D(), Reply: defaultGreyReply()}
	if g.Expiry == 0 {
		return nil, config.Errorf(key+".expiry", "0s would forget each triple at once, so that no retry could get through: leave expiry out for %s, or write a retry window longer than the delay (%s)", config.FormatDuration(defaultGreyExpiry), config.FormatDuration(g.MinDelay))
	}
	if g.Expiry <= g.MinDelay {
		return nil, config.Errorf(key+".expiry", "expiry (%s) must be longer than the retry delay (%s)", g.Expiry, g.MinDelay)
	}
	if r.Reply == "" {
		return g, nil
	}
	var err error
	if g.Reply, err = parseRuleReply(r.Reply); err != nil {
		return nil, config.Errorf(key+".reply", "%v", err)
	}
	if g.Reply.Code/100 != 4 {
		// A 2xx would accept the recipient unrecorded as greylisted
		// (and DATA then finds none valid); a 5xx refuses for good.
		return nil, config.Errorf(key+".reply", "greylisting asks the client to try again later: want a 4xx reply such as \"451 4.7.1 greylisted, try again later\" (for a 2xx or 5xx, write a reply: rule instead)")
	}
	return g, nil
}

// compile checks a rule's bounce: (key is its path) and makes its Bounce.
// An after: of 0 sends the DSN at once, as a bounce0s directive does.
func (r *BounceRule) compile(key string) (*Bounce, error) {
	w := Rule{Bounce: r}.WithDefaults().Bounce
	if err := ruleDuration(key+".after", *w.After); err != nil {
		return nil, err
	}
	b := &Bounce{After: w.After.D(), Reply: defaultBounceReply()}
	if r.Reply == "" {
		return b, nil
	}
	var err error
	if b.Reply, err = parseRuleReply(r.Reply); err != nil {
		return nil, config.Errorf(key+".reply", "%v", err)
	}
	if b.Reply.Code < 400 {
		return nil, config.Errorf(key+".reply", "a bounce reports a failure: want a 4xx or 5xx code")
	}
	return b, nil
}
