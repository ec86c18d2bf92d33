package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/config"
)

// TestL3JSONLogDurations: in the JSON log a duration is a number of
// milliseconds under its key with "_ms" added, which a log pipeline
// computes with, not "1.5s"; a key that says its unit already keeps it,
// a configuration's duration is one too, in a group as well, and what is
// not a duration (a count, a string that reads as one) is left as it is.
func TestL3JSONLogDurations(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&b, &slog.HandlerOptions{ReplaceAttr: jsonLogAttr}))
	log.Info("x", "grace", 10*time.Second, "took", 1500*time.Millisecond, "latency_ms", 2*time.Millisecond,
		"keep", config.Duration(time.Hour), "count", 3, "text", "1.5s", slog.Group("g", "wait", 250*time.Microsecond))
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, b.String())
	}
	g, _ := got["g"].(map[string]any)
	for k, want := range map[string]any{"grace_ms": 10000.0, "took_ms": 1500.0, "latency_ms": 2.0, "keep_ms": 3600000.0, "count": 3.0, "text": "1.5s"} {
		if got[k] != want {
			t.Errorf("%s = %#v, want %#v (line %s)", k, got[k], want, b.String())
		}
	}
	if g["wait_ms"] != 0.25 {
		t.Errorf("g.wait_ms = %#v, want 0.25 (line %s)", g["wait_ms"], b.String())
	}
	for _, k := range []string{"grace", "took", "keep", "latency_ms_ms"} {
		if _, ok := got[k]; ok {
			t.Errorf("key %q beside the milliseconds: %s", k, b.String())
		}
	}
}
