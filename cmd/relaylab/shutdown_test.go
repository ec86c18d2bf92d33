package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecondSignalStopsAtOnce: a sink stopping with a session open waits
// for it up to --shutdown-grace (here an hour); a second signal stops it
// at once, saying so, and the outcome is one JSON record under
// --log-format json that says what became of the work, without Go's
// "context deadline exceeded" and without a raw newline (walk N4, O13).
func TestSecondSignalStopsAtOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	again := make(chan os.Signal, 1)
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, hup: make(chan os.Signal), again: again},
			[]string{"sink", "--db", filepath.Join(dir, "s.db"), "--listen", "127.0.0.1:0", "--ready-file", ready, "--shutdown-grace", "1h", "--log-format", "json"})
	}()
	var info readyInfo
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) { // bounds a hang, measures nothing
		if b, err := os.ReadFile(ready); err == nil && json.Unmarshal(b, &info) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sink did not start:\n%s", errb.String())
		}
	}
	// The sink trickles its RCPT reply a byte every 500 ms: the session
	// is in the sink's hands for long.
	c := tarpitted(t, info.Sink["mx"], "tarpit500ms", time.Minute)
	defer c.Close()
	cancel()
	for !strings.Contains(errb.String(), "shutting down") {
		time.Sleep(10 * time.Millisecond)
	}
	again <- syscall.SIGTERM
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d, want 0", code)
		}
	case <-time.After(time.Minute): // bounds a hang, measures nothing
		t.Fatalf("a second signal did not stop the sink:\n%s", errb.String())
	}
	var second, outcome bool
	for _, line := range bytes.Split(bytes.TrimSpace([]byte(errb.String())), []byte("\n")) {
		var rec map[string]any
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Errorf("a line of stderr is no JSON record: %q", line)
			continue
		}
		msg, _ := rec["msg"].(string)
		second = second || strings.HasPrefix(msg, "second signal (terminated): stopping now")
		if strings.Contains(msg, "stopped with work in progress (a second signal stopped it)") {
			outcome = true
			if !strings.Contains(msg, "the sink closed its open sessions") || !strings.Contains(msg, "nothing acknowledged with 250 is lost") || rec["cut"] != "sink" || rec["level"] != "WARN" {
				t.Errorf("the outcome record: %v", rec)
			}
		}
	}
	if !second || !outcome || strings.Contains(errb.String(), "context deadline exceeded") || strings.Contains(errb.String(), "deliveries") {
		t.Errorf("second signal logged %v, outcome logged %v; stderr:\n%s", second, outcome, errb.String())
	}
}

// TestStopOutcomeNamesEachPart: a grace that ran out is one record naming
// each part that had work left, in its own words; other errors are
// returned.
func TestStopOutcomeNamesEachPart(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	err := stopOutcome(log, 10*time.Second, []stopped{{"web", nil}, {"relay", context.DeadlineExceeded}, {"sink", context.DeadlineExceeded}, {"store", os.ErrClosed}})
	if err == nil || !strings.Contains(err.Error(), "store: ") {
		t.Errorf("err = %v, want the store's", err)
	}
	got := buf.String()
	for _, w := range []string{"--shutdown-grace 10s ran out", "the relay's deliveries in progress stay queued", "the sink closed its open sessions", "cut=relay,sink"} {
		if !strings.Contains(got, w) {
			t.Errorf("log lacks %q:\n%s", w, got)
		}
	}
	if strings.Count(got, "\n") != 1 || strings.Contains(got, "web UI") {
		t.Errorf("want one record, about the relay and the sink alone:\n%s", got)
	}
}

// TestListenersLoggedAndWarned: the relay's listeners are logged as
// bound, and one beyond loopback is warned of, naming the key and what
// then decides who may send (walk O15); so is a sink listener.
func TestListenersLoggedAndWarned(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	logRelayListener(log, "submission", "relay.listen", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2587})
	if got := buf.String(); !strings.Contains(got, `msg="relay listening"`) || !strings.Contains(got, "addr=127.0.0.1:2587") || strings.Contains(got, "WARN") {
		t.Errorf("loopback:\n%s", got)
	}
	buf.Reset()
	logRelayListener(log, "submission", "--listen", &net.TCPAddr{IP: net.IPv6zero, Port: 2587})
	if got := buf.String(); !strings.Contains(got, "addr=[::]:2587") || !strings.Contains(got, "level=WARN") || !strings.Contains(got, "(--listen) is on [::]:2587, beyond loopback") || !strings.Contains(got, "relay.allowed_networks") {
		t.Errorf("all addresses:\n%s", got)
	}
	buf.Reset()
	warnSinkListener(log, "mx", "127.0.0.1:2525")
	warnSinkListener(log, "mx2", "[::]:2526")
	if got := buf.String(); strings.Count(got, "level=WARN") != 1 || !strings.Contains(got, "listener mx2 is on [::]:2526, beyond loopback") {
		t.Errorf("sink:\n%s", got)
	}
}
