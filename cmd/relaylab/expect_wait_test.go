package main

import (
	"bytes"
	"context"
	"errors"
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
	path, _, sk := startSinkStore(t)
	return path, sk.HostPorts()["mx"]
}

// startSinkStore starts a sink on a fresh store in this process, both
// shut at the test's end, and returns the store's path, the store and
// the sink.
func startSinkStore(t *testing.T) (string, *store.Store, *sink.Sink) {
	t.Helper()
	return startSinkStoreWith(t, nil)
}

// startSinkStoreWith is startSinkStore with the sink's configuration
// changed by edit first (nil: none).
func startSinkStoreWith(t *testing.T, edit func(*sink.Config)) (string, *store.Store, *sink.Sink) {
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
	if edit != nil {
		edit(&cfg)
	}
	sk, err := sink.New(cfg, sink.Options{Store: st, Logger: quiet})
	if err == nil {
		err = sk.Start(ctx)
	}
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		sk.Shutdown(sctx)
		st.Close()
	})
	return path, st, sk
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
	judged := 0
	judge := func() ([]reports.Verdict, *reports.Data, error) {
		judged++
		d := &reports.Data{Recipients: []*reports.Recipient{{Address: "a@x.test", Status: "deferred"}}}
		return []reports.Verdict{{Name: "app"}}, d, nil
	}
	vs, stderr, took, err := driveWait(t, judge)
	if err != nil {
		t.Fatal(err)
	}
	// The verdicts carry it too, for JUnit and JSON, which stderr misses.
	if len(vs) != 1 || len(vs[0].Notes) != 1 || !strings.Contains(vs[0].Notes[0], "--wait 5s ran out while a@x.test is deferred (not final)") {
		t.Errorf("verdict notes %q; want the wait's end", vs[0].Notes)
	}
	if took != 5*time.Second || judged != 6 {
		t.Errorf("gave up after %s and %d judgements, want 5s and 6 (one at once, one a second)", took, judged)
	}
	if want := "waited 5s (--wait) and a@x.test is deferred (not final)"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}

// TestWaitForVerdictsWaitsPastAnEarlyPass: verdicts that pass while a
// recipient is deferred do not end the wait ("attempts: 1" holds after the
// first deferral and fails after the retry); the recipient's delivery
// does, with the verdicts of then. A judgement that fails meanwhile is
// tried again. Before, the first passing verdicts ended the wait and a
// failed judgement ended it with the error.
func TestWaitForVerdictsWaitsPastAnEarlyPass(t *testing.T) {
	t.Parallel()
	judged := 0
	judge := func() ([]reports.Verdict, *reports.Data, error) {
		judged++
		switch judged {
		case 1, 2: // the first try, deferred: "attempts: 1" holds
			return []reports.Verdict{{Name: "app", Passed: true}}, &reports.Data{Recipients: []*reports.Recipient{{Address: "a@x.test", Status: "deferred"}}}, nil
		case 3:
			return nil, nil, errors.New("database is locked")
		default: // the retry delivered it: "attempts: 1" fails
			return []reports.Verdict{{Name: "app", Passed: false}}, &reports.Data{Recipients: []*reports.Recipient{{Address: "a@x.test", Status: "delivered"}}}, nil
		}
	}
	vs, _, took, err := driveWait(t, judge)
	if err != nil {
		t.Fatal(err)
	}
	if judged != 4 || took != 3*time.Second || len(vs) != 1 || vs[0].Passed {
		t.Errorf("ended after %d judgements and %s with %+v; want the failing verdict of the 4th, at 3s", judged, took, vs)
	}
}

// TestWaitForVerdictsSettledByWhatIsAsked: an expectation of absence
// (count: 0) waits for nothing, and a recipient in the status its
// expectation asks for (deferred) is settled, so that such files are
// judged at once instead of after the whole --wait, as a review found.
func TestWaitForVerdictsSettledByWhatIsAsked(t *testing.T) {
	t.Parallel()
	deferred := func() ([]reports.Verdict, *reports.Data, error) {
		return []reports.Verdict{{Name: "app", Passed: true}}, &reports.Data{Recipients: []*reports.Recipient{{Address: "a@x.test", Status: "deferred"}}}, nil
	}
	for _, tc := range []struct {
		name string
		want []reports.RecipientExpectation
		took time.Duration
	}{
		{"absence", []reports.RecipientExpectation{{Match: "*@blocked.test", Count: reports.Range{Min: 0, Max: 0, Set: true}}}, 0},
		{"status deferred", []reports.RecipientExpectation{{Match: "a@x.test", Status: "deferred"}}, 0},
		{"absence beside a deferral", []reports.RecipientExpectation{{Match: "*@blocked.test", Count: reports.Range{Set: true}}, {Match: "a@x.test", Status: "delivered"}}, 5 * time.Second},
	} {
		if _, _, took, err := driveWait(t, deferred, tc.want...); err != nil || took != tc.took {
			t.Errorf("%s: waited %s (%v), want %s", tc.name, took, err, tc.took)
		}
	}
}

// TestWaitForVerdictsWaitsForCountAndDSN: a delivered recipient does not
// settle an expectation that asks for more recipients than match yet
// (count: 3), or for a DSN that may still come (a late bounce due); one
// whose bounce NOTIFY ruled out does. A walk found both judged at once,
// failing a CI job whose app sent its three messages a few seconds apart.
func TestWaitForVerdictsWaitsForCountAndDSN(t *testing.T) {
	t.Parallel()
	delivered := func(dsnNotSent string) func() ([]reports.Verdict, *reports.Data, error) {
		return func() ([]reports.Verdict, *reports.Data, error) {
			return []reports.Verdict{{Name: "app"}}, &reports.Data{Recipients: []*reports.Recipient{{Address: "a@x.test", Status: "delivered", DSNNotSent: dsnNotSent}}}, nil
		}
	}
	for _, tc := range []struct {
		name       string
		dsnNotSent string
		want       reports.RecipientExpectation
		took       time.Duration
	}{
		{"count", "", reports.RecipientExpectation{Match: "*@x.test", Count: reports.Range{Min: 3, Max: 3, Set: true}}, 5 * time.Second},
		{"dsn due", "is due at 2026-01-02T03:05:00Z and not sent yet", reports.RecipientExpectation{Match: "a@x.test", DSN: "sent"}, 5 * time.Second},
		{"dsn status", "", reports.RecipientExpectation{Match: "a@x.test", DSNStatus: "5.1.1"}, 5 * time.Second},
		{"dsn ruled out", "it did not send: NOTIFY=NEVER", reports.RecipientExpectation{Match: "a@x.test", DSN: "sent"}, 0},
		{"count reached", "", reports.RecipientExpectation{Match: "*@x.test", Count: reports.Range{Min: 1, Max: 1, Set: true}}, 0},
	} {
		if _, _, took, err := driveWait(t, delivered(tc.dsnNotSent), tc.want); err != nil || took != tc.took {
			t.Errorf("%s: waited %s (%v), want %s", tc.name, took, err, tc.took)
		}
	}
}

// driveWait runs waitForVerdicts for 5 s of --wait on a virtual clock,
// moving it a second whenever the wait sleeps, and returns its verdicts,
// its stderr, the virtual time it took and its error.
func driveWait(t *testing.T, judge func() ([]reports.Verdict, *reports.Data, error), want ...reports.RecipientExpectation) ([]reports.Verdict, string, time.Duration, error) {
	t.Helper()
	v := clock.NewVirtual(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	x := &expectFile{Name: "app"}
	x.Expect.Recipients = []reports.RecipientExpectation{{Match: "a@x.test", Status: "delivered"}}
	if len(want) > 0 {
		x.Expect.Recipients = want
	}
	var errb bytes.Buffer
	e := &env{stdout: io.Discard, stderr: &errb}
	type result struct {
		vs  []reports.Verdict
		err error
	}
	done := make(chan result, 1)
	go func() {
		vs, err := waitForVerdicts(context.Background(), e, v, 5*time.Second, []*expectFile{x}, true, judge, nil)
		done <- result{vs, err}
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
		case r := <-done:
			return r.vs, errb.String(), v.Now().Sub(start), r.err
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
