package quiesce

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// pairUp returns both tracked ends of one loopback connection.
func pairUp(t *testing.T, tr *Tracker) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	client = tr.Wrap(c, Client)
	if _, _, ok := tr.Quiet(); ok {
		t.Error("quiet with a connection dialed but not yet accepted")
	}
	s := <-accepted
	if s == nil {
		t.Fatal("accept failed")
	}
	server = tr.Wrap(s, Server)
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// waitFor polls cond: the ends run in goroutines of their own.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 5000; i++ {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("never: %s", what)
}

func quiet(tr *Tracker) (int, bool) {
	n, _, ok := tr.Quiet()
	return n, ok
}

func TestQuietFollowsReadsWritesAndSleeps(t *testing.T) {
	vc := clock.NewVirtual(time.Unix(0, 0))
	tr := New(vc)
	client, server := pairUp(t, tr)

	// Neither end has done anything: the server is at work.
	if _, ok := quiet(tr); ok {
		t.Fatal("quiet while the server end neither reads nor sleeps")
	}

	// The server sleeps on the clock; the client waits for its reply.
	slept := make(chan error, 1)
	go func() { slept <- Sleep(context.Background(), vc, server, 30*time.Second) }()
	got := make(chan string, 1)
	go func() {
		b := make([]byte, 64)
		n, _ := client.Read(b)
		got <- string(b[:n])
	}()
	waitFor(t, "both ends wait", func() bool { n, ok := quiet(tr); return ok && n == 1 })

	// The clock wakes the server: from that moment it is not quiet, even
	// before its goroutine runs.
	vc.Advance(30 * time.Second)
	running := vc.Running()
	if _, ok := quiet(tr); ok && running == 0 {
		t.Fatal("quiet right after the clock woke the sleeping server")
	}
	if err := <-slept; err != nil {
		t.Fatal(err)
	}
	if _, ok := quiet(tr); ok {
		t.Fatal("quiet while the server runs after its sleep")
	}

	// The server writes and reads the next command; until the client has
	// read the reply, bytes are on the way.
	go func() {
		server.Write([]byte("250 ok\r\n"))
		b := make([]byte, 64)
		server.Read(b)
	}()
	if r := <-got; r != "250 ok\r\n" {
		t.Fatalf("client read %q", r)
	}
	// The client now does neither: as a client end it may be idle (a kept
	// connection), so the pair is quiet with no client reader.
	waitFor(t, "quiet with the client idle", func() bool { n, ok := quiet(tr); return ok && n == 0 })

	// A client write is on the way until the server has read it.
	client.Write([]byte("QUIT\r\n"))
	waitFor(t, "server read the QUIT and went on", func() bool { _, ok := quiet(tr); return !ok })
}

func TestUnreadBytesAreNotQuiet(t *testing.T) {
	vc := clock.NewVirtual(time.Unix(0, 0))
	tr := New(vc)
	client, server := pairUp(t, tr)
	// The client writes while the server sleeps: the bytes wait in the
	// socket, which is fine (the server will read them when it wakes)...
	go Sleep(context.Background(), vc, server, time.Minute)
	go func() { client.Write([]byte("RCPT TO:<a@b>\r\n")); client.Read(make([]byte, 8)) }()
	waitFor(t, "client waits, server sleeps", func() bool { n, ok := quiet(tr); return ok && n == 1 })
	// ...but a reader with bytes waiting for it is about to run.
	e := server.(*Conn)
	tr.mu.Lock()
	e.sleeping, e.reading = false, true
	tr.mu.Unlock()
	if _, ok := quiet(tr); ok {
		t.Fatal("quiet while the server end has unread bytes waiting")
	}
}

func TestPeerClosedWakesAReader(t *testing.T) {
	vc := clock.NewVirtual(time.Unix(0, 0))
	tr := New(vc)
	client, server := pairUp(t, tr)
	done := make(chan error, 1)
	go func() { _, err := server.Read(make([]byte, 8)); done <- err }()
	waitFor(t, "server reads", func() bool { _, ok := quiet(tr); return ok })
	client.Close()
	// The server will get end of file, and then is at work: not quiet
	// until it has closed its end too.
	if _, ok := quiet(tr); ok {
		t.Fatal("quiet while the server's read is about to see end of file")
	}
	if err := <-done; !errors.Is(err, io.EOF) {
		t.Fatalf("server read: %v, want EOF", err)
	}
	server.Close()
	if _, ok := quiet(tr); !ok {
		t.Fatal("not quiet with both ends closed")
	}
	if len(tr.pairs) != 0 {
		t.Errorf("%d pairs kept after both ends closed", len(tr.pairs))
	}
}

func TestReadDeadlineRunsOnTheClock(t *testing.T) {
	vc := clock.NewVirtual(time.Unix(0, 0))
	tr := New(vc)
	client, server := pairUp(t, tr)
	go Sleep(context.Background(), vc, server, time.Hour) // a sink that hangs on the clock

	client.SetDeadline(time.Now().Add(5 * time.Minute))
	res := make(chan error, 1)
	go func() { _, err := client.Read(make([]byte, 8)); res <- err }()
	waitFor(t, "both wait", func() bool { n, ok := quiet(tr); return ok && n == 1 })

	// Real time passing does not time the read out; the clock does.
	time.Sleep(20 * time.Millisecond)
	select {
	case err := <-res:
		t.Fatalf("read ended before the clock moved: %v", err)
	default:
	}
	next, ok := vc.Next()
	if !ok || !next.Equal(time.Unix(0, 0).Add(5*time.Minute)) {
		t.Fatalf("next timer at %v, want the deadline at +5m", next)
	}
	vc.AdvanceTo(next)
	err := <-res
	if !errors.Is(err, os.ErrDeadlineExceeded) || err.Error() != "i/o timeout" {
		t.Fatalf("read: %v, want a bare i/o timeout (no ports, so that replays compare)", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read error %v is not a net.Error timeout", err)
	}
	// A new deadline clears the expired one.
	client.SetReadDeadline(time.Time{})
	server.Write([]byte("x"))
	if _, err := client.Read(make([]byte, 1)); err != nil {
		t.Fatalf("read after clearing the deadline: %v", err)
	}
}

func TestReplacedDeadlineDoesNotFire(t *testing.T) {
	vc := clock.NewVirtual(time.Unix(0, 0))
	tr := New(vc)
	client, server := pairUp(t, tr)
	client.SetReadDeadline(time.Now().Add(time.Minute))
	client.SetReadDeadline(time.Now().Add(time.Hour))
	if n := vc.Pending(); n != 1 {
		t.Fatalf("%d timers pending, want the one deadline", n)
	}
	vc.Advance(2 * time.Minute)
	server.Write([]byte("y"))
	if _, err := client.Read(make([]byte, 1)); err != nil {
		t.Fatalf("read under the replaced deadline: %v", err)
	}
}

func TestSleepUntrackedIsClockSleep(t *testing.T) {
	vc := clock.NewVirtual(time.Unix(0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, vc, nil, time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep on a cancelled context: %v", err)
	}
}

// stepClock hands AfterFunc's functions to the test instead of running them.
type stepClock struct {
	clock.Clock
	fns chan func()
}

type noTimer struct{}

func (noTimer) C() <-chan time.Time      { return nil }
func (noTimer) Stop() bool               { return true }
func (noTimer) Reset(time.Duration) bool { return true }

func (s stepClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	s.fns <- f
	return noTimer{}
}

func TestWokenEndIsNotQuiet(t *testing.T) {
	// Whenever the clock's function has run, the sleeper counts as at work,
	// whether or not its goroutine has returned from Sleep yet.
	vc := clock.NewVirtual(time.Unix(0, 0))
	tr := New(vc)
	client, server := pairUp(t, tr)
	go client.Read(make([]byte, 1))
	sc := stepClock{Clock: vc, fns: make(chan func(), 1)}
	for i := 0; i < 50; i++ {
		done := make(chan struct{})
		go func() { defer close(done); Sleep(context.Background(), sc, server, time.Second) }()
		wake := <-sc.fns
		waitFor(t, "both wait", func() bool { _, ok := quiet(tr); return ok })
		wake()
		if _, ok := quiet(tr); ok {
			t.Fatalf("round %d: quiet after the clock woke the sleeper", i)
		}
		<-done
	}
	// A read whose deadline has passed is about to fail: at work too.
	go server.Read(make([]byte, 1))
	waitFor(t, "both read", func() bool { _, ok := quiet(tr); return ok })
	e := client.(*Conn)
	tr.mu.Lock()
	e.expired = true
	tr.mu.Unlock()
	if _, ok := quiet(tr); ok {
		t.Fatal("quiet with a read past its deadline")
	}
}

// peekClock asks the tracker, each time a timer is set, whether it finds
// the connections quiet.
type peekClock struct {
	clock.Clock
	tr    *Tracker
	quiet chan bool
}

func (p peekClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	_, _, ok := p.tr.Quiet()
	p.quiet <- ok
	return p.Clock.AfterFunc(d, f)
}

// TestSleepIsOnTheClockBeforeItCounts: a tracked end counts as sleeping
// only once its wake-up is on the clock. It counted from before: a replay
// that found it sleeping then took the next timer on the clock (the
// relay's deadline, minutes away) for the next thing due and fired it
// first, and the trickled reply of slow-receiver.yaml timed out.
func TestSleepIsOnTheClockBeforeItCounts(t *testing.T) {
	vc := clock.NewVirtual(time.Unix(0, 0))
	tr := New(vc)
	client, server := pairUp(t, tr)
	go client.Read(make([]byte, 1))
	pc := peekClock{Clock: vc, tr: tr, quiet: make(chan bool, 1)}
	slept := make(chan error, 1)
	go func() { slept <- Sleep(context.Background(), pc, server, time.Second) }()
	if <-pc.quiet {
		t.Fatal("quiet, the server end sleeping, before its wake-up was on the clock")
	}
	waitFor(t, "the server sleeps", func() bool { _, ok := quiet(tr); return ok })
	if next, ok := vc.Next(); !ok || !next.Equal(time.Unix(1, 0)) {
		t.Fatalf("next timer %v (%v), want the sleep's at +1s", next, ok)
	}
	vc.Advance(time.Second)
	if err := <-slept; err != nil {
		t.Fatal(err)
	}
}

// TestOpenCountsEndsNotClosed: Open counts each side's tracked ends until
// they are closed.
func TestOpenCountsEndsNotClosed(t *testing.T) {
	vc := clock.NewVirtual(time.Unix(0, 0))
	tr := New(vc)
	client, server := pairUp(t, tr)
	if c, s := tr.Open(Client), tr.Open(Server); c != 1 || s != 1 {
		t.Fatalf("open: %d client, %d server ends, want 1 and 1", c, s)
	}
	server.Close()
	if c, s := tr.Open(Client), tr.Open(Server); c != 1 || s != 0 {
		t.Fatalf("after the server closed: %d client, %d server ends open, want 1 and 0", c, s)
	}
	client.Close()
	if c, s := tr.Open(Client), tr.Open(Server); c != 0 || s != 0 {
		t.Fatalf("after both closed: %d client, %d server ends open, want none", c, s)
	}
}

// TestSetDeadlineAfterKeepsTheWait: a caller that passes the wait gets it
// exactly on the clock, however long it took to make the call; a deadline
// of the machine's time is kept to 10 ms.
func TestSetDeadlineAfterKeepsTheWait(t *testing.T) {
	vc := clock.NewVirtual(time.Unix(0, 0))
	tr := New(vc)
	client, _ := pairUp(t, tr)
	d := 5*time.Minute + 123*time.Microsecond
	client.(*Conn).SetDeadlineAfter(d)
	if next, ok := vc.Next(); !ok || !next.Equal(time.Unix(0, 0).Add(d)) {
		t.Fatalf("deadline at %v, want +%v exactly", next, d)
	}
	// A pause of 3 ms between computing the time and the call, on a
	// machine's clock the test moves itself, so that how busy the machine
	// is cannot make it longer (a real sleep of 3 ms took over 5 ms in CI).
	wall := time.Unix(1e9, 0)
	tr.now = func() time.Time { return wall }
	at := wall.Add(d)
	wall = wall.Add(3 * time.Millisecond)
	client.SetReadDeadline(at)
	if next, _ := vc.Next(); !next.Equal(time.Unix(0, 0).Add(5 * time.Minute)) {
		t.Fatalf("deadline at %v, want +5m (the wait to 10 ms)", next)
	}
}
