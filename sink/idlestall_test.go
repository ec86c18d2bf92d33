package sink

import (
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/config"
)

// timeoutCounter counts the reads of a connection that end at its
// deadline.
type timeoutCounter struct {
	net.Conn
	n *atomic.Int32
}

func (c timeoutCounter) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.n.Add(1)
	}
	return n, err
}

// TestStallInTheMessageWaitsOneIdlePeriod: a client that stalls in the
// middle of a message is answered 421 after one idle timeout, and the
// session waits for no second one (go-smtp's drain of the rest of the
// message, then its next command read, get the same timeout at once),
// instead of holding the session and its connection slot twice as long.
func TestStallInTheMessageWaitsOneIdlePeriod(t *testing.T) {
	t.Parallel()
	var timeouts atomic.Int32
	_, addr := wrappedSink(t, func(c net.Conn) net.Conn { return timeoutCounter{c, &timeouts} }, idleTimeout(300*time.Millisecond))
	for _, script := range []string{
		"EHLO x\r\nMAIL FROM:<stall@hostile.test>\r\nRCPT TO:<b@sink.test>\r\nDATA\r\nSubject: half\r\n\r\nhalf a mess",
		"EHLO x\r\nMAIL FROM:<stall@hostile.test>\r\nRCPT TO:<b@sink.test>\r\nBDAT 100 LAST\r\nhalf",
	} {
		timeouts.Store(0)
		c := hsDial(t, addr)
		c.write(script)
		var replies []string
		for {
			_, line, err := c.reply()
			if err != nil {
				break
			}
			replies = append(replies, line)
		}
		if last := replies[len(replies)-1]; !strings.HasPrefix(last, "421 4.4.2") || strings.Contains(strings.Join(replies, "\n"), "554") || strings.Count(strings.Join(replies, "\n"), "421 ") != 1 {
			t.Errorf("replies %q, want one 421 4.4.2, last, and no 554", replies)
		}
		if n := timeouts.Load(); n != 1 {
			t.Errorf("the session waited out %d idle periods after the stall, want 1", n)
		}
	}
}

// idleTimeout sets the first listener's idle timeout to d.
func idleTimeout(d time.Duration) func(*Config) {
	return func(c *Config) { c.Listeners[0].Limits.IdleTimeout = config.Duration(d) }
}
