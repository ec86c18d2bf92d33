package relay

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// outcome is what is stored with a recipient's new state.
type outcome struct {
	path, host string
	reply      Reply
	verdict    Verdict
	attempts   int
}

// finishTx moves recipient c to a terminal state and appends ev, its one
// terminal event.
// The recipient must still be in flight or waiting: one deleted or
// finished meanwhile gets no second terminal event (errGone).
func (r *Relay) finishTx(tx *store.Tx, c claimed, state string, now time.Time, ev events.Event, o outcome) error {
	set, args := replyColumns(o.reply)
	res, err := tx.Exec(`UPDATE relay_recipients SET state = ?, due_ns = NULL, attempts = ?, path = ?, host = ?, `+set+`,
		category = ?, reason = ?, updated_ns = ? WHERE id = ? AND state IN ('queued', 'inflight', 'deferred')`,
		append(append([]any{state, max(o.attempts, c.attempts), o.path, o.host}, args...), o.verdict.Category, o.verdict.Reason,
			now.UnixNano(), c.id)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errGone
	}
	ev.Message, ev.Recipient, ev.Path, ev.Time = c.msgID, c.address, o.path, now
	_, err = tx.Append(ev)
	return err
}

// replyColumns is the SET clause, and its arguments, that stores rep as a
// recipient's outcome: a server's reply (or the relay's own failure)
// replaces its code, enhanced and reply, and ends any hold; a hold of the
// relay's shaping (stage shaping) goes to hold and keeps the last reply a
// server gave, which queue list and show print as the last reply.
func replyColumns(rep Reply) (string, []any) {
	if rep.Stage == "shaping" {
		return "hold = ?", []any{rep.Text}
	}
	return "code = ?, enhanced = ?, reply = ?, hold = ''", []any{rep.Code, rep.Enhanced, rep.Text}
}

// errGone marks a recipient deleted or finished while it was in flight.
var errGone = errors.New("relay: recipient no longer in the queue")

// record stores the outcome of one job in one transaction: an attempt
// event per exchange, then each recipient's new state and its event, the
// suppressions and the DSNs that follow. It is written with other jobs'
// outcomes (r.batch), and, when that batch fails, again alone: a batch is
// undone for all its jobs when one of them fails, and this job's outcome
// is lost only when its own write fails.
//
// A message's failures known at one time go to its sender in one DSN, as
// Postfix sends one bounce per message listing every recipient that
// failed in its delivery run (and its delays in one warning): the jobs
// one claim made of a message (a round, one per recipient domain) hand
// their failures and delay warnings to the last of them to end, which
// writes them with its own outcome and one DSN of each action. A failed
// recipient handed over stays in flight until then, so that a crash
// before it sends it again rather than losing its DSN; a delay warning
// handed over is of a deferral written now, which warnDelayed would find
// again.
//
// Once written, each recipient's outcome has its line in the log, as
// Postfix's maillog has: what became of it, where, after how long, and
// the reply.
func (r *Relay) record(ctx context.Context, j *job, msg messageRow, results []result, log []attempt) error {
	now := r.clock.Now()
	own := &recPart{j: j, msg: msg, results: results, log: log, now: now}
	w := recWrite{parts: []*recPart{own}, notify: true}
	stashed := false
	r.batch.handOver(j, func(rd *round, last bool) {
		if !last {
			fail, delayed := r.partNotes(own)
			if len(fail) > 0 {
				// The failures' attempts are written now, with the rest of
				// this job's outcome, so that the feed, the timeline and
				// the events show the reply at once; their final state and
				// DSN wait for the round.
				rd.parts = append(rd.parts, &recPart{j: j, msg: msg, results: results, log: log, now: now, only: fail, attemptsWritten: true})
				own.only = others(len(j.rcpts), fail)
				own.attemptsAlso = fail
			}
			rd.delayed = append(rd.delayed, delayed...)
			w.notify = false
			return
		}
		stashed = len(rd.parts) > 0 || len(rd.delayed) > 0 || len(rd.suppressed) > 0
		w.parts = append(rd.parts, own)
		w.delayed, w.suppressed = rd.delayed, rd.suppressed
	})
	if own.only != nil && len(own.only) == 0 && !w.notify && len(log) == 0 {
		return nil // every recipient failed, untried: the round's last job writes them
	}
	fn := r.writeTx(&w, now)
	err := r.batch.write(ctx, fn)
	if err != nil {
		if alone := r.store.Write(context.WithoutCancel(ctx), fn); alone != nil {
			// What other jobs handed over goes back to the queue with
			// this job's recipients (the caller requeues those).
			r.requeueHanded(ctx, msg.id, w.parts[:len(w.parts)-1], w.suppressed, whyRecord, alone)
			return errors.Join(err, alone)
		}
	}
	r.logSuppressed(w.suppressed, w.gone)
	for _, p := range w.parts {
		r.logOutcomes(p.j, p.msg, p.results, p.log, p.lines, p.now)
	}
	if stashed {
		r.kick() // a DSN for what the other jobs handed over
	}
	return nil
}

// recPart is a part of a job's outcome for record to write: the
// recipients only names (indexes into j.rcpts), or all when only is nil.
type recPart struct {
	j       *job
	msg     messageRow
	results []result
	log     []attempt
	now     time.Time
	only    map[int]bool
	lines   []outcomeLine // the outcomes written, for the log
	// attemptsAlso names recipients outside only whose attempt events
	// this part writes (a failure handed to its round, written at once);
	// attemptsWritten says another part wrote this part's.
	attemptsAlso    map[int]bool
	attemptsWritten bool
}

// has reports whether recipient i of the job is in p.
func (p *recPart) has(i int) bool { return p.only == nil || p.only[i] }

// rcpts are the recipients of p.
func (p *recPart) rcpts() []claimed {
	var out []claimed
	for i, c := range p.j.rcpts {
		if p.has(i) {
			out = append(out, c)
		}
	}
	return out
}

// others is the set of 0..n-1 not in set.
func others(n int, set map[int]bool) map[int]bool {
	out := make(map[int]bool, n-len(set))
	for i := range n {
		if !set[i] {
			out[i] = true
		}
	}
	return out
}

// recWrite is what one record writes in one transaction: parts of jobs'
// outcomes (its own last), and with notify the DSNs for them, for the
// delay warnings of deferrals other jobs wrote, and for the recipients a
// claim found suppressed.
type recWrite struct {
	parts      []*recPart
	notify     bool
	delayed    []dsnEntry
	suppressed []suppressedRcpt
	gone       map[int64]bool // suppressed recipients deleted meanwhile
	// msgID is the message, read for its DSNs when no part has it
	// (putBack: a round's last job, handed back untried).
	msgID string
}

// notes are the DSN entries of one transaction, by action.
type notes struct{ failed, delayed []dsnEntry }

// writeTx is the transaction of w, at now.
func (r *Relay) writeTx(w *recWrite, now time.Time) func(*store.Tx) error {
	return func(tx *store.Tx) error {
		var n notes
		w.gone = map[int64]bool{}
		for _, s := range w.suppressed {
			switch err := r.finishTx(tx, s.c, StateSuppressed, now, suppressedEvent(s.c, s.why), outcome{}); {
			case errors.Is(err, errGone):
				w.gone[s.c.id] = true // deleted by hand meanwhile
				continue
			case err != nil:
				return err
			}
			n.failed = append(n.failed, s.entry())
		}
		for _, p := range w.parts {
			if err := r.recordPartTx(tx, p, &n); err != nil {
				return err
			}
		}
		if !w.notify {
			return nil // the round's last job writes the DSNs
		}
		for _, e := range w.delayed {
			// Another job's deferral, written before or after this: not
			// warned of since (warnDelayed may have found it).
			var waiting int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM relay_recipients WHERE id = ? AND state IN ('inflight', 'deferred') AND warned = 0`, e.c.id).Scan(&waiting); err != nil {
				return err
			}
			if waiting == 1 {
				n.delayed = append(n.delayed, e)
			}
		}
		if len(n.failed) == 0 && len(n.delayed) == 0 {
			return nil
		}
		var msg messageRow
		if len(w.parts) > 0 {
			msg = w.parts[len(w.parts)-1].msg
		} else {
			m, err := loadMessageTx(tx, w.msgID)
			if err != nil {
				return err
			}
			msg = m
		}
		// In the order the recipients were given (RCPT TO), as the
		// jobs that recorded them ended in any order.
		byRow := func(a, b dsnEntry) int { return cmp.Compare(a.c.id, b.c.id) }
		slices.SortStableFunc(n.failed, byRow)
		slices.SortStableFunc(n.delayed, byRow)
		if len(n.failed) > 0 {
			if err := r.notifyTx(tx, msg, n.failed, false, now); err != nil {
				return err
			}
		}
		if len(n.delayed) > 0 {
			return r.notifyTx(tx, msg, n.delayed, true, now)
		}
		return nil
	}
}

// outcomeLine is what the log says of one recipient's outcome.
type outcomeLine struct {
	rcpt       int    // index into job.rcpts and results
	state      string // delivered, deferred, bounced or expired
	attempts   int
	category   string    // the verdict's (of the last attempt, for an expiry)
	next       time.Time // deferred: the next attempt
	suppressed bool      // the outcome put the address on the suppression list
	why        string    // expired: why the policy gave up
	// reason and advice of a deferral or a bounce, as its event says
	// them (a hold that ends after the expiry has its own).
	reason, advice string
	// dsnLost marks a DSN of the relay's own that bounced or expired:
	// the sender of the message it reports on is not told (lostDSN).
	dsnLost bool
}

// logOutcomes logs one line per recipient outcome of a job, once it is
// written, at info level as Postfix logs each delivery, bounce and
// deferral: the recipient, the message, the path and the server (name,
// address and port, as Postfix writes them), the attempts, the time since
// the message came, and the reply; and for a failure its category and
// enhanced code, the next attempt of a deferral, whether the address was
// suppressed, the reason and advice of a deferral or a bounce (why an
// expiry gave up, for an expiry), and the route's paths that failed
// before the last (failed_paths), each also warned of on a line of its
// own (logFailedPaths). It reads nothing from the store.
func (r *Relay) logOutcomes(j *job, msg messageRow, results []result, log []attempt, lines []outcomeLine, now time.Time) {
	defer r.logLostDSNs(j, results, lines) // after the outcome lines they warn of
	if len(lines) == 0 || !r.log.Enabled(context.Background(), slog.LevelWarn) {
		return
	}
	fails := make(map[int][]pathFailure, len(lines))
	for _, l := range lines {
		fails[l.rcpt] = r.failedPaths(l.rcpt, results[l.rcpt], log)
	}
	r.logFailedPaths(j, msg, lines, fails)
	if !r.log.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	last := make(map[int]attempt, len(j.rcpts)) // each recipient's last exchange
	for _, a := range log {
		last[a.rcpt] = a
	}
	for _, l := range lines {
		c, res := j.rcpts[l.rcpt], results[l.rcpt]
		args := []any{"to", c.address, "id", msg.id}
		if c.dsnFor != "" {
			args = append(args, "dsn_for", c.dsnFor)
		}
		if res.path != "" {
			args = append(args, "path", res.path)
		}
		if a, ok := last[l.rcpt]; ok && res.tried && a.host == res.host && a.host != "" {
			args = append(args, "host", hostLabel(a.host, a.addr))
		} else if res.tried && res.host != "" {
			args = append(args, "host", res.host)
		}
		args = append(args, "attempts", l.attempts, "delay", now.Sub(msg.created).Round(time.Millisecond), "reply", res.reply.String())
		if l.state != StateDelivered {
			args = append(args, "category", l.category)
			if res.reply.Enhanced != "" {
				args = append(args, "enhanced", res.reply.Enhanced)
			}
		}
		switch {
		case l.state == StateDeferred:
			args = append(args, "next_attempt", l.next.UTC().Format(time.RFC3339))
		case l.state == StateExpired:
			args = append(args, "reason", l.why)
		}
		if (l.state == StateDeferred || l.state == StateBounced) && l.reason != "" {
			// As the event and queue show say it: what the reply means
			// and what to do.
			args = append(args, "reason", l.reason)
			if l.advice != "" {
				args = append(args, "advice", l.advice)
			}
		}
		if l.suppressed {
			args = append(args, "suppressed", true)
		}
		if len(res.skipped) > 0 {
			// The paths of the route passed over, and why: a failover
			// says what it failed over from.
			args = append(args, "skipped", skipTexts(res.skipped))
		}
		if f := fails[l.rcpt]; len(f) > 0 {
			// The paths that failed before this one, in short (each has
			// its warning above, with the reason and advice).
			args = append(args, "failed_paths", failedPathsText(f))
		}
		r.log.Info("relay: "+l.state, args...)
	}
}

// pathFailure is a path of the route that failed a recipient in one
// attempt, which then went on to the route's next path: the last
// exchange it had there, and the verdict on it. Without it a broken
// primary hid behind its backup: the log, the deferral's reason and
// advice, and queue show named the backup alone.
type pathFailure struct {
	a attempt
	v Verdict
}

// failedPaths are the paths recipient i failed on in an attempt (the
// exchanges log) before the path of its outcome res, in the order tried.
func (r *Relay) failedPaths(i int, res result, log []attempt) []pathFailure {
	var out []pathFailure
	for _, a := range log {
		if a.rcpt != i || a.path == res.path || a.reply.Code/100 == 2 {
			continue
		}
		f := pathFailure{a: a, v: r.verdict(a.reply)}
		if n := len(out); n > 0 && out[n-1].a.path == a.path {
			out[n-1] = f // an MX path's next host: the last one's failure is the path's
			continue
		}
		out = append(out, f)
	}
	return out
}

// server names the server of f's exchange as the outcome line does.
func (f pathFailure) server() string {
	if f.a.addr != "" {
		return hostLabel(f.a.host, f.a.addr)
	}
	return f.a.host
}

// fix is what to change about f's path: the verdict's advice without
// the clauses about retrying, which the route's next path did at once.
func (f pathFailure) fix() string { return fixClauses(f.v.Advice, false) }

// failedPathsText is the outcome line's failed_paths: each path, its
// reply and category.
func failedPathsText(fs []pathFailure) string {
	out := make([]string, len(fs))
	for k, f := range fs {
		out[k] = "path " + f.a.path + ": " + f.a.reply.String() + " (" + f.v.Category + ")"
	}
	return strings.Join(out, "; ")
}

// pathsReason is what a deferral's reason adds for the route's paths fs
// that failed before the one it names: each with its reply and what
// that means.
func pathsReason(fs []pathFailure) string {
	if len(fs) == 0 {
		return ""
	}
	out := make([]string, len(fs))
	for k, f := range fs {
		why, _, _ := strings.Cut(f.v.Reason, ";")
		out[k] = "path " + f.a.path + " answered " + f.a.reply.String() + " (" + f.v.Category + ": " + why + ")"
	}
	what := "earlier path"
	if len(fs) > 1 {
		what += "s"
	}
	return "; before it, the route's " + what + " failed too: " + strings.Join(out, "; ")
}

// pathsAdvice is what an outcome's advice adds for the route's paths fs
// that failed before the last: what to fix on each.
func pathsAdvice(fs []pathFailure) string {
	var out []string
	for _, f := range fs {
		if fix := f.fix(); fix != "" {
			out = append(out, "for path "+f.a.path+": "+fix)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "; " + strings.Join(out, "; ")
}

// logFailedPaths warns, before the outcome lines, of each path that
// failed the recipients of lines in this attempt before the route's next
// path was tried (fails, by recipient), as Postfix logs each failed hop:
// one line per failed exchange, with the recipients it failed (several,
// when a connection or a greeting failed them all), the server, the
// reply, its category, reason and what to fix. A warning, not info: the
// next path may have delivered, and nothing else says the first is
// broken.
func (r *Relay) logFailedPaths(j *job, msg messageRow, lines []outcomeLine, fails map[int][]pathFailure) {
	type hop struct{ path, server, reply string }
	var order []hop
	to := map[hop][]string{}
	first := map[hop]pathFailure{}
	for _, l := range lines {
		for _, f := range fails[l.rcpt] {
			h := hop{f.a.path, f.server(), f.a.reply.String()}
			if _, ok := to[h]; !ok {
				order = append(order, h)
				first[h] = f
			}
			to[h] = append(to[h], j.rcpts[l.rcpt].address)
		}
	}
	for _, h := range order {
		f := first[h]
		args := []any{"to", strings.Join(to[h], ", "), "id", msg.id, "path", h.path}
		if len(to[h]) > 1 {
			args = append(args, "recipients", len(to[h]))
		}
		if h.server != "" {
			args = append(args, "host", h.server)
		}
		args = append(args, "reply", h.reply, "category", f.v.Category)
		if f.a.reply.Enhanced != "" {
			args = append(args, "enhanced", f.a.reply.Enhanced)
		}
		args = append(args, "reason", f.v.Reason)
		if fix := f.fix(); fix != "" {
			args = append(args, "advice", fix)
		}
		r.log.Warn("relay: path "+h.path+" failed; the attempt went on to the route's next path", args...)
	}
}

// deferralVerdict is the verdict that the deferral of recipient c, whose
// attempt ended in res, reports: the table's reason and advice for the
// reply's category, with what the table cannot know. A hold of a
// destination resting after a 421 to this message says so (the
// table's reason has "another message"); a hold of the relay's shaping
// that ends after the message expires says that it will expire unsent,
// and what to change (the table's advice, "nothing; it is sent when the
// window opens", would say the opposite); and the route's paths that
// failed before (fails) are named with what to fix on each.
func (r *Relay) deferralVerdict(c claimed, res result, msg messageRow, fails []pathFailure) Verdict {
	v := res.verdict
	if r.ownRest(c, res.reply) {
		v.Reason = strings.Replace(v.Reason, restOtherMessage, restThisMessage, 1)
	}
	if res.reply.Stage == "shaping" && !msg.expires.IsZero() && res.notBefore.After(msg.expires) {
		v.Reason = fmt.Sprintf("%s; the message expires at %s, before %s at %s, %s",
			v.Reason, msg.expires.UTC().Format(time.RFC3339), shapingOpens(res.reply), res.notBefore.UTC().Format(time.RFC3339), expiresUnsent)
		v.Advice = "to have it sent, " + shapingFix(res.reply) + ", or give the retry policy a longer max_age; otherwise it expires unsent and its sender gets a DSN"
	}
	v.Reason += pathsReason(fails)
	v.Advice += pathsAdvice(fails)
	return v
}

// The built-in table's reason for mail a resting destination holds says
// that the destination answered another message; restThisMessage is
// said instead when the reply that rested it answered this message.
const (
	restOtherMessage = "answered another message with"
	restThisMessage  = "answered an earlier attempt of this message with"
)

// ownRest reports whether rep, a hold of a resting destination, holds
// recipient c back for a reply that an attempt of c's own message got
// (at its greeting, or to c or another of its recipients): the cause of
// the rest, as the operator is told it (restCause.origin), ends naming
// the message.
func (r *Relay) ownRest(c claimed, rep Reply) bool {
	if rep.Stage != "shaping" {
		return false
	}
	m := restRE.FindStringSubmatch(rep.Text)
	if m == nil {
		return false
	}
	return strings.HasSuffix(r.destCause(m[1]).origin, "(message "+c.msgID+")")
}

// hostLabel names a server as Postfix's log does, name[address]:port,
// from a host (an MX name, or a path's host:port) and the address dialled.
func hostLabel(host, addr string) string {
	ip, port, err := net.SplitHostPort(addr)
	if err != nil {
		return host
	}
	name := hostName(host)
	if name == "" {
		name = ip
	}
	return name + "[" + ip + "]:" + port
}

// unrecordedRetry is how long after a failed record its recipients are
// due again (requeueUnrecorded).
const unrecordedRetry = time.Minute

// abandon ends job j, whose message could not be read, without an
// attempt. A message deleted since the claim (relaylab queue delete, the
// web UI) ends there; after any other failure the job's recipients go
// back to the queue as after a failed record (requeueUnrecorded), so that
// the running relay tries them again. Either way the job leaves its
// round: when it was the last of the round to end, what the others
// handed over, which waited for it, goes back to the queue too (it stayed
// in flight until the next start).
func (r *Relay) abandon(ctx context.Context, j *job, cause error) {
	var (
		parts []*recPart
		sup   []suppressedRcpt
	)
	r.batch.handOver(j, func(rd *round, last bool) {
		if last {
			parts, sup = rd.parts, rd.suppressed
		}
	})
	why := whyLoad
	if errors.Is(cause, ErrNotFound) {
		r.log.Info("relay: a claimed message was deleted before its attempt; nothing is sent", "id", j.msgID, "recipients", len(j.rcpts))
		why = whyDeleted
	} else {
		r.requeueRcpts(ctx, j.msgID, j.rcpts, why, cause)
	}
	r.requeueHanded(ctx, j.msgID, parts, sup, why, cause)
}

// requeueHanded puts back in the queue the recipients of parts and sup,
// of message id, that other jobs of a round handed over to the one that
// could not write them.
func (r *Relay) requeueHanded(ctx context.Context, id string, parts []*recPart, sup []suppressedRcpt, why string, cause error) {
	for _, p := range parts {
		r.requeueRcpts(ctx, p.j.msgID, p.rcpts(), why, cause)
	}
	if len(sup) > 0 {
		cs := make([]claimed, len(sup))
		for i, s := range sup {
			cs[i] = s.c
		}
		r.requeueRcpts(ctx, id, cs, why, cause)
	}
}

// What went wrong, for requeueRcpts's log line.
const (
	whyRecord  = "recording an attempt failed (the store refused the write: a full disk, a database locked by another program?), so nothing of it is kept"
	whyLoad    = "reading a claimed message failed (the store refused the read: a damaged database file, one locked by another program?), so it was not sent"
	whyDeleted = "a claimed message was deleted before its attempt"
)

// requeueUnrecorded puts the recipients of j, whose outcome record could
// not write, back in the queue, deferred until unrecordedRetry from now,
// so that the running relay tries them again; left in flight, they waited
// for the next start (recoverInflight). Nothing else is written: what
// refused the outcome may refuse an event too. As after a crash, a
// recipient the server had accepted is sent again (at-least-once).
func (r *Relay) requeueUnrecorded(ctx context.Context, j *job, cause error) {
	r.requeueRcpts(ctx, j.msgID, j.rcpts, whyRecord, cause)
}

// requeueRcpts is requeueUnrecorded for the recipients rcpts of message
// id: those still in flight; why says what went wrong, for the log.
func (r *Relay) requeueRcpts(ctx context.Context, id string, rcpts []claimed, why string, cause error) {
	now := r.clock.Now()
	due := now.Add(unrecordedRetry)
	var n int64
	err := r.store.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		n = 0
		for _, c := range rcpts {
			res, err := tx.Exec(`UPDATE relay_recipients SET state = ?, due_ns = ?, updated_ns = ? WHERE id = ? AND state = 'inflight'`,
				StateDeferred, due.UnixNano(), now.UnixNano(), c.id)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += k
		}
		return nil
	})
	switch {
	case err != nil:
		r.mu.Lock()
		if r.stranded == nil {
			r.stranded = map[int64]string{}
		}
		for _, c := range rcpts {
			r.stranded[c.id] = id
		}
		r.mu.Unlock()
		r.log.Error("relay: "+why+", and putting its recipients back in the queue failed too (the store refuses writes: a full disk, a database locked by another program?); they stay in flight, and the relay puts them back in the queue once the store takes writes again (it tries every "+unrecordedRetry.String()+"; a restart does it too)",
			"id", id, "recipients", len(rcpts), "err", cause, "requeue_err", err)
		r.kick() // the scheduler sets its timer for the next try
		return
	case n == 0:
		return // deleted meanwhile: nothing waits
	case why == whyRecord:
		r.log.Error("relay: "+why+"; its recipients are back in the queue, due again in "+unrecordedRetry.String()+", and one the server had accepted will be sent again",
			"id", id, "recipients", n, "due", due.UTC().Format(time.RFC3339), "err", cause)
	default:
		r.log.Error("relay: "+why+"; its recipients are back in the queue, due again in "+unrecordedRetry.String(),
			"id", id, "recipients", n, "due", due.UTC().Format(time.RFC3339), "err", cause)
	}
	r.kick()
}

// requeueStranded puts back in the queue, due now, the recipients a
// failed write left in flight (requeueRcpts), once the store takes
// writes again; until then they stay in r.stranded. Before, they stayed
// in flight until the relay's next start, where "queue retry" could not
// reach them, and the restart then sent again what the server had taken.
func (r *Relay) requeueStranded(ctx context.Context) {
	r.mu.Lock()
	ids := make(map[int64]string, len(r.stranded))
	for k, v := range r.stranded {
		ids[k] = v
	}
	r.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	now := r.clock.Now()
	var n int64
	err := r.store.Write(ctx, func(tx *store.Tx) error {
		n = 0
		for id := range ids {
			res, err := tx.Exec(`UPDATE relay_recipients SET state = ?, due_ns = ?, updated_ns = ? WHERE id = ? AND state = 'inflight'`,
				StateDeferred, now.UnixNano(), now.UnixNano(), id)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += k
		}
		return nil
	})
	if err != nil {
		return // still refused: the next pass tries again
	}
	r.mu.Lock()
	for id := range ids {
		delete(r.stranded, id)
	}
	r.mu.Unlock()
	if n > 0 {
		msgs := map[string]bool{}
		for _, m := range ids {
			msgs[m] = true
		}
		r.log.Warn("relay: the store takes writes again; recipients a failed write had left in flight are back in the queue, due now (one the server had accepted will be sent again)",
			"recipients", n, "messages", len(msgs))
	}
}

// recordPartTx writes part p of a job's outcome in tx, adding the DSN
// entries it calls for to dsns. The recipients' outcomes for the log go to
// p.lines, once it has run to its end (it may run twice: in a batch, then
// alone).
func (r *Relay) recordPartTx(tx *store.Tx, p *recPart, dsns *notes) error {
	j, msg, results, log, now := p.j, p.msg, p.results, p.log, p.now
	var out []outcomeLine
	gone := map[int]bool{}       // outcomes this part does not write
	noAttempts := map[int]bool{} // attempt events it does not write
	for i, c := range j.rcpts {
		if !p.has(i) {
			gone[i] = true // another part's
			noAttempts[i] = !p.attemptsAlso[i]
			continue
		}
		noAttempts[i] = p.attemptsWritten
		// A prepared statement that says whether the row is still ours.
		res, err := tx.Exec(`UPDATE relay_recipients SET updated_ns = ? WHERE id = ? AND state = 'inflight'`, now.UnixNano(), c.id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			gone[i], noAttempts[i] = true, true // deleted while in flight
		}
	}
	skipsOn, skipsLeft := skipsOf(j, results, log)
	fails := make([][]pathFailure, len(results))
	for i, res := range results {
		fails[i] = r.failedPaths(i, res, log)
	}
	for k, a := range log {
		if noAttempts[a.rcpt] {
			continue
		}
		c := j.rcpts[a.rcpt]
		pl := map[string]any{
			"attempt": c.attempts + 1, "route": j.route.name, "path": a.path, "host": a.host, "address": a.addr,
			"tls": a.tls, "cipher": a.cipher, "reply": a.reply, "latency_ms": float64(a.latency.Microseconds()) / 1000,
		}
		if a.transcript != "" {
			pl["transcript"] = a.transcript
		}
		if a.walkStopped != "" {
			pl["walk_stopped"] = a.walkStopped
		}
		if !a.restUntil.IsZero() {
			pl["rest"] = map[string]any{"destination": a.restKey, "until": a.restUntil.UTC()}
		}
		if s := skipsOn[k]; len(s) > 0 {
			pl["skipped"] = s // the paths of the route passed over before this one
		}
		if a.reply.Code/100 != 2 {
			// What the failure means and what to fix, as the outcome
			// says it: for a path that the route's next one covered,
			// this is all that says why it failed (queue show's hops).
			v := r.verdict(a.reply)
			pl["category"], pl["reason"] = v.Category, v.Reason
			if fix := fixClauses(v.Advice, false); fix != "" {
				pl["advice"] = fix
			}
		}
		if _, err := tx.Append(events.Event{Kind: events.RelayAttempt, Time: now, Message: c.msgID, Recipient: c.address, Path: a.path, Target: a.host}.WithPayload(withDSNFor(pl, c.dsnFor))); err != nil {
			return err
		}
	}
	for i := range p.attemptsAlso {
		// A failure handed to its round: its row shows the attempt and
		// the reply now, in flight until the round writes its end.
		c := j.rcpts[i]
		o, _ := outcomeOf(c, results[i])
		set, args := replyColumns(o.reply)
		if _, err := tx.Exec(`UPDATE relay_recipients SET attempts = ?, path = ?, host = ?, `+set+`, updated_ns = ? WHERE id = ? AND state = 'inflight'`,
			append(append([]any{max(o.attempts, c.attempts), o.path, o.host}, args...), now.UnixNano(), c.id)...); err != nil {
			return err
		}
	}
	for i, res := range results {
		if gone[i] {
			continue
		}
		c := j.rcpts[i]
		o, n := outcomeOf(c, res)
		payload := withDSNFor(map[string]any{"attempts": n, "route": j.route.name, "reply": res.reply, "host": res.host}, c.dsnFor)
		if !res.tried {
			// A hold, or a lookup that failed: no host was asked, and
			// the recipient's row keeps the host its last attempt reached.
			delete(payload, "host")
		}
		if s := skipsLeft[i]; len(s) > 0 {
			payload["skipped"] = s // passed over, and no later path was tried
		}
		switch {
		case res.delivered():
			if err := r.finishTx(tx, c, StateDelivered, now, events.Event{Kind: events.RelayDelivered}.WithPayload(payload), o); err != nil {
				return err
			}
			if err := r.resetSoftTx(tx, c.address); err != nil {
				return err
			}
			out = append(out, outcomeLine{rcpt: i, state: StateDelivered, attempts: n})
		case bounces(res):
			payload["category"], payload["reason"], payload["advice"] = res.verdict.Category, res.verdict.Reason, res.verdict.Advice
			if res.verdict.Disposition == Suppress && !r.cfg.Suppression.Disabled {
				if err := r.suppressTx(tx, c.address, res.verdict.Category, res.reply.String(), "bounce", now); err != nil {
					return err
				}
				payload["suppressed"] = true
				payload["suppression_reason"] = bounceSuppressionReason(res.verdict.Category, res.reply)
			}
			lostDSN(payload, c)
			if err := r.finishTx(tx, c, StateBounced, now, events.Event{Kind: events.RelayBounced}.WithPayload(payload), o); err != nil {
				return err
			}
			dsns.failed = append(dsns.failed, dsnEntry{c: c, o: o, at: now})
			out = append(out, outcomeLine{rcpt: i, state: StateBounced, attempts: n, category: res.verdict.Category, suppressed: payload["suppressed"] == true,
				reason: payload["reason"].(string), advice: res.verdict.Advice, dsnLost: c.dsnFor != ""})
		case r.givesUp(n, msg, now):
			payload["category"], payload["reason"], payload["advice"] = res.verdict.Category, res.verdict.Reason, res.verdict.Advice
			aged := !msg.expires.IsZero() && !now.Before(msg.expires)
			// The DSN reports what the last attempt met, with its
			// category; the row's category is "expired".
			last := o
			o.verdict.Category = "expired"
			payload["last_category"] = res.verdict.Category
			gaveUp := giveUpReason(r.policy, n, msg, now)
			var holds []HandHold
			if aged {
				// Held by hand for part of its lifetime (past it, even):
				// why it had so few attempts.
				var err error
				if holds, err = handHolds(tx.Query, c.msgID, c.address); err != nil {
					return err
				}
			}
			if len(holds) > 0 {
				gaveUp += "; " + handHoldReason(holds, msg.expires)
				payload["held_by_hand"] = holds
			}
			payload["reason"] = "the retry policy gave up: " + gaveUp
			var server *outcome
			if res.reply.Stage == "shaping" {
				var err error
				if server, err = lastServerReply(tx, c.msgID, dsnEntry{c: c}); err != nil {
					return err
				}
			}
			payload["advice"] = expiredAdvice(res.reply, res.verdict, server) + pathsAdvice(fails[i])
			if len(holds) > 0 {
				payload["advice"] = payload["advice"].(string) + "; the hold by hand took " + handHeldFor(holds).String() +
					" of its time in the queue, and the attempts it would have had then: submit it again if it should still go out"
			}
			var why string
			if counted, ok := r.softBounce(n, res, server); ok {
				var err error
				if why, err = r.softBounceTx(tx, c.address, counted, now); err != nil {
					return err
				}
			}
			if why != "" {
				payload["suppressed"] = true
				payload["suppression_reason"] = why
				payload["advice"] = payload["advice"].(string) + "; the address is now on the suppression list (suppression.soft_bounces): `relaylab suppress remove` takes it off, as does Remove beside it under Suppression list at the foot of the web UI's Queue page"
			}
			lostDSN(payload, c)
			if err := r.finishTx(tx, c, StateExpired, now, events.Event{Kind: events.RelayExpired}.WithPayload(payload), o); err != nil {
				return err
			}
			dsns.failed = append(dsns.failed, dsnEntry{c: c, o: last, expired: true, aged: aged, handHolds: holds, at: now})
			out = append(out, outcomeLine{rcpt: i, state: StateExpired, attempts: n, category: res.verdict.Category, why: gaveUp, suppressed: why != "", dsnLost: c.dsnFor != ""})
		default:
			payload["category"], payload["reason"], payload["advice"] = res.verdict.Category, res.verdict.Reason, res.verdict.Advice
			// The jitter key is the recipient and the message's arrival time,
			// not the random message id, so that a replay is reproducible.
			key := fmt.Sprintf("%s/%d", c.address, msg.created.UnixNano())
			due := now.Add(r.policy.Delay(key, max(n, 1), now.Sub(msg.created)))
			switch {
			case !res.attempted && res.reply.Stage == "shaping" && !res.notBefore.IsZero():
				// A hold of the relay's own shaping, with nothing sent
				// in this run: the recipient is due when the hold ends,
				// not after a retry delay, and no attempt is counted
				// (n). When an earlier path was tried, the retry
				// schedule's delay stands, or the hold's end if later.
				due = res.notBefore
			case res.notBefore.After(due):
				due = res.notBefore
			}
			if !msg.expires.IsZero() && due.After(msg.expires) {
				due = msg.expires // one last try at the end of the lifetime
			}
			// What this recipient met, which the table's words for its
			// category do not say: a hold that outlasts the message, the
			// route's earlier paths that failed. Its delay DSN says it too.
			v := r.deferralVerdict(c, res, msg, fails[i])
			payload["reason"], payload["advice"] = v.Reason, r.restAdvice(c, res, v)
			o.verdict = v
			set, args := replyColumns(res.reply)
			if _, err := tx.Exec(`UPDATE relay_recipients SET state = ?, due_ns = ?, attempts = ?, path = ?, host = CASE WHEN ? THEN ? ELSE host END, `+set+`,
				category = ?, reason = ?, updated_ns = ? WHERE id = ?`,
				append(append([]any{StateDeferred, due.UnixNano(), n, res.path, res.tried, res.host}, args...),
					res.verdict.Category, res.verdict.Reason, now.UnixNano(), c.id)...); err != nil {
				return err
			}
			payload["next_attempt"] = due.UTC()
			if _, err := tx.Append(events.Event{Kind: events.RelayDeferred, Time: now, Message: c.msgID, Recipient: c.address, Path: res.path}.WithPayload(payload)); err != nil {
				return err
			}
			reason, _ := payload["reason"].(string)
			advice, _ := payload["advice"].(string)
			out = append(out, outcomeLine{rcpt: i, state: StateDeferred, attempts: n, category: res.verdict.Category, next: due, reason: reason, advice: advice})
			if r.wantsDelayWarning(c, msg, now) {
				dsns.delayed = append(dsns.delayed, dsnEntry{c: c, o: o, until: msg.expires, at: now})
			} else if r.wantsDelayWarning(c, msg, msg.created.Add(r.cfg.DSN.DelayWarning.D())) {
				// Not yet: the scheduler wakes for it (warnDelayed).
				r.warns.note(msg.created.Add(r.cfg.DSN.DelayWarning.D()))
			}
		}
	}
	p.lines = out
	return nil
}

// outcomeOf is what a run's result res makes of recipient c: its
// outcome, and its number of attempts. A run counts as an attempt when
// any path of it asked a server, not only its last (a primary's 451, then
// a backup resting, is an attempt).
func outcomeOf(c claimed, res result) (outcome, int) {
	n := c.attempts
	if res.attempted {
		n++
	}
	return outcome{path: res.path, host: res.host, reply: res.reply, verdict: res.verdict, attempts: n}, n
}

// bounces reports whether res ends its recipient as bounced.
func bounces(res result) bool {
	return !res.delivered() && (res.verdict.Disposition == Bounce || res.verdict.Disposition == Suppress)
}

// givesUp reports whether the retry policy gives up on a recipient not
// delivered after n attempts, at now: its attempts are spent, or the
// message outlived its lifetime.
func (r *Relay) givesUp(n int, msg messageRow, now time.Time) bool {
	return r.policy.GiveUp(n) || !msg.expires.IsZero() && !now.Before(msg.expires)
}

// partNotes sorts the recipients of p by the DSN their outcome calls for,
// as recordPartTx will write it: fail, those that bounce or expire (a
// failure DSN); delayed, the delay warnings of those deferred.
func (r *Relay) partNotes(p *recPart) (fail map[int]bool, delayed []dsnEntry) {
	fail = map[int]bool{}
	for i, res := range p.results {
		c := p.j.rcpts[i]
		o, n := outcomeOf(c, res)
		switch {
		case res.delivered():
		case bounces(res) || r.givesUp(n, p.msg, p.now):
			fail[i] = true
		case r.wantsDelayWarning(c, p.msg, p.now):
			o.verdict = r.deferralVerdict(c, res, p.msg, r.failedPaths(i, res, p.log))
			delayed = append(delayed, dsnEntry{c: c, o: o, until: p.msg.expires, at: p.now})
		}
	}
	return fail, delayed
}

func giveUpReason(p Policy, n int, msg messageRow, now time.Time) string {
	if p.GiveUp(n) {
		return "the maximum number of attempts was reached"
	}
	return "the message is older than the maximum age (queued " + now.Sub(msg.created).Round(time.Second).String() + " ago)"
}

// expiredAdvice is the advice for a recipient the retry policy gave up
// on, from the verdict on its last attempt. That verdict's advice was
// written for a deferral ("nothing; it is retried"): the parts that speak
// of the next attempt are left out, and what is left (what to fix) comes
// before sending again.
//
// Mail the relay's own shaping held back (rep at stage shaping) was never
// sent: the advice is about that shaping, not the receiving side.
func expiredAdvice(rep Reply, v Verdict, server *outcome) string {
	if rep.Stage == "shaping" && (v.Category == "shaping" || v.Category == "destination-backoff") {
		what := "nothing was sent: the relay's own shaping held the message back"
		if server != nil {
			// Earlier attempts reached a server (whose 421 may have
			// started the hold): "nothing was sent" would be untrue.
			what = "the server " + hostName(server.host) + " last answered " + server.reply.String() + "; then the relay's own shaping held the message back"
		}
		return what + " until the retry policy gave up (" + rep.Text + "). To deliver the message: " +
			shapingFix(rep) + ", or give the retry policy a longer max_age, then send it again"
	}
	todo := fixOf(v.Advice)
	if todo == "" {
		todo = "find out from the receiving side's postmaster why it kept deferring"
	}
	return "the last reply says why: " + v.Reason + ". To deliver the message: " + todo +
		", then send it again; if the receiving side only needed longer, give the retry policy more time (its max_age or attempts)"
}

// fixOf is what a verdict's advice says to fix, for a recipient whose
// retrying is over or beside the point: the clauses that speak of the
// next attempt ("nothing; it is retried") are left out, and "if it
// recurs" is taken as said. "" when nothing is left.
func fixOf(advice string) string { return fixClauses(advice, true) }

// fixClauses is fixOf, which with recurred false keeps the conditions
// ("if it recurs, ..."): for one failure that may not recur, such as a
// path the route's next one covered.
func fixClauses(advice string, recurred bool) string {
	var fix []string
	for _, clause := range strings.FieldsFunc(strings.NewReplacer(". ", ";", "; ", ";").Replace(advice), func(r rune) bool { return r == ';' }) {
		clause = strings.TrimSpace(clause)
		lower := strings.ToLower(clause)
		if clause == "" || strings.HasPrefix(lower, "nothing") || strings.Contains(lower, "retried") || strings.Contains(lower, "retry policy gives up") ||
			strings.Contains(lower, "next attempt") || strings.Contains(lower, "is tried when") || strings.Contains(lower, "is sent when") {
			continue
		}
		for _, cond := range []string{"if it recurs, ", "if it persists, ", "if it happens often, "} {
			if recurred && strings.HasPrefix(lower, cond) {
				clause = clause[len(cond):] // it did: every attempt failed
			}
		}
		fix = append(fix, clause)
	}
	if len(fix) == 0 {
		return ""
	}
	todo := strings.Join(fix, "; ")
	return strings.ToLower(todo[:1]) + todo[1:]
}

// expiresUnsent ends the reason of a hold that ends after the message's
// lifetime.
const expiresUnsent = "so it will expire unsent unless the shaping changes"

// shapingHolds are the relay's own shaping replies, by a phrase of their
// text: what must happen before the message is sent, and what to change
// so that shaping holds back less. The last entry is for any other.
var shapingHolds = []struct{ phrase, opens, fix string }{
	{"warm-up cap", "the path's warm-up cap opens again", "raise the path's warmup cap or give the route another path"},
	{"sending windows", "the route's sending window opens", "widen the route's windows"},
	{"rests until", "the destination's rest ends", "shorten the path's backoff, or lower its rate or max_connections so that the destination answers with fewer 421s"},
	{"", "the relay's shaping lets it go", "relax the path's and route's shaping"},
}

// shapingHold is the entry of shapingHolds for rep.
func shapingHold(rep Reply) (opens, fix string) {
	for _, h := range shapingHolds {
		if strings.Contains(rep.Text, h.phrase) {
			return h.opens, h.fix
		}
	}
	return "", "" // not reached: the last phrase is in every text
}

// shapingOpens names what holds a message back in a shaping reply, as
// what must happen before it is sent.
func shapingOpens(rep Reply) string {
	opens, _ := shapingHold(rep)
	return opens
}

// shapingFix is what to change so that shaping holds back less.
func shapingFix(rep Reply) string {
	_, fix := shapingHold(rep)
	return fix
}

// wantsDelayWarning reports whether a delay DSN is due for c.
func (r *Relay) wantsDelayWarning(c claimed, msg messageRow, now time.Time) bool {
	w := r.cfg.DSN.DelayWarning.D()
	if w <= 0 || c.warned || r.cfg.DSN.Disabled || msg.isDSN || msg.sender == "" {
		return false
	}
	if now.Sub(msg.created) < w {
		return false
	}
	// RFC 3461 4.1: without NOTIFY the relay may send delay DSNs.
	return c.notify == "" || strings.Contains(c.notify, "DELAY")
}

// dsnEntry is one recipient of a DSN to write.
type dsnEntry struct {
	c       claimed
	o       outcome
	expired bool
	// aged: expired because the message outlived the policy's max_age
	// (not for its number of attempts).
	aged  bool
	until time.Time
	// suppressed: the suppression list stopped the recipient before any
	// attempt of this round (the relay's own 5.7.1, suppressedReply).
	suppressed bool
	// at is when its outcome was recorded: the Last-Attempt-Date of one
	// tried then (zero: the DSN's own time).
	at time.Time
	// server is the last reply a server gave the recipient, when its own
	// last reply is a hold of the relay's shaping (lastServerReply).
	server *outcome
	// handHolds are the holds by hand of a recipient expired (aged): the
	// time it was not tried.
	handHolds []HandHold
}
