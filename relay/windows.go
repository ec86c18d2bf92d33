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
type warmup struct {
	caps  []int
	start time.Time // midnight UTC of day 0
	mu    sync.Mutex
	day   time.Time
	sent  int
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

// take counts one message at t if today's cap allows it; otherwise it
// returns when the next day (and its cap) begins.
func (w *warmup) take(t time.Time) (bool, time.Time) {
	if w == nil {
		return true, t
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	u := t.UTC()
	day := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	if !day.Equal(w.day) {
		w.day, w.sent = day, 0
	}
	n := int(day.Sub(w.start) / (24 * time.Hour))
	if n < 0 {
		return false, w.start // not started yet
	}
	limit := w.caps[min(n, len(w.caps)-1)]
	if w.sent >= limit {
		return false, day.Add(24 * time.Hour)
	}
	w.sent++
	return true, t
}

// restore sets today's count at t, as read from the event log at start, so
// that a restart does not reset the cap.
func (w *warmup) restore(t time.Time, sent int) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	u := t.UTC()
	w.day = time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	w.sent = sent
}
