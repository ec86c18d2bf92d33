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

// benchSink starts a sink with the default configuration on 127.0.0.1:0
// over a fresh store with the given sync mode; both stop when b ends.
func benchSink(b *testing.B, mode store.Sync) *Sink {
	b.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(b.TempDir(), "bench.db"), Sync: mode, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	cfg := DefaultConfig()
	cfg.Listeners[0].Listen = "127.0.0.1:0"
	s, err := New(cfg, Options{Store: st, Clock: clock.Real{}, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Shutdown(ctx) })
	return s
}

// BenchmarkSinkThroughput sends 2 KiB messages over 20 concurrent sessions,
// a new connection per message, with every message and transcript stored
// (store sync normal, as the performance goal says).
func BenchmarkSinkThroughput(b *testing.B) {
	s := benchSink(b, store.Sync(benchSync))
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
	report(b, start, cpu0, failed.Load())
}

// report stops the timer and reports the rate and the CPU time per
// message since start and cpu0, or fails b when any message failed. The CPU
// time includes the in-process client: on a busy machine the rate says
// little, the CPU time says what the work costs.
func report(b *testing.B, start time.Time, cpu0 time.Duration, failed int64) {
	el := time.Since(start)
	b.StopTimer()
	if failed > 0 {
		b.Fatalf("%d of %d messages failed", failed, b.N)
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "msgs/s")
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
	return sendSteps(addr, []struct{ send, want string }{
		{"", "220"}, {"EHLO bench.test\r\n", "250"}, {"MAIL FROM:<a@bench.test>\r\n", "250"},
		{"RCPT TO:<b@sink.test>\r\n", "250"}, {"DATA\r\n", "354"}, {body + ".\r\n", "250"}, {"QUIT\r\n", "221"},
	})
}

// sendSteps sends each step's line and reads a reply of its code.
func sendSteps(addr string, steps []struct{ send, want string }) error {
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

// BenchmarkRecord is what recording costs, without the network: 20
// goroutines each store a 2 KiB message (waiting for the commit, as the
// sink does before its 250) and then that session's record, transcript
// and attempt included, as one message over a new connection leaves them.
func BenchmarkRecord(b *testing.B) {
	for _, mode := range []store.Sync{store.SyncFull, store.SyncNormal} {
		b.Run(string(mode), func(b *testing.B) {
			ctx := context.Background()
			s := benchSink(b, mode)
			l := s.listeners[0]
			raw := []byte("From: a@bench.test\r\nTo: b@sink.test\r\nSubject: bench\r\n\r\n" + strings.Repeat(strings.Repeat("x", 78)+"\r\n", 2048/80))
			var tr strings.Builder
			for _, line := range []string{"S 220 sink.relaylab.test ESMTP relaylab sink ready", "C HELO bench.test", "S 250 sink.relaylab.test Hello bench.test",
				"C MAIL FROM:<a@bench.test>", "S 250 2.1.0 Sender <a@bench.test> OK", "C RCPT TO:<b@sink.test>",
				"S 250 2.1.5 Recipient <b@sink.test> OK", "C DATA", "S 354 " + goAhead(1).Text,
				"C [2178 bytes of message]", "C .", "S 250 2.0.0 Message accepted as 1", "C QUIT", "S 221 2.0.0 Bye"} {
				tr.WriteString("0.001 " + line + "\n")
			}
			replies := []replyRecord{{Stage: StageConnect, Code: 220}, {Stage: StageEHLO, Code: 250}, {Stage: StageMail, Code: 250, Enhanced: "2.1.0"},
				{Stage: StageRcpt, Code: 250, Enhanced: "2.1.5", Rcpt: "b@sink.test"}, {Stage: StageData, Code: 354},
				{Stage: StageDataEnd, Code: 250, Enhanced: "2.0.0"}, {Stage: StageQuit, Code: 221, Enhanced: "2.0.0"}}
			var next, failed atomic.Int64
			var wg sync.WaitGroup
			pipe, other := net.Pipe() // a transport for the session row's client address
			defer pipe.Close()
			defer other.Close()
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			for w := 0; w < 20; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						now := time.Now()
						c := &conn{Conn: pipe, id: s.nextID.Add(1), l: l, start: now, clock: clock.Real{}}
						sess := &session{c: c, from: "a@bench.test", rcpts: []rcptState{{addr: "b@sink.test", attempt: 1}}}
						id, err := s.storeMessage(sess, raw, len(raw), nil, "", 0, Reply{Code: 250, Enhanced: "2.0.0"})
						if err != nil {
							failed.Add(1)
							continue
						}
						rec := sessionRecord{id: c.id, listener: l.cfg.Name, start: now, end: time.Now(),
							payload: sessionPayload{ID: c.id, Client: "127.0.0.1:40000", HELO: "bench.test", Messages: 1, Replies: replies, Transcript: tr.String()}}
						_ = id // its attempt went into the store with it
						s.writes <- writeItem{fn: func(tx *store.Tx) error { return writeSession(tx, &rec) }}
					}
				}()
			}
			wg.Wait()
			if err := s.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			report(b, start, cpu0, failed.Load())
		})
	}
}
