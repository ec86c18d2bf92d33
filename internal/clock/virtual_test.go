package clock

import (
	"testing"
	"time"
)

// TestFireNextOneAtATime: timers due at one instant fire one per call, in
// the order they were set, and the clock reads their time.
func TestFireNextOneAtATime(t *testing.T) {
	v := NewVirtual(time.Unix(0, 0))
	var got []int
	for range 3 {
		v.NewTimer(time.Minute)
	}
	order := make(chan int, 3)
	for i := 1; i <= 3; i++ {
		v.AfterFunc(2*time.Minute, func() { order <- i })
	}
	for n := 0; n < 3; n++ {
		if !v.FireNext() || !v.Now().Equal(time.Unix(60, 0)) {
			t.Fatalf("step %d: clock %v, want +1m", n, v.Now())
		}
	}
	for n := 1; n <= 3; n++ {
		if !v.FireNext() {
			t.Fatal("nothing fired")
		}
		if p := v.Pending(); p != 3-n {
			t.Fatalf("after step %d, %d timers pending, want %d", n, p, 3-n)
		}
		got = append(got, <-order)
	}
	if got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Errorf("fired in order %v, want 1 2 3 (the order they were set)", got)
	}
	if v.FireNext() {
		t.Error("fired with nothing pending")
	}
}
