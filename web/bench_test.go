package web

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// BenchmarkStream100Clients: 100 websocket clients follow a stream of 5,000
// events/s appended to the store (batches of 50 every 10 ms). Each iteration
// is one second of stream. It reports the time from the Write call that
// commits an event to its receipt by a client (p50, p99, max: an upper
// bound of commit-to-receipt, as it includes the commit itself), the commit
// time alone, the heap in use and the clients dropped for being slow.
//
//	go test -run '^$' -bench Stream100 -benchtime 5x ./web/
func BenchmarkStream100Clients(b *testing.B) {
	const (
		clients  = 100
		perSec   = 5000
		batch    = 50
		interval = time.Second * batch / perSec
	)
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(b.TempDir(), "bench.db"), Sync: store.SyncNormal,
		Clock: clock.Real{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s, err := New(Options{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	for !s.hub.running.Load() {
		time.Sleep(time.Millisecond)
	}

	// sent[id] is when the Write that holds event id was called.
	total := b.N * perSec
	sent := make([]atomic.Int64, total+1)
	var base int64 // ids start after base
	base, _ = st.Changes()

	var (
		wg      sync.WaitGroup
		dropped atomic.Int64
		lats    = make([][]time.Duration, clients)
	)
	url := "ws" + hs.URL[len("http"):] + "/api/v1/events/stream"
	ready := make(chan struct{}, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lats[c] = make([]time.Duration, 0, total)
			last := base
			first := true
			for last < base+int64(total) {
				conn, _, err := websocket.DefaultDialer.Dial(url+"?after="+strconv.FormatInt(last, 10), nil)
				if err != nil {
					b.Errorf("client %d: %v", c, err)
					return
				}
				if first {
					ready <- struct{}{}
					first = false
				}
				var buf bytes.Buffer
				for last < base+int64(total) {
					_, rd, err := conn.NextReader()
					if err == nil {
						buf.Reset()
						_, err = buf.ReadFrom(rd)
					}
					if err != nil {
						dropped.Add(1)
						break
					}
					data := buf.Bytes()
					now := time.Now().UnixNano()
					// Events are {"id":N,...}: read the ids without decoding.
					for rest := data; ; {
						i := bytes.Index(rest, []byte(`{"id":`))
						if i < 0 {
							break
						}
						rest = rest[i+6:]
						j := bytes.IndexByte(rest, ',')
						id, _ := strconv.ParseInt(string(rest[:j]), 10, 64)
						if id > last {
							last = id
							if k := id - base; k >= 1 && k <= int64(total) {
								lats[c] = append(lats[c], time.Duration(now-sent[k].Load()))
							}
						}
					}
				}
				conn.Close()
			}
		}()
	}
	for range clients {
		<-ready
	}

	var commits []time.Duration
	var peakHeap uint64
	var ms runtime.MemStats
	b.ResetTimer()
	tick := time.NewTicker(interval)
	next := int64(1)
	for n := 0; n < total; n += batch {
		<-tick.C
		t0 := time.Now()
		for k := next; k < next+batch; k++ {
			sent[k].Store(t0.UnixNano())
		}
		err := st.Write(ctx, func(tx *store.Tx) error {
			for range batch {
				if _, err := tx.Append(events.Event{Kind: events.RelayDelivered, Message: "m", Recipient: "r@example.com"}.
					WithPayload(map[string]any{"reply": map[string]any{"code": 250, "text": "ok"}})); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		commits = append(commits, time.Since(t0))
		next += batch
		if n%(perSec/2) == 0 {
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, ms.HeapInuse)
		}
	}
	tick.Stop()
	wg.Wait()
	b.StopTimer()

	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	if len(all) != clients*total {
		b.Errorf("received %d events, want %d (clients x events)", len(all), clients*total)
	}
	slices.Sort(all)
	slices.Sort(commits)
	pct := func(d []time.Duration, p float64) float64 {
		if len(d) == 0 {
			return 0
		}
		return float64(d[int(float64(len(d)-1)*p)]) / 1e6
	}
	b.ReportMetric(pct(all, .50), "p50-ms")
	b.ReportMetric(pct(all, .99), "p99-ms")
	b.ReportMetric(pct(all, 1), "max-ms")
	b.ReportMetric(pct(commits, .50), "commit-p50-ms")
	b.ReportMetric(float64(peakHeap)/(1<<20), "heap-MB")
	b.ReportMetric(float64(dropped.Load()), "drops")
	// The machine's load, for reading the numbers: the clients run in this
	// process and share its cores.
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f, err := strconv.ParseFloat(string(bytes.Fields(la)[0]), 64); err == nil {
			b.ReportMetric(f, "loadavg")
		}
	}
}
