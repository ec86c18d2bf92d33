package relay

import (
	"net"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// stallConn is a connection to a server that sends reply and then
// nothing, and never closes. Its reads do not wait: once reply is read,
// a read fails at once as if its deadline had passed, so a test sees
// what the client would do at the deadline without waiting for it. It
// records what the client wrote and each deadline set.
type stallConn struct {
	net.Conn // nil: only the methods below are used
	mu       sync.Mutex
	reply    *strings.Reader
	wrote    strings.Builder
	set      []time.Time
	closed   bool
}

func newStallConn(reply string) *stallConn { return &stallConn{reply: strings.NewReader(reply)} }

func (c *stallConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reply.Len() > 0 {
		return c.reply.Read(b)
	}
	return 0, os.ErrDeadlineExceeded
}

func (c *stallConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wrote.Write(b)
}

func (c *stallConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.set = append(c.set, t)
	return nil
}

func (c *stallConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

// TestQuitBounded: QUIT waits for the reply and for the server's close at
// most quitTimeout (or the path's command timeout when shorter), not the
// 10 s it did, and the transcript says QUIT was sent, what came back, and
// that the relay closed the connection; a dead connection gets no QUIT.
func TestQuitBounded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cmdWait time.Duration
		reply   string // what the server sends after QUIT, then nothing
		dead    bool
		wait    time.Duration
		want    []string
	}{
		{"no reply", defaultCommandTimeout, "", false, 2 * time.Second,
			[]string{"C: QUIT", "-- no reply to QUIT within 2s; the connection is closed by us"}},
		{"221 but no close", defaultCommandTimeout, "221 2.0.0 bye\r\n", false, 2 * time.Second,
			[]string{"C: QUIT", "S: 221 2.0.0 bye", "-- the server did not close the connection within 2s of QUIT; it is closed by us"}},
		{"short command timeout", 300 * time.Millisecond, "", false, 300 * time.Millisecond,
			[]string{"C: QUIT", "-- no reply to QUIT within 300ms; the connection is closed by us"}},
		{"dead connection", defaultCommandTimeout, "", true, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn := newStallConn(tt.reply)
			c := newClient(conn, tt.cmdWait, defaultDataTimeout, newTranscript(clock.NewVirtual(epoch)))
			if tt.dead {
				// A read that timed out leaves the connection dead.
				if _, err := c.readReply("rcpt"); err == nil {
					t.Fatal("a read from a stalled server did not fail")
				}
				conn.set = nil
				c.rec.take()
			}
			before := time.Now()
			c.quit()
			after := time.Now()
			ts := c.rec.take()
			if !conn.closed {
				t.Error("the connection was not closed")
			}
			if tt.dead {
				if conn.wrote.Len() > 0 || len(conn.set) > 0 || ts != "" {
					t.Errorf("a dead connection got %q, deadlines %v, transcript %q; want nothing", conn.wrote.String(), conn.set, ts)
				}
				return
			}
			if conn.wrote.String() != "QUIT\r\n" {
				t.Errorf("wrote %q, want QUIT", conn.wrote.String())
			}
			// Each deadline is set from the machine's time during quit: it
			// lies between before+wait and after+wait whatever the speed.
			if len(conn.set) == 0 {
				t.Fatal("QUIT was sent without a deadline")
			}
			for _, d := range conn.set {
				if d.Before(before.Add(tt.wait)) || d.After(after.Add(tt.wait)) {
					t.Errorf("deadline %v after the call, want %v", d.Sub(before), tt.wait)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(ts, w) {
					t.Errorf("transcript lacks %q:\n%s", w, ts)
				}
			}
		})
	}
}

// hangAfter serves SMTP on 127.0.0.1 with PIPELINING off: greeting, then
// replies from answer (by command verb, "250 ok" when it has none); after
// a command whose reply starts with a 4 or 5 and is in hang, it reads
// everything the client sends and answers nothing, QUIT included, until
// the client closes.
func hangAfter(t *testing.T, greeting string, answer map[string]string, hang string) string {
	t.Helper()
	return scriptedServer(t, func(tc *textproto.Conn) {
		tc.PrintfLine("%s", greeting)
		if strings.HasPrefix(greeting, hang) {
			for {
				if _, err := tc.ReadLine(); err != nil {
					return
				}
			}
		}
		for {
			l, err := tc.ReadLine()
			if err != nil {
				return
			}
			verb := strings.ToUpper(strings.Fields(l + " x")[0])
			rep, ok := answer[verb]
			if !ok {
				rep = "250 ok"
			}
			tc.PrintfLine("%s", rep)
			if verb == "DATA" && strings.HasPrefix(rep, "354") {
				if _, err := tc.ReadDotBytes(); err != nil {
					return
				}
				tc.PrintfLine("250 2.0.0 queued")
			}
			if hang != "" && strings.HasPrefix(rep, hang) {
				for {
					if _, err := tc.ReadLine(); err != nil {
						return
					}
				}
			}
		}
	})
}

// TestMX5xxGreetingQuitDoesNotHang: an MX host that greets with 554 and
// then never answers QUIT nor closes holds the walk no longer than the
// QUIT wait (here the path's command timeout, 300ms) before the next MX
// host delivers; its transcript says QUIT went unanswered and the relay
// closed the connection.
func TestMX5xxGreetingQuitDoesNotHang(t *testing.T) {
	t.Parallel()
	mx1 := &fakeMTA{addr: hangAfter(t, "554 5.7.1 mx1.mx.test go away", nil, "554")}
	mx2 := startMTA(t, nil)
	h, _ := mxHarness(t, map[string]*fakeMTA{"192.0.2.1": mx1, "192.0.2.2": mx2},
		func(c *Config) { c.Paths[0].CommandTimeout = dur(300 * time.Millisecond) })
	id := h.enqueue("a@s.test", "u@multi.mx.test")
	h.runUntil("delivery", h.done(id, 1))
	if got := h.terminal(id)["u@multi.mx.test"]; len(got) != 1 || got[0] != events.RelayDelivered {
		t.Fatalf("terminal events %v, want delivered at mx2", got)
	}
	att := h.firstAttempt(t, id)
	if len(att) != 2 {
		t.Fatalf("attempt events %v, want mx1 and mx2", att)
	}
	ts, _ := att[0]["transcript"].(string)
	for _, want := range []string{"S: 554 5.7.1 mx1.mx.test go away", "C: QUIT", "-- no reply to QUIT within 300ms; the connection is closed by us"} {
		if !strings.Contains(ts, want) {
			t.Errorf("mx1's transcript lacks %q:\n%s", want, ts)
		}
	}
}
