package relay

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
)

// BenchmarkScheduleDue measures what the scheduler pays per due recipient
// (claim plus the next-due lookup) with 10k and 1M recipients deferred
// into the far future: the cost must follow what is due, not the queue.
//
//	go test -run XXX -bench ScheduleDue -benchtime 200x ./relay
func BenchmarkScheduleDue(b *testing.B) {
	const due = 100
	for _, queued := range []int{10_000, 1_000_000} {
		v, st, r := benchRelay(b, testConfig("127.0.0.1:1"))
		ctx := context.Background()
		later := epoch.Add(365 * 24 * time.Hour).UnixNano()
		err := st.Write(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(`INSERT INTO relay_messages (id, sender, size, data, created_ns, expires_ns) VALUES ('bulk', 'a@s.test', 1, 'x', 0, 0)`); err != nil {
				return err
			}
			for i := 0; i < queued; i++ {
				if _, err := tx.Exec(`INSERT INTO relay_recipients (message_id, address, state, due_ns, attempts, updated_ns) VALUES ('bulk', ?, 'deferred', ?, 3, 0)`,
					fmt.Sprintf("r%d@r.test", i), later+int64(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("queued=%d", queued), func(b *testing.B) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				sub := Submission{From: "a@s.test", Data: []byte("x\r\n")}
				for k := 0; k < due; k++ {
					sub.Recipients = append(sub.Recipients, Recipient{Address: fmt.Sprintf("d%d@r.test", k)})
				}
				if _, err := r.Enqueue(ctx, sub); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				got, err := r.claim(ctx, v.Now(), 256)
				if err != nil || len(got) != due {
					b.Fatalf("claimed %d (%v), want %d", len(got), err, due)
				}
				if _, ok, err := r.nextDue(ctx); err != nil || !ok {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*due), "ns/due-rcpt")
			b.ReportMetric(float64(after.HeapInuse)/(1<<20), "heap-MiB")
		})
		st.Close()
	}
}

// BenchmarkWarnScan measures one delay-warning scan, one recipient's
// warning due, with 10k and 1M other recipients deferred into the far
// future, either warned already or queued too recently to be warned: the
// cost must follow what is due, not the queue.
//
//	go test -run XXX -bench WarnScan -benchtime 20x ./relay
func BenchmarkWarnScan(b *testing.B) {
	for _, c := range []struct {
		others string
		queued int
	}{{"warned", 10_000}, {"warned", 1_000_000}, {"recent", 10_000}, {"recent", 1_000_000}} {
		queued := c.queued
		cfg := testConfig("127.0.0.1:1")
		cfg.DSN.DelayWarning = dur(time.Hour)
		cfg.Retry.MaxAge = dur(5 * 24 * time.Hour)
		v, st, r := benchRelay(b, cfg)
		ctx := context.Background()
		later := epoch.Add(365 * 24 * time.Hour).UnixNano()
		err := st.Write(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(`INSERT INTO relay_messages (id, sender, size, data, created_ns, expires_ns) VALUES ('bulk', 'a@s.test', 1, 'x', 0, 0)`); err != nil {
				return err
			}
			for i := 0; i < queued; i++ {
				warned, from := 1, int64(0)
				if c.others == "recent" {
					warned, from = 0, epoch.Add(24*time.Hour).UnixNano() // later than any cutoff of the run
				}
				if _, err := tx.Exec(`INSERT INTO relay_recipients (message_id, address, state, due_ns, attempts, warned, updated_ns, warn_from_ns) VALUES ('bulk', ?, 'deferred', ?, 3, ?, 0, ?)`,
					fmt.Sprintf("r%d@r.test", i), later+int64(i), warned, from); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		n := 0 // message ids, over b.Run's rounds
		b.Run(fmt.Sprintf("%s=%d", c.others, queued), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				now := v.Now()
				n++
				id := fmt.Sprintf("m%d", n)
				if err := st.Write(ctx, func(tx *store.Tx) error {
					if _, err := tx.Exec(`INSERT INTO relay_messages (id, sender, size, data, created_ns, expires_ns) VALUES (?, 'a@s.test', 1, 'x', ?, 0)`, id, now.Add(-2*time.Hour).UnixNano()); err != nil {
						return err
					}
					_, err := tx.Exec(`INSERT INTO relay_recipients (message_id, address, state, due_ns, attempts, updated_ns, warn_from_ns) VALUES (?, 'late@r.test', 'deferred', ?, 1, 0, ?)`,
						id, later, now.Add(-2*time.Hour).UnixNano())
					return err
				}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := r.scanWarnings(ctx, now, time.Hour); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				var warned int
				if err := st.DB().QueryRow(`SELECT warned FROM relay_recipients WHERE message_id = ?`, id).Scan(&warned); err != nil || warned != 1 {
					b.Fatalf("the due recipient is not warned (%d, %v)", warned, err)
				}
				b.StartTimer()
			}
		})
		st.Close()
	}
}

// benchRelay opens a relay with cfg on a store of its own, on a virtual
// clock at epoch, for a benchmark that fills the queue itself.
func benchRelay(b *testing.B, cfg Config) (*clock.Virtual, *store.Store, *Relay) {
	b.Helper()
	v := clock.NewVirtual(epoch)
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(b.TempDir(), "q.db"), Sync: store.SyncOff,
		Clock: v, Logger: slog.New(slog.DiscardHandler), MaxBatch: 1})
	if err != nil {
		b.Fatal(err)
	}
	r, err := New(cfg, Options{Store: st, Clock: v, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	return v, st, r
}
