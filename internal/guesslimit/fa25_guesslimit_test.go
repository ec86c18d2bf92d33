package guesslimit

import (
	"net/netip"
	"testing"
	"time"
)

// TestFA25Tries: an address has Burst tries, spent before the compare
// and given back by a right secret; with none left it waits until the
// next comes back, one each Every; its running out is reported once until
// all its tries are back; another address has its own.
func TestFA25Tries(t *testing.T) {
	t.Parallel()
	p := Policy{Burst: 3, Every: 10 * time.Second, MaxAddrs: 8}
	tb := Table{}
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	try := func(addr netip.Addr, right bool) (time.Duration, bool) {
		w := tb.Take(p, addr, now)
		if w > 0 {
			return w, false
		}
		return 0, tb.Settle(p, addr, now, right)
	}
	if w, _ := try(a, true); w != 0 {
		t.Fatalf("first try waits %v", w)
	}
	var ranOut []bool
	for range p.Burst {
		w, out := try(a, false)
		if w != 0 {
			t.Fatalf("wrong try %d of %d waits %v: a right one spent a try", len(ranOut)+1, p.Burst, w)
		}
		ranOut = append(ranOut, out)
	}
	if ranOut[0] || ranOut[1] || !ranOut[2] {
		t.Errorf("ran out reported as %v, want at the last try only", ranOut)
	}
	if w, _ := try(a, true); w != p.Every {
		t.Errorf("right secret with no try left: wait %v, want %v and no compare", w, p.Every)
	}
	if w, _ := try(b, false); w != 0 {
		t.Errorf("another address waits %v", w)
	}
	now = now.Add(p.Every / 2)
	if w, _ := try(a, true); w != p.Every/2 {
		t.Errorf("half way: wait %v, want %v", w, p.Every/2)
	}
	now = now.Add(p.Every / 2)
	if w, out := try(a, false); w != 0 || out {
		t.Errorf("after Every: wait %v, ran out reported again %v; want a try, and no second report", w, out)
	}
	now = now.Add(time.Duration(p.Burst) * p.Every)
	for range p.Burst - 1 {
		try(a, false)
	}
	if _, out := try(a, false); !out {
		t.Error("running out again after all tries came back is not reported")
	}
}

// TestFA25Equal: secrets are equal only when they are the same, whatever
// their lengths.
func TestFA25Equal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"s3cret", "s3cret", true},
		{"", "", true},
		{"s3cret", "s3cre", false},
		{"s3cre", "s3cret", false},
		{"s3cret", "S3cret", false},
		{"", "s3cret", false},
	} {
		if got := Equal(tc.a, tc.b); got != tc.want {
			t.Errorf("Equal(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
