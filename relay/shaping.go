package relay

import (
	"cmp"
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
	// cause is the reply that began or last lengthened the rest:
	// without its recipient and message for the text of the holds, and
	// with them for the operator (restCause).
	cause restCause
	// failures counts the replies that began or lengthened the rest
	// (pause); 0 for a rest restored from the store, which does not say.
	failures int
	next     time.Time // the next send slot under rate
	open     int       // open connections, for the record
	peak     int
	active   int // jobs using the destination
	// waiting are the jobs that wait for one of this dest's connection
	// slots (a dest's conns), oldest first (slotqueue.go); parked (the
	// relay's) counts those blocked, across destinations, until woken.
	waiting []*slotWaiter
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
	return d.active == 0 && len(d.waiting) == 0 && d.open == 0 &&
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

// resting returns the end of the destination's rest, if it rests at now.
func (d *dest) resting(now time.Time) (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.until, now.Before(d.until)
}

// restFailures is the number of replies that began or lengthened the
// destination's rest (0: not known).
func (d *dest) restFailures() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.failures
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
// back, naming the reply that rested it (cause; "" when not known);
// restoreRests reads the destination and the rest's end back from it.
// The holds of all the destination's mail carry it, into their DSNs to
// other senders, so cause is a restCause's public text; HeldBack, which
// only the operator sees, gives its origin.
func restText(key string, until time.Time, cause string) string {
	if cause == "" {
		cause = "a 421 or rate limit"
	}
	return fmt.Sprintf("not tried: destination %s rests until %s after %s", key, until.UTC().Format(time.RFC3339), cause)
}

// restRE reads restText back; stores from before the cause was named
// have "after a 421 or rate limit".
var restRE = regexp.MustCompile(`^not tried: destination (\S+) rests until (\S+) after (.+)$`)

// legacyOriginRE is the end of a cause that stores from before
// restCause's public text have in their holds: the recipient and message
// the reply answered, which a restored rest's new holds must not repeat.
var legacyOriginRE = regexp.MustCompile(` to \S+ \(message \S+\)$`)

// restCause is what began or last lengthened a destination's rest, as
// text. public is for the holds of all the destination's mail, and so
// for their senders' DSNs: the reply and, on an mx path, the host that
// gave it, without the recipient, sender or queue id of the message it
// answered, which is another sender's mail as often as not (an ESP's
// customer B is not to learn customer A's recipients). origin adds the
// recipient and message, for the operator: HeldBack (queue retry), the
// log. Either may be "" when not known.
type restCause struct {
	public, origin string
	// reply is the reply itself where known, by which the advice to the
	// held mail tells a plain 421 from throttling (restAdvice).
	reply Reply
}

// restCauseOf is the cause of a rest: rep, given by host (an MX host; ""
// on a smarthost path, whose key names it) to rcpt of message msgID from
// sender. A server's text may echo the recipient or sender address, and
// a VERP return path holds the queue id: the public text has each
// replaced by what it is ("[recipient]").
func restCauseOf(rep Reply, host, rcpt, msgID, sender string) restCause {
	text := strings.Join(strings.Fields(rep.String()), " ")
	from := ""
	if host != "" {
		from = " (from " + host + ")"
	}
	public := text
	for _, s := range []struct{ what, name string }{{rcpt, "[recipient]"}, {sender, "[sender]"}, {msgID, "[queue id]"}} {
		if s.what != "" {
			public = regexp.MustCompile("(?i)"+regexp.QuoteMeta(s.what)).ReplaceAllLiteralString(public, s.name)
		}
	}
	// A reply before RCPT (a 421 at the greeting) was about no recipient:
	// its stage says where it came, the recipient only whose delivery met it.
	to := "to " + rcpt
	switch rep.Stage {
	case "connect", "greeting", "ehlo", "starttls", "tls", "auth", "mail":
		to = describeStage(rep.Stage) + ", delivering to " + rcpt
	}
	return restCause{
		public: public + from,
		origin: fmt.Sprintf("%s%s %s (message %s)", text, from, to, msgID),
		reply:  rep,
	}
}

// restCauseAt is the cause of a rest of destination key that an
// attempt's event records: rep, given by host to rcpt of message msgID
// from sender. Only an mx path's key leaves the host out; a smarthost's
// names it.
func restCauseAt(key string, rep Reply, host, rcpt, msgID, sender string) restCause {
	if !strings.HasPrefix(key, "mx:") {
		host = ""
	}
	return restCauseOf(rep, host, rcpt, msgID, sender)
}

// RestOrigin is, for the operator, what began the rest of destination key
// that an attempt's event records (its rest): the reply rep that host
// gave to rcpt of message msgID, as HeldBack names it, where a hold's own
// text (restText), which goes into other senders' DSNs, gives the reply
// alone. The reports' timelines name it on the held lines.
func RestOrigin(key string, rep Reply, host, rcpt, msgID string) string {
	return restCauseAt(key, rep, host, rcpt, msgID, "").forOperator()
}

// HeldByRest reads a hold's text (restText) back: the destination, the
// rest's end and the cause it names; ok false for a text of another hold.
func HeldByRest(text string) (key string, until time.Time, cause string, ok bool) {
	m := restRE.FindStringSubmatch(text)
	if m == nil {
		return "", time.Time{}, "", false
	}
	until, err := time.Parse(time.RFC3339, m[2])
	if err != nil {
		return "", time.Time{}, "", false
	}
	return m[1], until, m[3], true
}

// forOperator is the cause as the operator is told it: its origin where
// known.
func (c restCause) forOperator() string {
	if c.origin != "" {
		return c.origin
	}
	return c.public
}

// destCause is what rested destination key, or nothing when this relay
// does not know.
func (r *Relay) destCause(key string) restCause {
	r.mu.Lock()
	d := r.dests[key]
	r.mu.Unlock()
	if d == nil {
		return restCause{}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cause
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

// storedRest is a rest read back from the store: its end, and what began
// it where the store tells.
type storedRest struct {
	until time.Time
	cause restCause
}

// storedRestCauses reads from the store the destinations' rests that end
// after now, by destination key, each with its cause: from the attempts
// that met a 421 or a rate limit (their relay.attempt event's rest, with
// its reply, recipient and message), within the longest backoff of the
// configured paths, and from the recipients a rest held back (their
// hold, restText), which stores from before the attempts' field have.
func (r *Relay) storedRestCauses(ctx context.Context, now time.Time) (map[string]storedRest, error) {
	return r.storedRestsWithin(ctx, now, 0)
}

// storedRestsWithin is storedRestCauses, its window of attempts widened
// to lookback before now where that is longer (a path the configuration
// lacks has a backoff it does not know).
func (r *Relay) storedRestsWithin(ctx context.Context, now time.Time, lookback time.Duration) (map[string]storedRest, error) {
	out := map[string]storedRest{}
	note := func(key string, until time.Time, cause restCause) {
		old := out[key]
		// A hold's text gives the rest's end to the second, the
		// attempt's event to the nanosecond: within a second of each
		// other they are one rest, and each tells what it knows of the
		// cause (a hold its public text, an attempt its origin).
		same := until.Truncate(time.Second).Equal(old.until.Truncate(time.Second))
		if same {
			cause.public = cmp.Or(cause.public, old.cause.public)
			cause.origin = cmp.Or(cause.origin, old.cause.origin)
			cause.reply = cmp.Or(cause.reply, old.cause.reply)
		}
		switch {
		case until.After(now) && until.After(old.until):
			out[key] = storedRest{until, cause}
		case same && !old.until.IsZero():
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
				var cause restCause
				if m[3] != "a 421 or rate limit" {
					// An older store's hold named the recipient and
					// message: its origin, not for new holds.
					cause.public = legacyOriginRE.ReplaceAllString(m[3], "")
					if cause.public != m[3] {
						cause.origin = m[3]
					}
				}
				note(m[1], until, cause)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	longest := max(5*time.Minute, lookback) // a path's default backoff
	for _, p := range r.paths {
		longest = max(longest, p.cfg.Backoff.D())
	}
	rows, err = r.store.DB().QueryContext(ctx, `SELECT e.message, e.recipient, e.payload, COALESCE(m.sender, '') FROM events e
		LEFT JOIN relay_messages m ON m.id = e.message
		WHERE e.kind = ? AND e.time_ns >= ? AND e.payload LIKE '%"rest":{%' ORDER BY e.id`,
		events.RelayAttempt, now.Add(-longest).UnixNano())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var msgID, rcpt, pl, sender string
		if err := rows.Scan(&msgID, &rcpt, &pl, &sender); err != nil {
			return nil, err
		}
		var a struct {
			Host  string `json:"host"`
			Reply Reply  `json:"reply"`
			Rest  *struct {
				Destination string    `json:"destination"`
				Until       time.Time `json:"until"`
			} `json:"rest"`
		}
		if json.Unmarshal([]byte(pl), &a) != nil || a.Rest == nil || a.Rest.Destination == "" {
			continue
		}
		note(a.Rest.Destination, a.Rest.Until, restCauseAt(a.Rest.Destination, a.Reply, a.Host, rcpt, msgID, sender))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// A rest an operator ended is over, whatever its records say.
	return out, r.dropEndedRests(ctx, out, now.Add(-longest))
}

// pause rests the destination for its backoff from now; planned is the
// number of the last job planned so far, cause what rested it
// (restCauseOf).
func (d *dest) pause(now time.Time, planned int64, cause restCause) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cause = cause
	if !now.Before(d.until) {
		d.since, d.sinceJob = now, planned // a new rest; one under way keeps its start
		d.failures = 0
	}
	d.failures++
	if t := now.Add(d.rest); t.After(d.until) {
		d.until = t
	}
	return d.until
}

// restAsk is the rest that a walk down a destination's hosts asks for:
// the destination rests when the walk ends (endWalk) if the last host
// that answered asked it to, with a 421 or a rate limit, or no host
// answered after one that did. Postfix throttles a destination only on a
// site failure, when no host of it could be used: an MX host's 421 that
// the next MX host follows by taking the message is none, and resting the
// set of MX hosts then held back all the mail of every domain it serves,
// which the next host was taking. A host that answers some recipients and
// asks a rest of others (a smarthost's 421 after it took some) still
// rests the destination.
type restAsk struct {
	asked []int // places in the walk's log of the attempts that asked
	cause restCause
}

// host takes the outcome of the walk at one host: the places in the log
// of its attempts that asked for a rest, the cause of the last of them,
// and whether it answered another recipient otherwise (answers).
func (a *restAsk) host(asked []int, cause restCause, answered bool) {
	switch {
	case len(asked) > 0:
		a.asked, a.cause = append(a.asked, asked...), cause
	case answered:
		*a = restAsk{} // a host after those that asked works
	}
}

// asksRest reports whether res, a server's answer, asks its destination
// to rest: a 421 (RFC 5321 3.8: the service is closing) or a reply the
// classification calls a rate limit.
func asksRest(res result) bool {
	return res.reply.Code == 421 || res.verdict.Category == "rate-limited"
}

// answers reports whether a server that gave rep answered the message
// (any reply to MAIL, RCPT or the data but a failure before it, such as
// a 4xx greeting, a refused connection or the relay's own): the host
// works, whatever it said. A 421 or rate limit is asksRest's.
func answers(rep Reply) bool {
	return rep.Code != 0 && !rep.Local && reachedSMTP(rep)
}

// endWalk rests d as the walk's ask says, when it asks: the attempts that
// asked name the rest (their relay.attempt's rest, which the store reads
// back), and the recipients of the walk (all, with their results) whose
// answer there asked for it wait for its end. It returns log.
func (r *Relay) endWalk(d *dest, ask *restAsk, p *path, all []int, results []result, log []attempt) []attempt {
	if len(ask.asked) == 0 {
		return log
	}
	until := d.pause(r.clock.Now(), r.planned.Load(), ask.cause)
	r.log.Info("relay: the destination rests", "destination", d.key, "until", until.UTC().Format(time.RFC3339), "after", ask.cause.origin)
	for _, k := range ask.asked {
		log[k].restKey, log[k].restUntil = d.key, until
	}
	for _, i := range all {
		if res := &results[i]; res.path == p.cfg.Name && res.tried && asksRest(*res) {
			res.notBefore = until
		}
	}
	return log
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
func (p *connPool) closeDest(d *dest) { p.closeIf(func(c *pooled) bool { return c.d == d }) }

// hasIdleExcept reports whether a connection is kept of a dest not in
// keep.
func (p *connPool) hasIdleExcept(keep map[*dest]bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.idle {
		for _, c := range l {
			if !keep[c.d] {
				return true
			}
		}
	}
	return false
}

func (p *connPool) closeAll() { p.closeIf(func(*pooled) bool { return true }) }

// closeExcept closes the idle connections but those of the dests in keep.
func (p *connPool) closeExcept(keep map[*dest]bool) {
	p.closeIf(func(c *pooled) bool { return !keep[c.d] })
}

// closeIf closes the idle connections for which close is true.
func (p *connPool) closeIf(close func(*pooled) bool) {
	p.mu.Lock()
	var out []*pooled
	for k, l := range p.idle {
		kept := l[:0]
		for _, c := range l {
			if close(c) {
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
