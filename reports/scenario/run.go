package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/quiesce"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/reports"
	"github.com/relaylab/relaylab/sink"
	"github.com/relaylab/relaylab/sink/authcheck"
)

// ErrClockLimit is returned when a replay needs more virtual time than its
// clock.limit allows, with an Outcome of the record as it stood at the
// limit (Data), whose recipients the error names when they were not
// final, and Results: the expectations of final recipients judged, the
// others failed as not judged (reports.NotJudgedAtLimit).
var ErrClockLimit = errors.New("scenario: the clock limit was reached before every recipient was final")

// Options tune a replay.
type Options struct {
	// DB is the store to replay into; "" uses a fresh temporary file.
	DB     string
	Logger *slog.Logger
	// Progress, if set, is called after each jump of the clock.
	Progress func(final, total int, virtual time.Duration)
	// Settle is how long (wall time) the event log, the clock's timers
	// and the connections must stay still before the replay looks whether
	// the work is idle; default 2ms. It spares the looks while the work
	// runs; what the replay does does not depend on it (driver.idle).
	Settle time.Duration

	// sinkStarted, if set, is called once the sink runs, before the relay
	// starts, with the address the sink sends asynchronous bounces to.
	sinkStarted func(bounceRelay string)
}

// Outcome is what a replay produced.
type Outcome struct {
	Scenario *Scenario
	Data     *reports.Data
	Results  []reports.Result
	Virtual  time.Duration // virtual time from start to the last event
	Wall     time.Duration
	Jumps    int

	submitted int
}

// Passed reports whether every expectation held.
func (o *Outcome) Passed() bool {
	for _, r := range o.Results {
		if !r.Pass {
			return false
		}
	}
	return true
}

// idler is what the relay offers to tell that it waits for the clock, or
// for replies that only the clock will bring.
type idler interface{ IdleBut(waiting int) bool }

// sessions is what the sink offers to tell the connections it is not done
// with: from accepting one until it has taken the session's record, which
// it does after closing the socket (the record's end is the clock's time
// then).
type sessions interface{ OpenSessions() int }

// Run replays sc.
func Run(ctx context.Context, sc *Scenario, opts Options) (*Outcome, error) {
	wallStart := time.Now()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(discard{}, nil))
	}
	if opts.Settle <= 0 {
		opts.Settle = 2 * time.Millisecond
	}
	// Every scenario plays in a fresh store of its own, so that what
	// another left there (the sink's attempt counts and greylist, the
	// relay's suppressions) cannot change its outcome, and it is judged on
	// its own events alone. With opts.DB, its record is then appended to
	// that store, ids and all.
	dir, err := os.MkdirTemp("", "relaylab-replay-")
	if err != nil {
		return nil, err
	}
	kept := false
	defer func() {
		if !kept {
			os.RemoveAll(dir)
		}
	}()
	dbPath := filepath.Join(dir, "replay.db")
	var keep *store.Store
	var marks store.Marks
	if opts.DB != "" {
		if keep, err = store.Open(ctx, store.Options{Path: opts.DB, Logger: opts.Logger}); err != nil {
			return nil, err
		}
		defer keep.Close()
		if marks, err = keep.Marks(ctx); err != nil {
			return nil, err
		}
	}
	out, err := run(ctx, sc, opts, dbPath, marks)
	// A replay cut short by its clock.limit has a record too, and it is
	// the one a tester most wants to read (what still waited, and why).
	limited := errors.Is(err, ErrClockLimit) && out != nil
	if err != nil && !limited || keep == nil {
		return out, err
	}
	out.Wall = time.Since(wallStart)
	if ierr := keep.Import(ctx, dbPath, marks); ierr != nil {
		// The verdict stands; the record stays where it was made.
		kept = true
		return out, errors.Join(err, fmt.Errorf("%w %s: %v; this replay's own store is kept at %s", ErrNotRecorded, opts.DB, ierr, dbPath))
	}
	return out, err
}

// ErrNotRecorded is returned, with the outcome, when a replay finished but
// its record could not be added to Options.DB.
var ErrNotRecorded = errors.New("scenario: the replay finished, but its record could not be added to")

// run replays sc into a fresh store at dbPath whose ids start above marks.
func run(ctx context.Context, sc *Scenario, opts Options, dbPath string, marks store.Marks) (*Outcome, error) {
	wallStart := time.Now()
	start, _ := sc.start()
	vc := clock.NewVirtual(start)
	st, err := store.Open(ctx, store.Options{Path: dbPath, Sync: store.SyncOff, Clock: vc, Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := st.ReserveIDs(ctx, marks); err != nil {
		return nil, err
	}

	door, err := openBounceDoor()
	if err != nil {
		return nil, err
	}
	defer door.close() // last: after the relay and the sink are shut down
	sinkCfg := sc.Sink
	sinkCfg.Bounce.Relay = door.addr()
	// The scenario's zone is the whole DNS of the replay: what its mx
	// paths and its sink's checks (sink.verify) ask.
	var zone *dnstest.Server
	if sc.DNS.Zone != "" || sc.mxPath() >= 0 || sc.Sink.Verify.Enabled {
		if zone, err = sc.serveZone(); err != nil {
			return nil, fmt.Errorf("serving the scenario's dns.zone: %w", err)
		}
		defer zone.Close()
	}
	var verifier sink.Verifier
	if sinkCfg.Verify.Enabled {
		sinkCfg.Verify.Resolvers = []string{zone.Addr} // Validate refuses resolvers of the file's own
		verifier = authcheck.New(sinkCfg.Verify, opts.Logger.With("component", "sink"))
	}
	// The relay's connections to the sink are tracked, so that the clock
	// moves on while both wait on it (a sink that delays, tarpits or
	// hangs) and their deadlines run on it.
	wire := quiesce.New(vc)
	sk, err := sink.New(sinkCfg, sink.Options{Store: st, Clock: vc, Logger: opts.Logger.With("component", "sink"), Seed: sc.Seed, Verifier: verifier,
		Wrap: func(c net.Conn) net.Conn { return wire.Wrap(c, quiesce.Server) }})
	if err != nil {
		return nil, err
	}
	if err := sk.Start(ctx); err != nil {
		return nil, err
	}
	defer shutdown(sk.Shutdown)
	if opts.sinkStarted != nil {
		opts.sinkStarted(door.addr())
	}
	relayCfg, err := sc.Relay.WithSinkAddrs(sk.HostPorts(), sc.Sink.Listeners[0].Name)
	if err != nil {
		return nil, err
	}
	relayCfg.Listen, relayCfg.TLSListen = "127.0.0.1:0", ""
	ropts := relay.Options{Store: st, Clock: vc, Logger: opts.Logger.With("component", "relay"), Seed: sc.Seed, Ordered: true}
	// Without an mx path the relay reaches the sink's listeners and
	// nothing else.
	var dialer relay.Dialer = newSinkDialer(sk.HostPorts())
	if sc.mxPath() >= 0 {
		res, d, err := sc.mxDNS(zone.Addr, sk.HostPorts(), sc.Sink.Listeners[0].Name)
		if err != nil {
			return nil, fmt.Errorf("asking the scenario's dns.zone: %w", err)
		}
		ropts.Resolver, dialer = res, d
	}
	ropts.Dialer = trackedDialer{dialer, wire}
	rl, err := relay.New(relayCfg, ropts)
	if err != nil {
		return nil, err
	}
	if err := rl.Start(ctx); err != nil {
		return nil, err
	}
	defer shutdown(rl.Shutdown)
	door.serve(rl.Addr().String())

	subs := sc.submissions(start)
	total := 0
	for _, s := range subs {
		total += len(s.sub.Recipients)
	}
	d := &driver{st: st, vc: vc, wire: wire, settle: opts.Settle, relay: rl, sink: sk}
	out := &Outcome{Scenario: sc}
	deadline := start.Add(sc.limit())
	// The relay's first pass over its (empty) queue ends before the first
	// submission, which it could otherwise claim alone.
	if err := d.waitIdle(ctx); err != nil {
		return nil, err
	}
	var limited error // the clock limit, reached before every recipient was final
	for {
		// Submit, in order, what is due now; the driver itself submits, so
		// that no submission can be in between when the work looks idle.
		// What is due at one instant goes in together, so that the relay
		// plans it in one pass on every run (relay.EnqueueAll).
		due := out.submitted
		for due < len(subs) && !subs[due].at.After(vc.Now()) {
			due++
		}
		if due > out.submitted {
			batch := make([]relay.Submission, 0, due-out.submitted)
			for _, s := range subs[out.submitted:due] {
				batch = append(batch, s.sub)
			}
			ids, err := rl.EnqueueAll(ctx, batch)
			for i, id := range ids {
				subs[out.submitted+i].id = id
			}
			if err != nil {
				return nil, fmt.Errorf("submitting message %d of the scenario: %w", subs[out.submitted+len(ids)].seq, err)
			}
			out.submitted = due
		}
		if err := d.waitIdle(ctx); err != nil {
			return nil, err
		}
		final, err := d.finalCount(ctx, subs[:out.submitted])
		if err != nil {
			return nil, err
		}
		if opts.Progress != nil {
			opts.Progress(final, total, vc.Now().Sub(start))
		}
		next, ok := vc.Next()
		submit := out.submitted < len(subs) && (!ok || subs[out.submitted].at.Before(next))
		if submit {
			next, ok = subs[out.submitted].at, true
		}
		if !ok {
			break // nothing is waiting for time: the replay is over
		}
		if next.After(deadline) {
			if final < total || out.submitted < len(subs) {
				limited = fmt.Errorf("%w: %d of %d recipients final after %s (raise clock.limit or shorten the retry policy)",
					ErrClockLimit, final, total, sc.limit())
			}
			break // only timers beyond the limit remain, and everything is final
		}
		if submit {
			vc.AdvanceTo(next) // before any timer: none fires
		} else {
			// One timer at a time, the work settling in between: timers
			// due at one instant (a sink's delay and the relay's timeout
			// of the same length) act in the order they were set, the
			// same on every run.
			vc.FireNext()
		}
		out.Jumps++
	}
	peaks := sk.PeakConnections()
	if err := shutdown(rl.Shutdown); err != nil {
		opts.Logger.Warn("replay: relay shutdown", "err", err)
	}
	if err := shutdown(sk.Shutdown); err != nil {
		opts.Logger.Warn("replay: sink shutdown", "err", err)
	}
	data, err := reports.Load(ctx, st)
	if err != nil {
		return nil, err
	}
	// The sink's own record has each recipient's note on its address,
	// which its reply after the final dot folds into "and N more".
	atts, err := sink.AllAttempts(ctx, st.DB())
	if err != nil {
		return nil, err
	}
	notes := make([]reports.SinkAttempt, 0, len(atts))
	for _, a := range atts {
		notes = append(notes, reports.SinkAttempt{Recipient: a.Recipient, Text: a.Reply.Text})
	}
	data.AddSinkNotes(notes)
	// The summary counts every reply the sink gave (sink_replies), as a
	// report on the replay's store does, not the refusals alone.
	if err := data.AddSinkRecord(ctx, sinkRecord{db: st.DB(), atts: atts}); err != nil {
		return nil, err
	}
	// With sink.verify, the sink's record has its SPF, DKIM and DMARC
	// results for each message it checked, named by Message-ID: each
	// attempt shows those of the message it left.
	ids := make(map[string]string, len(subs))
	for _, s := range subs {
		if mid := messageIDOf(s.sub.Data); mid != "" && s.id != "" {
			ids[s.id] = mid
		}
	}
	data.AddSinkAuth(ids)
	normalize(data, subs)
	out.Data = data
	out.Virtual = data.Last.Sub(start)
	out.Results = reports.Evaluate(data, sc.Expect)
	if limit := sc.Expect.Aggregate.MaxConcurrentPerDestination; limit != nil {
		r := concurrencyResult(*limit, peaks)
		r.File, r.Line = sc.Expect.AggregateAt("max_concurrent_per_destination")
		out.Results = append(out.Results, r)
	}
	out.Wall = time.Since(wallStart)
	if limited != nil {
		// The record as it stood at the limit: the expectations of
		// recipients that were final are judged, the others fail as not
		// judged, and the error says what was not final.
		why := fmt.Sprintf("the replay stopped at its clock.limit, %s, before the recipients it asks of were final: raise clock.limit, or shorten the retry policy (relay.retry)", sc.limit())
		out.Results = reports.NotJudgedAtLimit(out.Results, data, sc.Expect, why)
		return out, fmt.Errorf("%w%s", limited, sc.unfinished(data, len(subs)-out.submitted))
	}
	return out, nil
}

// shownUnfinished is how many recipients the clock limit's error names
// before "and N more".
const shownUnfinished = 5

// unfinished says, after the clock limit's error, what was not final when
// the replay stopped at it: the scenario's recipients that were not (with
// their status and last reply), the messages not yet submitted, and a
// max_age beyond the limit, before which no recipient can expire.
func (sc *Scenario) unfinished(d *reports.Data, unsubmitted int) string {
	var open []*reports.Recipient
	for _, r := range d.Recipients {
		if !r.Final() && strings.HasPrefix(r.Message, "msg-") { // not the relay's DSNs, which the count leaves out
			open = append(open, r)
		}
	}
	var b strings.Builder
	if len(open) > 0 {
		b.WriteString("; not final: " + reports.RecipientStates(open, shownUnfinished))
	}
	switch {
	case unsubmitted == 1:
		b.WriteString("; 1 of the scenario's messages was not submitted yet")
	case unsubmitted > 1:
		fmt.Fprintf(&b, "; %d of the scenario's messages were not submitted yet", unsubmitted)
	}
	rp := sc.Relay.Retry.Resolved()
	if limit := sc.limit(); len(open) > 0 && rp.MaxAge.D() > limit {
		fmt.Fprintf(&b, "; the retry policy gives a recipient up (expired) only at its max_age, %s, beyond the limit", rp.MaxAge)
	}
	return b.String()
}

// submission is one message at its virtual time.
type submission struct {
	at   time.Time
	seq  int
	spec MessageSpec
	n    int // the message's number in its spec's count, for {n}
	sub  relay.Submission
	id   string // the relay's id, once queued
}

// submissions expands the scenario's message specs, in submission order
// (submitOrder).
func (sc *Scenario) submissions(start time.Time) []*submission {
	order := sc.submitOrder()
	out := make([]*submission, 0, len(order))
	for i, o := range order {
		m := sc.Messages[o.spec]
		s := &submission{at: start.Add(o.at), seq: i + 1, spec: m, n: o.n}
		s.sub = relay.Submission{From: expandN(m.From, o.n), EnvID: m.EnvID, Ret: m.Ret, Client: "scenario"}
		for _, to := range m.To {
			s.sub.Recipients = append(s.sub.Recipients, relay.Recipient{Address: expandN(to, o.n), Notify: m.Notify})
		}
		s.sub.Data = buildMessage(sc.Name, m, o.n, s.at, s.seq)
		out = append(out, s)
	}
	return out
}

// trackedDialer tracks each connection the relay opens.
type trackedDialer struct {
	d    relay.Dialer
	wire *quiesce.Tracker
}

func (t trackedDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := t.d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return t.wire.Wrap(c, quiesce.Client), nil
}

// driver decides when the work is idle.
type driver struct {
	st     *store.Store
	vc     *clock.Virtual
	wire   *quiesce.Tracker
	settle time.Duration
	relay  any
	sink   sessions // nil: no sink to ask
}

// waitIdle returns once the relay says it waits for the clock (or for
// replies from a sink that waits on it), every connection between them
// waits with nothing on the way, the sink has finished with every
// connection it closed, no timer's callback runs, and neither the event
// log, the clock's timers nor the connections changed for the settle time
// nor while it looked (idle).
func (d *driver) waitIdle(ctx context.Context) error {
	q, _ := d.relay.(idler)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		last, logChanged := d.st.Changes()
		clk := d.vc.Changed()
		gen := d.wire.Gen()
		t := time.NewTimer(d.settle)
		select {
		case <-logChanged:
			t.Stop()
			continue
		case <-clk:
			t.Stop()
			continue
		case <-t.C:
		}
		if d.idle(q, last, clk, gen) {
			return nil
		}
	}
}

// idle looks once at the work, which stood at last in the event log, clk
// on the clock and gen on the connections when the settle began: it
// reports whether every party waits for the clock and nothing moved since.
//
// Work passes from one party to the next: from a timer's callback to a
// connection (a sleep or a deadline it ends) or to the relay (a bounce it
// submits), from a connection to the relay's job that reads it, from the
// sink's end of a connection to the record of its session. The parties
// are asked in that order, where work comes from before where it goes,
// and the clock, the connections and the log again at the end, so that
// work that passes on between two questions shows in the later one or as
// a change, never in neither. Callbacks come first: only the driver
// starts one (FireNext), so once none runs none starts, and what the last
// one did is in place. None of this rests on the settle's wall time.
func (d *driver) idle(q idler, last int64, clk <-chan struct{}, gen uint64) bool {
	if d.vc.Running() > 0 {
		return false // a timer's callback (a wake-up, an asynchronous bounce) is at work
	}
	if now, _ := d.st.Changes(); now != last {
		return false
	}
	readers, now, quiet := d.wire.Quiet()
	if !quiet || now != gen {
		return false
	}
	if d.sink != nil && d.sink.OpenSessions() > d.wire.Open(quiesce.Server) {
		return false // a connection closed, its session not yet recorded
	}
	if q != nil && !q.IdleBut(readers) {
		return false
	}
	select {
	case <-clk:
		return false // a timer set or stopped while it looked
	default:
	}
	if d.wire.Gen() != gen {
		return false
	}
	end, _ := d.st.Changes()
	return end == last
}

// finalCount is the number of the scenario's recipients (those of subs)
// with a terminal event; the DSNs the relay writes, and the sink's late
// bounces that it relays on to a message's sender, are not counted, as
// the total (the recipients submitted) does not hold them.
func (d *driver) finalCount(ctx context.Context, subs []*submission) (int, error) {
	if len(subs) == 0 {
		return 0, nil
	}
	// The ids go as one JSON array: one SQL variable each would pass
	// SQLite's limit (32,766) in a scenario of as many messages.
	ids := make([]string, 0, len(subs))
	for _, s := range subs {
		ids = append(ids, s.id)
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return 0, err
	}
	var n int
	err = d.st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT DISTINCT e.message, e.recipient FROM events e
		WHERE e.kind IN (?, ?, ?, ?) AND e.message IN (SELECT value FROM json_each(?)))`,
		events.RelayDelivered, events.RelayBounced, events.RelayExpired, events.RelaySuppressed, string(list)).Scan(&n)
	return n, err
}

// normalize replaces the relay's random message ids by the scenario's
// submission numbers and the sink's ports out of the hosts, so that the
// same scenario and seed give the same report byte for byte. Latencies
// stay: they are on the virtual clock, which the wire's work does not
// move.
func normalize(d *reports.Data, subs []*submission) {
	names := map[string]string{}
	for _, s := range subs {
		names[s.id] = fmt.Sprintf("msg-%d", s.seq)
	}
	// Messages the relay made itself (DSNs) are named in the order they
	// were queued.
	var made []*reports.Recipient
	for _, r := range d.Recipients {
		if _, ok := names[r.Message]; !ok {
			made = append(made, r)
		}
	}
	sort.SliceStable(made, func(i, j int) bool {
		if !made[i].Queued.Equal(made[j].Queued) {
			return made[i].Queued.Before(made[j].Queued)
		}
		return made[i].Address < made[j].Address
	})
	for _, r := range made {
		if _, ok := names[r.Message]; !ok {
			names[r.Message] = fmt.Sprintf("relay-%d", len(names)-len(subs)+1)
		}
	}
	// A hold, and the reason and advice it gave a recipient, name the
	// message whose 421 rested its destination; every text the report
	// carries is rewritten, wherever an id turns up.
	pairs := make([]string, 0, 2*len(names))
	for id, name := range names {
		if id != "" {
			pairs = append(pairs, id, name)
		}
	}
	ids := strings.NewReplacer(pairs...)
	for _, r := range d.Recipients {
		r.Message, r.ScenarioMessage, r.Scenario = names[r.Message], "", "" // the verdicts' Message is the scenario's name already, and they name the scenario
		r.Reason, r.Advice = ids.Replace(r.Reason), ids.Replace(r.Advice)
		if r.DSNMessage != "" {
			r.DSNMessage = names[r.DSNMessage]
		}
		r.DSNUndelivered = ids.Replace(r.DSNUndelivered)
		for i := range r.Attempts {
			a := &r.Attempts[i]
			a.Host = reports.ReplayHost(a.Host)
			a.Text, a.Error, a.WalkStopped = ids.Replace(a.Text), ids.Replace(a.Error), ids.Replace(a.WalkStopped)
		}
		for i := range r.Holds {
			r.Holds[i].Text = ids.Replace(r.Holds[i].Text)
		}
		if b := r.LateBounce; b != nil {
			b.Text = ids.Replace(b.Text)
		}
	}
	sort.SliceStable(d.Recipients, func(i, j int) bool {
		a, b := d.Recipients[i], d.Recipients[j]
		if !a.Queued.Equal(b.Queued) {
			return a.Queued.Before(b.Queued)
		}
		if a.Message != b.Message {
			return a.Message < b.Message
		}
		return a.Address < b.Address
	})
}

// messageIDOf is the Message-ID field of a message's header, without its
// angle brackets, as the sink's record names the message; "" without one.
func messageIDOf(data []byte) string {
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	for _, line := range strings.Split(string(head), "\r\n") {
		name, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(name, "Message-ID") {
			return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(v), "<"), ">")
		}
	}
	return ""
}

// buildMessage is the message of spec m's n-th copy, the seq-th the
// scenario named name submits at at. Its Message-ID carries the name the
// replay's verdicts give it ("msg-3", see reports.ScenarioMessage) and
// the scenario's, so that a report on the replay's store (replay --db)
// names it alike, and tells it from another scenario's msg-3 there.
func buildMessage(name string, m MessageSpec, n int, at time.Time, seq int) []byte {
	var b strings.Builder
	subject := m.Subject
	if subject == "" {
		subject = "relaylab scenario message {n}"
	}
	subject = strings.ReplaceAll(subject, "{n}", strconv.Itoa(n))
	from := expandN(m.From, n)
	if from == "" {
		from = "MAILER-DAEMON@relaylab.test"
	}
	fmt.Fprintf(&b, "From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n",
		from, expandN(m.To[0], n), subject, at.Format(time.RFC1123Z), reports.ScenarioMessageID(name, seq, at.UnixNano()))
	keys := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\r\n", k, m.Headers[k])
	}
	b.WriteString("\r\n")
	body := m.Body
	if body == "" {
		body = "This message was sent by a relaylab scenario."
	}
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	b.WriteString("\r\n")
	for int64(b.Len()) < int64(m.Size) {
		b.WriteString("relaylab padding line to reach the scenario's message size.........\r\n")
	}
	return []byte(b.String())
}

func shutdown(f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return f(ctx)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// concurrencyResult checks the most connections the relay held open at once
// to each sink listener (a destination of the scenario).
func concurrencyResult(limit int, peaks map[string]int64) reports.Result {
	r := reports.Result{Name: "aggregate max_concurrent_per_destination", Pass: true}
	names := make([]string, 0, len(peaks))
	for n := range peaks {
		names = append(names, n)
	}
	sort.Strings(names)
	var over []string
	for _, n := range names {
		if p := peaks[n]; p > int64(limit) {
			noun := "connections"
			if p == 1 {
				noun = "connection"
			}
			over = append(over, fmt.Sprintf("%s had %d %s open at once", n, p, noun))
		}
	}
	if len(over) > 0 {
		r.Pass = false
		noun := "connections"
		if limit == 1 {
			noun = "connection"
		}
		r.Message = fmt.Sprintf("expected at most %d concurrent %s per destination: %s", limit, noun, strings.Join(over, ", "))
		if limit == 0 {
			// 0 is no connection at all, not "no limit".
			r.Message += " (0 allows no connection at all; leave max_concurrent_per_destination out for no limit)"
		}
	}
	return r
}
