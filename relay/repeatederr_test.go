package relay

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/repeatlog"
	"github.com/relaylab/relaylab/internal/testutil"
)

// TestRepeatedErrorThrottled: a failure that repeats at every pass is
// logged once, then at most once a minute with its count, and its end
// once; a new failure after that is logged at once again.
func TestRepeatedErrorThrottled(t *testing.T) {
	t.Parallel()
	var buf testutil.SyncBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	var th repeatlog.Throttle
	t0 := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	fail := errors.New("disk I/O error")
	for i := 0; i < 30; i++ { // one pass every 2 s: a minute
		logRepeated(log, &th, t0.Add(time.Duration(i)*2*time.Second), fail, "claiming failed")
	}
	logRepeated(log, &th, t0.Add(60*time.Second), fail, "claiming failed")
	logRepeated(log, &th, t0.Add(62*time.Second), nil, "claiming failed")
	logRepeated(log, &th, t0.Add(64*time.Second), nil, "claiming failed")
	logRepeated(log, &th, t0.Add(66*time.Second), fail, "claiming failed")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{"failures=1 ", "failures=31 ", "it works again", "failures=1 "}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d %q lacks %q", i+1, lines[i], w)
		}
	}
}
