package main

import (
	"strings"
	"testing"
	"time"
)

// TestPruneCutoffTakesADate: --before takes a date alone, its midnight
// UTC, as the Inbox's after: and before: do (walk R: `prune --before
// 2026-11-29` was refused for want of a whole RFC 3339 time); the error
// for neither says both forms.
func TestPruneCutoffTakesADate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 15, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-11-29":           time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC),
		"2026-11-28T10:00:00Z": time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC),
	} {
		if got, err := pruneCutoff("", in, now); err != nil || !got.Equal(want) {
			t.Errorf("--before %s: %v, %v; want %v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"29.11.2026": "want a date, 2026-03-01 (midnight UTC), or a time in RFC 3339",
		"2026-11-30": "is in the future",
	} {
		if _, err := pruneCutoff("", in, now); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("--before %s: %v, want an error saying %q", in, err, msg)
		}
	}
}
