package sink

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/store"
)

// sweepEvery is how often, on the sink's clock, a session's start lets
// the sink sweep its state (Sink.sweep). A sink with no sessions grows
// nothing, and sweeps at its next one. Each sweep begins an epoch of the
// counts (state.epoch).
const sweepEvery = time.Minute

// greyDeleteBatch is the most expired greylist rows one store write
// deletes, so that the sweep holds the one writer for moments only.
const greyDeleteBatch = 500

// maybeSweep starts a sweep in the background when the last one is
// sweepEvery ago or more: a look at the clock and an atomic per session.
func (s *Sink) maybeSweep() {
	now := s.clock.Now().UnixNano()
	last := s.sweptAt.Load()
	if now-last < int64(sweepEvery) || !s.sweptAt.CompareAndSwap(last, now) {
		return
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	s.sweeps.Add(1) // under mu, before Shutdown's Wait
	s.mu.Unlock()
	go func() {
		defer s.sweeps.Done()
		if err := s.sweep(s.hardCtx); err != nil && s.hardCtx.Err() == nil {
			s.log.Warn("sink: sweeping the attempt counters and greylist failed; the next sweep tries again", "err", err)
		}
	}()
}

// sweep lets go of what the sink remembers and no longer needs, so that
// its memory follows what the store keeps, not how long it has run:
//
//   - greylist entries past their retry window, or past keep_passed since
//     their last delivery, in memory and in the store. The greylisting
//     would take them for new triples anyway (state.greylist), so nothing
//     a client sees changes.
//   - after the store lost sink rows (a prune, store.keep, a deleted
//     message: storeMark), the attempt counters that no session uses now
//     are made what a restart would read from the store (reconcile): those
//     whose attempts were all pruned go, as they would at a restart.
//
// One runs at a time.
func (s *Sink) sweep(ctx context.Context) error {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	// Counts from now on are of a new epoch: a counter of an earlier one
	// than every open session's was counted by sessions that have ended.
	epoch := s.state.epoch.Add(1)
	grey, err := s.sweepGrey(ctx)
	if err != nil {
		return err
	}
	mark, err := storeMark(ctx, s.store)
	if err != nil {
		return err
	}
	var pairs, msgs int
	if old := s.mark; old.deletedSince(mark) {
		if pairs, msgs, err = s.reconcile(ctx, epoch); err != nil {
			return err
		}
	}
	s.mark = mark
	if grey+pairs+msgs > 0 {
		s.log.Info("sink: forgot expired greylist entries and the attempt counters whose rows are gone", "greylist_expired", grey, "pairs", pairs, "message_ids", msgs)
	}
	return nil
}

// sweepGrey forgets the greylist entries that have expired at the clock's
// now, and deletes their rows; it returns how many it forgot.
func (s *Sink) sweepGrey(ctx context.Context) (int, error) {
	now := s.clock.Now().UnixNano()
	var rules *greyWindows // worked out once, for the first entry that needs them
	var dead []greyUpdate
	st := s.state
	st.mu.Lock()
	for k, e := range st.grey {
		if e.expires == 0 {
			if rules == nil {
				w := s.ruleGreyWindows()
				rules = &w
			}
			e.expires = s.greyWindowsFor(*rules, k).expiry(e)
			st.grey[k] = e
		}
		if now > e.expires {
			delete(st.grey, k)
			dead = append(dead, greyUpdate{k, e})
		}
	}
	st.grey = compact(st.grey, len(dead))
	st.mu.Unlock()
	n := len(dead)
	for len(dead) > 0 {
		batch := dead[:min(len(dead), greyDeleteBatch)]
		dead = dead[len(batch):]
		err := s.store.Write(ctx, func(tx *store.Tx) error {
			for _, g := range batch {
				// Not a row a session wrote since with a later time: the
				// entry it has in memory then is a new one.
				if _, err := tx.Exec(`DELETE FROM sink_greylist WHERE key = ? AND max(first_ns, passed_ns) <= ?`, g.key, max(g.first, g.passed)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("deleting expired greylist entries: %w", err)
		}
	}
	return n, nil
}

// greyWindows are a greylisting's retry window and keep_passed.
type greyWindows struct{ retry, keep time.Duration }

func (w *greyWindows) widen(g *Greylist) {
	if g != nil {
		w.retry, w.keep = max(w.retry, g.Expiry), max(w.keep, g.KeepPassed)
	}
}

// expiry is when e stops mattering under w.
func (w greyWindows) expiry(e greyEntry) int64 {
	if e.passed != 0 {
		return e.passed + int64(w.keep)
	}
	return e.first + int64(w.retry)
}

// ruleGreyWindows are the longest windows of the greylisting of the rules
// in force.
func (s *Sink) ruleGreyWindows() greyWindows {
	var w greyWindows
	for _, r := range *s.rules.Load() {
		w.widen(r.behavior.Greylist)
	}
	return w
}

// greyWindowsFor are the windows an entry read from the store is kept
// for: nothing says which greylisting made it, so the longest of those
// that could have: the rules' (rules), the profile of its recipient's
// domain, and the greylist directive in its recipient; the defaults when
// none greylists. k is the entry's key (client, sender, recipient).
func (s *Sink) greyWindowsFor(rules greyWindows, k string) greyWindows {
	w := rules
	rcpt := k[strings.LastIndexByte(k, 0)+1:] // in lower case, its domain as A-labels (pairKey)
	// forDomain finds a profile whose domains are written in UTF-8
	// (bücher.test) for this A-label key too.
	if p := s.profiles.Load().forDomain(domainOf(rcpt)); p != nil {
		for _, r := range p.rules {
			w.widen(r.behavior.Greylist)
		}
	}
	if strings.Contains(rcpt, "greylist") { // no parse for the common case
		ds, _ := parseLocalPart(rcpt)
		for _, d := range ds {
			w.widen(d.Behavior.Greylist)
		}
	}
	if w.retry == 0 {
		w.retry = 4 * time.Hour
	}
	if w.keep == 0 {
		w.keep = defaultKeepPassed
	}
	return w
}

// rowsMark is the lowest id the sink's attempts and messages may have:
// the lowest there is, or for an empty table the next one. The ids only
// grow (AUTOINCREMENT), so the mark moves up when rows were deleted (a
// prune deletes the oldest ones) and not when rows come.
type rowsMark struct{ attempts, messages int64 }

// deletedSince reports whether rows were deleted between m and now.
func (m rowsMark) deletedSince(now rowsMark) bool {
	return now.attempts > m.attempts || now.messages > m.messages
}

func storeMark(ctx context.Context, st *store.Store) (rowsMark, error) {
	var m rowsMark
	err := st.DB().QueryRowContext(ctx, `SELECT
		COALESCE((SELECT MIN(id) FROM sink_attempts), (SELECT seq FROM sqlite_sequence WHERE name = 'sink_attempts') + 1, 1),
		COALESCE((SELECT MIN(id) FROM sink_messages), (SELECT seq FROM sqlite_sequence WHERE name = 'sink_messages') + 1, 1)`).
		Scan(&m.attempts, &m.messages)
	if err != nil {
		return m, fmt.Errorf("looking for pruned rows: %w", err)
	}
	return m, nil
}

// reconcile makes each attempt counter that no open session may still
// change what a restart would read from the store, and forgets those the
// store has no attempt of: it returns how many it forgot. A counter an
// open session may have counted (one of the epoch in which the oldest
// began, or later) is left as it is, its attempts being written when the
// session ends: a later reconcile looks at it. epoch is the sweep's.
func (s *Sink) reconcile(ctx context.Context, epoch uint32) (pairs, msgs int, err error) {
	st := s.state
	idle := s.oldestOpen(epoch)
	// Every session that has ended is in the store after this.
	if err := s.Flush(ctx); err != nil {
		return 0, 0, err
	}
	st.mu.Lock()
	markIdle(st.pairs, idle)
	markIdle(st.msgs, idle)
	st.mu.Unlock()
	q := ctxQuerier{ctx, s.store.DB()}
	_, before, err := lastReset(q)
	if err != nil {
		return 0, 0, err
	}
	// Row by row, so that sessions are not held up for the whole scan;
	// the map is taken under the lock each time, as a reset replaces it.
	found := func(pair bool, k string, n int) {
		st.mu.Lock()
		defer st.mu.Unlock()
		m := st.msgs
		if pair {
			m = st.pairs
		}
		switch c, ok := m[k]; {
		case !ok:
		case c.last == unchecked:
			m[k] = counter{n: int32(n), last: fromStore}
		case c.last == fromStore: // a pair's second row (countsSince)
			m[k] = counter{n: max(c.n, int32(n)), last: fromStore}
		}
	}
	err = countsSince(q, before,
		func(from, to string, n int) { found(true, pairKey(from, to), n) },
		func(id string, n int) { found(false, id, n) })
	if err != nil {
		return 0, 0, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.pairs, pairs = dropUnchecked(st.pairs)
	st.msgs, msgs = dropUnchecked(st.msgs)
	return pairs, msgs, nil
}

// markIdle marks the counters of m of an epoch before idle unchecked.
func markIdle(m map[string]counter, idle uint32) {
	for k, c := range m {
		if c.last < idle && c.last != unchecked {
			c.last = unchecked
			m[k] = c
		}
	}
}

// dropUnchecked deletes the counters of m that reconcile did not find in
// the store, and returns the map and how many it deleted.
func dropUnchecked(m map[string]counter) (map[string]counter, int) {
	n := 0
	for k, c := range m {
		if c.last == unchecked {
			delete(m, k)
			n++
		}
	}
	return compact(m, n), n
}

// compact returns m, or a copy of it when deleted of its entries were
// deleted and fewer are left: a Go map keeps the room of the most entries
// it has had, and the sweep is there to give memory back.
func compact[V any](m map[string]V, deleted int) map[string]V {
	if deleted <= len(m) {
		return m
	}
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// oldestOpen is the epoch in which the oldest open session began, or now
// when it is earlier: a counter of an earlier epoch was counted by
// sessions that have all ended. (A session not yet among s.conns counts
// only once it is, after this look, so in the epoch now or a later one.)
func (s *Sink) oldestOpen(now uint32) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		now = min(now, c.startEpoch)
	}
	return now
}
