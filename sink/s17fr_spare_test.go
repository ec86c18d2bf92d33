package sink

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
)

// sparedConn is Spared while its client's address is in spare.
type sparedConn struct {
	net.Conn
	spare *spareSet
}

func (c sparedConn) Spare() bool { return c.spare.has(c.RemoteAddr().String()) }

var _ Spared = sparedConn{}

type spareSet struct {
	mu    sync.Mutex
	addrs map[string]bool
}

func (s *spareSet) add(a string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addrs[a] = true
}

func (s *spareSet) has(a string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addrs[a]
}

// A Spared connection (relaylab serve's own relay's) is not answered 421
// as an idle session when the sink shuts down: it is served, between its
// commands and in a new transaction, until its client quits; others are
// answered 421 at once, and new connections are refused.
func TestS17FRShutdownSparesOwnClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "sink.db"), Sync: store.SyncOff, Clock: clock.Real{}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	spare := &spareSet{addrs: map[string]bool{}}
	cfg := DefaultConfig()
	cfg.Listeners[0].Listen = "127.0.0.1:0"
	cfg.Bounce.Relay = ""
	s, err := New(cfg, Options{Store: st, Logger: quietLogger(), Wrap: func(c net.Conn) net.Conn { return sparedConn{c, spare} }})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	addr := addrOf(t, s, "mx")
	own := dial(t, addr)
	spare.add(own.nc.LocalAddr().String())
	own.greet()
	other := dial(t, addr)
	other.greet()
	waitWaiting(t, s, 2)
	if n := s.OpenSessions(); n != 2 {
		t.Errorf("OpenSessions = %d, want 2", n)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Minute) // never met: nothing may wait it out
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(sctx) }()
	if line, err := other.readLine(); line != shutdown421 {
		t.Fatalf("the other client: got %q (%v), want %q", line, err, shutdown421)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("a new connection was accepted after the stop began")
	}
	if code, msg := own.send("a@x.test", "u@sink.test", testMsg); code != 250 {
		t.Fatalf("the spared client's message after the stop began: %d %s", code, msg)
	}
	own.expect(250, "", "RSET")
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) with the spared session open", err)
	default:
	}
	own.expect(221, "", "QUIT")
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v, want nil", err)
	}
}
