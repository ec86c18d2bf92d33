package scenario

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/quiesce"
	"github.com/relaylab/relaylab/internal/store"
)

// trackedPair is both tracked ends of one loopback connection.
func trackedPair(t *testing.T, wire *quiesce.Tracker) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-accepted
	if s == nil {
		t.Fatal("accept failed")
	}
	client, server = wire.Wrap(c, quiesce.Client), wire.Wrap(s, quiesce.Server)
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// idleStore is a store for a driver under test.
func idleStore(t *testing.T, vc *clock.Virtual) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "idle.db"), Sync: store.SyncOff, Clock: vc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// lateRelay stands for a relay with one job, which reads a reply the
// sink gives after a sleep on the clock. The first time the driver finds
// it idle, the sleep's timer fires and its callback runs to its end before
// the answer reaches the driver: the answer is out of date by then, as when
// a callback set off before the driver looked runs only while it looks.
// The job, once it has its reply, ends only after the driver has asked
// again and found it at work.
type lateRelay struct {
	vc       *clock.Virtual
	busy     atomic.Int64
	fired    atomic.Bool
	once     sync.Once
	noticed  chan struct{} // closed once the driver, after the firing, found the job at work
	noticeOn sync.Once
}

func (r *lateRelay) IdleBut(waiting int) bool {
	idle := r.busy.Load() == int64(waiting)
	if !idle {
		if r.fired.Load() {
			r.noticeOn.Do(func() { close(r.noticed) })
		}
		return false
	}
	r.once.Do(func() {
		r.vc.FireNext()
		for r.vc.Running() > 0 {
			time.Sleep(time.Millisecond)
		}
		r.fired.Store(true)
	})
	return idle
}

// TestWaitIdleSeesWorkMoveWhileItLooks: work that passes from one party to
// another while the driver looks at them, from a timer's callback to a
// connection here, is not missed by both looks. The driver asked the
// connections, then the relay, then whether a callback ran: a callback
// that ran in between left an end woken that the connections had been
// asked about already, and the driver took that for idle and moved the
// clock (slow-receiver.yaml's last attempt a virtual minute late, one
// replay in ten on a loaded machine).
func TestWaitIdleSeesWorkMoveWhileItLooks(t *testing.T) {
	t.Parallel()
	vc := clock.NewVirtual(time.Unix(0, 0))
	wire := quiesce.New(vc)
	client, server := trackedPair(t, wire)
	rl := &lateRelay{vc: vc, noticed: make(chan struct{})}
	rl.busy.Store(1)
	// The sink sleeps a minute on the clock, replies, and waits for the
	// next command; the relay's job reads the reply.
	go func() {
		if quiesce.Sleep(context.Background(), vc, server, time.Minute) == nil {
			server.Write([]byte("250 ok\r\n"))
			server.Read(make([]byte, 64))
		}
	}()
	go func() {
		client.Read(make([]byte, 64))
		<-rl.noticed
		rl.busy.Add(-1)
	}()
	d := &driver{st: idleStore(t, vc), vc: vc, wire: wire, settle: time.Microsecond, relay: rl}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.waitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if n := rl.busy.Load(); n != 0 {
		t.Fatal("idle while the sink, woken by the clock, was about to reply to the relay's job")
	}
}

// finishingSink stands for a sink that has closed a connection and not
// yet recorded its session: it finishes once the driver has asked.
type finishingSink struct {
	open     atomic.Int64
	finished atomic.Bool
}

func (s *finishingSink) OpenSessions() int {
	n := int(s.open.Load())
	if n > 0 {
		s.open.Add(-1)
		s.finished.Store(true)
	}
	return n
}

// TestWaitIdleWaitsForTheSinkToRecordAClosedSession: the sink records a
// session after closing its socket, at the clock's time then; the
// connection was done, and the driver moved the clock before the record
// (a session's end, and a replay's last event, later than it was).
func TestWaitIdleWaitsForTheSinkToRecordAClosedSession(t *testing.T) {
	t.Parallel()
	vc := clock.NewVirtual(time.Unix(0, 0))
	wire := quiesce.New(vc)
	client, server := trackedPair(t, wire)
	server.Close()
	client.Close()
	sk := &finishingSink{}
	sk.open.Store(1)
	d := &driver{st: idleStore(t, vc), vc: vc, wire: wire, settle: time.Microsecond, sink: sk}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.waitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if !sk.finished.Load() {
		t.Fatal("idle while the sink had a closed connection's session to record")
	}
}

// kickedRelay stands for a relay that a timer's callback (the sink's
// asynchronous bounce, submitted to it) hands work to: the callback,
// fired before the driver looks, is held until the driver asks the relay
// (or, so that a driver that waits for it goes on, until a moment has
// passed), and the answer the driver gets is from before it. The work the
// callback handed over ends once the driver has found the relay at work.
type kickedRelay struct {
	vc       *clock.Virtual
	busy     atomic.Int64
	release  chan struct{}
	freed    sync.Once
	noticed  chan struct{}
	noticeOn sync.Once
}

func (r *kickedRelay) free() { r.freed.Do(func() { close(r.release) }) }

func (r *kickedRelay) IdleBut(waiting int) bool {
	idle := r.busy.Load() == int64(waiting)
	if !idle {
		r.noticeOn.Do(func() { close(r.noticed) })
		return false
	}
	if r.vc.Running() > 0 {
		r.free()
		for r.vc.Running() > 0 {
			time.Sleep(time.Millisecond)
		}
	}
	return idle
}

// TestWaitIdleAsksAboutCallbacksFirst: a timer's callback hands its work
// on before it ends, so the driver asks whether one runs before it asks
// where the work goes; asked last, a callback that ended in between had
// handed over work that nothing showed.
func TestWaitIdleAsksAboutCallbacksFirst(t *testing.T) {
	t.Parallel()
	vc := clock.NewVirtual(time.Unix(0, 0))
	rl := &kickedRelay{vc: vc, release: make(chan struct{}), noticed: make(chan struct{})}
	vc.AfterFunc(time.Minute, func() {
		<-rl.release
		rl.busy.Add(1) // a kick: the relay has a message to send
		go func() {
			<-rl.noticed
			rl.busy.Add(-1)
		}()
	})
	vc.FireNext()
	d := &driver{st: idleStore(t, vc), vc: vc, wire: quiesce.New(vc), settle: time.Microsecond, relay: rl}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nudge := time.AfterFunc(20*time.Millisecond, rl.free)
	defer nudge.Stop()
	if err := d.waitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if n := rl.busy.Load(); n != 0 {
		t.Fatal("idle while the relay had the work a timer's callback handed it")
	}
}
