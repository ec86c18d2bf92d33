package config

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestParseDurationRefusesNonFinite: NaN, Inf and values beyond what a
// time.Duration holds used to come back as garbage (NaN as 0, overflow as
// a large negative duration that callers then called "negative").
func TestParseDurationRefusesNonFinite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"NaNd", "not a number"},
		{"nand", "not a number"},
		{"Infd", "not a number"},
		{"+Infd", "not a number"},
		{"infinityd", "not a number"},
		{"1e400d", "too long"},
		{"999999999d", "too long"},
		{"106752d", "too long"},
		{"2562048h", "too long"},
		{"9999999999999999999s", "too long"},
		{"-999999999d", "number of days"},
		{"5x", "like 30s"},
	} {
		d, err := ParseDuration(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.in) {
			t.Errorf("ParseDuration(%q) = %v, %v; want an error naming it and saying %q", tc.in, d, err, tc.want)
		}
	}
}

// TestParseDurationHugeButValid: the longest durations that fit are
// positive, not wrapped.
func TestParseDurationHugeButValid(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"106751d":  106751 * 24 * time.Hour,
		"2562047h": 2562047 * time.Hour,
		"0d":       0,
		"1e-3d":    86400 * time.Millisecond,
	} {
		got, err := ParseDuration(in)
		if err != nil || got.D() != want || got < 0 {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if got, err := ParseDuration("106751.99d"); err != nil || got.D() <= 0 || got.D() > math.MaxInt64 {
		t.Errorf("ParseDuration(106751.99d) = %v, %v; want a positive duration", got, err)
	}
}
