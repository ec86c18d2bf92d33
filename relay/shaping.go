package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// dest is a destination's shaping state: a path's smarthost, one
// recipient domain over a destination: domain path, or one set of MX
// hosts over an mx path.
type dest struct {
	key string
	// conns is the dest whose slots (sem, open, change) this one's
	// connections take and whose pool key they are kept under: itself,
	// or on a destination: domain path the path's own (path.conns), as
	// all its domains' mail goes to the one smarthost.
	conns *dest
	sem   chan struct{} // one slot per open connection; nil: no cap
	rate  float64       // messages per second; 0: no cap
	rest  time.Duration // how long a 421 or a rate limit rests it
	mu    sync.Mutex
	until time.Time // resting until then
	since time.Time // when the rest began
	// sinceJob is the number of the last job planned when the rest
	// began (job.seq): the jobs up to it were under way.
	sinceJob int64
	// cause is the reply that began or last lengthened the rest, to
	// whom, for the text of the holds ("421 4.7.0 ... to a@x (message
	// ID)").
	cause  string
	next   time.Time // the next send slot under rate
	open   int       // open connections, for the record
	peak   int
	active int           // jobs using the destination
	change chan struct{} // closed when a connection is released or idle
	// waiters are the jobs parked on change; parked (the relay's) counts
	// them across destinations until notify wakes them.
	waiters int
	parked  *atomic.Int64
}

// destFor returns the shaping state of key, made on first use.
func (r *Relay) destFor(key string, p *path) *dest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.destLocked(key, p)
}

// destLocked is destFor with r.mu held.
func (r *Relay) destLocked(key string, p *path) *dest {
	d, ok := r.dests[key]
	if !ok {
		d = newDest(key, p, &r.parked)
		d.rate, d.rest = p.cfg.Rate, p.cfg.Backoff.D()
		if d.rest <= 0 {
			d.rest = 5 * time.Minute
		}
		if p.conns != nil {
			d.sem, d.conns = nil, p.conns
		}
		r.dests[key] = d
	}
	return d
}

// newDest makes a dest that takes its own connection slots, max_connections
// of path p.
func newDest(key string, p *path, parked *atomic.Int64) *dest {
	d := &dest{key: key, parked: parked}
	d.conns = d
	if p.cfg.MaxConnections > 0 {
		d.sem = make(chan struct{}, p.cfg.MaxConnections)
	}
	return d
}

// takeDest returns the shaping state of key for a job that delivers to
// it, counted as active until leaveDest: a dest in use is not forgotten.
func (r *Relay) takeDest(key string, p *path) *dest {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.destLocked(key, p)
	d.mu.Lock()
	d.active++
	d.mu.Unlock()
	return d
}

// leaveDest ends a job's use of d, and forgets d when nothing depends on
// it any more, so that a relay that sends to ever new domains does not
// keep one dest for each.
func (r *Relay) leaveDest(d *dest) {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	d.mu.Lock()
	d.active--
	d.mu.Unlock()
	if d.unused(now) && r.dests[d.key] == d {
		delete(r.dests, d.key)
	}
}

// pruneDests forgets the dests that nothing depends on (unused).
func (r *Relay) pruneDests() {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, d := range r.dests {
		if d.unused(now) {
			delete(r.dests, k)
		}
	}
}

// unused reports whether forgetting d at now loses nothing: no job uses
// it or waits on it, no connection of its own is open (a kept one holds
// its slot), it does not rest and its next rate slot is not ahead. One
// made again later behaves as this one would.
func (d *dest) unused(now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.active == 0 && d.waiters == 0 && d.open == 0 &&
		!now.Before(d.until) && !now.Before(d.next)
}

// tryAcquire takes a connection slot if one is free.
func (d *dest) tryAcquire() bool {
	if d.sem != nil {
		select {
		case d.sem <- struct{}{}:
		default:
			return false
		}
	}
	d.mu.Lock()
	d.open++
	d.peak = max(d.peak, d.open)
	d.mu.Unlock()
	return true
}

// release gives a connection slot back.
func (d *dest) release() {
	d.mu.Lock()
	d.open--
	d.mu.Unlock()
	if d.sem != nil {
		<-d.sem
	}
	d.notify()
}

// changed returns a channel closed the next time a connection of d is
// released or becomes idle.
func (d *dest) changed() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.change == nil {
		d.change = make(chan struct{})
	}
	return d.change
}

func (d *dest) notify() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.change != nil {
		close(d.change)
		d.change = nil
	}
	// The parked jobs are woken: they count as running from now, before
	// their goroutines do, so that a replay does not take them for
	// waiting meanwhile.
	d.parked.Add(-int64(d.waiters))
	d.waiters = 0
}

// park counts a job as waiting on ch, which changed returned, until
// notify closes it; it reports false when ch is closed already (the job
// looks again instead of waiting).
func (d *dest) park(ch <-chan struct{}) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.change == nil || (<-chan struct{})(d.change) != ch {
		return false
	}
	d.waiters++
	d.parked.Add(1)
	return true
}

// unpark undoes park for a job that stops waiting on ch before notify.
func (d *dest) unpark(ch <-chan struct{}) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.change != nil && (<-chan struct{})(d.change) == ch && d.waiters > 0 {
		d.waiters--
		d.parked.Add(-1)
	}
}

// resting returns the end of the destination's rest, if it rests at now.
func (d *dest) resting(now time.Time) (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.until, now.Before(d.until)
}

// holds returns the end of the destination's rest if it holds back job
// seq at now: a rest that began at an earlier time, or before the job
// was planned. A rest that a 421 began at this very instant does not hold
// the other jobs planned with the one that met it, which were under way:
// whether one of them looked before or after the 421 came in is a matter
// of the goroutines' order, which a replay must not depend on. One that
// waited for its rate slot looks again at the slot's later time, and is
// held then.
func (d *dest) holds(now time.Time, seq int64) (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.until, now.Before(d.until) && (d.since.Before(now) || seq > d.sinceJob)
}

// restText is the reply of a recipient that a resting destination holds
// back, naming the reply that rested it and to whom (cause; "" when not
// known); restoreRests reads the destination and the rest's end back from
// it.
func restText(key string, until time.Time, cause string) string {
	if cause == "" {
		cause = "a 421 or rate limit"
	}
	return fmt.Sprintf("not tried: destination %s rests until %s after %s", key, until.UTC().Format(time.RFC3339), cause)
}

// restRE reads restText back; stores from before the cause was named
// have "after a 421 or rate limit".
var restRE = regexp.MustCompile(`^not tried: destination (\S+) rests until (\S+) after (.+)$`)

// restCause is the text of what rested destination key, as the holds of
// its mail name it, or "" when this relay does not know.
func (r *Relay) restCause(key string) string {
	r.mu.Lock()
	d := r.dests[key]
	r.mu.Unlock()
	if d == nil {
		return ""
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cause
}

// restCauseOf is the cause of a rest for its holds' text: the reply, to
// whom, of which message.
func restCauseOf(rep Reply, rcpt, msgID string) string {
	return fmt.Sprintf("%s to %s (message %s)", strings.Join(strings.Fields(rep.String()), " "), rcpt, msgID)
}

// restoreRests restores, at start, the rests that may hold back queued
// mail (storedRestCauses): a rest lives in memory, and without this a restarted
// relay sent the held mail as soon as a retry made it due, while queue
// retry (HeldBack, from the store) said the rest would hold it again.
func (r *Relay) restoreRests(ctx context.Context) error {
	rests, err := r.storedRestCauses(ctx, r.clock.Now())
	if err != nil {
		return err
	}
	for key, until := range rests {
		p := r.paths[r.restPath(key)]
		if p == nil {
			continue // a path the configuration no longer has
		}
		d := r.destFor(key, p)
		d.mu.Lock()
		if until.until.After(d.until) {
			d.until, d.cause = until.until, until.cause
		}
		d.mu.Unlock()
	}
	return nil
}

// destKey is the key of the destination of a smarthost path's mail to
// domain: "path:NAME", or "path:NAME:DOMAIN" on a destination: domain
// path, whose rests, rate and connections are each domain's own.
func (p *path) destKey(domain string) string {
	if p.cfg.Destination == DestinationDomain {
		return "path:" + p.cfg.Name + ":" + strings.ToLower(domain)
	}
	return "path:" + p.cfg.Name
}

// restPath is the name of the path of a destination key ("path:NAME",
// "path:NAME:DOMAIN", "mx:NAME:HOSTS"), or "" when no configured path of
// the key's kind has it. A path's name holds no colon (validate).
func (r *Relay) restPath(key string) string {
	kind, rest, ok := strings.Cut(key, ":")
	if !ok || kind != "path" && kind != "mx" {
		return ""
	}
	name, _, _ := strings.Cut(rest, ":")
	if p := r.paths[name]; p == nil || (p.cfg.Type == "mx") != (kind == "mx") {
		return "" // a key of the other kind: the path changed since
	}
	return name
}

// storedRestCauses reads from the store the destinations' rests that end
// after now, by destination key, each with its cause where a hold's text
// names it: from the attempts that met a 421 or a rate limit (their
// relay.attempt event's rest), within the longest backoff of the
// configured paths, and from the recipients a rest held back (their
// reply, restText), which stores from before the attempts' field have.
// storedRest is a rest read back from the store: its end, and what began
// it when a hold's text names it.
type storedRest struct {
	until time.Time
	cause string
}

func (r *Relay) storedRestCauses(ctx context.Context, now time.Time) (map[string]storedRest, error) {
	out := map[string]storedRest{}
	note := func(key string, until time.Time, cause string) {
		old := out[key]
		// A hold's text gives the rest's end to the second, the
		// attempt's event to the nanosecond: within a second of each
		// other they are one rest, which keeps the cause a hold named.
		same := until.Truncate(time.Second).Equal(old.until.Truncate(time.Second))
		if cause == "" && same {
			cause = old.cause
		}
		if until.After(now) && until.After(old.until) {
			out[key] = storedRest{until, cause}
		} else if same && old.cause == "" && cause != "" {
			out[key] = storedRest{old.until, cause}
		}
	}
	// The hold's text is in hold; stores from before it have it in reply.
	rows, err := r.store.DB().QueryContext(ctx, `SELECT DISTINCT CASE WHEN hold != '' THEN hold ELSE reply END FROM relay_recipients
		WHERE state = 'deferred' AND category = 'destination-backoff' AND due_ns > ?`, now.UnixNano())
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			rows.Close()
			return nil, err
		}
		if m := restRE.FindStringSubmatch(text); m != nil {
			if until, err := time.Parse(time.RFC3339, m[2]); err == nil {
				cause := m[3]
				if cause == "a 421 or rate limit" {
					cause = ""
				}
				note(m[1], until, cause)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	longest := 5 * time.Minute // a path's default backoff
	for _, p := range r.paths {
		longest = max(longest, p.cfg.Backoff.D())
	}
	rows, err = r.store.DB().QueryContext(ctx, `SELECT payload FROM events WHERE kind = ? AND time_ns >= ? AND payload LIKE '%"rest":{%'`,
		events.RelayAttempt, now.Add(-longest).UnixNano())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var pl string
		if err := rows.Scan(&pl); err != nil {
			return nil, err
		}
		var a struct {
			Rest *struct {
				Destination string    `json:"destination"`
				Until       time.Time `json:"until"`
			} `json:"rest"`
		}
		if json.Unmarshal([]byte(pl), &a) == nil && a.Rest != nil && a.Rest.Destination != "" {
			note(a.Rest.Destination, a.Rest.Until, "")
		}
	}
	return out, rows.Err()
}

// pause rests the destination for its backoff from now; planned is the
// number of the last job planned so far, cause what rested it
// (restCauseOf).
func (d *dest) pause(now time.Time, planned int64, cause string) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cause = cause
	if !now.Before(d.until) {
		d.since, d.sinceJob = now, planned // a new rest; one under way keeps its start
	}
	if t := now.Add(d.rest); t.After(d.until) {
		d.until = t
	}
	return d.until
}

// wait blocks on the clock until the destination's rate allows one more
// message.
func (d *dest) wait(ctx context.Context, c clock.Clock, sleep func(context.Context, time.Duration) error) error {
	if d.rate <= 0 {
		return nil
	}
	d.mu.Lock()
	now := c.Now()
	at := d.next
	if at.Before(now) {
		at = now
	}
	d.next = at.Add(time.Duration(float64(time.Second) / d.rate))
	d.mu.Unlock()
	return sleep(ctx, at.Sub(now))
}

// connPool keeps connections open between messages to the same host.
type connPool struct {
	mu   sync.Mutex
	idle map[string][]*pooled
}

type pooled struct {
	c *client
	d *dest // whose connection slot it holds: a dest's conns
}

func newConnPool() *connPool { return &connPool{idle: map[string][]*pooled{}} }

func (p *connPool) get(key string) *pooled {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.idle[key]
	if len(l) == 0 {
		return nil
	}
	c := l[len(l)-1]
	if len(l) == 1 {
		delete(p.idle, key) // no empty list left per key ever used
	} else {
		p.idle[key] = l[:len(l)-1]
	}
	return c
}

// put keeps c for reuse.
func (p *connPool) put(key string, c *pooled) {
	p.mu.Lock()
	p.idle[key] = append(p.idle[key], c)
	p.mu.Unlock()
	c.d.notify()
}

// closeOther closes one idle connection that holds a slot of d (a
// dest's conns) and is not to key (any, when key is ""), to free its
// slot; it reports whether there was one.
func (p *connPool) closeOther(d *dest, key string) bool {
	p.mu.Lock()
	var victim *pooled
	for k, l := range p.idle {
		if k == key {
			continue
		}
		for i, c := range l {
			if c.d == d {
				victim = c
				p.idle[k] = append(l[:i:i], l[i+1:]...)
				if len(p.idle[k]) == 0 {
					delete(p.idle, k)
				}
				break
			}
		}
		if victim != nil {
			break
		}
	}
	p.mu.Unlock()
	if victim == nil {
		return false
	}
	victim.c.quit()
	victim.d.release()
	return true
}

// closeDest closes the idle connections of d.
func (p *connPool) closeDest(d *dest) {
	p.mu.Lock()
	var out []*pooled
	for k, l := range p.idle {
		kept := l[:0]
		for _, c := range l {
			if c.d == d {
				out = append(out, c)
			} else {
				kept = append(kept, c)
			}
		}
		if len(kept) == 0 {
			delete(p.idle, k)
		} else {
			p.idle[k] = kept
		}
	}
	p.mu.Unlock()
	for _, c := range out {
		c.c.quit()
		c.d.release()
	}
}

// hasIdle reports whether any connection is kept.
func (p *connPool) hasIdle() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.idle {
		if len(l) > 0 {
			return true
		}
	}
	return false
}

func (p *connPool) closeAll() {
	p.mu.Lock()
	all := p.idle
	p.idle = map[string][]*pooled{}
	p.mu.Unlock()
	for _, l := range all {
		for _, c := range l {
			c.c.quit()
			c.d.release()
		}
	}
}
