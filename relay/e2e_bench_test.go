package relay

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
)

// BenchmarkEndToEnd submits 2 KiB messages over 20 SMTP sessions to the
// relay, on the real clock with a durable store, and stops when a loopback
// server has received them all.
//
//	go test -run XXX -bench EndToEnd -benchtime 5000x ./relay
func BenchmarkEndToEnd(b *testing.B) {
	for _, sync := range []store.Sync{store.SyncFull, store.SyncOff} {
		b.Run("sync="+string(sync), func(b *testing.B) { benchEndToEnd(b, sync) })
	}
}

func benchEndToEnd(b *testing.B, syncMode store.Sync) {
	mta := startMTA(b, nil)
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(b.TempDir(), "e2e.db"), Sync: syncMode,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cfg := testConfig(mta.addr)
	cfg.Listen = "127.0.0.1:0"
	r, err := New(cfg, Options{Store: st, Clock: clock.Real{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	body := "Subject: bench\r\n\r\n" + strings.Repeat(strings.Repeat("x", 62)+"\r\n", 32)
	const sessions = 20
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	var wg sync.WaitGroup
	per := (b.N + sessions - 1) / sessions
	for s := 0; s < sessions; s++ {
		n := min(per, b.N-s*per)
		if n <= 0 {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := smtp.Dial(r.Addr().String())
			if err != nil {
				b.Error(err)
				return
			}
			defer c.Close()
			for i := 0; i < n; i++ {
				if err := c.SendMail("a@s.test", []string{fmt.Sprintf("r%d@r.test", i)}, strings.NewReader(body)); err != nil {
					b.Error(err)
					return
				}
			}
			c.Quit()
		}()
	}
	wg.Wait()
	for len(mta.received()) < b.N {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(mta.conns), "upstream-conns")
}

// BenchmarkEnqueue is intake alone: 20 goroutines enqueueing 2 KiB
// messages, each durable before Enqueue returns.
func BenchmarkEnqueue(b *testing.B) {
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(b.TempDir(), "enq.db"), Sync: store.SyncFull,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	r, err := New(testConfig("127.0.0.1:1"), Options{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	data := []byte("Subject: bench\r\n\r\n" + strings.Repeat(strings.Repeat("x", 62)+"\r\n", 32))
	b.SetParallelism(10) // 20 goroutines on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Enqueue(context.Background(), Submission{From: "a@s.test", Data: data, Recipients: []Recipient{{Address: "b@r.test"}}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
