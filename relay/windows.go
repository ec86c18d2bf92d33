package relay

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// window is a daily sending window [start, end) in minutes after midnight
// in loc; end < start wraps past midnight. start is 0 to 23:59, end 0 to
// 24:00, and they differ, so every window opens once a day.
type window struct {
	start, end int
}

// parseWindows reads "HH:MM-HH:MM" windows. 24:00 may only end a window
// ("00:00-24:00" is all day); a window whose start and end are equal is
// refused, since it could mean never as well as all day.
func parseWindows(specs []string) ([]window, error) {
	var out []window
	for _, s := range specs {
		a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
		start, ok1 := parseClock(a)
		end, ok2 := parseClock(b)
		switch {
		case !ok || !ok1 || !ok2:
			return nil, fmt.Errorf("window %q: want HH:MM-HH:MM such as 09:00-17:30 (00:00 to 24:00)", s)
		case start == 24*60:
			return nil, fmt.Errorf("window %q: 24:00 can only end a window; a window from midnight starts at 00:00", s)
		case start == end:
			return nil, fmt.Errorf("window %q: start and end are the same time, which could mean never or all day; for all day write 00:00-24:00 or list no windows", s)
		}
		out = append(out, window{start, end})
	}
	return out, nil
}

// parseClock reads a time of day, H:MM or HH:MM from 00:00 to 24:00, as
// minutes after midnight.
func parseClock(s string) (int, bool) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 || !digits(h) || !digits(m) {
		return 0, false
	}
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	if hh > 24 || mm > 59 || hh == 24 && mm != 0 {
		return 0, false
	}
	return hh*60 + mm, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (w window) contains(min int) bool {
	if w.start < w.end {
		return min >= w.start && min < w.end
	}
	return min >= w.start || min < w.end
}

// nextOpen reports whether t is inside one of ws, and if not when the next
// one opens. No windows means always open.
func nextOpen(ws []window, loc *time.Location, t time.Time) (bool, time.Time) {
	if len(ws) == 0 {
		return true, t
	}
	lt := t.In(loc)
	min := lt.Hour()*60 + lt.Minute()
	for _, w := range ws {
		if w.contains(min) {
			return true, t
		}
	}
	var best time.Time
	for _, w := range ws {
		// The wall-clock time, not midnight plus minutes: on the days the
		// clocks change, the two are an hour apart.
		at := time.Date(lt.Year(), lt.Month(), lt.Day(), w.start/60, w.start%60, 0, 0, loc)
		if !at.After(lt) {
			at = time.Date(lt.Year(), lt.Month(), lt.Day()+1, w.start/60, w.start%60, 0, 0, loc)
		}
		if best.IsZero() || at.Before(best) {
			best = at
		}
	}
	return false, best
}

// warmup caps the messages a path sends per day, the cap rising with the
// days since the path started warming up.
//
// What a cap counts is the messages the path handed to a server that UTC
// day (handedOver: a server answered the message's MAIL FROM), each once,
// however many of its jobs (one per recipient domain) and retries went
// out that day. A job takes a place in the day's count for its message
// before its first connection (take) and gives it back when no server was
// handed the message (done): a failed MX lookup, a connection refused, a
// destination resting after another message's 421. restoreWarmups reads
// the count back from the attempts' events by the same test, so that a
// restart counts what the running relay counted.
type warmup struct {
	caps  []int
	start time.Time // midnight UTC of day 0
	mu    sync.Mutex
	day   time.Time
	// msgs are today's messages: handed to a server, or with a job under
	// way that took a place for them.
	msgs map[string]*warmPlace
	// holding: the cap may hold mail back (it refused a job since it
	// last found none held, or the relay started), which sendWarmHeld
	// looks for when the day has room.
	holding bool
}

// warmPlace is one message's place in a day's count.
type warmPlace struct {
	handed bool // a server was handed the message today
	jobs   int  // jobs under way that took the place
}

// warmTurn is a job's place in a path's day's count (take), which done
// keeps or gives back.
type warmTurn struct {
	day   time.Time
	msgID string
	taken bool
}

// warmHold is why take refused a job: the day's count (used of limit,
// on the warm-up's day, from 1), and when the path may send again.
type warmHold struct {
	until       time.Time
	used, limit int
	day         int // 0: the warm-up has not begun
}

// text is the hold's reply text, which warmHoldRE reads the path back
// from and HoldEnd its end.
func (h warmHold) text(path string) string {
	if h.day == 0 {
		return fmt.Sprintf("path %s reached its warm-up cap for the day (its warm-up begins on %s: it sends nothing before); it opens again at %s",
			path, h.until.UTC().Format("2006-01-02"), h.until.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("path %s reached its warm-up cap for the day (%d of %d messages today, day %d of the warm-up); it opens again at %s",
		path, h.used, h.limit, h.day, h.until.UTC().Format(time.RFC3339))
}

func newWarmup(caps []int, start string) (*warmup, error) {
	if len(caps) == 0 {
		return nil, nil
	}
	t, err := time.Parse("2006-01-02", start)
	if err != nil {
		return nil, fmt.Errorf("warmup_start %q: want a date such as 2026-03-01", start)
	}
	return &warmup{caps: caps, start: t}, nil
}

// today moves w to t's UTC day, forgetting an earlier day's count, and
// returns the day, its cap and its number in the warm-up (0 before it
// begins); w.mu is held.
func (w *warmup) today(t time.Time) (day time.Time, limit, n int) {
	u := t.UTC()
	day = time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	if !day.Equal(w.day) || w.msgs == nil {
		w.day, w.msgs = day, map[string]*warmPlace{}
	}
	d := int(day.Sub(w.start) / (24 * time.Hour))
	if d < 0 {
		return day, 0, 0
	}
	return day, w.caps[min(d, len(w.caps)-1)], d + 1
}

// take gives a job of message msgID a place in today's count at t: the
// place its message has already (another of its jobs, an earlier try
// today), or a new one if the day's cap has room. Refused, it says why
// and when the next day (and its cap) begins.
func (w *warmup) take(t time.Time, msgID string) (warmTurn, *warmHold) {
	if w == nil {
		return warmTurn{}, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	day, limit, n := w.today(t)
	if n == 0 {
		w.holding = true
		return warmTurn{}, &warmHold{until: w.start}
	}
	pl := w.msgs[msgID]
	if pl == nil {
		if len(w.msgs) >= limit {
			w.holding = true
			return warmTurn{}, &warmHold{until: day.Add(24 * time.Hour), used: len(w.msgs), limit: limit, day: n}
		}
		pl = &warmPlace{}
		w.msgs[msgID] = pl
	}
	pl.jobs++
	return warmTurn{day: day, msgID: msgID, taken: true}, nil
}

// done ends turn: its message keeps its place when handed is true (a
// server was handed it), and otherwise gives it back unless the message
// has its place by another job or an earlier try. It reports whether a
// place was given back, so that the day has room again.
func (w *warmup) done(turn warmTurn, handed bool) bool {
	if w == nil || !turn.taken {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	pl := w.msgs[turn.msgID]
	if !turn.day.Equal(w.day) || pl == nil {
		return false // a day that is over
	}
	pl.jobs--
	pl.handed = pl.handed || handed
	if pl.jobs > 0 || pl.handed {
		return false
	}
	delete(w.msgs, turn.msgID)
	return true
}

// room is how many more messages today's cap allows at t.
func (w *warmup) room(t time.Time) int {
	if w == nil {
		return 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, limit, _ := w.today(t)
	return max(limit-len(w.msgs), 0)
}

// mayHold reports whether the cap may be holding mail back: it refused a
// job since sendWarmHeld last found none held, or the relay started.
func (w *warmup) mayHold() bool {
	if w == nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.holding
}

// noneHeld notes that the store has no mail the cap holds back.
func (w *warmup) noneHeld() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.holding = false
}

// restore sets today's count at t to the messages sent, as read from the
// event log at start, so that a restart does not reset the cap.
func (w *warmup) restore(t time.Time, sent []string) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	u := t.UTC()
	w.day = time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	w.msgs = make(map[string]*warmPlace, len(sent))
	w.holding = true // what the last run held is in the store
	for _, id := range sent {
		w.msgs[id] = &warmPlace{handed: true}
	}
}

// handedOver reports whether an attempt that ended with rep handed its
// message to a server: the relay began a mail transaction there (the
// server answered MAIL FROM, whatever it said to it or after). A failed
// lookup, a refused or failed connection, a greeting, EHLO, STARTTLS or
// AUTH that failed, the relay's own refusal before MAIL (no SMTPUTF8 or
// 8BITMIME upstream) and a hold of its shaping hand nothing over. This is
// what a warm-up cap counts, in memory and read back at start alike.
func handedOver(rep Reply) bool {
	switch rep.Stage {
	case "mail", "rcpt":
		return rep.Code != 0 && !rep.Local
	case "data", "dot":
		return true
	}
	return false
}
