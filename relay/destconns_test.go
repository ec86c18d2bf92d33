package relay

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// waitFor polls cond in real time, for conditions that hold once
// goroutines outside the clock's reach (a server, a job blocked on it)
// get there; it fails the test after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: gave up", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// On a path with destination: domain, a connection kept after one
// domain's message carries the next domain's: they all go to the same
// smarthost. Before, connections were kept per domain and nothing closed
// another domain's idle one while the relay was busy, so that one slow
// message and one message to each of 60 domains left 61 connections open
// at the server (with max_connections 4, counted per domain), and the
// relay kept a dest for every domain it had ever sent to.
func TestDomainDestinationSharesKeptConnections(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dest     string
		maxConns int
	}{
		{DestinationHost, 4},
		{DestinationDomain, 4},
		{DestinationDomain, 0}, // serve's built-in local-sink has no cap
	} {
		t.Run(fmt.Sprintf("%s/max_connections=%d", tc.dest, tc.maxConns), func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			slow := make(chan struct{})
			var slowOnce sync.Once
			mta := startMTA(t, func(f *fakeMTA) {
				f.onRcpt = func(to string) error {
					if strings.HasSuffix(to, "@slow.test") {
						slowOnce.Do(func() { close(slow) })
						<-release
					}
					return nil
				}
			})
			cfg := testConfig(mta.addr)
			cfg.Paths[0].Destination = tc.dest
			cfg.Paths[0].MaxConnections = tc.maxConns
			cfg.Paths[0].MessagesPerConnection = 100
			h := newHarness(t, cfg, Options{})
			t.Cleanup(func() { close(release) }) // before the relay's shutdown
			h.enqueue("a@s.test", "x@slow.test") // keeps the relay busy
			waitFor(t, "the slow message at the server", func() bool {
				select {
				case <-slow:
					return true
				default:
					return false
				}
			})
			const n = 60
			for i := 0; i < n; i++ {
				id := h.enqueue("a@s.test", fmt.Sprintf("u@d%d.test", i))
				waitFor(t, fmt.Sprintf("d%d.test delivered", i), h.done(id, 1))
			}
			mta.mu.Lock()
			open, made := mta.open, mta.conns
			mta.mu.Unlock()
			h.r.mu.Lock()
			nd := len(h.r.dests)
			h.r.mu.Unlock()
			h.r.pool.mu.Lock()
			keys := len(h.r.pool.idle)
			h.r.pool.mu.Unlock()
			t.Logf("%d connections open at the server, %d made, %d dests in memory, %d pool keys", open, made, nd, keys)
			if open != 2 || made != 2 {
				t.Errorf("%d connections open at the server and %d made after mail to %d domains beside a slow message, want 2 and 2 (the slow one's and one kept for all the domains)", open, made, n)
			}
			if nd > 1 {
				t.Errorf("%d destinations kept in memory, want at most 1 (the slow message's): a domain neither resting nor sending is forgotten", nd)
			}
			if keys > 1 {
				t.Errorf("%d keys in the pool of idle connections, want at most 1", keys)
			}
		})
	}
}

// On a path with destination: domain, max_connections caps the path's
// connections to its smarthost, all domains together. Before, it was each
// domain's: five messages to five domains with max_connections 2 opened
// five connections at once.
func TestDomainDestinationMaxConnectionsOverPath(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var arrived atomic.Int64
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			arrived.Add(1)
			<-release
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Destination = DestinationDomain
	cfg.Paths[0].MaxConnections = 2
	cfg.Paths[0].MessagesPerConnection = 100
	h := newHarness(t, cfg, Options{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	t.Cleanup(open)
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, h.enqueue("a@s.test", fmt.Sprintf("u@d%d.test", i)))
	}
	// Two jobs reach the server, three wait for a connection; or, without
	// the path's cap, more than two reach it.
	waitFor(t, "two at the server and three waiting", func() bool {
		return arrived.Load() > 2 || arrived.Load() == 2 && h.r.parked.Load() == 3
	})
	if got := arrived.Load(); got != 2 {
		t.Errorf("%d messages to different domains at the server at once, want 2 (max_connections 2 over the path)", got)
	}
	open()
	h.runUntil("all delivered", h.allDone(ids))
	mta.mu.Lock()
	defer mta.mu.Unlock()
	if mta.peak > 2 {
		t.Errorf("%d connections open at once to the smarthost, want at most 2 (max_connections over the path)", mta.peak)
	}
}

// A domain's dest is forgotten only when nothing depends on it: while its
// rate slot is ahead of the clock it stays, so that the next message to
// the domain still waits for it.
func TestDomainDestinationKeepsRateAcrossMessages(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Destination = DestinationDomain
	cfg.Paths[0].Rate = 0.1 // one message every 10s
	h := newHarness(t, cfg, Options{})
	first := h.enqueue("a@s.test", "one@r.test")
	h.runUntil("the first delivered", h.done(first, 1))
	second := h.enqueue("a@s.test", "two@r.test")
	h.runUntil("the second delivered", h.done(second, 1))
	at := func(id string) time.Duration {
		return h.events(events.Filter{Message: id, Kinds: []string{events.RelayDelivered}})[0].Time.Sub(epoch)
	}
	if a, b := at(first), at(second); b-a < 10*time.Second {
		t.Errorf("r.test's messages delivered at %v and %v, want 10s apart (rate 0.1)", a, b)
	}
}

// An idle connection taken from the pool leaves no empty list behind.
func TestConnPoolDropsEmptyKeys(t *testing.T) {
	t.Parallel()
	p := newConnPool()
	d := &dest{parked: new(atomic.Int64)}

	d.conns = d
	p.put("path:p|127.0.0.1:25", &pooled{d: d})
	if p.get("path:p|127.0.0.1:25") == nil {
		t.Fatal("the kept connection was not handed out")
	}
	if len(p.idle) != 0 {
		t.Errorf("pool keys %v after its only connection was taken, want none", p.idle)
	}
}

// A dest whose kept connection held it when its job ended is forgotten
// once the relay is idle and has closed its kept connections, so that an
// mx path that meets ever new sets of MX hosts does not keep them all.
func TestIdleRelayForgetsDests(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Paths[0].MessagesPerConnection = 100
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@s.test", "one@r.test")
	h.runUntil("delivered", h.done(id, 1))
	h.settle()
	h.r.mu.Lock()
	defer h.r.mu.Unlock()
	if len(h.r.dests) != 0 {
		t.Errorf("%d dests kept by an idle relay with no rest, want none", len(h.r.dests))
	}
}
