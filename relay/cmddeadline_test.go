package relay

import (
	"bytes"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// deadlineConn plays a server that answers each command at once, and
// records, for each read of replies, the order of the events before it:
// when the deadline in force was set, the last write and the last read.
type deadlineConn struct {
	net.Conn // nil: only the methods below are used
	mu       sync.Mutex
	in       bytes.Buffer
	out      bytes.Buffer
	data     bool
	seq      int // events so far
	set      int // the event that set the deadline in force
	wrote    int // the last write
	read     int // the last read
	sets     int // deadlines set since the last read
	last     string
	reads    []deadlineRead
	// unset counts the bytes written since the last deadline was set,
	// and maxUnset the most of them.
	unset, maxUnset int
}

type deadlineRead struct {
	after           string // the last line written before the read
	set, wrote, was int    // the deadline's event, the last write's, the last read's
	sets            int    // deadlines set since the read before
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.wrote = c.seq
	c.unset += len(b)
	c.maxUnset = max(c.maxUnset, c.unset)
	c.in.Write(b)
	for {
		line, err := c.in.ReadString('\n')
		if err != nil {
			c.in.WriteString(line) // not a whole line yet
			break
		}
		line = strings.TrimRight(line, "\r\n")
		c.last = line
		switch {
		case c.data && line == ".":
			c.data = false
			c.out.WriteString("250 2.0.0 queued\r\n")
		case c.data:
		case line == "DATA":
			c.data = true
			c.out.WriteString("354 go on\r\n")
		default:
			c.out.WriteString("250 2.1.0 ok\r\n")
		}
	}
	return len(b), nil
}

func (c *deadlineConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.out.Len() == 0 {
		return 0, io.EOF
	}
	c.seq++
	c.reads = append(c.reads, deadlineRead{after: c.last, set: c.set, wrote: c.wrote, was: c.read, sets: c.sets})
	c.read, c.sets = c.seq, 0
	return c.out.Read(b)
}

func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.set = c.seq
	c.sets++
	c.unset = 0
	return nil
}

func (c *deadlineConn) Close() error { return nil }

// TestEachReplyHasItsOwnDeadline: the wait for each reply, to every RCPT
// without pipelining and to the final dot, runs its full timeout from
// when the command was sent (RFC 5321 4.5.3.2), instead of MAIL and all
// RCPTs sharing one command timeout and the reply after the dot getting
// what was left of the data timeout after the data was written.
func TestEachReplyHasItsOwnDeadline(t *testing.T) {
	t.Parallel()
	const wait = 5 * time.Minute
	for _, ext := range []string{"", "PIPELINING"} {
		t.Run("ext "+ext, func(t *testing.T) {
			t.Parallel()
			conn := &deadlineConn{}
			c := newClient(conn, wait, wait, newTranscript(clock.NewVirtual(epoch)))
			c.ext = map[string]string{}
			if ext != "" {
				c.ext[ext] = ""
			}
			env := envelope{from: "a@s.test", data: []byte("Subject: x\r\n\r\nx\r\n")}
			for _, a := range []string{"one@r.test", "two@r.test", "three@r.test"} {
				env.rcpts = append(env.rcpts, envRcpt{addr: a})
			}
			tr := c.send(env)
			for i, r := range tr.rcpts {
				if r.Code != 250 {
					t.Fatalf("recipient %d: %v, want the 250 after the dot", i, r)
				}
			}
			if len(conn.reads) == 0 {
				t.Fatal("no reply read")
			}
			for i, r := range conn.reads {
				// Each wait starts after the reply before it came, and the
				// wait after the dot is its own, set after the one for
				// writing the data (as the dot goes out).
				if r.set < r.was || r.after == "." && r.sets < 2 {
					t.Errorf("read %d of %d (after %q): its deadline was set before the reply before it or the data", i+1, len(conn.reads), r.after)
				}
			}
		})
	}
}

// TestLongMessageDataTimedByBlock: a message is sent with the data
// timeout renewed for each block (RFC 5321 4.5.3.2.5), instead of one
// deadline for all of it, which cut off a long message to a server that
// read it at a steady pace.
func TestLongMessageDataTimedByBlock(t *testing.T) {
	t.Parallel()
	conn := &deadlineConn{}
	c := newClient(conn, time.Minute, 3*time.Minute, newTranscript(clock.NewVirtual(epoch)))
	c.ext = map[string]string{}
	data := []byte("Subject: big\r\n\r\n" + strings.Repeat(strings.Repeat("x", 998)+"\r\n", 2000)) // about 2 MB
	tr := c.send(envelope{from: "a@s.test", rcpts: []envRcpt{{addr: "b@r.test"}}, data: data})
	if len(tr.rcpts) != 1 || tr.rcpts[0].Code != 250 {
		t.Fatalf("replies %v, want the 250 after the dot", tr.rcpts)
	}
	if conn.maxUnset > dataBlock+8192 {
		t.Errorf("%d bytes went out under one deadline, want at most a block (%d) and the buffer", conn.maxUnset, dataBlock)
	}
}
