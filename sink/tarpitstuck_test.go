package sink

import (
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// fullBuffers plays a client whose socket buffers are full once three
// replies are out (the greeting, HELO's and MAIL's): every later write
// waits until the write deadline, or for ever when there is none (until
// the connection is closed).
type fullBuffers struct {
	net.Conn
	mu       sync.Mutex
	deadline time.Time
	writes   int
	closed   chan struct{}
	once     sync.Once
}

func (c *fullBuffers) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.Conn.SetWriteDeadline(t)
}

func (c *fullBuffers) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.Conn.SetDeadline(t)
}

func (c *fullBuffers) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes++
	early, d := c.writes <= 3, c.deadline
	c.mu.Unlock()
	if early {
		return c.Conn.Write(p)
	}
	var wait <-chan time.Time
	if !d.IsZero() {
		wait = time.After(time.Until(d))
	}
	select {
	case <-wait:
		return 0, os.ErrDeadlineExceeded
	case <-c.closed:
		return 0, net.ErrClosed
	}
}

func (c *fullBuffers) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// TestTarpitToAClientThatDoesNotRead: a tarpitted reply to a client whose
// buffers are full is given up at the idle timeout, byte by byte, and the
// session ends, instead of a write without a deadline that held the
// session (and its connection slot) until the sink shut down. The same
// for a delayed reply.
func TestTarpitToAClientThatDoesNotRead(t *testing.T) {
	t.Parallel()
	for _, rcpt := range []string{"tarpit10ms+a@sink.test", "delay10ms+a@sink.test"} {
		t.Run(rcpt, func(t *testing.T) {
			t.Parallel()
			_, addr := wrappedSink(t, func(c net.Conn) net.Conn { return &fullBuffers{Conn: c, closed: make(chan struct{})} }, idleTimeout(200*time.Millisecond))
			c := hsDial(t, addr)
			hsExpect(t, c, "", 220)
			c.write("HELO x\r\n")
			hsExpect(t, c, "", 250)
			c.write("MAIL FROM:<a@client.test>\r\n")
			hsExpect(t, c, "", 250)
			c.write("RCPT TO:<" + rcpt + ">\r\n")
			// The session ends, and the sink closes: a read sees the end.
			// The limit only bounds a hang, it does not measure speed.
			c.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
			buf := make([]byte, 64)
			for {
				_, err := c.nc.Read(buf)
				if err == nil {
					continue
				}
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Fatal("the session still holds the connection: the reply's write has no deadline")
				}
				break
			}
		})
	}
}
