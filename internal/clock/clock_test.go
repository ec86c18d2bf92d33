package clock

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestVirtualFiresInOrder(t *testing.T) {
	t.Parallel()
	v := NewVirtual(epoch)
	a := v.NewTimer(2 * time.Minute)
	b := v.NewTimer(time.Minute)
	c := v.NewTimer(time.Minute)
	if got := v.Pending(); got != 3 {
		t.Fatalf("Pending = %d, want 3", got)
	}
	if !v.AdvanceToNext() {
		t.Fatal("AdvanceToNext = false with timers pending")
	}
	if got, want := v.Now(), epoch.Add(time.Minute); !got.Equal(want) {
		t.Fatalf("Now = %v, want %v", got, want)
	}
	for _, tm := range []Timer{b, c} {
		select {
		case at := <-tm.C():
			if !at.Equal(epoch.Add(time.Minute)) {
				t.Errorf("fired at %v", at)
			}
		default:
			t.Fatal("timer due at +1m did not fire")
		}
	}
	select {
	case <-a.C():
		t.Fatal("timer due at +2m fired at +1m")
	default:
	}
	v.Advance(time.Hour)
	if got, want := v.Now(), epoch.Add(61*time.Minute); !got.Equal(want) {
		t.Fatalf("Now = %v, want %v", got, want)
	}
	<-a.C()
	if v.AdvanceToNext() {
		t.Fatal("AdvanceToNext = true with nothing pending")
	}
}

func TestVirtualStopAndReset(t *testing.T) {
	t.Parallel()
	v := NewVirtual(epoch)
	tm := v.NewTimer(time.Second)
	if !tm.Stop() {
		t.Fatal("Stop of a pending timer = false")
	}
	if tm.Stop() {
		t.Fatal("second Stop = true")
	}
	if v.Pending() != 0 {
		t.Fatalf("Pending = %d after Stop", v.Pending())
	}
	tm.Reset(time.Minute)
	v.Advance(59 * time.Second)
	select {
	case <-tm.C():
		t.Fatal("fired early")
	default:
	}
	v.Advance(time.Second)
	select {
	case <-tm.C():
	default:
		t.Fatal("reset timer did not fire")
	}
}

func TestVirtualAfterFuncAndSleep(t *testing.T) {
	t.Parallel()
	v := NewVirtual(epoch)
	var n atomic.Int32
	done := make(chan struct{})
	release := make(chan struct{})
	v.AfterFunc(time.Hour, func() { <-release; n.Add(1); close(done) })
	slept := make(chan error, 1)
	ch := v.Changed()
	go func() { slept <- Sleep(context.Background(), v, 5*time.Hour) }()
	<-ch // the sleeper's timer is registered
	v.Advance(time.Hour)
	if v.Running() != 1 {
		t.Fatalf("Running = %d while the callback runs, want 1", v.Running())
	}
	close(release)
	<-done
	for v.Running() != 0 {
		runtime.Gosched()
	}
	if n.Load() != 1 {
		t.Fatalf("AfterFunc ran %d times", n.Load())
	}
	v.Advance(4 * time.Hour)
	if err := <-slept; err != nil {
		t.Fatalf("Sleep = %v", err)
	}
	if got := Since(v, epoch); got != 5*time.Hour {
		t.Fatalf("Since = %v", got)
	}
}

func TestSleepCancelled(t *testing.T) {
	t.Parallel()
	v := NewVirtual(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, v, time.Hour); err != context.Canceled {
		t.Fatalf("Sleep = %v, want context.Canceled", err)
	}
	if v.Pending() != 0 {
		t.Fatalf("cancelled sleep left %d timers", v.Pending())
	}
}
