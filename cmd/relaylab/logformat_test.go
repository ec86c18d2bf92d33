package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLogFormatJSON: --log-format json writes the daemons' log as one
// JSON object a line, for a log collector; another format is bad input.
func TestLogFormatJSON(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	out := &sinkOutput{mu: make(chan struct{}, 1)}
	e := &env{stdout: out, stderr: out}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"sink", "--listen", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "x.db"), "--log-format", "json"})
	}()
	for i := 0; i < 2000 && !strings.Contains(out.String(), `"relaylab sink started"`); i++ {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	var logged int
	for _, line := range strings.Split(out.String(), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("a log line that is not JSON: %q: %v", line, err)
			continue
		}
		if rec["level"] == nil || rec["msg"] == nil || rec["time"] == nil {
			t.Errorf("a JSON log line without level, msg or time: %q", line)
		}
		logged++
	}
	// The shutdown line's grace, a duration, as a number of
	// milliseconds, which a log pipeline computes with.
	if !strings.Contains(out.String(), `"grace_ms":10000`) {
		t.Errorf("no shutdown line with its grace as \"grace_ms\":10000:\n%s", out.String())
	}
	if logged == 0 {
		t.Errorf("no JSON log line in:\n%s", out.String())
	}
	if strings.Contains(out.String(), " level=") {
		t.Errorf("key=value lines beside the JSON:\n%s", out.String())
	}
	code, _, stderr := runIn(t, context.Background(), "sink", "--log-format", "xml", "--listen", "127.0.0.1:0")
	if code != 2 || !strings.Contains(stderr, `--log-format "xml": want text or json`) {
		t.Errorf("--log-format xml: exit %d\n%s", code, stderr)
	}
}

// TestLogFormatJSONFatalError: with --log-format json the error a daemon
// stops with (a bad configuration here) is a JSON line too, with its
// exit code, which a log collector parses; it was a plain "relaylab
// sink: ..." line.
func TestLogFormatJSONFatalError(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(cfg, []byte("store:\n  sync: sometimes\n"), 0o644)
	code, _, stderr := runIn(t, context.Background(), "sink", "--log-format", "json", "--listen", "127.0.0.1:0", "--config", cfg, "--db", filepath.Join(t.TempDir(), "x.db"))
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rec); err != nil {
		t.Fatalf("exit %d; the last line is not JSON: %v\n%s", code, err, stderr)
	}
	if code != 2 || rec["level"] != "ERROR" || rec["msg"] != "relaylab sink stopped" || rec["exit"] != float64(2) ||
		!strings.Contains(fmt.Sprint(rec["err"]), cfg+":2:9: store.sync") {
		t.Errorf("exit %d, last line %v; want exit 2 and the config's error at its line as JSON", code, rec)
	}
}
