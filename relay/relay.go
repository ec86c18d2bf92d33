// Package relay is relaylab's relay: a durable queue in SQLite with a
// scheduler on the Clock, a submission listener, delivery over smarthost and
// direct MX paths, classification of every reply, retry policies, routes,
// suppression and per-destination shaping.
//
// Every recipient moves through queued -> inflight -> delivered, deferred
// (queued again at a time), bounced, expired or suppressed, and every step
// is an event in the store's log, with exactly one terminal event per
// recipient.
package relay

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/repeatlog"
	"github.com/relaylab/relaylab/internal/store"
)

// Dialer opens connections to upstream servers.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// signer adds a DKIM signature to a message on its way out; id is the
// message's queue id, for its log lines.
type signer interface {
	SignQueued(id, sender string, data []byte) []byte
}

var _ signer = (*dkimSigner)(nil)

// Options are what the relay needs besides its configuration.
type Options struct {
	Store    *store.Store
	Clock    clock.Clock
	Logger   *slog.Logger
	Resolver Resolver // for mx paths; default: the system's resolvers
	Seed     int64    // jitter and weighted splits
	// Dialer connects to upstreams; default a net.Dialer honouring each
	// path's source address and connect timeout.
	Dialer Dialer
	// TLSConfig is the base of every client TLS config (RootCAs for tests).
	TLSConfig *tls.Config
	// Poll caps how long the scheduler sleeps, so that queue changes made
	// by another process (relaylab queue retry in a second shell) are seen
	// within it. 0: only this process wakes the scheduler, as replays and
	// tests on a virtual clock want.
	Poll time.Duration
	// Ordered makes the jobs the scheduler dispatches at one time take
	// their turn at their destination's shaping (the rate's next slot, a
	// connection) one after another, in the order they were claimed,
	// instead of in whatever order their goroutines run: each next job
	// starts once the one before has its slot, waits on the clock, or is
	// done. A replay on a virtual clock sets it, so that the same
	// scenario gives the same timeline on every run. The cost is that
	// jobs' DNS lookups and dials no longer overlap.
	Ordered bool
	// SharedQueue says that a relay of another process may be sending
	// this store's queue (a relaylab queue command beside a running
	// relay): Delete then refuses a message with a recipient in flight,
	// as it does while this relay runs.
	SharedQueue bool
}

// ErrClosed is returned after Shutdown.
var ErrClosed = errors.New("relay: closed")

// Relay is a running (or ready) relay.
type Relay struct {
	// claimErrs and warnErrs throttle the scheduler's log of a store that
	// keeps failing (only the scheduler's goroutine uses them).
	claimErrs, warnErrs repeatlog.Throttle

	// bounceKey signs VERP return paths (bouncetoken.go).
	bounceKey bounceKey

	cfg      Config
	store    *store.Store
	clock    clock.Clock
	log      *slog.Logger
	resolver Resolver
	dialer   Dialer
	tlsBase  *tls.Config
	seed     int64
	poll     time.Duration // Options.Poll
	ordered  bool          // Options.Ordered
	policy   Policy
	classify *Classifier
	paths    map[string]*path
	routes   []*routeInfo
	signer   signer // nil signs nothing

	warns  warnClock // when the next delay warning falls due
	kickCh chan struct{}
	slots  chan struct{}
	pool   *connPool
	live   liveConns // open connections to servers
	// parked counts the jobs that wait for another job to let go of a
	// destination's connection (max_connections): no work until it does.
	parked atomic.Int64
	// planned numbers the jobs in the order they are planned (job.seq).
	planned atomic.Int64
	// schedParked: the scheduler waits for a worker slot (guarded by mu).
	schedParked bool
	batch       *batcher // records of finished jobs

	mu     sync.Mutex
	busy   int  // scheduler passes and jobs in progress, plus a pending kick
	kicked bool // a kick is waiting in kickCh
	wakeAt time.Time
	sleeps map[*time.Time]*dest // wake-ups of jobs sleeping on the clock, for the destination whose rate they wait on
	// woken are the sleeps whose timer fired and whose job has not run
	// since: only those keep the relay from being quiet. A sleep due now
	// whose timer has not fired waits for the clock like any other (a
	// replay fires one timer at a time, and two destinations' rate slots
	// fall on one instant).
	woken   map[*time.Time]bool
	dests   map[string]*dest
	started bool
	// sending is set from Start to the end of Shutdown: recipients in
	// flight are being attempted (Delete).
	sending     atomic.Bool
	sharedQueue bool
	// stranded are the recipients (row ids, with their message's id) a
	// failed write left in flight, which the scheduler puts back in the
	// queue once the store takes writes again (requeueStranded).
	stranded map[int64]string
	// waits says, by recipient row id, what a job in flight waits for
	// before its attempt (its turn in a destination's rate), for the
	// queue views: "in flight" alone read as "sending now" for minutes.
	waits sync.Map
	// restEnds: how far this relay has read the rests ended by hand
	// (followRestEnds).
	restEnds restEndWatch
	// putBacks counts the recipients a stop put back in the queue
	// untried (putBack), for PutBack.
	putBacks atomic.Int64

	cancel     context.CancelFunc // stops the scheduler
	cancelJobs context.CancelFunc // aborts deliveries in progress
	jobCtx     context.Context
	wg         sync.WaitGroup
	sub        *submission
	// wrapListener, when set (by tests), wraps each submission listener
	// (ListenerSubmission, ListenerTLS) before it is served: a listener
	// whose accepts fail stands for one out of file descriptors.
	wrapListener func(name string, l net.Listener) net.Listener
}

// New checks cfg and prepares a relay; Start runs it. Queue queries and
// suppression work on a relay that was never started.
func New(cfg Config, opts Options) (*Relay, error) {
	if opts.Store == nil {
		return nil, errors.New("relay: Options.Store is required")
	}
	if err := cfg.Validate("relay"); err != nil {
		return nil, err
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	cl, err := NewClassifier(cfg.Classify)
	if err != nil {
		return nil, err
	}
	// The values it runs with, the same that `relaylab config` prints.
	cfg = cfg.WithDefaults()
	r := &Relay{
		cfg: cfg, store: opts.Store, clock: opts.Clock, log: opts.Logger, // callers tag it (serve adds component=relay)
		resolver: opts.Resolver, dialer: opts.Dialer, tlsBase: opts.TLSConfig, seed: opts.Seed, poll: opts.Poll, ordered: opts.Ordered, sharedQueue: opts.SharedQueue,
		policy: NewPolicy(cfg.Retry, opts.Seed), classify: cl, routes: compileRoutes(cfg.Routes),
		paths:  map[string]*path{},
		kickCh: make(chan struct{}, 1),
		slots:  make(chan struct{}, cfg.Workers),
		dests:  map[string]*dest{},
		sleeps: map[*time.Time]*dest{},
		woken:  map[*time.Time]bool{},
	}
	r.pool = newConnPool()
	r.batch = &batcher{st: opts.Store}
	if r.bounceKey, err = loadBounceKey(context.Background(), opts.Store, opts.Clock.Now()); err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	if len(cfg.DKIM) > 0 {
		s, err := newDKIMSigner(cfg.DKIM, r.log)
		if err != nil {
			return nil, err
		}
		r.signer = s
	}
	for _, pc := range cfg.Paths {
		p := newPath(pc, cfg.Hostname)
		if p.warm, err = newWarmup(pc.Warmup, pc.WarmupStart); err != nil {
			return nil, err
		}
		if pc.CAFile != "" {
			if p.roots, err = loadCAFile(pc.CAFile); err != nil {
				return nil, fmt.Errorf("relay: path %s: ca_file: %w", pc.Name, err)
			}
		}
		if pc.Type != "mx" && pc.Destination == DestinationDomain {
			p.conns = newDest("path:"+pc.Name, p, &r.parked)
		}
		r.paths[pc.Name] = p
	}
	return r, nil
}

// Start recovers recipients a crash left in flight, opens the submission
// listener and starts the scheduler. It returns once listening.
func (r *Relay) Start(ctx context.Context) error {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		return errors.New("relay: already started")
	}
	r.started = true
	r.mu.Unlock()
	r.sending.Store(true)
	r.warnPaths()
	r.warnRules()
	if r.resolver == nil && r.needsResolver() {
		res, err := NewDNSResolver(r.cfg.Resolvers...)
		if err != nil {
			return err
		}
		r.resolver = res
	}
	if err := r.restoreWarmups(ctx); err != nil {
		return fmt.Errorf("relay: reading today's warm-up counts: %w", err)
	}
	if err := r.restoreRests(ctx); err != nil {
		return fmt.Errorf("relay: reading the destinations' rests: %w", err)
	}
	if err := r.liftStaleHolds(ctx); err != nil {
		return fmt.Errorf("relay: checking held mail against the configuration: %w", err)
	}
	for _, p := range r.paths {
		// A cap whose day has room after all (what it counts changed, or
		// the cap did) sends the mail it held at once, oldest first.
		if _, err := r.sendWarmHeld(ctx, p); err != nil {
			return fmt.Errorf("relay: reading the mail warm-up caps hold: %w", err)
		}
	}
	waited, err := r.requeueUnbegun(ctx)
	if err != nil {
		return fmt.Errorf("relay: recovering the queue: %w", err)
	}
	if waited > 0 {
		r.log.Info("relay: recipients that waited for their turn (a rate's slot, a connection) when the relay last stopped are queued again; no connection had been made for them, so none was sent", "recipients", waited)
	}
	n, err := r.recoverInflight(ctx)
	if err != nil {
		return fmt.Errorf("relay: recovering the queue: %w", err)
	}
	if n > 0 {
		r.log.Info("recipients in flight at the last stop are queued again (at-least-once)", "recipients", n)
	}
	if r.cfg.Listen != "" || r.cfg.TLSListen != "" {
		sub, err := r.listen()
		if err != nil {
			return err
		}
		r.sub = sub
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.cancel = cancel
	r.jobCtx, r.cancelJobs = context.WithCancel(context.WithoutCancel(ctx))
	r.mu.Lock()
	r.busy++ // the scheduler starts busy
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.schedule(runCtx)
	}()
	return nil
}

func (r *Relay) needsResolver() bool {
	for _, p := range r.paths {
		if p.cfg.Type == "mx" {
			return true
		}
	}
	return false
}

// Addr is the submission listener's address (nil when there is none).
func (r *Relay) Addr() net.Addr {
	if r.sub == nil || len(r.sub.listeners) == 0 {
		return nil
	}
	return r.sub.listeners[0].Addr()
}

// TLSAddr is the implicit-TLS submission listener's address, if any.
func (r *Relay) TLSAddr() net.Addr {
	if r.sub == nil || r.sub.tlsListener == nil {
		return nil
	}
	return r.sub.tlsListener.Addr()
}

// Accepting maps each submission listener (ListenerSubmission for
// relay.listen, ListenerTLS for relay.tls_listen) to nil while it accepts
// connections, or to why it does not: closed (net.ErrClosed, from the
// start of Shutdown), the error of its last accept while accepts fail
// (out of file descriptors) until one works again, or the error that
// stopped it for good. It is empty before Start and without listeners.
func (r *Relay) Accepting() map[string]error {
	if r.sub == nil {
		return map[string]error{}
	}
	return r.sub.accepting()
}

// Shutdown stops accepting submissions (a session waiting for a command
// outside a transaction gets 421 4.3.2 at once), stops claiming work, and
// waits for deliveries and submission transactions in progress until ctx
// ends. A recipient claimed whose attempt has not begun (it waits for a
// worker, a connection under max_connections, or its turn in a rate) goes
// back to the queue at once, as it waited before, due at the same time
// (PutBack counts them): it was not tried, so it is not "sent again" at
// the next start. Recipients still in flight when ctx ends, their attempt
// cut off, are retried at the next start (InFlight counts them).
func (r *Relay) Shutdown(ctx context.Context) error {
	var errs []error
	if r.sub != nil {
		errs = append(errs, r.sub.shutdown(ctx))
	}
	if r.cancel != nil {
		r.cancel()
	}
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	cut := false
	select {
	case <-done:
	case <-ctx.Done():
		select {
		case <-done:
			// Done as the time ran out: no job was cut.
		default:
			// Out of time: jobs blocked on a server are cut off; their
			// recipients stay in flight and are tried again at the next
			// start.
			r.cancelJobs()
			r.live.closeAll()
			<-done
			errs = append(errs, ctx.Err())
			cut = true
		}
	}
	if !cut && r.SessionsCut() > 0 {
		// The submission's drain cut sessions when the time ran out: it
		// answers them 421 and they close at once, so the wait above can
		// end as done, as if nothing had been cut.
		errs = append(errs, ctx.Err())
	}
	if r.cancelJobs != nil {
		r.cancelJobs()
	}
	r.pool.closeAll()
	r.sending.Store(false)
	return errors.Join(errs...)
}

// kick wakes the scheduler.
func (r *Relay) kick() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.kicked {
		return
	}
	r.kicked = true
	r.busy++
	r.kickCh <- struct{}{}
}

func (r *Relay) addBusy(d int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.busy += d
	if r.busy != 0 {
		return
	}
	if keep := r.pacedSoon(); r.pool.hasIdleExcept(keep) {
		// Idle: kept connections are closed rather than left to time out
		// at the server. Under load the relay is rarely idle, so they are
		// reused across messages. A destination whose rate paces its
		// messages keeps its connections when its next message is due
		// within connCacheTime, as Postfix's connection cache does, rather
		// than a QUIT and a new connection for each message. The closing
		// (each a QUIT and its reply) counts as work, so the relay is not
		// quiet until it is done: a replay must not move its clock while a
		// server answers the QUIT.
		r.busy++
		go func() {
			r.pool.closeExcept(keep)
			r.pruneDests() // those whose kept connections held them
			r.addBusy(-1)
		}()
	}
}

// connCacheTime is how long before its next message a destination's
// connections are kept while the relay is otherwise idle: Postfix's
// smtp_connection_cache_time_limit, 2s by default.
const connCacheTime = 2 * time.Second

// pacedSoon are the destinations with a job that waits on their rate and
// wakes within connCacheTime; r.mu is held.
func (r *Relay) pacedSoon() map[*dest]bool {
	var keep map[*dest]bool
	limit := r.clock.Now().Add(connCacheTime)
	for at, d := range r.sleeps {
		if d != nil && !at.After(limit) {
			if keep == nil {
				keep = map[*dest]bool{}
			}
			keep[d] = true
		}
	}
	return keep
}

// quiet reports whether the relay has nothing to do until its clock moves:
// no job runs, no kick is pending and its wake-up is not yet due.
func (r *Relay) quiet() bool { return r.quietBut(0) }

// quietBut is quiet for a relay of which waiting jobs are known to be
// blocked on something only the clock moves.
func (r *Relay) quietBut(waiting int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	parked := int(r.parked.Load())
	if r.schedParked && r.kicked {
		parked++ // a kick waits for the scheduler, which waits for a slot
	}
	if r.busy != waiting+parked {
		return false
	}
	now := r.clock.Now()
	if len(r.woken) > 0 {
		return false // woken, not yet running
	}
	// A scheduler parked in its pass has woken already.
	return r.schedParked || r.wakeAt.IsZero() || now.Before(r.wakeAt)
}

// sleep waits d on the relay's clock inside a job, for the rate of dest
// (nil for none); while it sleeps the job does not keep the relay from
// being quiet.
func (r *Relay) sleep(ctx context.Context, d time.Duration, dest *dest) error {
	if d <= 0 {
		return ctx.Err()
	}
	// The wake-up is on the clock before the job stops counting as busy:
	// a replay that found the relay quiet before the timer was set took
	// the next timer on the clock (or a later submission) for the next
	// thing due, moved the clock there, and the job went out late.
	at := r.clock.Now().Add(d)
	woke := make(chan struct{})
	r.mu.Lock()
	r.sleeps[&at] = dest
	r.mu.Unlock()
	t := r.clock.AfterFunc(d, func() {
		r.mu.Lock()
		r.woken[&at] = true
		r.mu.Unlock()
		close(woke)
	})
	defer t.Stop()
	r.addBusy(-1)
	var err error
	select {
	case <-woke:
	case <-ctx.Done():
		err = ctx.Err()
	}
	r.addBusy(1)
	r.mu.Lock()
	delete(r.sleeps, &at)
	delete(r.woken, &at)
	r.mu.Unlock()
	return err
}

// schedule is the scheduler loop: claim what is due, hand it to workers,
// sleep on the clock until the next due time or a kick.
func (r *Relay) schedule(ctx context.Context) {
	var timer clock.Timer
	for {
		claimFailed := r.pass(ctx)
		if ctx.Err() != nil {
			r.addBusy(-1)
			return
		}
		next, ok, err := r.nextDue(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.Error("relay: reading the queue failed; retrying in a minute", "err", err)
			next, ok = r.clock.Now().Add(time.Minute), true
		}
		if claimFailed {
			// What is due stays due: without a pause the next pass came
			// at once, thousands a second on a full disk, a core busy
			// for nothing. A kick (new mail) still wakes it sooner.
			if at := r.clock.Now().Add(claimBackoff(r.claimErrs.Failures())); !ok || next.Before(at) {
				next, ok = at, true
			}
		}
		if _, at := r.warns.due(r.clock.Now()); !at.IsZero() && r.cfg.DSN.DelayWarning > 0 && (!ok || at.Before(next)) {
			next, ok = at, true // a delay warning falls due first
		}
		if r.poll > 0 {
			if at := r.clock.Now().Add(r.poll); !ok || next.After(at) {
				next, ok = at, true
			}
		}
		r.mu.Lock()
		if len(r.stranded) > 0 {
			if at := r.clock.Now().Add(unrecordedRetry); !ok || next.After(at) {
				next, ok = at, true // the next try at putting them back
			}
		}
		r.mu.Unlock()
		var tc <-chan time.Time
		r.mu.Lock()
		r.wakeAt = time.Time{}
		if ok {
			d := next.Sub(r.clock.Now())
			if d < 0 {
				d = 0
			}
			if timer == nil {
				timer = r.clock.NewTimer(d)
			} else {
				timer.Stop()
				timer.Reset(d)
			}
			tc = timer.C()
			r.wakeAt = r.clock.Now().Add(d)
		}
		r.mu.Unlock()
		r.addBusy(-1)
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		case <-r.kickCh:
			r.mu.Lock()
			r.kicked = false // its busy count is now ours
			r.mu.Unlock()
		case <-tc:
			r.addBusy(1)
		}
		if timer != nil {
			timer.Stop()
			// Drain a fire that raced the kick, so the next Reset starts clean.
			select {
			case <-timer.C():
			default:
			}
		}
	}
}

// takeSlot takes a worker slot for a job, waiting for one to come free
// when every worker is busy; while it waits, the scheduler counts as
// parked (it does nothing until a job ends). It reports false when ctx
// ends first.
func (r *Relay) takeSlot(ctx context.Context) bool {
	select {
	case r.slots <- struct{}{}:
		return true
	default:
	}
	r.mu.Lock()
	r.schedParked = true
	r.mu.Unlock()
	r.parked.Add(1)
	ok := true
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		ok = false
	}
	r.unparkScheduler()
	return ok
}

// freeSlot gives a worker slot back; a scheduler waiting for one counts as
// running from now, before its goroutine does.
func (r *Relay) freeSlot() {
	r.unparkScheduler()
	<-r.slots
}

func (r *Relay) unparkScheduler() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.schedParked {
		r.schedParked = false
		r.parked.Add(-1)
	}
}

// claimBackoff is the pause after the n-th claim in a row the store
// refused: half a second, doubling up to 30 s.
func claimBackoff(n int) time.Duration {
	d := 500 * time.Millisecond
	for i := 1; i < n && d < 30*time.Second; i++ {
		d *= 2
	}
	return min(d, 30*time.Second)
}

// pass claims due recipients until none is due, dispatching them; it
// reports whether it stopped because the store refused a claim.
func (r *Relay) pass(ctx context.Context) (claimFailed bool) {
	r.requeueStranded(ctx)
	r.followRestEnds(ctx)
	if err := r.warnDelayed(ctx, r.clock.Now()); ctx.Err() == nil {
		logRepeated(r.log, &r.warnErrs, r.clock.Now(), err, "relay: sending delay warnings failed; they are tried again at the next pass")
	}
	for ctx.Err() == nil {
		now := r.clock.Now()
		batch, err := r.claim(ctx, now, r.cfg.Batch)
		if ctx.Err() == nil {
			logRepeated(r.log, &r.claimErrs, now, err, "relay: claiming due recipients failed, so nothing is delivered until the store answers again; check the store's disk and the store's own log lines")
		}
		if err != nil {
			return ctx.Err() == nil
		}
		if len(batch) == 0 {
			return false
		}
		jobs := r.plan(now, batch)
		for k, j := range jobs {
			if ctx.Err() != nil || !r.takeSlot(ctx) {
				// Stopping: the jobs no worker took go back to the queue.
				r.putBack(jobs[k:]...)
				return false
			}
			j.stop = ctx
			r.addBusy(1)
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				defer func() { r.freeSlot(); r.addBusy(-1) }()
				defer j.passGate()
				r.run(r.jobCtx, j)
			}()
			if r.ordered {
				select {
				case <-j.gate:
				case <-ctx.Done():
					r.putBack(jobs[k+1:]...)
					return false
				}
			}
		}
		if len(batch) < r.cfg.Batch {
			return false
		}
	}
	return false
}

// restoreWarmups reads back, for each warming path, the messages it
// handed to a server today (handedOver, what its cap counts), from their
// relay.attempt events: a restart neither resets the day's count nor
// counts what no server was given (a failed MX lookup, a refused
// connection), as the running relay did not.
func (r *Relay) restoreWarmups(ctx context.Context) error {
	now := r.clock.Now().UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	for name, p := range r.paths {
		if p.warm == nil {
			continue
		}
		sent, err := r.handedToday(ctx, name, day)
		if err != nil {
			return err
		}
		p.warm.restore(now, sent)
	}
	return nil
}

// handedToday are the messages path name handed to a server since day
// began, by its relay.attempt events.
func (r *Relay) handedToday(ctx context.Context, name string, day time.Time) ([]string, error) {
	// The reply alone: a payload's transcript may be long.
	rows, err := r.store.DB().QueryContext(ctx, `SELECT message, COALESCE(json_extract(payload, '$.reply'), '{}') FROM events
		WHERE kind = ? AND time_ns >= ? AND path = ?`, events.RelayAttempt, day.UnixNano(), name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	seen := map[string]bool{}
	var sent []string
	for rows.Next() {
		var (
			msg   string
			reply []byte
			rep   Reply
		)
		if err := rows.Scan(&msg, &reply); err != nil {
			return nil, err
		}
		if seen[msg] || json.Unmarshal(reply, &rep) != nil || !handedOver(rep) {
			continue
		}
		seen[msg] = true
		sent = append(sent, msg)
	}
	return sent, rows.Err()
}

// pathWarning is a warning the relay logs at Start about one of its
// paths: the key it is about (relay.paths[i].KEY), its text, and the
// attributes the log gives it.
type pathWarning struct {
	path  int
	key   string
	msg   string
	attrs []any
}

// pathWarnings are the warnings of c's paths: each path that sends a
// password over TLS whose certificate it does not check (verify: false,
// the default) to a host beyond loopback (a man in the middle can take
// the password, and nothing else would say so until it is misused), and
// each that reaches port 465 without tls: implicit. Port 465 is
// submission over implicit TLS (RFC 8314 3.3): its server waits for the
// client's TLS handshake and never greets a client that waits for a
// greeting, so every attempt would sit out the path's command_timeout
// before failing. Warnings, not errors: a server may run STARTTLS on 465
// all the same.
func (c *Config) pathWarnings() []pathWarning {
	var out []pathWarning
	for i, pc := range c.Paths {
		if pc.Username != "" && !pc.Verify && (pc.Type == "mx" || !config.LoopbackAddr(pc.Host)) {
			out = append(out, pathWarning{i, "verify", "a path sends its AUTH password over TLS without checking the server's certificate (verify: false); a man in the middle could take it: set verify: true (and a CA the host's certificate chains to)",
				[]any{"path", pc.Name, "host", pc.Host}})
		}
		d := pc.WithDefaults()
		port := strconv.Itoa(d.Port)
		if d.Type != "mx" {
			_, port, _ = net.SplitHostPort(d.Host)
		}
		if port != "465" || d.TLS == "implicit" {
			continue
		}
		where := []any{"path", d.Name, "host", d.Host}
		if d.Type == "mx" {
			where = []any{"path", d.Name, "port", d.Port}
		}
		out = append(out, pathWarning{i, "tls", fmt.Sprintf("a path reaches port 465, the implicit-TLS submission port (RFC 8314), with tls: %s; a server there waits for a TLS handshake and never greets, so each attempt waits the path's command_timeout (%s) and fails: set tls: implicit on the path in the configuration file (relay.paths; --smarthost takes none), or point it at port 587 for STARTTLS",
			d.TLS, time.Duration(d.CommandTimeout)), where})
	}
	return out
}

// PathWarnings are the warnings the relay logs at Start about its paths
// (pathWarnings), each a *config.FieldError at the path's key it is
// about under prefix ("relay"), which config.Locate places at its line:
// for relaylab config, which checks a file before it runs.
func (c *Config) PathWarnings(prefix string) []error {
	var out []error
	run := c.WithDefaults() // as the relay runs it
	for _, w := range run.pathWarnings() {
		out = append(out, config.Errorf(fmt.Sprintf("%s.paths[%d].%s", prefix, w.path, w.key), "%s", w.msg))
	}
	return out
}

// warnPaths logs, at start, the warnings of the relay's paths.
func (r *Relay) warnPaths() {
	for _, w := range r.cfg.pathWarnings() {
		r.log.Warn("relay: "+w.msg, w.attrs...)
	}
}

// logRepeated logs the outcome of one try at something that the
// scheduler tries at every pass (err nil for a success) through t, which
// keeps a failure that repeats (a store that keeps failing) to its first
// line and one a minute, where a line every two seconds buried everything
// else: msg with the run's count, and msg + ": it works again" at its end.
func logRepeated(log *slog.Logger, t *repeatlog.Throttle, now time.Time, err error, msg string) {
	if err == nil {
		if ln, ok := t.Worked(now); ok {
			log.Info(msg+": it works again", "failures", ln.Failures, "since", repeatlog.Stamp(ln.Since))
		}
		return
	}
	if ln, ok := t.Failed(now); ok {
		log.Error(msg, "err", err, "failures", ln.Failures, "since", repeatlog.Stamp(ln.Since))
	}
}
