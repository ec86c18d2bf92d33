package sink

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"

	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
)

// BenchmarkStateHeap measures what the sink's memory holds for what it
// remembers across sessions: b.N messages, each from its own session to a
// recipient (and with a Message-ID) of its own, then b.N more to one
// recipient (only the Message-IDs new), then a prune of everything and the
// sink's next sweep. The metrics are the live heap after a GC, in bytes
// per message of the first b.N. Run it with -benchtime 20000x or so: a
// message is a whole SMTP session.
func BenchmarkStateHeap(b *testing.B) {
	ctx := context.Background()
	v := clock.NewVirtual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	path := filepath.Join(b.TempDir(), "heap.db")
	st, err := store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff, Clock: v, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cfg := DefaultConfig()
	cfg.Listeners[0].Listen = "127.0.0.1:0"
	cfg.Bounce.Relay = ""
	s, err := New(cfg, Options{Store: st, Clock: v, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown(ctx)
	addr := s.Addrs()["mx"].String()
	heap := func() (uint64, uint64) {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc, ms.HeapObjects
	}
	var n0 atomic.Int64
	send := func(rcpt func(i int64) string) {
		var wg sync.WaitGroup
		var failed atomic.Int64
		var next atomic.Int64
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1)
					if i > int64(b.N) {
						return
					}
					id := n0.Add(1)
					body := fmt.Sprintf("Message-ID: <m%d@heap.test>\r\nSubject: heap\r\n\r\nHello.\r\n", id)
					if err := sendTo(addr, rcpt(i), body); err != nil {
						failed.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if failed.Load() > 0 {
			b.Fatalf("%d messages failed", failed.Load())
		}
		if err := s.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	per := func(name string, h uint64, base uint64) {
		b.ReportMetric(float64(int64(h)-int64(base))/float64(b.N), name)
	}
	b.ResetTimer()
	base, obj0 := heap()
	send(func(i int64) string { return fmt.Sprintf("u%d@unique-domain-%d.test", i, i) })
	unique, obj1 := heap()
	send(func(int64) string { return "one@sink.test" })
	one, obj2 := heap()
	v.Advance(2 * time.Hour)
	if _, err := st.Prune(ctx, v.Now().Add(-time.Hour), store.PruneOptions{}); err != nil {
		b.Fatal(err)
	}
	if err := s.sweep(ctx); err != nil {
		b.Fatal(err)
	}
	pruned, obj3 := heap()
	b.StopTimer()
	per("B/msg-unique", unique, base)
	per("B/msg-then-one", one, base)
	per("B/msg-pruned", pruned, base)
	b.Logf("N=%d heap MB (objects): base %.1f (%d), unique %.1f (%d), +one %.1f (%d), pruned+sweep %.1f (%d); state: %s",
		b.N, mb(base), obj0, mb(unique), obj1, mb(one), obj2, mb(pruned), obj3, stateSizes(s))
}

func mb(n uint64) float64 { return float64(n) / (1 << 20) }

// stateSizes says how many entries each of the state's maps has.
func stateSizes(s *Sink) string {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	return fmt.Sprintf("pairs %d, msgs %d, grey %d", len(st.pairs), len(st.msgs), len(st.grey))
}

// sendTo is one session that sends body from a@heap.test to rcpt.
func sendTo(addr, rcpt, body string) error {
	return sendSteps(addr, []struct{ send, want string }{
		{"", "220"}, {"EHLO heap.test\r\n", "250"}, {"MAIL FROM:<a@heap.test>\r\n", "250"},
		{"RCPT TO:<" + rcpt + ">\r\n", "250"}, {"DATA\r\n", "354"}, {body + ".\r\n", "250"}, {"QUIT\r\n", "221"},
	})
}
