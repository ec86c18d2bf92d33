package relay

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// EventRestEnded is the kind of the event an operator's end of a
// destination's rest appends (EndRest; events.RelayRestEnded). The store
// reads it back so that a rest ended stays ended across a restart, and a
// running relay ends its own copy of a rest that another process
// (relaylab queue unrest) ended.
const EventRestEnded = events.RelayRestEnded

// ErrNotResting is the error of EndRest for a destination that does not
// rest now.
var ErrNotResting = errors.New("relay: the destination does not rest now")

// Rest is a destination's rest, as Rests lists it for the operator.
type Rest struct {
	Destination string    `json:"destination"`
	Path        string    `json:"path,omitempty"`
	Until       time.Time `json:"until"`
	// Cause is the reply that began or last lengthened the rest, with
	// the recipient and message it answered where known.
	Cause string `json:"cause,omitempty"`
	// Throttling says the classification counts the cause as throttling
	// (rate-limited), where the path's rate or connections are the fix;
	// a plain 421 only asked the relay to come back later.
	Throttling bool `json:"throttling"`
	// Held is how many waiting recipients name this rest as their hold.
	Held int `json:"held"`
}

// Rests lists the destinations' rests that end after now, the soonest
// end first: this relay's own and those the store recorded (another
// process's, or this store's before a restart).
func (r *Relay) Rests(ctx context.Context) ([]Rest, error) {
	now := r.clock.Now()
	rests, causes, err := r.restsWithin(ctx, now, recordedRestLookback)
	if err != nil {
		return nil, err
	}
	out := make([]Rest, 0, len(rests))
	for key, until := range rests {
		c := r.destCause(key)
		if c == (restCause{}) {
			c = causes[key]
		}
		n, err := r.heldByRest(ctx, key, now)
		if err != nil {
			return nil, err
		}
		out = append(out, Rest{Destination: key, Path: pathOfKey(key), Until: until.UTC(), Cause: c.forOperator(),
			Throttling: r.throttles(c), Held: n})
	}
	slices.SortFunc(out, func(a, b Rest) int {
		return cmp.Or(a.Until.Compare(b.Until), cmp.Compare(a.Destination, b.Destination))
	})
	return out, nil
}

// pathOfKey is the path name a destination key ("path:NAME[:DOMAIN]",
// "mx:NAME:HOSTS") names, whether or not the configuration has it.
func pathOfKey(key string) string {
	_, rest, _ := strings.Cut(key, ":")
	name, _, _ := strings.Cut(rest, ":")
	return name
}

// throttles reports whether c, a rest's cause, is throttling by the
// classification in force: a reply it calls rate-limited. A cause known
// only by a hold's text is not.
func (r *Relay) throttles(c restCause) bool {
	return c.reply != (Reply{}) && r.classify.Classify(c.reply).Category == "rate-limited"
}

// restHoldPrefix begins the hold text (restText) of every recipient a
// rest of destination key holds back.
func restHoldPrefix(key string) string { return "not tried: destination " + key + " rests until " }

// heldByRest counts the waiting recipients whose hold names the rest of
// key, due after now.
func (r *Relay) heldByRest(ctx context.Context, key string, now time.Time) (int, error) {
	prefix := restHoldPrefix(key)
	var n int
	err := r.store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM relay_recipients WHERE state IN ('queued', 'deferred') AND due_ns > ? AND substr(hold, 1, ?) = ?`,
		now.UnixNano(), len(prefix), prefix).Scan(&n)
	return n, err
}

// EndedRest is what EndRest did.
type EndedRest struct {
	Rest
	// Released is how many waiting recipients the rest held that are due
	// now.
	Released int `json:"released"`
}

// EndRest ends the rest of destination key now, as if its backoff had
// run out: the recipients it holds are due at once, this relay sends to
// the destination again, and an EventRestEnded records who ended it (by:
// "relaylab queue unrest", "the web API, user alice") so that a restart,
// or a relay running on the same store, does not bring it back. The next
// 421 or rate limit from the destination rests it again. A destination
// that does not rest is an ErrNotResting.
func (r *Relay) EndRest(ctx context.Context, key, by string) (EndedRest, error) {
	rests, err := r.Rests(ctx)
	if err != nil {
		return EndedRest{}, err
	}
	i := slices.IndexFunc(rests, func(x Rest) bool { return x.Destination == key })
	if i < 0 {
		return EndedRest{}, fmt.Errorf("%w: %s (relaylab queue rests, or the Queue page, lists the destinations that rest)", ErrNotResting, key)
	}
	out := EndedRest{Rest: rests[i]}
	now := r.clock.Now()
	prefix := restHoldPrefix(key)
	err = r.store.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`UPDATE relay_recipients SET due_ns = ?, updated_ns = ? WHERE state IN ('queued', 'deferred') AND due_ns > ? AND substr(hold, 1, ?) = ?`,
			now.UnixNano(), now.UnixNano(), now.UnixNano(), len(prefix), prefix)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		out.Released = int(n)
		pl := map[string]any{
			"destination": key, "until": out.Until, "by": by, "released": out.Released,
			"reason": "an operator ended the destination's rest before its end; the mail it held is due now",
			"advice": "nothing; if the destination answers with a 421 or a rate limit again, it rests again (relaylab queue rests lists the rests)",
		}
		if out.Cause != "" {
			pl["cause"] = out.Cause
		}
		_, err = tx.Append(events.Event{Kind: EventRestEnded, Time: now, Path: out.Path}.WithPayload(pl))
		return err
	})
	if err != nil {
		return EndedRest{}, err
	}
	r.endRestBefore(key, out.Until, now)
	r.log.Info("relay: a destination's rest was ended by hand", "destination", key, "was_until", out.Until.Format(time.RFC3339), "released", out.Released, "by", by)
	r.kick()
	return out, nil
}

// endRestBefore ends at now this relay's rest of key if it ends no later
// than until, the end it had when an operator ended it: a rest a later
// 421 began is a new one, and stays.
func (r *Relay) endRestBefore(key string, until, now time.Time) bool {
	r.mu.Lock()
	d := r.dests[key]
	r.mu.Unlock()
	if d == nil {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !now.Before(d.until) || d.until.After(until) {
		return false
	}
	d.until, d.failures, d.cause = now, 0, restCause{}
	return true
}

// endedRest is an EventRestEnded as the store has it.
type endedRest struct {
	id          int64
	Destination string    `json:"destination"`
	Until       time.Time `json:"until"`
}

// endedRests reads the rests ended by hand recorded since (by time) and
// after event afterID.
func (r *Relay) endedRests(ctx context.Context, since time.Time, afterID int64) ([]endedRest, error) {
	rows, err := r.store.DB().QueryContext(ctx, `SELECT id, payload FROM events WHERE kind = ? AND id > ? AND time_ns >= ? ORDER BY id`,
		EventRestEnded, afterID, since.UnixNano())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []endedRest
	for rows.Next() {
		var (
			e  endedRest
			pl string
		)
		if err := rows.Scan(&e.id, &pl); err != nil {
			return nil, err
		}
		if json.Unmarshal([]byte(pl), &e) == nil && e.Destination != "" {
			out = append(out, e)
		}
	}
	return out, rows.Err()
}

// dropEndedRests takes out of rests (storedRestsWithin's) those an
// operator ended since: a rest whose end is no later than the one it had
// when ended. A hold's text gives the end to the second, earlier than
// the rest's own.
func (r *Relay) dropEndedRests(ctx context.Context, rests map[string]storedRest, since time.Time) error {
	if len(rests) == 0 {
		return nil
	}
	ended, err := r.endedRests(ctx, since, 0)
	if err != nil {
		return err
	}
	for _, e := range ended {
		if s, ok := rests[e.Destination]; ok && !s.until.After(e.Until) {
			delete(rests, e.Destination)
		}
	}
	return nil
}

// restEndWatch is how far a relay has read the rests ended by hand,
// to end its own copies of those another process ended (followRestEnds).
type restEndWatch struct {
	mu   sync.Mutex
	seen int64 // the last EventRestEnded read
}

// followRestEnds ends this relay's rests that another process (relaylab
// queue unrest on the same store) ended: that process made the held mail
// due, but this relay's rest in memory would hold it again. The
// scheduler calls it before each claim, so that the mail due is not held
// again; it reads the store only while one of this relay's destinations
// rests, through the index on the events' kind and id.
func (r *Relay) followRestEnds(ctx context.Context) {
	now := r.clock.Now()
	if !r.anyResting(now) {
		return
	}
	w := &r.restEnds
	w.mu.Lock()
	defer w.mu.Unlock()
	ended, err := r.endedRests(ctx, time.Time{}, w.seen)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("relay: reading the rests ended by hand failed; a rest another process ended holds this relay's mail until the next pass reads it", "err", err)
		}
		return
	}
	for _, e := range ended {
		w.seen = max(w.seen, e.id)
		if r.endRestBefore(e.Destination, e.Until, now) {
			r.log.Info("relay: a destination's rest was ended by hand in another process", "destination", e.Destination)
		}
	}
}

// anyResting reports whether one of this relay's destinations rests at
// now.
func (r *Relay) anyResting(now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range r.dests {
		if _, ok := d.resting(now); ok {
			return true
		}
	}
	return false
}
