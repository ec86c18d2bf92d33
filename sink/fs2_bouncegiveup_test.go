package sink

import (
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// TestFS2BounceGiveUpLogged: when the bounce relay is down for every try,
// the last log line about the bounce says that the sink gives up on it,
// that the sender is not told, and what to do; not the warning of each
// try again.
func TestFS2BounceGiveUpLogged(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nowhere := ln.Addr().String()
	ln.Close() // nothing listens there now: every try is refused
	v := clock.NewVirtual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	var logs lockedBuffer
	s, st := testSinkLogged(t, filepath.Join(t.TempDir(), "sink.db"), v, slog.New(slog.NewTextHandler(&logs, nil)), func(c *Config) { c.Bounce.Relay = nowhere })
	sendBounce5m(t, s, st, "a@sender.test")
	advanceWhenWaiting(t, v, 5*time.Minute)
	for try := 2; try <= maxBounceTries; try++ {
		advanceWhenWaiting(t, v, time.Minute)
	}
	var errText string
	for deadline := time.Now().Add(20 * time.Second); errText == ""; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the bounce was not given up on; log:\n%s", logs.String())
		}
		st.DB().QueryRow(`SELECT error FROM sink_bounces`).Scan(&errText)
	}
	var last string
	for _, ln := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(ln, "bounce") {
			last = ln
		}
	}
	for _, want := range []string{"level=ERROR", "giving up on the bounce for <bounce5m@sink.test> after 5 tries", "sender <a@sender.test> is not told", "sink.bounce.relay", nowhere} {
		if !strings.Contains(last, want) {
			t.Errorf("last log line about the bounce:\n%s\nwant it to contain %q", last, want)
		}
	}
}
