package smtpload

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// deadTarget notices a target that no dial reaches any more: when every
// dial has failed for giveUp and no session holds a connection, the run
// ends, with the failure as the reason; so it does when the first
// neverOpened dials of a run all fail, or when the last neverOpened
// sessions that connected all failed before a transaction (a server that
// never greets, refuses every AUTH, or has a certificate not trusted). One
// failed dial among sessions that still deliver is no dead target.
type deadTarget struct {
	giveUp      time.Duration
	neverOpened int
	stop        context.CancelFunc
	everOpened  atomic.Bool
	failures    atomic.Int64 // dials failed in all
	mu          sync.Mutex
	failingFrom time.Time // the first of the failed dials since the last that opened; zero: none
	live        int       // connections the sessions hold
	badSessions int       // sessions in a row that failed before a transaction
	why         string
	stage       string // of the failure that ended the run
	err         error
}

// opened records a dial that connected: the target is alive.
func (d *deadTarget) opened() {
	d.everOpened.Store(true)
	d.mu.Lock()
	d.failingFrom = time.Time{}
	d.live++
	d.mu.Unlock()
}

// closed records that a session let go of a connection opened() counted.
func (d *deadTarget) closed() {
	d.mu.Lock()
	d.live--
	d.mu.Unlock()
}

// ready records a session that got as far as a transaction.
func (d *deadTarget) ready() {
	d.mu.Lock()
	d.badSessions = 0
	d.mu.Unlock()
}

// sessionFailed records a session that connected but failed at stage,
// before a transaction, and ends the run when neverOpened have in a row.
func (d *deadTarget) sessionFailed(target, stage string, err error) {
	if d.giveUp < 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.badSessions++
	if d.badSessions < d.neverOpened {
		return
	}
	d.end(fmt.Sprintf("the last %d sessions with %s all failed before a message could be sent, at %s, and none got further in between", d.badSessions, target, stage), stage, err)
}

// failed records a dial that failed at now, and ends the run if none has
// connected for giveUp.
func (d *deadTarget) failed(now time.Time, target string, err error) {
	if d.giveUp < 0 {
		return
	}
	n := d.failures.Add(1)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failingFrom.IsZero() {
		d.failingFrom = now
	}
	since := now.Sub(d.failingFrom)
	switch {
	case !d.everOpened.Load() && n >= int64(d.neverOpened):
		d.end(fmt.Sprintf("none of the first %d connections to %s could be opened (%v): %s", n, target, err, openAdvice(err)), StageConnect, err)
	case since >= d.giveUp && d.live == 0:
		d.end(fmt.Sprintf("every connection to %s failed for %s, and no session held one (%v): the target is down or does not answer there any more", target, since.Round(time.Millisecond), err), StageConnect, err)
	}
}

// end stops the run for why; d.mu is held. Whether messages were left
// untried is known once the sessions have ended (Run says it).
func (d *deadTarget) end(why, stage string, err error) {
	if d.why == "" {
		d.why, d.stage, d.err = why, stage, err
	}
	d.stop()
}

func (d *deadTarget) reason() (why, stage string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.why, d.stage, d.err
}

// pacer hands out send times every "every" apart, across the sessions
// (Config.Rate). A run that fell behind does not catch up in a burst.
type pacer struct {
	clk   clock.Clock
	every time.Duration
	mu    sync.Mutex
	next  time.Time
}

// wait blocks until the next free slot; false when ctx or drain ended
// first.
func (p *pacer) wait(ctx context.Context, drain <-chan struct{}) bool {
	p.mu.Lock()
	now := p.clk.Now()
	if p.next.Before(now) {
		p.next = now
	}
	at := p.next
	p.next = p.next.Add(p.every)
	p.mu.Unlock()
	return sleep(ctx, p.clk, drain, at.Sub(now))
}

// sleep waits d on clk; false when ctx or drain ended first.
func sleep(ctx context.Context, clk clock.Clock, drain <-chan struct{}, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		return false
	case <-drain:
		return false
	}
}

// openAdvice is what to do when no connection to the target opened, by
// why the first ones failed: a server that runs but whose TLS the client
// refused is not to be looked for elsewhere.
func openAdvice(err error) string {
	var ce *tls.CertificateVerificationError
	var rh tls.RecordHeaderError
	switch {
	case errors.As(err, &ce):
		return "the target runs, but its certificate could not be verified: add --insecure to accept a test server's self-signed certificate"
	case errors.As(err, &rh):
		return "the target runs, but it answered --tls in plaintext: drop --tls, and add --starttls to upgrade a plaintext connection (ports 25, 587)"
	case ErrorKind(err) == "tls":
		return "the target runs, but the TLS handshake failed: --tls is for a port that speaks TLS from the first byte (usually 465), --starttls for 25 and 587"
	case ErrorKind(err) == "timeout":
		return "nothing answered in time: is this the target's address, and does a firewall drop the connections?"
	}
	return "is the target running, and is this its address?"
}
