package relay

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// window is a daily sending window [start, end) in minutes after midnight
// in loc; end < start wraps past midnight.
type window struct {
	start, end int
}

// parseWindows reads "HH:MM-HH:MM" windows.
func parseWindows(specs []string) ([]window, error) {
	var out []window
	for _, s := range specs {
		a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
		if !ok {
			return nil, fmt.Errorf("window %q: want HH:MM-HH:MM such as 09:00-17:30", s)
		}
		start, err1 := parseClock(a)
		end, err2 := parseClock(b)
		if err1 != nil || err2 != nil || start == end {
			return nil, fmt.Errorf("window %q: want HH:MM-HH:MM with two different times", s)
		}
		out = append(out, window{start, end})
	}
	return out, nil
}

func parseClock(s string) (int, error) {
	var h, m int
	if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d:%d", &h, &m); err != nil || h < 0 || h > 24 || m < 0 || m > 59 || h == 24 && m != 0 {
		return 0, fmt.Errorf("bad time of day %q", s)
	}
	return h*60 + m, nil
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
	midnight := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	var best time.Time
	for _, w := range ws {
		at := midnight.Add(time.Duration(w.start) * time.Minute)
		if !at.After(lt) {
			at = time.Date(lt.Year(), lt.Month(), lt.Day()+1, 0, 0, 0, 0, loc).Add(time.Duration(w.start) * time.Minute)
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
