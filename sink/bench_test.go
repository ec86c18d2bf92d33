package sink

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
)

// BenchmarkSinkThroughput sends 2 KiB messages over 20 concurrent sessions,
// a new connection per message, with every message and transcript stored
// (store sync normal, as the performance goal says).
func BenchmarkSinkThroughput(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(b.TempDir(), "bench.db"), Sync: store.Sync(benchSync), Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cfg := DefaultConfig()
	cfg.Listeners[0].Listen = "127.0.0.1:0"
	s, err := New(cfg, Options{Store: st, Clock: clock.Real{}, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown(ctx)
	addr := s.Addrs()["mx"].String()
	body := "From: a@bench.test\r\nTo: b@sink.test\r\nSubject: bench\r\n\r\n" + strings.Repeat(strings.Repeat("x", 78)+"\r\n", 2048/80) + "\r\n"
	const sessions = 20
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	start := time.Now()
	cpu0 := cpuTime()
	for w := 0; w < sessions; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := sendOne(addr, body); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d messages failed", n, b.N)
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "msgs/s")
	// CPU time per message, client included: on a busy machine the rate
	// says little, this says what the sink costs.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/msg")
}

// cpuTime is the user and system CPU time of this process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sendOne is one session without pipelining, as smtp-source does by default.
func sendOne(addr, body string) error {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer nc.Close()
	r := bufio.NewReader(nc)
	expect := func(code string) error {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			if !strings.HasPrefix(line, code) {
				return fmt.Errorf("got %q, want %s", line, code)
			}
			if len(line) > 3 && line[3] == ' ' {
				return nil
			}
		}
	}
	steps := []struct{ send, want string }{
		{"", "220"}, {"EHLO bench.test\r\n", "250"}, {"MAIL FROM:<a@bench.test>\r\n", "250"},
		{"RCPT TO:<b@sink.test>\r\n", "250"}, {"DATA\r\n", "354"}, {body + ".\r\n", "250"}, {"QUIT\r\n", "221"},
	}
	for _, s := range steps {
		if s.send != "" {
			if _, err := nc.Write([]byte(s.send)); err != nil {
				return err
			}
		}
		if err := expect(s.want); err != nil {
			return err
		}
	}
	return nil
}

// benchSync is the store's sync mode in benchmarks: normal, as the goal says.
const benchSync = "normal"
