package relay

import (
	"crypto/tls"
	"net"
	"testing"
	"time"
)

type waitConn struct {
	net.Conn
	got time.Duration
}

func (w *waitConn) SetDeadlineAfter(d time.Duration) error { w.got = d; return nil }

// TestDeadlineReachesTheTrackedConn: under the relay's own wrapper and TLS,
// a connection that keeps its deadlines on another clock (a replay's) gets
// the wait itself, not a time of the machine's that a pause would blur.
func TestDeadlineReachesTheTrackedConn(t *testing.T) {
	t.Parallel()
	a, b := net.Pipe()
	defer b.Close()
	w := &waitConn{Conn: a}
	var live liveConns
	conn := tls.Client(live.track(w), &tls.Config{InsecureSkipVerify: true})
	c := &client{conn: conn}
	c.deadline(7*time.Minute + time.Microsecond)
	if w.got != 7*time.Minute+time.Microsecond {
		t.Fatalf("the tracked connection got %v, want the wait itself", w.got)
	}
}
