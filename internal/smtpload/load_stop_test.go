package smtpload

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// silentServer accepts connections and never says a word; accepted
// counts them.
func silentServer(t *testing.T) (target string, accepted *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = new(atomic.Int64)
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			accepted.Add(1)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String(), accepted
}

// runWithin runs cfg and fails the test if Run has not returned after a
// minute (a run that waits out a timeout of an hour).
func runWithin(t *testing.T, ctx context.Context, cfg Config) *Result {
	t.Helper()
	type ran struct {
		res *Result
		err error
	}
	ch := make(chan ran, 1)
	go func() {
		res, err := Run(ctx, cfg)
		ch <- ran{res, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.res
	case <-time.After(time.Minute):
		t.Fatal("Run did not return")
	}
	return nil
}

// TestRunGivesUpOnSessionsThatNeverGetToATransaction: a server that
// refuses every AUTH, or presents a certificate the client does not trust,
// ends the run after a few sessions in a row, with the failure, instead of
// failing the same way for every message.
func TestRunGivesUpOnSessionsThatNeverGetToATransaction(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		opts  smtptest.Options
		cfg   Config
		stage string
	}{
		{"auth 535", smtptest.Options{Users: map[string]string{"u": "p"}}, Config{AuthUser: "u", AuthPass: "wrong"}, StageAuth},
		{"untrusted certificate", smtptest.Options{StartTLS: true}, Config{StartTLS: true, TLS: &tls.Config{}}, StageStartTLS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := smtptest.Start(t, tc.opts)
			cfg := tc.cfg
			cfg.Target, cfg.Sessions, cfg.Messages, cfg.Rcpts, cfg.Reuse, cfg.From, cfg.To = srv.Addr, 2, 5000, 1, 1, "a@x.test", "b@y.test"
			cfg.Clock = &stepClock{now: time.Now()}
			res := runWithin(t, context.Background(), cfg)
			checkAddsUp(t, res)
			if res.Attempted > 20 || res.Ended != EndedGaveUp {
				t.Errorf("tried %d of 5000, ended %q; want the run given up within a few sessions", res.Attempted, res.Ended)
			}
			if !strings.Contains(res.GaveUp, "sessions with "+srv.Addr+" all failed before a message could be sent, at "+tc.stage) || res.GaveUpStage != tc.stage || res.GaveUpErr == nil {
				t.Errorf("GaveUp %q at %q (%v)", res.GaveUp, res.GaveUpStage, res.GaveUpErr)
			}
			var re *ReplyError
			if tc.stage == StageAuth && (!errors.As(res.GaveUpErr, &re) || re.Reply.Code != 535) {
				t.Errorf("GaveUpErr %v; want the 535", res.GaveUpErr)
			}
		})
	}
}

// TestRunGivesUpOnAServerThatNeverGreets: sessions that time out waiting
// for the greeting end the run after a few, instead of one timeout per
// message.
func TestRunGivesUpOnAServerThatNeverGreets(t *testing.T) {
	t.Parallel()
	target, _ := silentServer(t)
	res := runWithin(t, context.Background(), Config{Target: target, Sessions: 2, Messages: 5000, Rcpts: 1, Reuse: 1,
		From: "a@x.test", To: "b@y.test", Timeout: 20 * time.Millisecond})
	checkAddsUp(t, res)
	if res.Attempted > 20 || res.GaveUpStage != StageGreeting || ErrorKind(res.GaveUpErr) != "timeout" {
		t.Errorf("tried %d, gave up %q at %q (%v)", res.Attempted, res.GaveUp, res.GaveUpStage, res.GaveUpErr)
	}
}

// TestRunBacksOffBetweenFailedDials: a worker waits before each dial after
// one that failed, from backoffMin doubling to backoffMax, instead of
// dialling a dead port as fast as the loopback refuses.
func TestRunBacksOffBetweenFailedDials(t *testing.T) {
	t.Parallel()
	clk := &stepClock{now: time.Now()}
	res := runWithin(t, context.Background(), Config{Target: deadPort(t), Sessions: 1, Messages: 12, Rcpts: 1, Reuse: 1,
		From: "a@x.test", To: "b@y.test", GiveUp: -1, Clock: clk})
	if res.Failed != 12 {
		t.Fatalf("failed %d of 12", res.Failed)
	}
	clk.mu.Lock()
	defer clk.mu.Unlock()
	if len(clk.waits) < 11 {
		t.Fatalf("waited %d times between 12 failed dials; want a wait after each", len(clk.waits))
	}
	if clk.waits[0] != backoffMin || clk.waits[1] != 2*backoffMin || clk.waits[len(clk.waits)-1] != backoffMax {
		t.Errorf("waits %v; want %v doubling up to %v", clk.waits, backoffMin, backoffMax)
	}
}

// TestRunInterrupted: ending the caller's context closes the sessions
// waiting for a reply, counts their messages as cancelled (not as tried),
// and says the run was interrupted, instead of waiting out the timeout
// and counting the messages tried with nothing in the table.
func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	target, accepted := silentServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for accepted.Load() < 3 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	res := runWithin(t, ctx, Config{Target: target, Sessions: 3, Messages: 100, Rcpts: 1, Reuse: 1,
		From: "a@x.test", To: "b@y.test", Timeout: time.Hour})
	checkAddsUp(t, res)
	if res.Ended != EndedInterrupted || res.Cancelled != 3 || res.Attempted != 0 || len(res.ConnErrors) != 0 {
		t.Errorf("ended %q, cancelled %d, tried %d, errors %v; want interrupted, 3 cancelled, none tried", res.Ended, res.Cancelled, res.Attempted, res.ConnErrors)
	}
}

// TestRunForADuration: with Duration and no message count, the run sends
// until the time has passed on its clock, lets the messages in flight
// end, and says why it ended.
func TestRunForADuration(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	v := clock.NewVirtual(time.Now())
	go func() {
		for srv.Accepted() < 20 {
			time.Sleep(time.Millisecond)
		}
		v.Advance(time.Hour)
	}()
	res := runWithin(t, context.Background(), Config{Target: srv.Addr, Sessions: 3, Rcpts: 1, Reuse: 5,
		From: "a@x.test", To: "u{n}@y.test", Duration: time.Hour, Clock: v})
	checkAddsUp(t, res)
	if res.Ended != EndedDuration || res.Cancelled != 0 || res.Accepted < 20 || res.Accepted != res.Attempted || res.Accepted != srv.Accepted() {
		t.Errorf("ended %q, cancelled %d, accepted %d of %d tried, server %d", res.Ended, res.Cancelled, res.Accepted, res.Attempted, srv.Accepted())
	}
	if res.TxLatency.N != res.Attempted || res.SessionLatency.N == 0 {
		t.Errorf("latencies of %d transactions and %d sessions; want one per message tried", res.TxLatency.N, res.SessionLatency.N)
	}
}

// TestRunPaced: with Rate, the sessions together start no more than one
// message per 1/Rate of the clock's time: none moves, one message goes.
func TestRunPaced(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	v := clock.NewVirtual(time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const sessions = 4
	type check struct{ accepted, pending int }
	seen := make(chan check, 1)
	go func() {
		quiet := func() {
			for v.Pending() < sessions {
				time.Sleep(time.Millisecond)
			}
		}
		quiet() // every worker waits for its slot
		first := srv.Accepted()
		v.Advance(time.Second)
		quiet()
		seen <- check{first, srv.Accepted()}
		cancel()
	}()
	res := runWithin(t, ctx, Config{Target: srv.Addr, Sessions: sessions, Messages: 1000, Rcpts: 1, Reuse: 0,
		From: "a@x.test", To: "u{n}@y.test", Rate: 10, Clock: v})
	c := <-seen
	if c.accepted != 1 || c.pending < 2 || c.pending > 11 {
		t.Errorf("accepted %d before the clock moved (want 1), %d after a second at 10/s (want 2 to 11)", c.accepted, c.pending)
	}
	if res.Attempted > 11 {
		t.Errorf("tried %d", res.Attempted)
	}
}

func TestLatencyOf(t *testing.T) {
	t.Parallel()
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	got := latencyOf(d)
	want := Latency{N: 100, P50: 50 * time.Millisecond, P90: 90 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if got != want {
		t.Errorf("latencyOf = %+v, want %+v", got, want)
	}
	if (latencyOf(nil) != Latency{}) {
		t.Error("latencyOf(nil) is not zero")
	}
}
