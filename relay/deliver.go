package relay

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relaylab/relaylab/internal/resolver"
)

// path is a configured upstream.
type path struct {
	cfg  PathConfig
	helo string
	warm *warmup // nil: no warm-up cap
	caps walkCaps
	// conns, on a destination: domain path, holds the connection slots
	// (max_connections) and keys the kept connections of all its
	// domains' dests: they go to the one smarthost, so a connection kept
	// after one domain's message carries the next domain's. nil: each
	// dest has its own.
	conns *dest
	// roots are the CAs of the path's ca_file; nil: the system's.
	roots *x509.CertPool
}

// WithDefaults returns pc with the values the relay runs with where pc
// leaves them out (relaylab config prints these).
func (pc PathConfig) WithDefaults() PathConfig {
	if pc.Type == "" {
		pc.Type = "smarthost"
	}
	if pc.TLS == "" {
		pc.TLS = "opportunistic"
	}
	if pc.MessagesPerConnection == 0 {
		pc.MessagesPerConnection = 100
	}
	if pc.ConnectTimeout <= 0 {
		pc.ConnectTimeout = dur(defaultConnectTimeout)
	}
	if pc.CommandTimeout <= 0 {
		pc.CommandTimeout = dur(defaultCommandTimeout)
	}
	if pc.DataTimeout <= 0 {
		pc.DataTimeout = dur(defaultDataTimeout)
	}
	if pc.Type == "mx" {
		// Only an mx path reaches hosts by port and walks down them; a
		// smarthost's host names its port.
		if pc.Port == 0 {
			pc.Port = 25
		}
		caps := newWalkCaps(pc)
		pc.MaxMXAddresses, pc.MaxMXSessions = &caps.addresses, &caps.sessions
	}
	return pc
}

func newPath(pc PathConfig, hostname string) *path {
	pc = pc.WithDefaults()
	helo := pc.Helo
	if helo == "" {
		helo = hostname
	}
	return &path{cfg: pc, helo: helo, caps: newWalkCaps(pc)}
}

// job is one attempt at some recipients of one message over one list of
// paths.
type job struct {
	msgID  string
	route  *routeInfo
	paths  []*path
	domain string // the recipients' domain, for mx paths
	rcpts  []claimed
	// gate is closed once the job has taken its turn at its
	// destination's shaping, or needs none (Options.Ordered).
	gate     chan struct{}
	gateOnce sync.Once
	seq      int64 // the job's number, in the order jobs are planned
	// stop ends when the relay stops, for a job the scheduler runs (its
	// context); nil: never. A job that has not begun its attempt by
	// then gives up its wait and goes back to the queue untried.
	stop context.Context
	// begun is set once the job has made its attempt: a connection
	// taken for it, or a try that failed without one (a DNS lookup).
	begun atomic.Bool
	// gaveUp: the relay stopped before the job began (run puts it back).
	gaveUp bool
	// stuck: the store refused the write that ends a wait of the job's
	// before its first connection (markWaiting); it gives up.
	stuck atomic.Bool
	// warmed are the warming paths whose cap held the job back or that
	// it gave its place in the day's count back to: once its outcome is
	// recorded, mail the cap holds goes if the day has room (recheckWarm).
	warmed []warmCheck
}

// stopped reports whether the relay stops and j has not begun.
func (j *job) stopped() bool {
	return j.stop != nil && j.stop.Err() != nil && !j.begun.Load()
}

// waitCtx is the context of a wait of j before its attempt (its rate's
// turn): ctx, or for a job not yet begun its stop, which ends first.
func (j *job) waitCtx(ctx context.Context) context.Context {
	if j.stop == nil || j.begun.Load() {
		return ctx
	}
	return j.stop
}

// stopDone is the channel of j's stop, or nil for none.
func (j *job) stopDone() <-chan struct{} {
	if j.stop == nil {
		return nil
	}
	return j.stop.Done()
}

// passGate tells the scheduler that j has its rate slot or connection, or
// waits on the clock or for a connection, or is done, so that with
// Options.Ordered the next job may start.
func (j *job) passGate() { j.gateOnce.Do(func() { close(j.gate) }) }

// plan groups claimed recipients into jobs: per message, per resolved path
// list, and per recipient domain.
func (r *Relay) plan(now time.Time, batch []claimed) []*job {
	var out []*job
	byKey := map[string]*job{}
	for _, c := range batch {
		route, paths := r.route(c.msgID, c.address, c.sender, c.attempts+1)
		names := make([]string, len(paths))
		for i, p := range paths {
			names[i] = p.cfg.Name
		}
		key := c.msgID + "|" + strings.Join(names, ",") + "|" + strings.ToLower(domainOf(c.address))
		j, ok := byKey[key]
		if !ok {
			j = &job{msgID: c.msgID, route: route, paths: paths, domain: strings.ToLower(domainOf(c.address)), gate: make(chan struct{}),
				seq: r.planned.Add(1)}
			byKey[key] = j
			out = append(out, j)
		}
		j.rcpts = append(j.rcpts, c)
	}
	return out
}

// result is where one recipient stands after trying a path.
type result struct {
	reply   Reply
	verdict Verdict
	path    string
	host    string
	tried   bool // a server was asked (not only DNS, nor a resting destination)
	// attempted means some path of this run was tried for the recipient
	// (tried, at this result's path or an earlier one): the run counts as
	// an attempt, even when the last path only held it back.
	attempted bool
	// notBefore holds the next attempt back (a window, a cap, a rest).
	notBefore time.Time
	// dsnPassed means the server that took the message also took NOTIFY.
	dsnPassed bool
	// skip is set when the relay's shaping held this result's path back
	// before any of its hosts was tried: what the recipient's events say
	// of the path if the attempt goes on to the route's next one.
	skip *SkippedPath
	// skipped are the paths of the route the run went past so (run).
	skipped []SkippedPath
}

func (res result) delivered() bool { return res.reply.Code/100 == 2 }

// attempt is one exchange with one host, for the event log.
type attempt struct {
	rcpt    int // index into job.rcpts
	path    string
	host    string
	addr    string
	tls     string
	cipher  string
	reply   Reply
	latency time.Duration
	dsn     bool // the server took the DSN parameters
	// transcript is the SMTP conversation of this attempt (shared by the
	// recipients of one transaction).
	transcript string
	// walkStopped says why the attempt tried no host after this one
	// although some remained (a cap of the path).
	walkStopped string
	// restKey and restUntil name the rest this attempt's 421 or rate
	// limit put on its destination, so that the store knows of it
	// (HeldBack, restoreRests).
	restKey   string
	restUntil time.Time
}

// run makes one attempt for a job and records the outcome; a job that
// the relay's stop keeps from its attempt goes back to the queue instead
// (putBack).
func (r *Relay) run(ctx context.Context, j *job) {
	if j.stopped() {
		r.putBack(j) // given to a worker as the relay stopped
		return
	}
	msg, err := r.loadMessage(ctx, j.msgID)
	if err != nil {
		r.abandon(ctx, j, err)
		return
	}
	data := msg.data
	if r.signer != nil {
		data = r.signer.SignQueued(j.msgID, msg.sender, data)
	}
	results := make([]result, len(j.rcpts))
	var log []attempt
	attempted := make([]bool, len(j.rcpts)) // by a path before the current one
	pending := make([]int, len(j.rcpts))
	for i := range pending {
		pending[i] = i
	}
	if open, at := nextOpen(j.route.windows, j.route.loc, r.clock.Now()); !open {
		rep := Reply{Stage: "shaping", Text: fmt.Sprintf(windowHoldPrefix+"%s; the next opens at %s", j.route.name, at.UTC().Format(time.RFC3339))}
		for i := range results {
			results[i] = result{reply: rep, verdict: r.verdict(rep), notBefore: at}
		}
		pending = nil
	}
	skipped := make([][]SkippedPath, len(j.rcpts))
	for pi, p := range j.paths {
		if len(pending) == 0 {
			break
		}
		log = append(log, r.deliverPath(ctx, p, j, msg, data, pending, results)...)
		if j.gaveUp {
			break
		}
		var next []int
		for _, i := range pending {
			results[i].attempted = results[i].tried || attempted[i]
			attempted[i] = results[i].attempted
			if !results[i].delivered() && (results[i].verdict.Disposition == Retry || results[i].verdict.Disposition == Reroute) {
				next = append(next, i)
				if s := results[i].skip; s != nil && pi < len(j.paths)-1 {
					// Held back here, it goes on to the next path: its
					// events say why this one was passed over. On the
					// last path the outcome is the hold itself.
					skipped[i] = append(skipped[i], *s)
				}
			}
		}
		pending = next
	}
	for i := range results {
		results[i].skipped = skipped[i]
	}
	if j.gaveUp {
		r.putBack(j)
		return
	}
	if ctx.Err() != nil {
		// Shutting down mid-attempt: leave the recipients in flight so the
		// next start tries them again rather than counting a failure.
		return
	}
	if err := r.record(ctx, j, msg, results, log); err != nil {
		r.requeueUnrecorded(ctx, j, err)
	}
	for _, w := range j.warmed {
		r.recheckWarm(ctx, w)
	}
	wrote, err := r.notifyRelayed(ctx, j, msg, results)
	if err != nil {
		r.log.Error("relay: writing a success DSN failed", "id", j.msgID, "err", err)
	}
	// New due times (deferrals, DSNs): the scheduler looks again.
	kick := wrote
	for _, res := range results {
		kick = kick || !res.delivered()
	}
	if kick {
		r.kick()
	}
}

// deliverPath tries path p for the recipients pending, writing their
// results, and returns the exchanges it had.
func (r *Relay) deliverPath(ctx context.Context, p *path, j *job, msg messageRow, data []byte, pending []int, results []result) (log []attempt) {
	set := func(i int, rep Reply, host string, tried bool) {
		results[i] = result{reply: rep, verdict: r.verdict(rep), path: p.cfg.Name, host: host, tried: tried}
		if tried {
			j.begun.Store(true)
		}
	}
	var hosts []string
	implicit := false // the domain has no MX: its own address is the host
	destKey := p.destKey(aLabels(j.domain))
	if p.cfg.Type == "mx" {
		hs, imp, err := mxHostsFor(ctx, r.resolver, j.domain, r.seed, mxDraw(j))
		if err != nil {
			rep := Reply{Stage: "dns", Enhanced: "4.4.3", Text: fmt.Sprintf("MX lookup for %s: %s", domainNamed(j.domain), r.dnsText(err, j, p, pending))}
			switch {
			case errors.Is(err, errNullMX):
				// RFC 7505 4.1: do not try; bounce with 5.1.10.
				rep = Reply{Stage: "dns", Code: 556, Enhanced: "5.1.10", Text: domainNamed(j.domain) + " publishes a null MX: it accepts no mail (RFC 7505)", Local: true}
			case errors.Is(err, ErrNoSuchDomain):
				rep = noSuchDomain(domainNamed(j.domain))
			}
			// A lookup that failed is a try that failed (an attempt, with
			// its event); an answer that bounces at once is not.
			return lookupFailed(pending, p.cfg.Name, "", rep, set, nil)
		}
		hosts, implicit = hs, imp
		// Domains served by the same MX hosts are one destination: they
		// share connections, rate and rests.
		set := append([]string(nil), hs...)
		sort.Strings(set)
		destKey = "mx:" + p.cfg.Name + ":" + strings.ToLower(strings.Join(set, ","))
	} else {
		hosts = []string{p.cfg.Host}
	}
	turn, capped := p.warm.take(r.clock.Now(), j.msgID)
	if capped != nil {
		rep := Reply{Stage: "shaping", Text: capped.text(p.cfg.Name)}
		for _, i := range pending {
			set(i, rep, "", false)
			results[i].notBefore = capped.until
			results[i].skip = &SkippedPath{Path: p.cfg.Name, Text: heldSkipText(p.cfg.Name, rep.Text), Until: capped.until, Category: results[i].verdict.Category}
		}
		// Once this hold is recorded, a place given back meanwhile may
		// leave the day room for it (run, recheckWarm).
		j.warmed = append(j.warmed, warmCheck{p, true})
		return nil
	}
	if turn.taken {
		// The message keeps its place in the day's count only if a
		// server was handed it on this path; else the place goes back.
		defer func() {
			if p.warm.done(turn, slices.ContainsFunc(log, func(a attempt) bool { return handedOver(a.reply) })) {
				j.warmed = append(j.warmed, warmCheck{p, false})
			}
		}()
	}
	d := r.takeDest(destKey, p)
	defer r.leaveDest(d)
	w := &walk{caps: p.caps, mx: p.cfg.Type == "mx"}
	reset := func(i int, rep Reply) { set(i, rep, results[i].host, true) }
	// A 421 or rate limit asks the destination to rest, which it does
	// when the walk ends (end) unless a later host answered: after a 421
	// from one MX host the next one is tried, as Postfix does (RFC 5321
	// 5.1), and one that takes the message shows the destination works.
	var ask restAsk
	all := pending
	end := func(log []attempt) []attempt { return r.endWalk(d, &ask, p, all, results, log) }
	for hi, host := range hosts {
		if len(pending) == 0 {
			break
		}
		if why := w.stop(hosts[hi:]); why != "" {
			return end(w.stopped(why, pending, results, log, reset))
		}
		// Another job's rest holds back the hosts this attempt has yet to
		// try; its own is not begun until the walk ends.
		held := func() bool {
			until, ok := d.holds(r.clock.Now(), j.seq)
			if !ok {
				return false
			}
			cause := r.destCause(d.key).public
			rep := Reply{Stage: "shaping", Text: restText(d.key, until, cause)}
			var skip *SkippedPath
			if len(log) == 0 {
				// No host of this path was tried for them: if they go on
				// to the route's next path, this one was skipped.
				skip = &SkippedPath{Path: p.cfg.Name, Text: restSkipText(p.cfg.Name, d.key, until, d.restFailures(), cause), Until: until}
			}
			for _, i := range pending {
				set(i, rep, host, false)
				results[i].notBefore = until
				if skip != nil {
					s := *skip
					s.Category = results[i].verdict.Category
					results[i].skip = &s
				}
			}
			return true
		}
		if held() {
			return end(log)
		}
		if ip, err := netip.ParseAddr(strings.TrimSuffix(host, ".")); err == nil && !implicit {
			// RFC 5321 5.1: an MX record names a host, whose address is
			// looked up; one that names an address is broken, and is not
			// dialled, as Postfix ("numeric domain name in resource data
			// of MX record") and Exim (allow_mx_to_ip: false) refuse it.
			rep := Reply{Stage: "dns", Enhanced: "4.4.4", Text: fmt.Sprintf("an MX record of %s names %s, an IP address where RFC 5321 5.1 wants a host name; the relay does not dial it", domainNamed(j.domain), ip)}
			log = lookupFailed(pending, p.cfg.Name, host, rep, set, log)
			continue
		}
		addrs, err := r.hostAddrs(ctx, p, host)
		if err != nil {
			rep := Reply{Stage: "dns", Enhanced: "4.4.3", Text: fmt.Sprintf("address lookup for %s: %s", host, r.dnsText(err, j, p, pending))}
			switch {
			case implicit && (errors.Is(err, errNoAddress) || errors.Is(err, ErrNoSuchDomain)):
				rep = noMailHost(domainNamed(j.domain))
			case errors.Is(err, errNoAddress) || errors.Is(err, ErrNoSuchDomain):
				// An MX host that does not resolve: broken MX records,
				// which their owner may yet fix, so it is retried.
				rep.Enhanced = "4.4.4"
			}
			log = lookupFailed(pending, p.cfg.Name, host, rep, set, log)
			continue
		}
		var tr, earlier []attempt
		var untried []string // addresses of host the address cap left out
		for k, addr := range addrs {
			if w.addressesFull() {
				untried = addrs[k:]
				break
			}
			w.addresses++
			// An earlier address of this host refused the connection:
			// its attempts stay in the log, so that the refusal shows.
			log = append(append(log, earlier...), tr...)
			// The rate wait comes first, so that no job sleeps holding a
			// connection; a rest that began while it waited (another
			// job's 421 in the meantime) holds it back as it would have
			// before the wait. A stop ends the wait of a job that has not
			// begun (waitCtx), which goes back to the queue.
			if err := d.wait(j.waitCtx(ctx), r.clock, func(ctx context.Context, dur time.Duration) error {
				if dur <= 0 {
					return r.sleep(ctx, dur, d)
				}
				j.passGate()
				text := fmt.Sprintf(waitPrefix+"its turn in the rate of destination %s (%s a second): it goes out at %s",
					d.key, strconv.FormatFloat(d.rate, 'g', 4, 64), r.clock.Now().Add(dur).UTC().Format(time.RFC3339))
				done := r.markWaiting(j, pending, text)
				err := r.sleep(ctx, dur, d)
				// Before the connection: the store must not say it waits
				// once one may be made.
				if derr := done(); err == nil {
					err = derr
				}
				return err
			}); err != nil {
				// Shutting down (or the store refused the end of the
				// wait): run records nothing, or puts the job back when it
				// had not begun.
				j.gaveUp = !j.begun.Load()
				return log
			}
			if held() {
				return end(log)
			}
			tr, earlier = r.deliverHost(ctx, p, d, host, addr, j, msg, data, pending)
			if j.gaveUp {
				return log // the relay stopped while the job waited for a connection
			}
			if len(tr) > 0 && tr[0].reply.Stage != "connect" {
				break // a server answered; other addresses of this host are not tried
			}
		}
		log = append(append(log, earlier...), tr...)
		trAt := len(log) - len(tr) // tr[k] is log[trAt+k]
		w.tried++
		first := tr[0].reply // a session's failure before MAIL is every recipient's
		if reachedSMTP(first) {
			w.sessions++
		}
		skip := greeting5xx(first)
		var refused Reply
		if skip {
			refused = w.refuse(host, first)
		}
		var (
			next     []int
			asked    []int // places in log of the attempts that ask for a rest
			last     int   // the place in pending of the last of them
			answered bool
		)
		for k, i := range pending {
			a := tr[k]
			if skip {
				// RFC 5321 3.1: this server will not talk to us; that
				// judges no message, so the next host is tried, and
				// without one the recipients are deferred.
				set(i, refused, host, true)
				next = append(next, i)
				continue
			}
			set(i, a.reply, host, true)
			results[i].dsnPassed = a.dsn
			switch {
			case asksRest(results[i]):
				asked, last = append(asked, trAt+k), k
			case answers(a.reply):
				answered = true
			}
			// RFC 5321 5.1: on a temporary failure try the next MX. So
			// too after a 5xx that refuses the path rather than the
			// message (refusesPath: a 530 asking for AUTH or STARTTLS
			// first, a 535 to the path's AUTH, a 5xx to STARTTLS): it
			// is this host's demand, and says nothing of the domain's
			// other MX hosts, which may take the mail as it is.
			if !results[i].delivered() && (!a.reply.Permanent() || w.mx && refusesPath(a.reply)) {
				next = append(next, i)
			}
		}
		var cause restCause
		if len(asked) > 0 {
			cause = restCauseOf(tr[last].reply, mxHost(p, host), j.rcpts[pending[last]].address, j.msgID, msg.sender)
		}
		ask.host(asked, cause, answered)
		pending = next
		if len(pending) > 0 && len(untried) > 0 {
			rest := make([]string, 0, len(untried)+len(hosts)-hi-1)
			for _, a := range untried {
				rest = append(rest, host+" at "+a)
			}
			rest = append(rest, hosts[hi+1:]...)
			return end(w.stopped(w.stop(rest), pending, results, log, reset))
		}
	}
	if rep, ok := w.noMailReply(len(hosts)); ok {
		for _, i := range pending {
			reset(i, rep)
		}
	}
	return end(log)
}

// mxHost is host where it names an MX host, for the text of a rest's
// cause, or "" on a smarthost path, whose destination's key names its
// host.
func mxHost(p *path, host string) string {
	if p.cfg.Type != "mx" {
		return ""
	}
	return host
}

// mxDraw is what of attempt j the order of equal-preference MX hosts is
// drawn from, beside the seed and the domain: its first recipient's row
// and attempt number. RFC 5321 5.1 asks for a random order, so that the
// hosts share the load; the row, not the queue id, which is random on
// every run, keeps a replay's order the same from run to run.
func mxDraw(j *job) string {
	if len(j.rcpts) == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", j.rcpts[0].id, j.rcpts[0].attempts+1)
}

// lookupFailed sets the result of a DNS lookup that gave no server to try
// for the recipients pending, and returns log with their attempts. A
// temporary failure (SERVFAIL, a timeout, an MX host without an address) is
// an attempt, as a refused connection is: it counts for the retry
// schedule and max_attempts and has its relay.attempt event, without a
// transcript since no connection was made. An answer that the domain
// cannot receive mail bounces at once and is no attempt.
func lookupFailed(pending []int, pathName, host string, rep Reply, set func(int, Reply, string, bool), log []attempt) []attempt {
	tried := !rep.Permanent()
	for _, i := range pending {
		set(i, rep, host, tried)
		if tried {
			log = append(log, attempt{rcpt: i, path: pathName, host: host, reply: rep})
		}
	}
	return log
}

// dnsText is a failed lookup's error for a reply: without the address of
// the server that failed (it goes to the log), so that the attempt events
// of a replay, whose DNS listens on a port of its own each run, come out
// the same every time; and without whether the answer came from the
// resolver's cache, which says nothing of the domain and made one
// NXDOMAIN read two ways in replies and DSNs (": cached" or not) by the
// order of the lookups. The log line names the message, path and
// recipients (pending, indexes into j.rcpts) the lookup was for.
func (r *Relay) dnsText(err error, j *job, p *path, pending []int) string {
	text := err.Error()
	var found bool
	for _, re := range resolverErrors(err) {
		anon := *re
		anon.Server = ""
		if anon.Detail == "cached" {
			anon.Detail = ""
		}
		if anon != *re {
			found = true
			text = strings.Replace(text, re.Error(), anon.Error(), 1)
		}
	}
	if found && !errors.Is(err, ErrNoSuchDomain) && !errors.Is(err, errNoAddress) {
		// A definitive answer (NXDOMAIN, no address) is no failure of the
		// lookup: the recipient's outcome line says it. A server that
		// failed (SERVFAIL, a timeout) is named here, for the operator.
		rcpts := make([]string, len(pending))
		for k, i := range pending {
			rcpts[k] = j.rcpts[i].address
		}
		r.log.Info("relay: DNS lookup failed; the recipients are deferred unless the path's next host or path takes them (check that the resolver answers for the domain)",
			"id", j.msgID, "path", p.cfg.Name, "domain", j.domain, "to", strings.Join(rcpts, ","), "err", err)
	}
	return text
}

// resolverErrors are the *resolver.Error values in err's tree (a lookup of
// A and AAAA joins two).
func resolverErrors(err error) []*resolver.Error {
	if re, ok := err.(*resolver.Error); ok {
		return []*resolver.Error{re}
	}
	var out []*resolver.Error
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = append(out, resolverErrors(e)...)
		}
	case interface{ Unwrap() error }:
		if e := u.Unwrap(); e != nil {
			out = resolverErrors(e)
		}
	}
	return out
}

// noSuchDomain is the relay's own permanent failure for a recipient domain
// the DNS says does not exist. RFC 3463 3.2: X.1.2, bad destination system
// address, is for a destination system that does not exist (for Internet
// mail, the part right of the @ is invalid), which is exactly what an
// NXDOMAIN says; only ever permanent. Postfix bounces these too ("Host or
// domain name not found").
func noSuchDomain(domain string) Reply {
	return Reply{Stage: "dns", Code: 550, Enhanced: "5.1.2", Local: true,
		Text: fmt.Sprintf("the recipient's domain %s does not exist: the DNS answered NXDOMAIN to its MX query", domain)}
}

// noMailHost is the relay's own permanent failure for a domain that exists
// but has no MX and no A or AAAA record, so no host receives its mail (RFC
// 5321 5.1). RFC 3463 3.5: X.4.4, unable to route, names "a DNS lookup
// returning only an SOA" as its example, which is this case.
func noMailHost(domain string) Reply {
	return Reply{Stage: "dns", Code: 550, Enhanced: "5.4.4", Local: true,
		Text: fmt.Sprintf("the recipient's domain %s has no MX and no A or AAAA record, so no server receives mail for it (RFC 5321 5.1)", domain)}
}

// Classifier is the relay's classifier: the built-in table after the
// configuration's classify rules, as the relay judges every reply.
func (r *Relay) Classifier() *Classifier { return r.classify }

// verdict classifies a reply; 2xx replies need none.
func (r *Relay) verdict(rep Reply) Verdict {
	if rep.Code/100 == 2 {
		return Verdict{}
	}
	return r.classify.Classify(rep)
}

// hostAddrs returns the addresses ("ip:port" or "host:port") to dial.
func (r *Relay) hostAddrs(ctx context.Context, p *path, host string) ([]string, error) {
	if p.cfg.Type != "mx" {
		return []string{host}, nil
	}
	ips, err := r.resolver.LookupIP(ctx, host)
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("%s: %w", host, errNoAddress)
	}
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = netip.AddrPortFrom(ip, uint16(p.cfg.Port)).String()
	}
	return out, nil
}

// deliverHost sends the message to one server address. It returns one
// attempt per pending recipient (in order), its outcome there, and before
// those, in earlier, the attempts whose 452 for the server's limit on
// recipients per transaction a later transaction of this call took up
// again (RFC 5321 4.5.3.1.10), each with its own transaction's transcript.
//
// The recipients go in one transaction, or in several of at most the
// path's max_recipients, one after another. When a transaction's server
// took some recipients and refused later ones with that 452, the
// transaction goes on for those it took, and the refused ones go at once
// in the next, on the same connection while it is usable (else a new
// one), at most as many as the server took per transaction; this repeats
// until no recipient is refused so, or a transaction makes no progress
// (its first recipient already gets the 452: no per-transaction limit
// explains that), whose refused recipients keep the 452.
func (r *Relay) deliverHost(ctx context.Context, p *path, d *dest, host, addr string, j *job, msg messageRow, data []byte, pending []int) (out, earlier []attempt) {
	out = make([]attempt, len(pending))
	// Connections are kept under the dest that holds their slots: a
	// destination's own, or on a destination: domain path the path's, so
	// that any domain's message takes one kept after another's (the same
	// smarthost), instead of each domain keeping one open of its own.
	cd := d.conns
	key := cd.key + "|" + addr
	env := envelope{from: msg.sender, ret: msg.ret, envid: msg.envid, data: data, eight: has8bit(data), useDSN: true}
	rcpts := make([]envRcpt, len(pending))
	for k, i := range pending {
		c := j.rcpts[i]
		rcpts[k] = envRcpt{addr: c.address, notify: c.notify, orcpt: c.orcpt}
	}
	if !msg.isDSN && msg.sender != "" && (r.cfg.DSN.VERP || normAddr(msg.sender) == r.bounceAddress()) {
		// The return path names the message, so a bounce finds it even
		// when it is not a standard DSN, and carries the relay's MAC for
		// the recipients' domain, so that no one else can forge one. A
		// sender that is the bounce address gets it without verp: its
		// bounces come to the relay either way.
		addrs := make([]string, len(rcpts))
		for k, rc := range rcpts {
			addrs[k] = rc.addr
		}
		env.from = r.bounceKey.returnPath(r.bounceAddress(), msg.id, addrs)
	}
	// queue holds the recipients still to send, as places in pending, in
	// order; a transaction takes at most size of them (0: all).
	queue := make([]int, len(pending))
	for k := range queue {
		queue[k] = k
	}
	size := p.cfg.MaxRecipients
	resent := map[int]bool{} // refused for the server's limit, sent again
	var pc *pooled
	for n := 1; len(queue) > 0; n++ {
		start := r.clock.Now()
		batch := queue
		if size > 0 && len(batch) > size {
			batch = batch[:size]
		}
		queue = queue[len(batch):]
		env.rcpts = env.rcpts[:0]
		again := 0
		for _, k := range batch {
			env.rcpts = append(env.rcpts, rcpts[k])
			if resent[k] {
				again++
			}
		}
		why := "" // what the transaction's transcript says first
		switch {
		case n == 1 && len(queue) > 0:
			why = fmt.Sprintf("transaction 1 of this message here: %s of %d, as the path's max_recipients is %d", plural(len(batch), "recipient", "recipients"), len(pending), size)
		case n > 1:
			why = fmt.Sprintf("transaction %d of this message here: %s", n, plural(len(batch), "recipient", "recipients"))
			if again > 0 {
				why += fmt.Sprintf(", %d of them refused in an earlier one with 452 for the server's limit on recipients per transaction and sent again (RFC 5321 4.5.3.1.10)", again)
			}
			if len(queue) > 0 {
				why += fmt.Sprintf("; %d left for the next, at most %d per transaction", len(queue), size)
			}
		}
		var tr transaction
		var script string
		if pc == nil {
			var failed *client
			var err error
			pc, tr, script, failed, err = r.transact(ctx, p, cd, host, addr, key, env, why, slotTurn{seq: j.seq, turn: j.passGate, parked: func() func() {
				return r.waitSlot(cd, p, j, pending)
			}, stop: j.stopDone(), begun: &j.begun, stuck: &j.stuck})
			if errors.Is(err, errStopping) {
				j.gaveUp = true // run puts it back
				return nil, nil
			}
			if err != nil {
				rep := asReply(err, "connect")
				if n > 1 && rep.Permanent() {
					// A server that took this message's first transactions
					// refuses a new connection for the rest: that judges
					// no recipient, so they are deferred.
					rep = Reply{Stage: rep.Stage, Text: "a new connection for the rest of the message's recipients failed: " + rep.String()}
				}
				for _, k := range slices.Concat(batch, queue) {
					out[k] = r.hostAttempt(p, host, addr, pending[k], rep, failed, start, script)
				}
				return out, earlier
			}
		} else {
			pc.c.rec.note("%s", why)
			tr = pc.c.send(env)
		}
		atts := make([]attempt, len(batch))
		took, first := 0, -1 // recipients the server took at RCPT; the first refused for its limit
		for t, k := range batch {
			atts[t] = r.hostAttempt(p, host, addr, pending[k], tr.rcpts[t], pc.c, start, "")
			atts[t].dsn = tr.dsn
			if tr.rcpts[t].Code == 421 {
				tr.broken = true // RFC 5321 3.8: the server closes after 421
			}
			switch {
			case tr.accepted[t] && first < 0:
				took++
			case took > 0 && first < 0 && tooManyRecipients(tr.rcpts[t]):
				first = t
			}
		}
		var limited []int // places in batch of the recipients to send again
		if first >= 0 && !tr.broken {
			for t := first; t < len(batch); t++ {
				if tooManyRecipients(tr.rcpts[t]) {
					limited = append(limited, t)
					resent[batch[t]] = true
				}
			}
		}
		if took == 0 && slices.ContainsFunc(tr.rcpts, tooManyRecipients) {
			pc.c.rec.note("the server refused this transaction's first recipient with 452 for a limit on recipients, before taking any: no limit per transaction explains that, so the recipients refused so are not sent again now but deferred")
		}
		// The QUIT of a connection that ends here is part of this
		// transaction's conversation, so it is in its transcript.
		closing := tr.broken || pc.c.sent >= p.cfg.MessagesPerConnection
		if len(limited) > 0 {
			if size == 0 || took < size {
				size = took
			}
			where := "on this connection"
			if closing {
				where = "on a new connection, as this one has carried its messages_per_connection"
			}
			pc.c.rec.note("the server took %s of this transaction and refused %d after them with 452 for its limit on recipients per transaction (RFC 5321 4.5.3.1.10): those go at once in a new transaction %s, at most %d per transaction",
				plural(took, "recipient", "recipients"), len(limited), where, size)
		}
		var lost Reply // what the recipients not sent get, when the connection ended here
		if tr.broken && len(queue) > 0 {
			lost = notSent(host, tr)
			pc.c.rec.note("the connection ended: %s of this message not yet sent here are not tried in this attempt", plural(len(queue), "recipient", "recipients"))
		}
		if closing {
			pc.c.quit()
		}
		script += pc.c.rec.take()
		for t, k := range batch {
			atts[t].transcript = script
			out[k] = atts[t]
		}
		for _, t := range limited {
			earlier = append(earlier, atts[t])
		}
		if tr.broken {
			for _, k := range queue {
				out[k] = r.hostAttempt(p, host, addr, pending[k], lost, pc.c, start, script)
			}
			queue = nil
		} else if len(limited) > 0 {
			requeue := make([]int, 0, len(limited)+len(queue))
			for _, t := range limited {
				requeue = append(requeue, batch[t])
			}
			queue = append(requeue, queue...)
		}
		if closing {
			pc.d.release()
			pc = nil
		}
	}
	if pc != nil {
		r.pool.put(key, pc)
	}
	return out, earlier
}

// notSent is the outcome of the recipients that a transaction left for a
// later one on a connection that ended in it (tr broken): a 421 when the
// server said it was closing, so that the destination rests as for the
// others, else the relay's own failure, which is retried.
func notSent(host string, tr transaction) Reply {
	why := "the server refused RSET"
	for _, rep := range tr.rcpts {
		if rep.Code == 421 {
			return rep
		}
		if rep.Code == 0 {
			why = rep.String()
			break
		}
	}
	return Reply{Stage: "mail", Text: fmt.Sprintf("not sent: the connection to %s broke off in an earlier transaction of this message (%s), before this recipient's", host, why)}
}

// hostAttempt is the attempt of recipient i (an index into job.rcpts) at
// addr, with its reply and the TLS state of c (nil: none).
func (r *Relay) hostAttempt(p *path, host, addr string, i int, rep Reply, c *client, start time.Time, script string) attempt {
	a := attempt{rcpt: i, path: p.cfg.Name, host: host, addr: addr, reply: rep, latency: r.clock.Now().Sub(start), transcript: script}
	if c != nil && c.tls != nil {
		a.tls, a.cipher = tls.VersionName(c.tls.Version), tls.CipherSuiteName(c.tls.CipherSuite)
	}
	return a
}

// transact sends env on a connection to addr, kept or new (see conn),
// with note, when not "", first in its transcript. A kept connection the
// server has meanwhile closed fails before any reply: the transaction is
// tried once more on a new one. It returns the connection, the
// transaction and the transcript of what came before the connection's
// own; on failure to connect, the error and the client that failed.
func (r *Relay) transact(ctx context.Context, p *path, cd *dest, host, addr, key string, env envelope, note string, st slotTurn) (*pooled, transaction, string, *client, error) {
	var script strings.Builder
	for try := 0; ; try++ {
		pc, failed, err := r.conn(ctx, p, cd, host, addr, key, try > 0, st)
		if err != nil {
			if failed != nil {
				script.WriteString(failed.rec.take())
			}
			return nil, transaction{}, script.String(), failed, err
		}
		kept := pc.c.used > 0
		switch {
		case pc.c.sent > 0:
			pc.c.rec.note("a kept connection, used for %d messages before this one", pc.c.sent)
		case kept:
			pc.c.rec.note("a kept connection, used for %s before this one, which sent no message", plural(pc.c.used, "transaction", "transactions"))
		}
		if note != "" {
			pc.c.rec.note("%s", note)
		}
		tr := pc.c.send(env)
		// (A connection whose transactions all failed at RCPT is kept
		// too.)
		if try == 0 && kept && tr.broken && tr.rcpts[0].Code == 0 && tr.rcpts[0].Stage == "mail" {
			pc.c.rec.note("the kept connection is gone; trying again on a new one")
			script.WriteString(pc.c.rec.take())
			pc.c.conn.Close()
			pc.d.release()
			script.WriteString("\n")
			continue
		}
		return pc, tr, script.String(), nil, nil
	}
}

// conn returns a connection to addr: an idle one, a new one when d (a
// dest's conns) has a free slot, or one that frees up while it waits. fresh
// asks for a new connection (a kept one has just turned out closed, so the
// others kept beside it are suspect): idle connections to addr are closed
// to make room rather than used. On failure it also returns the client that
// failed, for its TLS state and transcript (without a connection when the
// dial failed). A job that has to wait queues behind the jobs planned
// before it (slotqueue.go), which are served first.
func (r *Relay) conn(ctx context.Context, p *path, d *dest, host, addr, key string, fresh bool, st slotTurn) (*pooled, *client, error) {
	spare := key // idle connections to key are kept for reuse
	if fresh {
		spare = ""
	}
	var w *slotWaiter // the job's place among d's waiters, once it waits
	for {
		if st.giveUp() {
			d.leave(w) // a slot that came free for it goes to the next
			return nil, nil, errStopping
		}
		if d.first(w) {
			if !fresh {
				if pc := r.pool.get(key); pc != nil {
					d.leave(w)
					st.begin()
					st.turn()
					return pc, nil, nil
				}
			}
			if d.tryAcquire() {
				d.leave(w)
				st.begin()
				st.turn()
				return r.dial(ctx, p, d, host, addr)
			}
			if r.pool.closeOther(d, spare) {
				continue
			}
		}
		if w == nil {
			// Queued, it looks once more: a slot may have come free since
			// it looked, with no waiter yet to tell.
			w = d.join(st.seq)
			continue
		}
		// Parked: other jobs hold the destination's connections, or wait
		// for one ahead of this job.
		if !d.block(w) {
			<-w.ready // woken meanwhile: look again
			continue
		}
		st.turn()
		done := st.parked()
		select {
		case <-w.ready:
			done()
			continue
		case <-st.halt():
		case <-ctx.Done():
		}
		done()
		d.leave(w) // a slot that came free for it goes to the next
		if st.giveUp() {
			return nil, nil, errStopping
		}
		return nil, nil, &stageError{"connect", ctx.Err()}
	}
}

// slotTurn is how a job takes its turn at a destination's connections:
// seq places it among the jobs that wait for one (job.seq); turn is
// called once it has a connection slot or waits for one
// (Options.Ordered); parked while it waits, and the func parked returns
// when the wait ends. stop is closed when the relay stops (nil: never):
// a job that has not begun (begun, nil for one that never gives up)
// then gives up instead of taking a connection.
type slotTurn struct {
	seq    int64
	turn   func()
	parked func() (done func())
	stop   <-chan struct{}
	begun  *atomic.Bool
	// stuck is set when the store could not be told that the job's wait
	// is over (markWaiting): it gives up rather than connect while the
	// store says no connection was made. nil: never.
	stuck *atomic.Bool
}

// errStopping is conn's answer to a job that the relay's stop kept from
// beginning: it goes back to the queue untried.
var errStopping = errors.New("relay: stopping before the attempt began")

// halt is what ends the job's wait when the relay stops before the job
// has begun: stop, or nil (never) for a job that has begun.
func (st slotTurn) halt() <-chan struct{} {
	if st.begun == nil || st.begun.Load() {
		return nil
	}
	return st.stop
}

// giveUp reports whether the relay stops and the job has not begun, or
// the job is stuck.
func (st slotTurn) giveUp() bool {
	if st.stuck != nil && st.stuck.Load() {
		return true
	}
	select {
	case <-st.halt():
		return true
	default:
		return false
	}
}

// begin marks the job begun: it has a connection for its attempt.
func (st slotTurn) begin() {
	if st.begun != nil {
		st.begun.Store(true)
	}
}

// dial opens a new connection to addr on a slot of d that the caller has
// taken, and gives the slot back when it fails.
func (r *Relay) dial(ctx context.Context, p *path, d *dest, host, addr string) (*pooled, *client, error) {
	var rec *transcript
	if r.cfg.transcriptsOn() {
		rec = newTranscript(r.clock)
	} else {
		rec = newTranscript(nil) // records nothing
	}
	c, err := r.connect(ctx, p, host, addr, false, rec)
	if err != nil && p.cfg.TLS == "opportunistic" && p.cfg.Username == "" && asReply(err, "").Stage == "starttls" {
		// Opportunistic TLS that fails, in the handshake or by a refusal
		// of the STARTTLS command (454 4.7.0), falls back to plaintext on
		// a new connection, as MTAs do (RFC 3207 4.1 leaves it to us;
		// Postfix's "may" level does the same). Not on a path with a
		// password: connect refuses to send it without TLS, and says so.
		if c != nil {
			c.quit() // after a refused STARTTLS; a broken handshake is closed without a word
		}
		r.log.Info("relay: STARTTLS failed; sending in plaintext as the path allows", "path", p.cfg.Name, "host", host, "err", err)
		rec.note("STARTTLS failed; a new connection in plaintext, as tls: opportunistic allows")
		c, err = r.connect(ctx, p, host, addr, true, rec)
	}
	if err != nil {
		if c != nil {
			// RFC 5321 4.1.1.10: the client SHOULD send QUIT, also after
			// a refused EHLO, STARTTLS or AUTH.
			c.quit()
		} else {
			c = &client{rec: rec} // no connection, but a transcript that says why
		}
		d.release()
		return nil, c, err
	}
	return &pooled{c: c, d: d}, nil, nil
}

// waitSlot shows the recipients pending of j as waiting for one of cd's
// connection slots (max_connections), in the queue and on the message
// page, which had them "in flight", "sending now", for as long as other
// deliveries held every connection; the func it returns ends that.
func (r *Relay) waitSlot(cd *dest, p *path, j *job, pending []int) (done func()) {
	where := "destination " + cd.key
	if cd == p.conns {
		where = "the path's smarthost (path " + p.cfg.Name + " with destination: domain shares its connections among domains)"
	}
	text := fmt.Sprintf(waitPrefix+"a connection: all %d that max_connections allows to %s are in use by other deliveries; it goes out as soon as one is free, after the messages queued before it that wait too",
		cap(cd.sem), where)
	end := r.markWaiting(j, pending, text)
	return func() {
		if end() != nil {
			j.stuck.Store(true) // conn gives up (slotTurn.giveUp)
		}
	}
}

// connect dials addr and runs greeting, EHLO, STARTTLS and AUTH as the path
// says. On error the returned client (if any) is to be closed.
// plain skips STARTTLS. The conversation goes to rec.
func (r *Relay) connect(ctx context.Context, p *path, host, addr string, plain bool, rec *transcript) (*client, error) {
	dctx, cancel := context.WithTimeout(ctx, p.cfg.ConnectTimeout.D())
	defer cancel()
	dialer := r.dialer
	if dialer == nil {
		nd := &net.Dialer{}
		if p.cfg.Source != "" {
			nd.LocalAddr = &net.TCPAddr{IP: net.ParseIP(p.cfg.Source)}
		}
		dialer = nd
	}
	conn, err := dialer.DialContext(dctx, "tcp", addr)
	if err != nil {
		rec.note("connecting to %s failed: %v", addr, err)
		return nil, &stageError{"connect", err}
	}
	conn = r.live.track(conn)
	if host == addr {
		rec.note("connected to %s", addr)
	} else {
		rec.note("connected to %s (%s)", addr, host)
	}
	serverName := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		serverName = h
	}
	tcfg := r.tlsConfig(p, serverName)
	if p.cfg.TLS == "implicit" {
		first := &firstBytes{Conn: conn}
		tc := tls.Client(first, tcfg)
		setDeadline(tc, p.cfg.ConnectTimeout.D())
		if err := tc.HandshakeContext(dctx); err != nil {
			rec.note("TLS handshake failed: %v", err)
			// Stage tls: the handshake from the first byte, not STARTTLS.
			var rh tls.RecordHeaderError
			if errors.As(err, &rh) && rh.Conn != nil {
				// The record header is 5 bytes of the greeting ("220 m"):
				// quote its line, which names the server.
				said := first.line()
				conn.Close()
				return nil, &stageError{"tls", fmt.Errorf("implicit TLS handshake: the server answered in plaintext (%q), not with TLS: this port speaks plaintext SMTP: %w", said, err)}
			}
			conn.Close()
			return nil, caFileRefused(p, &stageError{"tls", fmt.Errorf("implicit TLS handshake: %w", err)})
		}
		st := tc.ConnectionState()
		rec.note("TLS handshake done: %s, %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
		conn = tc
	}
	c := newClient(conn, p.cfg.CommandTimeout.D(), p.cfg.DataTimeout.D(), rec)
	if err := c.greet(p.helo); err != nil {
		if rep := asReply(err, "greeting"); greeting5xx(rep) {
			switch {
			case p.cfg.Type == "mx" && rep.Code == codeNoMail:
				rec.note("a 521 greeting: this host does not accept mail at all (RFC 7504 3); the next MX host is tried, and the recipients are bounced if every MX host of the domain greets so, else deferred")
			case p.cfg.Type == "mx":
				rec.note("a 5xx greeting: this server will not talk to us (RFC 5321 3.1), which refuses the connection, not the message; the next MX host is tried, and the recipients are deferred if none takes them")
			default:
				rec.note("a 5xx greeting: the smarthost will not talk to us (RFC 5321 3.1), which refuses the connection, not the message; the recipients go to the route's next path, or are deferred to the next attempt")
			}
			c.quit() // RFC 5321 3.1: the server waits for our QUIT
		}
		return c, err
	}
	if c.loopsTo(r.cfg.Hostname) {
		// RFC 5321 6.3: a loop is a permanent failure; Postfix bounces it
		// at the first hop with 5.4.6 rather than after its hop count.
		rec.note("the server names itself %s, the relay's own hostname: the mail would loop back to this relay", r.cfg.Hostname)
		c.quit()
		return c, &replyError{Reply{Stage: "ehlo", Code: 554, Enhanced: "5.4.6", Local: true,
			Text: fmt.Sprintf("mail loops back to myself: the server %s names itself %s in its greeting or EHLO reply, which is this relay's own relay.hostname", host, r.cfg.Hostname)}}
	}
	if !plain && (p.cfg.TLS == "opportunistic" || p.cfg.TLS == "required") {
		if c.has("STARTTLS") {
			if err := c.startTLS(tcfg, p.helo); err != nil {
				err = caFileRefused(p, err)
				if p.cfg.Username != "" && p.cfg.TLS == "opportunistic" {
					return c, credentialsNeedTLS(err)
				}
				return c, err
			}
		} else if p.cfg.TLS == "required" {
			why := "the server does not offer STARTTLS and the path requires it (tls: required)"
			if p.cfg.Username != "" {
				// tls: opportunistic would not help: a path with a
				// password never falls back to plaintext (credentialsNeedTLS).
				why += "; the path has a password, which the relay sends only over TLS (RFC 4954 14), so tls: opportunistic would send nothing either"
			}
			return c, &stageError{"starttls", errors.New(why)}
		}
	}
	if p.cfg.Username != "" {
		if c.tls == nil {
			// RFC 4954 14, RFC 4616 6, RFC 3207 6: AUTH PLAIN and LOGIN
			// carry the password as it is, so never without TLS (tls: none
			// with credentials is refused in the configuration).
			err := credentialsNeedTLS(nil)
			rec.note("AUTH not sent: %v", err)
			return c, err
		}
		if !c.has("AUTH") {
			// RFC 4954 3: AUTH is only for a server that lists it in its
			// EHLO reply; sending it anyway gets a 5xx that would read as
			// a refused password.
			err := errors.New(authNotOffered(c))
			rec.note("AUTH not sent: %v", err)
			return c, &stageError{"auth", err}
		}
		if err := c.auth(p.cfg.Auth, p.cfg.Username, p.cfg.Password); err != nil {
			return c, err
		}
	}
	return c, nil
}

// authNotOffered says why the path's credentials were not sent, with the
// likeliest cause. The connection has TLS: without it the relay sends no
// credentials at all (credentialsNeedTLS).
func authNotOffered(c *client) string {
	return "the server does not offer AUTH on this connection (its EHLO reply lists no AUTH), so the path's credentials were not sent; check the path's port (a submission port, 587 or 465, usually offers AUTH; port 25 often does not) and that the server has AUTH enabled"
}

// credentialsNeedTLS is the failure of a tls: opportunistic path with a
// password whose STARTTLS failed (err; nil: the server offers no STARTTLS):
// no plaintext fallback, where AUTH would carry the password in the clear.
func credentialsNeedTLS(err error) error {
	const base = "the path has a password, and the relay sends it only over TLS (RFC 4954 14), so it does not fall back to plaintext as tls: opportunistic does for a path without one: "
	var why string
	var re *replyError
	switch {
	case err == nil:
		why = "the server does not offer STARTTLS"
	case errors.As(err, &re):
		why = "STARTTLS was refused with " + re.Reply.String()
	default:
		why = "STARTTLS failed: " + asReply(err, "starttls").Text
	}
	return &stageError{"starttls", errors.New(base + why + "; fix the server's TLS, or point the path at the server's implicit-TLS port (465) with tls: implicit, or remove username and password from the path if the server needs none")}
}

func (r *Relay) tlsConfig(p *path, serverName string) *tls.Config {
	var cfg *tls.Config
	if r.tlsBase != nil {
		cfg = r.tlsBase.Clone()
	} else {
		cfg = &tls.Config{}
	}
	cfg.ServerName = serverName
	cfg.InsecureSkipVerify = !p.cfg.Verify
	if p.roots != nil {
		cfg.RootCAs = p.roots
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

func has8bit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}

// portOf returns the port of a host:port, or 0.
func portOf(hostport string) int {
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

// firstBytes keeps the first bytes read from a connection: what a server
// that answered a TLS handshake in plaintext said (dial).
type firstBytes struct {
	net.Conn
	buf []byte
}

// firstLineMax bounds the plaintext quoted from a server.
const firstLineMax = 200

func (f *firstBytes) Read(p []byte) (int, error) {
	n, err := f.Conn.Read(p)
	if room := firstLineMax - len(f.buf); room > 0 {
		f.buf = append(f.buf, p[:min(n, room)]...)
	}
	return n, err
}

// line is the first line the server sent, reading on (within the
// connection's deadline, at most firstLineMax bytes) when the handshake
// stopped short of its end.
func (f *firstBytes) line() string {
	for !bytes.ContainsRune(f.buf, '\n') && len(f.buf) < firstLineMax {
		b := make([]byte, firstLineMax-len(f.buf))
		if _, err := f.Read(b); err != nil {
			break
		}
	}
	l, _, _ := bytes.Cut(f.buf, []byte("\n"))
	return string(bytes.TrimRight(l, "\r"))
}
