package relay

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/store"
)

// Held is a waiting recipient the relay's own shaping holds back.
type Held struct {
	Address string `json:"address"`
	// Until is when the hold ends: the time its reply names, not the
	// recipient's next attempt, which a retry moves to now.
	Until time.Time `json:"until"`
	Reply Reply     `json:"reply"`
	// Expires is the message's expiry when it comes before Until: the
	// hold outlasts the message, which expires unsent at Expires unless
	// the shaping changes (its last try is then, still held).
	Expires time.Time `json:"expires,omitzero"`
}

// HeldBack lists the message's waiting recipients that the relay's own
// shaping holds back, with the hold still ahead: a retry makes them due,
// but shaping holds them again until the hold ends unless the
// configuration changed. A recipient is held by the sending window or
// warm-up cap its last outcome names, and by a rest of its destination
// whatever its last outcome was: a 421 to another message rests the
// destination for all its mail (each path of the recipient's route
// resting, as the relay would try them; an mx path's destination is known
// from the host the recipient last reached).
func (r *Relay) HeldBack(ctx context.Context, id string) ([]Held, error) {
	now := r.clock.Now()
	rests, causes, err := r.rests(ctx, now)
	if err != nil {
		return nil, err
	}
	rows, err := r.store.DB().QueryContext(ctx, `SELECT rc.address, rc.attempts, rc.path, rc.host, rc.code, rc.enhanced, CASE WHEN rc.hold != '' THEN rc.hold ELSE rc.reply END,
		rc.category, COALESCE(rc.due_ns, 0), m.sender FROM relay_recipients rc JOIN relay_messages m ON m.id = rc.message_id
		WHERE rc.message_id = ? AND rc.state IN ('queued', 'deferred') ORDER BY rc.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Held
	for rows.Next() {
		var (
			w        waitingRcpt
			rep      Reply
			category string
			due      int64
		)
		if err := rows.Scan(&w.address, &w.attempts, &w.path, &w.host, &rep.Code, &rep.Enhanced, &rep.Text, &category, &due, &w.sender); err != nil {
			return nil, err
		}
		var h *Held
		if category == "shaping" {
			// A sending window or the warm-up cap: until the time its
			// reply names (the next attempt may be later, by the retry
			// schedule; a retry moves that, not the hold).
			until := HoldEnd(rep.Text)
			if until.IsZero() {
				until = time.Unix(0, due).UTC()
			}
			until, held := r.shapingHoldNow(rep.Text, id, w, until, now)
			if held && until.After(now) {
				// The hold's own reply: the row's code is the last
				// server's.
				h = &Held{Address: w.address, Until: until.UTC(), Reply: Reply{Stage: "shaping", Text: rep.Text}}
			}
		}
		w.hold = rep.Text
		if key, until, ok := r.restHolding(rests, id, w); ok && (h == nil || until.After(h.Until)) {
			// For the operator (queue retry), with the recipient and
			// message the rest's reply answered, which the holds' own
			// text leaves out.
			cause := r.destCause(key)
			if cause == (restCause{}) {
				cause = causes[key] // another process's rest, as the store tells it
			}
			h = &Held{Address: w.address, Until: until.UTC(), Reply: Reply{Stage: "shaping", Text: restText(key, until, cause.forOperator())}}
		}
		if h != nil {
			out = append(out, *h)
		}
	}
	return out, rows.Err()
}

// shapingHoldNow re-checks the window or warm-up hold of recipient w of
// message msgID (text, its stored reply; stored, the end that names)
// against the configuration in force, which may have changed since: the
// hold's end under it, or false when the configuration no longer has the
// hold's cause (the route has no window closed now, the recipient's paths
// no warm-up cap of the path it names) and the recipient may go now. A
// cap still configured keeps the stored end: how much of the day's cap is
// used is the running relay's to count.
func (r *Relay) shapingHoldNow(text, msgID string, w waitingRcpt, stored, now time.Time) (time.Time, bool) {
	ri, paths := r.route(msgID, w.address, w.sender, w.attempts+1)
	if strings.HasPrefix(text, windowHoldPrefix) {
		if open, at := nextOpen(ri.windows, ri.loc, now); !open {
			return at, true
		}
		return time.Time{}, false
	}
	if m := warmHoldRE.FindStringSubmatch(text); m != nil {
		for _, p := range paths {
			if p != nil && p.cfg.Name == m[1] && p.warm != nil {
				return stored, true
			}
		}
		return time.Time{}, false
	}
	if m := restRE.FindStringSubmatch(text); m != nil {
		// A destination's rest holds the recipient only while one of
		// its paths still sends to that destination: a path renamed or
		// given another destination: key (domain, host) no longer does.
		_, domain, _ := strings.Cut(w.address, "@")
		kind, rest, _ := strings.Cut(m[1], ":")
		name, _, _ := strings.Cut(rest, ":")
		for _, p := range paths {
			switch {
			case p == nil:
			case kind == "mx" && p.cfg.Type == "mx" && p.cfg.Name == name:
				return stored, true // its MX hosts are known only by a lookup
			case kind == "path" && p.destKey(domain) == m[1]:
				return stored, true
			}
		}
		return time.Time{}, false
	}
	return stored, true
}

// liftStaleHolds, at start, makes due now the waiting recipients whose
// window, warm-up or destination-rest hold the configuration no longer
// has (shapingHoldNow),
// and moves to the new end those whose hold now ends earlier (a window
// opened wider), instead of leaving them due at the end the old
// configuration gave.
func (r *Relay) liftStaleHolds(ctx context.Context) error {
	now := r.clock.Now()
	type change struct {
		id  int64
		due time.Time
	}
	var changes []change
	rows, err := r.store.DB().QueryContext(ctx, `SELECT rc.id, rc.message_id, rc.address, rc.attempts, rc.path, rc.host, rc.hold, rc.due_ns, m.sender
		FROM relay_recipients rc JOIN relay_messages m ON m.id = rc.message_id
		WHERE rc.state IN ('queued', 'deferred') AND rc.category IN ('shaping', 'destination-backoff') AND rc.hold != '' AND rc.due_ns > ?`, now.UnixNano())
	if err != nil {
		return err
	}
	for rows.Next() {
		var (
			id    int64
			msgID string
			w     waitingRcpt
			text  string
			due   int64
		)
		if err := rows.Scan(&id, &msgID, &w.address, &w.attempts, &w.path, &w.host, &text, &due, &w.sender); err != nil {
			rows.Close()
			return err
		}
		old := time.Unix(0, due)
		switch until, held := r.shapingHoldNow(text, msgID, w, old, now); {
		case !held:
			changes = append(changes, change{id, now})
		case until.Before(old):
			changes = append(changes, change{id, until})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(changes) == 0 {
		return err
	}
	r.log.Info("relay: the configuration no longer holds back some waiting mail as its last hold said; it is due sooner", "recipients", len(changes))
	return r.store.Write(ctx, func(tx *store.Tx) error {
		for _, c := range changes {
			if _, err := tx.Exec(`UPDATE relay_recipients SET due_ns = ? WHERE id = ? AND due_ns IS NOT NULL`, c.due.UnixNano(), c.id); err != nil {
				return err
			}
		}
		return nil
	})
}

// warmCheck is a warming path whose cap a job's outcome concerns: held
// says the cap held the job back, else the job gave its place in the
// day's count back.
type warmCheck struct {
	p    *path
	held bool
}

// recheckWarm, once a job's outcome is recorded, sends the mail path w.p's
// warm-up cap holds back if the day has room for it (sendWarmHeld): a
// place a job gave back (no server was handed its message), or one given
// back while the job was being held, which its hold, now recorded, could
// have had. A job the cap held looks whatever the cap last found.
func (r *Relay) recheckWarm(ctx context.Context, w warmCheck) {
	if !w.held && !w.p.warm.mayHold() {
		return
	}
	n, err := r.sendWarmHeld(ctx, w.p)
	if err != nil {
		r.log.Error("relay: looking for mail the warm-up cap held back failed; it waits for its hold's end (the next day)", "path", w.p.cfg.Name, "err", err)
		return
	}
	if n > 0 {
		r.kick()
	}
}

// sendWarmHeld makes due the waiting recipients that path p's warm-up cap
// held back, oldest message first, as many messages as the day's count
// has room for, and returns how many recipients it made due: at start,
// where the count read back may leave room that the holds did not (the
// cap was raised, or what it counts changed), and as jobs give places in
// the count back. Each is due at its message's creation, so that of the
// mail due it is claimed before the messages queued after it, which
// would otherwise take the room while it waited for the next day.
func (r *Relay) sendWarmHeld(ctx context.Context, p *path) (int, error) {
	now := r.clock.Now()
	room := p.warm.room(now)
	if room == 0 {
		return 0, nil
	}
	prefix := "path " + p.cfg.Name + " reached its warm-up cap"
	rows, err := r.store.DB().QueryContext(ctx, `SELECT rc.id, rc.message_id, m.created_ns FROM relay_recipients rc
		JOIN relay_messages m ON m.id = rc.message_id
		WHERE rc.state IN ('queued', 'deferred') AND rc.due_ns > ? AND substr(rc.hold, 1, ?) = ?
		ORDER BY m.created_ns, rc.id`, now.UnixNano(), len(prefix), prefix)
	if err != nil {
		return 0, err
	}
	type due struct {
		id int64
		at int64
	}
	var (
		todo []due
		msgs = map[string]bool{}
	)
	for rows.Next() {
		var (
			id      int64
			msg     string
			created int64
		)
		if err := rows.Scan(&id, &msg, &created); err != nil {
			rows.Close()
			return 0, err
		}
		if !msgs[msg] {
			if len(msgs) == room {
				break
			}
			msgs[msg] = true
		}
		todo = append(todo, due{id, min(created, now.UnixNano())})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(todo) == 0 {
		p.warm.noneHeld()
		return 0, nil
	}
	var n int64
	err = r.store.Write(ctx, func(tx *store.Tx) error {
		n = 0
		for _, d := range todo {
			res, err := tx.Exec(`UPDATE relay_recipients SET due_ns = ? WHERE id = ? AND state IN ('queued', 'deferred') AND due_ns > ?`, d.at, d.id, now.UnixNano())
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += k
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	r.log.Info("relay: the warm-up cap has room today for mail it held back; it goes now, oldest first", "path", p.cfg.Name, "messages", len(msgs), "recipients", n)
	return int(n), nil
}

// windowHoldPrefix begins the reply of a sending window's hold;
// warmHoldRE reads the path out of a warm-up cap's (deliverPath).
const windowHoldPrefix = "outside the sending windows of route "

var warmHoldRE = regexp.MustCompile(`^path (\S+) reached its warm-up cap for the day`)

// WindowHoldRoute is the name of the route whose sending window a hold's
// text (deliver.go: "outside the sending windows of route NAME; the next
// opens at T") says held the recipient, and false for another hold: how
// a reader of the queue without the relay's configuration tells a
// window's hold (which HoldEnd says the end of) from a cap's or a rest's.
func WindowHoldRoute(text string) (string, bool) {
	rest, ok := strings.CutPrefix(text, windowHoldPrefix)
	if !ok {
		return "", false
	}
	if i := strings.LastIndex(rest, "; "); i >= 0 {
		rest = rest[:i]
	}
	return rest, true
}

// knowsWindows reports whether the configuration in force has a route of
// that name (an unnamed one goes by its key, routes[N], as in its holds)
// with sending windows, by which HeldBack reads a hold of that route's
// windows. A route of that name without windows says nothing of the
// hold: the built-in configuration's one route is "default", the name a
// file's catch-all route often has too; and a route whose windows were
// taken out holds nothing only once the relay restarts with it
// (liftStaleHolds), the running relay holding by them till then.
func (r *Relay) knowsWindows(name string) bool {
	return slices.ContainsFunc(r.routes, func(ri *routeInfo) bool { return ri.name == name && len(ri.windows) > 0 })
}

// waitingRcpt is what HeldBack reads of a waiting recipient.
type waitingRcpt struct {
	address, sender string
	attempts        int
	path, host      string // of its last outcome
	hold            string // the text of its hold, or its last reply
}

// rests are the destinations' rests that end after now, by destination
// key: those this relay holds in memory and those the store knows of;
// causes are what began those of the store, where its holds name it.
func (r *Relay) rests(ctx context.Context, now time.Time) (rests map[string]time.Time, causes map[string]restCause, err error) {
	return r.restsWithin(ctx, now, 0)
}

// recordedRestLookback is how far back Holds reads the rests the store
// recorded for a path the configuration lacks, whose backoff it does not
// know: a rest longer than a day begun more than a day ago is not seen.
const recordedRestLookback = 24 * time.Hour

// restsWithin is rests, reading the store's from attempts within lookback
// too (storedRestCauses).
func (r *Relay) restsWithin(ctx context.Context, now time.Time, lookback time.Duration) (rests map[string]time.Time, causes map[string]restCause, err error) {
	stored, err := r.storedRestsWithin(ctx, now, lookback)
	if err != nil {
		return nil, nil, err
	}
	out := make(map[string]time.Time, len(stored))
	causes = make(map[string]restCause, len(stored))
	for k, v := range stored {
		out[k], causes[k] = v.until, v.cause
	}
	r.mu.Lock()
	dests := make([]*dest, 0, len(r.dests))
	for _, d := range r.dests {
		dests = append(dests, d)
	}
	r.mu.Unlock()
	for _, d := range dests {
		if until, ok := d.resting(now); ok && until.After(out[d.key]) {
			out[d.key] = until
		}
	}
	return out, causes, nil
}

// restHolding reports whether the rests hold recipient w back: every path
// its route gives it for the next attempt rests. It returns the rest of
// the last of them, whose end the relay would record as the next attempt.
func (r *Relay) restHolding(rests map[string]time.Time, msgID string, w waitingRcpt) (string, time.Time, bool) {
	if len(rests) == 0 {
		return "", time.Time{}, false
	}
	_, paths := r.route(msgID, w.address, w.sender, w.attempts+1)
	var (
		key   string
		until time.Time
	)
	for _, p := range paths {
		if p == nil {
			return "", time.Time{}, false
		}
		k, u, ok := restOf(rests, p, w)
		if !ok {
			return "", time.Time{}, false
		}
		key, until = k, u
	}
	return key, until, key != ""
}

// restOf finds the rest of path p's destination for w: the path's own for
// a smarthost path (its recipient domain's on a destination: domain
// path); on an mx path, the rest its hold names when a rest of that path
// held it back (a recipient never tried there has no host, and which
// hosts serve its domain takes a DNS lookup), else the rest of a set of
// MX hosts that holds the host w last reached. The longest of those
// that still rest is the one that holds it.
func restOf(rests map[string]time.Time, p *path, w waitingRcpt) (string, time.Time, bool) {
	if p.cfg.Type != "mx" {
		key := p.destKey(domainOf(w.address))
		u, ok := rests[key]
		return key, u, ok
	}
	return mxRestOf(rests, p.cfg.Name, w)
}

// mxRestOf is restOf for mx path name.
func mxRestOf(rests map[string]time.Time, name string, w waitingRcpt) (string, time.Time, bool) {
	prefix, host := "mx:"+name+":", strings.ToLower(w.host)
	var (
		key   string
		until time.Time
	)
	if m := restRE.FindStringSubmatch(w.hold); m != nil && strings.HasPrefix(m[1], prefix) {
		if u, ok := rests[m[1]]; ok {
			key, until = m[1], u
		}
	}
	if w.path != name || host == "" {
		return key, until, key != ""
	}
	for k, u := range rests {
		if set, ok := strings.CutPrefix(k, prefix); ok && slices.Contains(strings.Split(set, ","), host) && u.After(until) {
			key, until = k, u
		}
	}
	return key, until, key != ""
}

// recordedRestOf is the rest that holds w, whose last path, name, the
// configuration does not have, by the keys that path's destinations can
// have, as the store recorded them: a smarthost path's (its own, or its
// recipient domain's with destination: domain) or an mx path's (restOf).
// The longest that still rests is the one that holds it.
func recordedRestOf(rests map[string]time.Time, name string, w waitingRcpt) (string, time.Time, bool) {
	key, until, _ := mxRestOf(rests, name, w)
	for _, k := range []string{"path:" + name, "path:" + name + ":" + strings.ToLower(domainOf(w.address))} {
		if u, ok := rests[k]; ok && u.After(until) {
			key, until = k, u
		}
	}
	return key, until, key != ""
}

// holdTimeRE finds the time in the reply of a window or warm-up hold
// ("the next opens at 2026-01-02T14:00:00Z").
var holdTimeRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)

// HoldEnd is the last time a shaping reply names, or the zero time: when
// a window or warm-up hold ends, by what the relay wrote of it (which
// the queue's readers without the relay's configuration go by).
func HoldEnd(text string) time.Time {
	all := holdTimeRE.FindAllString(text, -1)
	if len(all) == 0 {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, all[len(all)-1])
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
