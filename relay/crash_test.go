package relay

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/store"
)

// TestCrashChild is the relay process of TestKillDashNine; it does nothing
// unless that test starts it.
func TestCrashChild(t *testing.T) {
	db, upstream, addrFile := os.Getenv("RELAY_CRASH_DB"), os.Getenv("RELAY_CRASH_UPSTREAM"), os.Getenv("RELAY_CRASH_ADDR")
	if db == "" {
		t.Skip("the relay process of TestKillDashNine")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: db, Sync: store.SyncNormal, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(upstream)
	// A delivery that fails on a loaded machine (a timeout) comes back in
	// seconds, not at testConfig's minutes, which would outlast the test.
	cfg.Retry.Schedule = []config.Duration{dur(time.Second), dur(2 * time.Second), dur(5 * time.Second)}
	cfg.Listen = os.Getenv("RELAY_CRASH_LISTEN")
	cfg.AllowedNetworks = []string{"127.0.0.0/8"}
	r, err := New(cfg, Options{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(addrFile+".tmp", []byte(r.Addr().String()), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Rename(addrFile+".tmp", addrFile)
	select {} // until killed
}

// TestKillDashNine kills the relay with SIGKILL while it accepts and
// delivers, restarts it on the same store, and checks that every message
// that got a 250 reaches the upstream (at least once), counting duplicates.
// RELAY_CRASH_MESSAGES sets the number of messages (default 2000).
func TestKillDashNine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts relay processes")
	}
	t.Parallel()
	total := 2000
	if n, err := strconv.Atoi(os.Getenv("RELAY_CRASH_MESSAGES")); err == nil && n > 0 {
		total = n
	}
	mta := startMTA(t, nil)
	dir := t.TempDir()
	db, addrFile := filepath.Join(dir, "crash.db"), filepath.Join(dir, "addr")
	listen := closedAddr(t)
	start := func() *exec.Cmd {
		os.Remove(addrFile)
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.timeout=10m")
		cmd.Env = append(os.Environ(), "RELAY_CRASH_DB="+db, "RELAY_CRASH_UPSTREAM="+mta.addr, "RELAY_CRASH_ADDR="+addrFile, "RELAY_CRASH_LISTEN="+listen)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			if _, err := os.Stat(addrFile); err == nil {
				return cmd
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("relay process did not start")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	cmd := start()
	defer func() { cmd.Process.Kill(); cmd.Wait() }()

	var mu sync.Mutex
	acked := map[int]bool{}
	next := 0
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if next >= total {
			return 0, false
		}
		next++
		return next - 1, true
	}
	// Submitters run until every message was tried once; a message whose
	// session broke is not retried (it got no 250), as a real client would
	// resubmit it with a new id.
	killAt := total / 2
	var wg sync.WaitGroup
	var killed sync.Once
	restarted := make(chan struct{})
	for s := 0; s < 20; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *smtp.Client
			for {
				n, ok := take()
				if !ok {
					break
				}
				if n == killAt {
					killed.Do(func() {
						cmd.Process.Signal(syscall.SIGKILL)
						cmd.Wait()
						cmd = start()
						close(restarted)
					})
				}
				if c == nil {
					var err error
					if c, err = smtp.Dial(listen); err != nil {
						<-restarted // only while the relay is down
						continue
					}
				}
				msg := fmt.Sprintf("Subject: crash %d\r\nX-Crash-Id: %d\r\n\r\nbody\r\n", n, n)
				if err := c.SendMail("a@s.test", []string{"b@r.test"}, bytes.NewReader([]byte(msg))); err != nil {
					c.Close()
					c = nil
					continue
				}
				mu.Lock()
				acked[n] = true
				mu.Unlock()
			}
			if c != nil {
				c.Quit()
			}
		}()
	}
	wg.Wait()
	idRE := regexp.MustCompile(`X-Crash-Id: (\d+)`)
	// The deadline moves on while deliveries do: only a relay that stops
	// delivering fails, however slow the machine.
	deadline := time.Now().Add(2 * time.Minute)
	lastMissing := -1
	var seen map[int]int
	for {
		seen = map[int]int{}
		for _, m := range mta.received() {
			if sm := idRE.FindSubmatch(m.data); sm != nil {
				n, _ := strconv.Atoi(string(sm[1]))
				seen[n]++
			}
		}
		missing := 0
		for n := range acked {
			if seen[n] == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if missing != lastMissing {
			lastMissing, deadline = missing, time.Now().Add(2*time.Minute)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged messages never reached the upstream (none delivered for 2 minutes)", missing, len(acked))
		}
		time.Sleep(50 * time.Millisecond)
	}
	dups := 0
	for _, c := range seen {
		if c > 1 {
			dups += c - 1
		}
	}
	t.Logf("%d messages submitted, %d acknowledged with 250, all delivered; %d duplicate deliveries (at-least-once after kill -9)", total, len(acked), dups)
}
