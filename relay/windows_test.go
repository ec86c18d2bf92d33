package relay

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

func TestNextOpen(t *testing.T) {
	t.Parallel()
	ws, err := parseWindows([]string{"09:00-17:00", "22:00-02:00"})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		at   time.Duration
		open bool
		next time.Duration
	}{
		{8 * time.Hour, false, 9 * time.Hour},
		{9 * time.Hour, true, 0},
		{17 * time.Hour, false, 22 * time.Hour},
		{23 * time.Hour, true, 0},
		{time.Hour, true, 0}, // the window that wraps midnight
		{3 * time.Hour, false, 9 * time.Hour},
	}
	for _, tt := range tests {
		open, next := nextOpen(ws, time.UTC, day.Add(tt.at))
		if open != tt.open || (!open && next.Sub(day) != tt.next) {
			t.Errorf("at %v: open=%v next=%v, want %v %v", tt.at, open, next.Sub(day), tt.open, tt.next)
		}
	}
	for _, bad := range []string{"9-17", "09:00", "25:00-26:00", "10:00-10:00"} {
		if _, err := parseWindows([]string{bad}); err == nil {
			t.Errorf("parseWindows(%q): no error", bad)
		}
	}
}

func TestSendingWindowHoldsMail(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Routes[0].Windows = []string{"14:00-15:00"} // the clock starts at 12:00 UTC
	cfg.Retry.MaxAge = dur(24 * time.Hour)
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@s.test", "b@r.test")
	h.runUntil("delivery", h.done(id, 1))
	d := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDelivered}})
	if at := d[0].Time.Sub(epoch); at != 2*time.Hour {
		t.Errorf("delivered at +%v, want +2h when the window opens", at)
	}
	if got := h.attemptTimes(id, "b@r.test"); !reflect.DeepEqual(got, []time.Duration{2 * time.Hour}) {
		t.Errorf("attempts %v: nothing may be tried outside the window", got)
	}
}

func TestWarmupCap(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Warmup = []int{2, 4}
	cfg.Paths[0].WarmupStart = "2026-03-01"
	cfg.Retry.MaxAge = dur(5 * 24 * time.Hour)
	h := newHarness(t, cfg, Options{})
	var ids []string
	for i := 0; i < 7; i++ {
		ids = append(ids, h.enqueue("a@s.test", "b@r.test"))
	}
	h.runUntil("all delivered", h.allDone(ids))
	perDay := map[int]int{}
	for _, e := range h.events(events.Filter{Kinds: []string{events.RelayDelivered}}) {
		perDay[int(e.Time.Sub(epoch.Truncate(24*time.Hour))/(24*time.Hour))]++
	}
	if want := map[int]int{0: 2, 1: 4, 2: 1}; !reflect.DeepEqual(perDay, want) {
		t.Errorf("deliveries per day %v, want %v (caps 2 then 4)", perDay, want)
	}
}

func TestWarmupSurvivesRestart(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Warmup = []int{2}
	cfg.Paths[0].WarmupStart = "2026-03-01"
	cfg.Retry.MaxAge = dur(5 * 24 * time.Hour)
	h := newHarness(t, cfg, Options{})
	a, b := h.enqueue("a@s.test", "b@r.test"), h.enqueue("a@s.test", "b@r.test")
	h.runUntil("two delivered", func() bool { return h.done(a, 1)() && h.done(b, 1)() })
	h.r.Shutdown(context.Background())
	r2, err := New(cfg, Options{Store: h.store, Clock: h.v, Logger: h.r.log})
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer r2.Shutdown(context.Background())
	h.r = r2
	c := h.enqueue("a@s.test", "b@r.test")
	h.runUntil("third delivered", h.done(c, 1))
	d := h.events(events.Filter{Message: c, Kinds: []string{events.RelayDelivered}})
	if day := d[0].Time.Sub(epoch.Truncate(24 * time.Hour)); day < 24*time.Hour {
		t.Errorf("third message delivered on day 0 after a restart: the cap of 2 was reset")
	}
}

func TestParseWindowsRefusesWindowsThatNeverOpen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec, want string // want: a phrase of the error, "" for none
	}{
		{"00:00-24:00", ""},
		{"22:00-24:00", ""},
		{"9:00-17:30", ""},
		{" 23:00 - 01:00 ", ""},
		{"24:00-00:00", "24:00 can only end a window"},
		{"24:00-06:00", "24:00 can only end a window"},
		{"10:00-10:00", "00:00-24:00"},
		{"00:00-00:00", "00:00-24:00"},
		{"10:00-17:00-18:00", "HH:MM"},
		{"10:00x-17:00", "HH:MM"},
		{"10:0-17:00", "HH:MM"},
		{"-1:00-17:00", "HH:MM"},
		{"+9:00-17:00", "HH:MM"},
		{"10:60-11:00", "HH:MM"},
	}
	for _, tt := range tests {
		ws, err := parseWindows([]string{tt.spec})
		if tt.want == "" {
			if err != nil {
				t.Errorf("parseWindows(%q): %v, want no error", tt.spec, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("parseWindows(%q) = %v, want an error saying %q", tt.spec, ws, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.spec) {
			t.Errorf("parseWindows(%q): error %q, want it to name the value and say %q", tt.spec, err, tt.want)
		}
	}
}

// Every window that parses must open within a day, at its start time:
// nothing may wait forever for a window.
func TestEveryValidWindowOpens(t *testing.T) {
	t.Parallel()
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	var starts []int
	for start := 0; start < 24*60; start += 7 {
		starts = append(starts, start)
	}
	for _, start := range append(starts, 24*60) {
		for _, end := range []int{0, 1, start + 1, 24 * 60, (start + 600) % (24 * 60)} {
			if end > 24*60 {
				continue
			}
			spec := fmt.Sprintf("%02d:%02d-%02d:%02d", start/60, start%60, end/60, end%60)
			ws, err := parseWindows([]string{spec})
			if err != nil {
				continue
			}
			for _, at := range []time.Duration{0, 5 * time.Hour, 13*time.Hour + 59*time.Minute, 23*time.Hour + 59*time.Minute} {
				now := day.Add(at)
				open, next := nextOpen(ws, time.UTC, now)
				if open {
					continue
				}
				if d := next.Sub(now); d <= 0 || d > 24*time.Hour {
					t.Fatalf("%s at %v: opens in %v, want within a day", spec, at, d)
				}
				if ok, _ := nextOpen(ws, time.UTC, next); !ok {
					t.Fatalf("%s at %v: said to open at %v, but is closed then", spec, at, next.Sub(day))
				}
			}
		}
	}
}

// On the days clocks change, a window opens at its wall-clock time, not
// at midnight plus its minutes (which is an hour off and misses it).
func TestWindowOpensOnDSTDays(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := parseWindows([]string{"09:00-09:30"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Time{
		time.Date(2026, 3, 29, 5, 0, 0, 0, paris),  // 02:00 -> 03:00
		time.Date(2026, 10, 25, 5, 0, 0, 0, paris), // 03:00 -> 02:00
	} {
		open, next := nextOpen(ws, paris, d)
		want := time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, paris)
		if open || !next.Equal(want) {
			t.Errorf("%s at 05:00: open=%v next %v, want closed until %v", d.Format("2006-01-02"), open, next.In(paris), want)
		}
	}
}

func FuzzParseWindows(f *testing.F) {
	for _, s := range []string{"09:00-17:00", "22:00-02:00", "00:00-24:00", "24:00-00:00", "10:00-10:00", "9:5-1:00"} {
		f.Add(s)
	}
	day := time.Date(2026, 3, 2, 7, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, spec string) {
		ws, err := parseWindows([]string{spec})
		if err != nil {
			return
		}
		// What parses must open within a day.
		open, next := nextOpen(ws, time.UTC, day)
		if !open {
			if d := next.Sub(day); d <= 0 || d > 24*time.Hour {
				t.Fatalf("%q: opens in %v", spec, d)
			}
			if ok, _ := nextOpen(ws, time.UTC, next); !ok {
				t.Fatalf("%q: closed at its opening time %v", spec, next)
			}
		}
	})
}
