package scenario

import (
	"errors"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestClockStartRange: a start the store's nanosecond times cannot hold is
// refused at clock.start with its line, not turned into a certificate
// error or a replay with no attempts.
func TestClockStartRange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		start, want string
	}{
		{"9999-12-31T23:00:00Z", "bad.yaml:2:16: clock.start: 9999-12-31T23:00:00Z is outside the times a replay can use: want from 1970-01-01T00:00:00Z to before 2200-01-01T00:00:00Z"},
		{"0000-01-01T00:00:00Z", "bad.yaml:2:16: clock.start: 0000-01-01T00:00:00Z is outside"},
		{"1969-12-31T23:59:59Z", "clock.start: 1969-12-31T23:59:59Z is outside"},
		{"2200-01-01T00:00:00Z", "clock.start: 2200-01-01T00:00:00Z is outside"},
		{"2200-01-01T03:00:00+02:00", "clock.start: 2200-01-01T03:00:00+02:00 is outside"},
	} {
		t.Run(tc.start, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("bad.yaml", []byte("name: x\nclock: {start: \""+tc.start+"\"}\nmessages:\n  - to: [a@b.test]\n"))
			var ce *config.Error
			if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	for _, ok := range []string{"1970-01-01T00:00:00Z", "2199-12-31T23:59:59Z", "2026-01-05T09:00:00+01:00"} {
		if _, err := Parse("ok.yaml", []byte("name: x\nclock: {start: \""+ok+"\"}\nmessages:\n  - to: [a@b.test]\n")); err != nil {
			t.Errorf("start %s: %v", ok, err)
		}
	}
}
