package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/reports"
	"github.com/relaylab/relaylab/sink"
)

// runningSink starts a sink on a fresh store in this process and returns
// the store's path and the sink's address.
func runningSink(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sink.db")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	cfg := sink.DefaultConfig()
	cfg.Listeners[0].Listen = "127.0.0.1:0"
	cfg.Bounce.Relay = ""
	sk, err := sink.New(cfg, sink.Options{Store: st, Logger: quiet})
	if err == nil {
		err = sk.Start(ctx)
	}
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		sk.Shutdown(sctx)
		st.Close()
	})
	return path, sk.HostPorts()["mx"]
}

// expect --wait judges once the recipient its expectation matches is
// final: a recipient deferred when expect starts, and delivered on the
// sender's third try while expect waits, passes (exit 0), where expect
// without --wait judges the deferral (exit 1).
func TestExpectWaitsForFinalRecipients(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, addr := runningSink(t)
	const rcpt = "defer2+wait@example.test"
	send := func() int {
		code, _, _ := runIn(t, ctx, "send", "--server", addr, "--from", "app@ci.test", "--to", rcpt, "--timeout", "10s")
		return code
	}
	if code := send(); code == 0 {
		t.Fatal("the first try was accepted; want a deferral")
	}
	file := writeExpect(t, "  recipients:\n    - {match: \""+rcpt+"\", status: delivered}\n")
	if code, out, errOut := runIn(t, ctx, "expect", "--db", db, file); code != 1 {
		t.Fatalf("without --wait: exit %d, want 1 (deferred)\n%s%s", code, out, errOut)
	}
	type result struct {
		code        int
		out, errOut string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := runIn(t, ctx, "expect", "--db", db, "--wait", "90s", file)
		done <- result{code, out, errOut}
	}()
	for i, want := range []bool{false, true} {
		if ok := send() == 0; ok != want {
			t.Fatalf("try %d: accepted %v, want %v", i+2, ok, want)
		}
	}
	r := <-done
	if r.code != 0 || !strings.Contains(r.out, "PASS") {
		t.Errorf("with --wait: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.errOut)
	}
	if code, _, errOut := runIn(t, ctx, "expect", "--db", db, "--wait", "-1s", file); code != 2 || !strings.Contains(errOut, "--wait -1s") {
		t.Errorf("--wait -1s: exit %d, stderr %q", code, errOut)
	}
}

// waitForVerdicts stops at the end of --wait, on the clock it is given,
// and says what it still waited for; it looks again each expectPoll.
func TestWaitForVerdictsGivesUpAtTheEnd(t *testing.T) {
	t.Parallel()
	v := clock.NewVirtual(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	x := &expectFile{Name: "app"}
	x.Expect.Recipients = []reports.RecipientExpectation{{Match: "a@x.test", Status: "delivered"}}
	judged := 0
	judge := func() ([]reports.Verdict, *reports.Data, error) {
		judged++
		d := &reports.Data{Recipients: []*reports.Recipient{{Address: "a@x.test", Status: "deferred"}}}
		return []reports.Verdict{{Name: "app"}}, d, nil
	}
	var errb bytes.Buffer
	e := &env{stdout: io.Discard, stderr: &errb}
	done := make(chan error, 1)
	go func() {
		_, err := waitForVerdicts(context.Background(), e, v, 5*time.Second, []*expectFile{x}, judge)
		done <- err
	}()
	start := v.Now()
	for {
		// Changed before Pending: a timer added in between still wakes us.
		changed := v.Changed()
		if v.Pending() > 0 {
			v.Advance(time.Second)
			continue
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			if el := v.Now().Sub(start); el != 5*time.Second || judged != 6 {
				t.Errorf("gave up after %s and %d judgements, want 5s and 6 (one at once, one a second)", el, judged)
			}
			if want := "waited 5s (--wait) and a@x.test is deferred (not final)"; !strings.Contains(errb.String(), want) {
				t.Errorf("stderr %q, want %q", errb.String(), want)
			}
			return
		case <-changed:
		case <-time.After(10 * time.Second):
			t.Fatal("waitForVerdicts did not end")
		}
	}
}

// A scenario given to expect is sent to relaylab replay, instead of met
// with only its first key that an expect file has not.
func TestExpectSaysAScenarioIsForReplay(t *testing.T) {
	t.Parallel()
	db := sinkStore(t, "a@example.test")
	scen := filepath.Join("..", "..", "testdata", "scenarios", "greylisting.yaml")
	code, _, errOut := runIn(t, context.Background(), "expect", "--db", db, scen)
	if code != 2 || !strings.Contains(errOut, "looks like a scenario") || !strings.Contains(errOut, "run it with relaylab replay "+scen) {
		t.Errorf("exit %d (want 2), stderr %q (want it to point at relaylab replay)", code, errOut)
	}
}
