package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestServeSeed: serve's --seed seeds the sink's draws, as sink's does:
// the same seed gives the same refusals of a p50 directive, another seed
// others. serve had no --seed, and always drew with seed 0.
func TestServeSeed(t *testing.T) {
	t.Parallel()
	outcomes := func(seed int) string {
		dir := t.TempDir()
		ready := filepath.Join(dir, "ready.json")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, errb, done := startServeArgs(t, ctx, "--db", filepath.Join(dir, "s.db"), "--sink-listen", "127.0.0.1:0",
			"--relay-listen", "127.0.0.1:0", "--web-listen", "127.0.0.1:0", "--ready-file", ready, "--seed", strconv.Itoa(seed))
		b, err := os.ReadFile(ready)
		if err != nil {
			t.Fatalf("no ready file: %v\n%s", err, errb.String())
		}
		var info readyInfo
		if err := json.Unmarshal(b, &info); err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		for i := range 24 {
			err := sendPlain(info.Sink["mx"], "a@shop.test", fmt.Sprintf("rcpt550p50+n%d@example.test", i), "Subject: x\r\n\r\nx\r\n")
			got.WriteByte(map[bool]byte{true: 'x', false: '.'}[err != nil])
		}
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("serve exited %d:\n%s", code, errb.String())
		}
		return got.String()
	}
	a, again, other := outcomes(7), outcomes(7), outcomes(8)
	if a != again || a == other || !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Errorf("refusals with seed 7: %s, again %s, with seed 8: %s; want the same twice, some of each, and others with seed 8", a, again, other)
	}
}
