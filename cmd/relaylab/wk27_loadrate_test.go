package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestParseRate: --rate takes messages a second (N, N/s), a minute (N/m)
// or an hour (N/h), and refuses other units and numbers that are not
// positive, saying what it takes.
func TestParseRate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want float64
	}{
		{"100", 100}, {"100/s", 100}, {"600/m", 10}, {"7200/h", 2}, {"0.5", 0.5}, {"30/m", 0.5}, {" 60 / m ", 1},
	} {
		got, err := parseRate(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseRate(%q) = %g, %v; want %g", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "0", "-1/m", "10/d", "10/min", "/h", "fast/s", "NaN", "Inf/h"} {
		if got, err := parseRate(bad); err == nil || !strings.Contains(err.Error(), "600/m") {
			t.Errorf("parseRate(%q) = %g, %v; want an error that shows N/m", bad, got, err)
		}
	}
}

// TestLoadRatePerMinute: load --rate 3600/h runs, and --json gives the
// rate it ran at in messages a second; --help says which units it takes.
func TestLoadRatePerMinute(t *testing.T) {
	t.Parallel()
	target := byAddress(t)
	code, out, errOut := runIn(t, context.Background(), "load", "--target", target, "--messages", "1", "--sessions", "1", "--rate", "3600/h", "--quiet", "--json")
	var j struct {
		Parameters struct {
			Rate float64 `json:"rate"`
		} `json:"parameters"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &j) != nil || j.Parameters.Rate != 1 {
		t.Errorf("--rate 3600/h: exit %d, rate %g (want 1 a second)\nstdout:\n%s\nstderr:\n%s", code, j.Parameters.Rate, out, errOut)
	}
	_, help, _ := runIn(t, context.Background(), "load", "--help")
	if !strings.Contains(help, "N/m a minute, N/h an hour") {
		t.Errorf("load --help does not say --rate takes N/m and N/h:\n%s", help)
	}
}
