package config

import (
	"testing"
	"time"
)

// TestFormatDuration: durations print as the configuration writes them,
// and each reads back as the same duration.
func TestFormatDuration(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{35 * 24 * time.Hour, "35d"},
		{5 * 24 * time.Hour, "5d"},
		{36 * time.Hour, "36h"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + 30*time.Second, "1h0m30s"},
		{5 * time.Minute, "5m"},
		{90 * time.Second, "1m30s"},
		{30 * time.Second, "30s"},
		{1500 * time.Millisecond, "1.5s"},
		{250 * time.Millisecond, "250ms"},
		{0, "0s"},
		{-48 * time.Hour, "-48h"},
		{-5 * time.Minute, "-5m"},
		{4000 * time.Second, "1h6m40s"},
	} {
		got := FormatDuration(tt.d)
		if got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
		if tt.d < 0 {
			continue // a configuration's durations are not negative
		}
		back, err := ParseDuration(got)
		if err != nil || back.D() != tt.d {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", got, back.D(), err, tt.d)
		}
	}
}
