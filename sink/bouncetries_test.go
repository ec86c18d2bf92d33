package sink

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// TestBounceFailedTriesRecorded: each failed try of a pending bounce is
// recorded with the time of the next and why it failed, and the count
// carries over a restart; the record used to stay as scheduled (no
// error, the first due time) until the fifth try failed.
func TestBounceFailedTriesRecorded(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nowhere := ln.Addr().String()
	ln.Close() // nothing listens there now: every try is refused
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	v := clock.NewVirtual(start)
	s, st := testSink(t, v, func(c *Config) { c.Bounce.Relay = nowhere })
	sendBounce5m(t, s, st, "rcpt550+u@x.test")
	advanceWhenWaiting(t, v, 5*time.Minute)
	var tries int
	var due int64
	var lastErr, errText string
	for deadline := time.Now().Add(20 * time.Second); tries == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no failed try recorded")
		}
		st.DB().QueryRow(`SELECT tries, due_ns, last_error, error FROM sink_bounces`).Scan(&tries, &due, &lastErr, &errText)
	}
	if want := start.Add(6 * time.Minute); tries != 1 || !time.Unix(0, due).Equal(want) || !strings.Contains(lastErr, "refused") || errText != "" {
		t.Errorf("after the first try: tries %d, due %v, last error %q, error %q; want 1, %v, the refusal, and no final error", tries, time.Unix(0, due).UTC(), lastErr, errText, want)
	}
}
