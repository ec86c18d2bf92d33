package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/sink"
)

// serve stops as an MTA stops. At the signal every listener (the sink's,
// the relay's submission) stops accepting, and the idle sessions of both
// are answered 421 4.3.2 at once (RFC 5321 3.8); the transactions in
// progress, the relay's deliveries and the probe run end in parallel,
// under the one --shutdown-grace; the web UI answers all along (its
// /readyz 503, "stopping", with what still drains) and stops last, before
// the store. (A web UI without web.Server.SetStopping could only say
// "ready": it stops with the others, as before.)
//
// One order stays: the relay's deliveries to the sink in the same process
// must be able to finish. So the sink spares the sessions of serve's own
// relay (ownRelay) until the relay has stopped: a delivery under way
// (with the next transactions of its message on its connection) is
// served rather than answered 421 between its commands, which the relay
// would record as a deferral and a rest of its path to the sink. A
// delivery not yet begun at the signal (waiting for a worker, a
// connection or its rate's turn) is not made: its recipients go back to
// the queue as they waited, and the stop line says how many.

// ownRelay is serve's relay as its sink sees it while serve stops.
type ownRelay struct {
	rl       atomic.Pointer[relay.Relay]
	draining atomic.Bool // from the stop's start until the relay has stopped
}

// wrap is the sink's Options.Wrap.
func (o *ownRelay) wrap(c net.Conn) net.Conn { return &spareConn{Conn: c, own: o} }

// spareConn is a sink connection, spared by a stop while it is the relay's.
type spareConn struct {
	net.Conn
	own  *ownRelay
	once sync.Once
	mine bool
}

var _ sink.Spared = (*spareConn)(nil)

// Spare is decided once, at the first question of the stop, as
// sink.Spared asks: the relay's connections are known by their address.
func (c *spareConn) Spare() bool {
	if !c.own.draining.Load() {
		return false
	}
	c.once.Do(func() {
		rl := c.own.rl.Load()
		c.mine = rl != nil && rl.OwnsClient(c.RemoteAddr().String())
	})
	return c.mine && c.own.draining.Load()
}

// stopParts stops the running parts: all but the last ones together under
// ctx, then the last ones (the web UI), in reverse order. A last part
// gets lastStopBound of its own when ctx is over already, so that it is
// not called cut for a grace the others used up.
func stopParts(ctx context.Context, running []component) []stopped {
	outs := make([]stopped, len(running))
	var wg sync.WaitGroup
	for i, c := range running {
		if c.last {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i] = stopped{c.name, c.shutdown(ctx)}
		}()
	}
	wg.Wait()
	for i := len(running) - 1; i >= 0; i-- {
		c := running[i]
		if !c.last {
			continue
		}
		lctx := ctx
		if ctx.Err() != nil {
			var cancel context.CancelFunc
			lctx, cancel = context.WithTimeout(context.Background(), lastStopBound)
			defer cancel()
		}
		outs[i] = stopped{c.name, c.shutdown(lctx)}
	}
	// Reversed, as a sequential stop listed them.
	for i, j := 0, len(outs)-1; i < j; i, j = i+1, j-1 {
		outs[i], outs[j] = outs[j], outs[i]
	}
	return outs
}

// lastStopBound is what the web UI gets to close its requests after the
// grace ran out on the others.
const lastStopBound = 2 * time.Second

// stoppingSetter is the web UI's seam for a /readyz that answers 503
// "stopping" while serve drains: web.Server.SetStopping.
type stoppingSetter interface {
	SetStopping(func() string)
}

// inProgress counts what a daemon has under way; nil parts are not run.
// putBack, when the daemon runs a relay, is how many recipients its stop
// put back in the queue untried (relay.PutBack), read once it stopped.
type inProgress struct {
	parts   []count
	putBack func() int
}

type count struct {
	one, many string
	n         int
}

func (c count) String() string {
	if c.n == 1 {
		return "1 " + c.one
	}
	return fmt.Sprintf("%d %s", c.n, c.many)
}

func inProgressOf(sk *sink.Sink, rl *relay.Relay) inProgress {
	var p inProgress
	if sk != nil {
		p.parts = append(p.parts, count{"sink session", "sink sessions", sk.OpenSessions()})
	}
	if rl != nil {
		s, d := rl.InProgress()
		p.parts = append(p.parts, count{"submission session", "submission sessions", s}, count{"delivery", "deliveries", d})
		p.putBack = rl.PutBack
	}
	return p
}

func (p inProgress) String() string {
	words := make([]string, len(p.parts))
	for i, c := range p.parts {
		words[i] = c.String()
	}
	return strings.Join(words, ", ")
}

func (p inProgress) none() bool {
	for _, c := range p.parts {
		if c.n > 0 {
			return false
		}
	}
	return true
}

func (p inProgress) attrs() []any {
	var a []any
	for _, c := range p.parts {
		a = append(a, strings.ReplaceAll(c.many, " ", "_"), c.n)
	}
	return a
}

// drainingText is what /readyz says while serve stops.
func drainingText(sk *sink.Sink, rl *relay.Relay) func() string {
	return func() string {
		if p := inProgressOf(sk, rl); !p.none() {
			return "draining " + p.String()
		}
		return "drained; stopping the web UI and the store"
	}
}

// stopDone logs how a stop ended: what was cut (stopOutcome), or, when
// nothing was, one line saying so, how long the drain took, what was in
// progress at the signal and how many recipients the relay put back in
// the queue untried. It returns the failures.
func stopDone(log *slog.Logger, grace, took time.Duration, at inProgress, outs []stopped) error {
	cut, err := stopOutcomeCut(log, grace, outs)
	if cut {
		return err
	}
	took = took.Round(time.Millisecond)
	attrs := append([]any{"took", took}, at.attrs()...)
	ended := ", the rest finished"
	n := at.putBackNow()
	if n > 0 {
		ended = "; " + putBackWords(n) + "; the rest finished"
		attrs = append(attrs, "put_back", n)
	}
	msg := fmt.Sprintf("stopped in %s: nothing was in progress", took)
	switch {
	case !at.none():
		msg = fmt.Sprintf("stopped in %s, nothing cut (in progress at the signal: %s; the idle sessions were answered 421 4.3.2 at once%s)", took, at, ended)
	case n > 0: // claimed as the signal came
		msg = fmt.Sprintf("stopped in %s, nothing cut: %s", took, putBackWords(n))
	}
	log.Info(msg, attrs...)
	return err
}

// putBackNow is how many recipients the relay's stop put back untried
// (0 without a relay).
func (p inProgress) putBackNow() int {
	if p.putBack == nil {
		return 0
	}
	return p.putBack()
}

// putBackWords says what became of n recipients that a relay's stop kept
// from their attempt.
func putBackWords(n int) string {
	return fmt.Sprintf("the relay's deliveries not yet begun went back to the queue untried, due as before (%s, which waited for a worker, a connection or their rate's turn)",
		count{"recipient", "recipients", n})
}

// cutError is a part's stop that the grace or a second signal cut short,
// with words that say what exactly was cut and what becomes of it, for
// stopOutcome (in place of cutWork's).
type cutError struct {
	words string
	err   error // context.DeadlineExceeded or context.Canceled
}

func (e *cutError) Error() string { return e.words + ": " + e.err.Error() }
func (e *cutError) Unwrap() error { return e.err }

// relayStopped is the outcome of rl's Shutdown as the log should say it:
// a grace that ran out names the deliveries cut (their recipients are
// still in flight in the store: the relay put those not yet begun back in
// the queue, which it says too) and the submission sessions closed, each
// only when there were some; with neither, nothing was cut.
func relayStopped(rl *relay.Relay, err error) error {
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return err
	}
	var words []string
	n, qerr := rl.InFlight(context.Background())
	switch {
	case qerr != nil:
		words = append(words, "the relay's deliveries in progress stay queued and are tried again at its next start")
	case n > 0:
		words = append(words, fmt.Sprintf("the relay's deliveries in progress (%s) stay queued and are tried again at its next start",
			count{"recipient", "recipients", n}))
	}
	if m := rl.SessionsCut(); m == 1 {
		words = append(words, "the relay closed 1 submission session still in a transaction (its client sends again)")
	} else if m > 1 {
		words = append(words, fmt.Sprintf("the relay closed %d submission sessions still in a transaction (their clients send again)", m))
	}
	if len(words) == 0 {
		return nil // the grace ran out as the last of its work ended (stopDone tells what was put back)
	}
	if m := rl.PutBack(); m > 0 {
		words = append(words, putBackWords(m))
	}
	return &cutError{words: strings.Join(words, "; "), err: err}
}

// reloadRelay answers a SIGHUP to relaylab relay, which reloads nothing:
// it says which keys of the configuration file that the relay uses
// changed (they take a restart), as serve says it (needsRestart).
func reloadRelay(running *fileConfig, load func() (*fileConfig, error), log *slog.Logger) {
	next, err := relayOnly(running, load)()
	if err != nil {
		log.Error("SIGHUP: the configuration file does not load; the relay reloads nothing on SIGHUP anyway, but a restart would stop on this error: fix it first", "err", err)
		return
	}
	if keys := needsRestart(running, next); len(keys) > 0 {
		log.Warn("SIGHUP: the relay reloads nothing from the configuration file; restart it to apply what changed", "keys", strings.Join(keys, ", "))
		return
	}
	log.Info("SIGHUP: nothing the relay uses changed in the configuration file (the relay reloads nothing: its relay: and store: settings take a restart)")
}

// relayOnly is load with what relaylab relay does not use taken from
// running, so that needsRestart names only keys a restart of the relay
// applies: of sink:, the relay uses the listeners (its paths to "sink"
// go to them).
func relayOnly(running *fileConfig, load func() (*fileConfig, error)) func() (*fileConfig, error) {
	return func() (*fileConfig, error) {
		next, err := load()
		if err != nil {
			return nil, err
		}
		listeners := next.Sink.Listeners
		next.Sink, next.Probe, next.Web = running.Sink, running.Probe, running.Web
		next.Sink.Listeners = listeners
		return next, nil
	}
}

// sinkOnly is load with what relaylab sink does not use (relay:, probe:,
// web:) taken from running: a change there takes no restart of the sink.
func sinkOnly(running *fileConfig, load func() (*fileConfig, error)) func() (*fileConfig, error) {
	return func() (*fileConfig, error) {
		next, err := load()
		if err != nil {
			return nil, err
		}
		next.Relay, next.Probe, next.Web = running.Relay, running.Probe, running.Web
		return next, nil
	}
}
