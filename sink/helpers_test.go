package sink

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/textproto"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
)

// testSink starts a sink with one listener on 127.0.0.1:0 and a fresh
// store; edit changes the configuration first. clk may be nil (real).
func testSink(t testing.TB, clk clock.Clock, edit func(*Config)) (*Sink, *store.Store) {
	t.Helper()
	return testSinkAt(t, filepath.Join(t.TempDir(), "sink.db"), clk, edit)
}

func testSinkAt(t testing.TB, path string, clk clock.Clock, edit func(*Config)) (*Sink, *store.Store) {
	t.Helper()
	return testSinkLogged(t, path, clk, quietLogger(), edit)
}

// testSinkLogged is testSinkAt with the sink logging to log (the store
// stays quiet).
func testSinkLogged(t testing.TB, path string, clk clock.Clock, log *slog.Logger, edit func(*Config)) (*Sink, *store.Store) {
	t.Helper()
	if clk == nil {
		clk = clock.Real{}
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff, Clock: clk, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Listeners[0].Listen = "127.0.0.1:0"
	cfg.Bounce.Relay = ""
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg, Options{Store: st, Clock: clk, Logger: log, Seed: 7})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		st.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(sctx)
		st.Close()
	})
	return s, st
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func addrOf(t testing.TB, s *Sink, name string) string {
	t.Helper()
	a, ok := s.Addrs()[name]
	if !ok {
		t.Fatalf("no listener %q", name)
	}
	return a.String()
}

// client is a bare SMTP client that shows every reply as sent.
type client struct {
	t  testing.TB
	nc net.Conn
	tp *textproto.Conn
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	return &client{t: t, nc: nc, tp: textproto.NewConn(nc)}
}

// read returns the next reply's code and its last line's text.
func (c *client) read() (int, string) {
	c.t.Helper()
	code, msg, err := c.tp.ReadResponse(0)
	if err != nil && code == 0 {
		return 0, err.Error()
	}
	lines := strings.Split(msg, "\n")
	return code, lines[len(lines)-1]
}

func (c *client) cmd(format string, args ...any) (int, string) {
	c.t.Helper()
	if err := c.tp.PrintfLine(format, args...); err != nil {
		return 0, err.Error()
	}
	return c.read()
}

// expect runs cmd and fails unless the reply has code (and contains text).
func (c *client) expect(code int, text string, format string, args ...any) {
	c.t.Helper()
	got, msg := c.cmd(format, args...)
	if got != code || !strings.Contains(msg, text) {
		c.t.Fatalf("%q: got %d %q, want %d containing %q", strings.TrimSpace(format), got, msg, code, text)
	}
}

// greet reads the greeting and says EHLO.
func (c *client) greet() {
	c.t.Helper()
	if code, msg := c.read(); code != 220 {
		c.t.Fatalf("greeting: got %d %q", code, msg)
	}
	c.expect(250, "", "EHLO client.test")
}

// body sends a message after a 354 and returns the final reply.
func (c *client) body(msg string) (int, string) {
	c.t.Helper()
	w := c.tp.DotWriter()
	io.WriteString(w, msg)
	w.Close()
	return c.read()
}

// send runs one transaction and returns the reply to the last command
// reached (RCPT rejection, DATA refusal or final reply).
func (c *client) send(from, to, msg string) (int, string) {
	c.t.Helper()
	if code, text := c.cmd("MAIL FROM:<%s>", from); code != 250 {
		return code, text
	}
	if code, text := c.cmd("RCPT TO:<%s>", to); code != 250 {
		return code, text
	}
	if code, text := c.cmd("DATA"); code != 354 {
		return code, text
	}
	return c.body(msg)
}

const testMsg = "From: a@sender.test\r\nTo: b@sink.test\r\nSubject: hi\r\nMessage-ID: <m1@sender.test>\r\n\r\nHello.\r\n"

// waitSessions waits until n sessions are recorded (sessions are recorded
// when they end, just after the client sees the connection close).
func waitSessions(t testing.TB, st *store.Store, n int) {
	t.Helper()
	for i := 0; i < 2000; i++ {
		var got int
		// Ended ones: a session's messages write its row before it ends.
		st.DB().QueryRow(`SELECT COUNT(*) FROM sink_sessions WHERE end_ns > 0`).Scan(&got)
		if got >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("fewer than %d sessions recorded", n)
}

// advanceWhenWaiting advances the virtual clock by d as soon as something
// waits on it.
func advanceWhenWaiting(t testing.TB, v *clock.Virtual, d time.Duration) {
	t.Helper()
	for i := 0; i < 4000 && v.Pending() == 0; i++ {
		time.Sleep(time.Millisecond)
	}
	if v.Pending() == 0 {
		t.Fatal("nothing is waiting on the clock")
	}
	v.Advance(d)
}

type dialer struct{}

func (dialer) dial(addr string) (net.Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		nc.Close()
	}
	return nc, err
}
