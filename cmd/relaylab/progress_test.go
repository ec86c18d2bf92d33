package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestProgressLinesAfterAllFinal: once every recipient is final, the
// progress says so once, not on every step of the clock while the relay's
// DSNs go on being retried.
func TestProgressLinesAfterAllFinal(t *testing.T) {
	var b bytes.Buffer
	p := progressPrinter(&b, "x", false)
	for i := 0; i < 1000; i++ {
		p(1, 1, time.Duration(i)*time.Second)
	}
	if n := strings.Count(b.String(), "\n"); n != 1 {
		t.Errorf("%d progress lines for 1,000 steps after all were final, want 1:\n%s", n, b.String())
	}
}
