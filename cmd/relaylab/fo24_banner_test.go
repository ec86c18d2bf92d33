package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runDaemonUntil runs a daemon command until its log says started, then
// stops it, and returns its stdout and stderr.
func runDaemonUntil(t *testing.T, started string, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, hup: make(chan os.Signal)}, args)
	}()
	for deadline := time.Now().Add(time.Minute); !strings.Contains(errb.String(), started); time.Sleep(10 * time.Millisecond) { // bounds a hang, measures nothing
		if time.Now().After(deadline) {
			t.Fatalf("%v did not log %q:\n%s", args, started, errb.String())
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("%v: exit %d\n%s", args, code, errb.String())
	}
	return out.String(), errb.String()
}

// startedRecord is the JSON log record whose msg is msg in stderr; every
// line there must be JSON.
func startedRecord(t *testing.T, stderr, msg string) map[string]any {
	t.Helper()
	var found map[string]any
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("a log line that is not JSON: %q", line)
			continue
		}
		if rec["msg"] == msg {
			if found != nil {
				t.Errorf("two %q records", msg)
			}
			found = rec
		}
	}
	if found == nil {
		t.Fatalf("no %q record in:\n%s", msg, stderr)
	}
	if found["level"] != "INFO" {
		t.Errorf("%q at level %v, want INFO", msg, found["level"])
	}
	return found
}

// TestFO24ServeBannerJSON: walk M3. Under --log-format json serve wrote
// its seven-line text banner to stdout, which a JSON log collector meets
// as lines that are not JSON, and no log line named the store, the
// configuration file or the version. Now stdout gets nothing, and the
// banner is one INFO record with the store (absolute), the configuration
// file, the version and each listener.
func TestFO24ServeBannerJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "r.yaml")
	if err := os.WriteFile(cfg, []byte("relay:\n  tls_listen: 127.0.0.1:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ready := filepath.Join(dir, "ready.json")
	stdout, stderr := runDaemonUntil(t, "relaylab started", "serve", "--db", filepath.Join(dir, "s.db"), "--config", cfg, "--sink-listen", "127.0.0.1:0",
		"--relay-listen", "127.0.0.1:0", "--web-listen", "127.0.0.1:0", "--ready-file", ready, "--log-format", "json")
	if stdout != "" {
		t.Errorf("stdout under --log-format json:\n%s", stdout)
	}
	rec := startedRecord(t, stderr, "relaylab started")
	sinks, _ := rec["sink"].(map[string]any)
	checks := map[string]bool{
		"store":      rec["store"] == filepath.Join(dir, "s.db"),
		"config":     rec["config"] == cfg,
		"sink.mx":    strings.HasPrefix(sinks["mx"].(string), "smtp://127.0.0.1:"),
		"relay":      strings.HasPrefix(rec["relay"].(string), "smtp://127.0.0.1:"),
		"relay_tls":  strings.HasPrefix(rec["relay_tls"].(string), "smtps://127.0.0.1:"),
		"web":        strings.HasPrefix(rec["web"].(string), "http://127.0.0.1:"),
		"ready_file": rec["ready_file"] == ready,
		"signals":    strings.Contains(rec["signals"].(string), "SIGTERM"),
		"version":    rec["version"] == moduleVersion() || moduleVersion() == "(unknown)" && rec["version"] == nil,
	}
	for k, ok := range checks {
		if !ok {
			t.Errorf("the record's %s is wrong: %v", k, rec)
		}
	}
}

// TestFO24ServeBannerText: in text mode the banner stays on stdout as it
// was (its store path absolute), and the log has the started line too.
func TestFO24ServeBannerText(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stdout, stderr := runDaemonUntil(t, "relaylab started", "serve", "--db", filepath.Join(dir, "s.db"), "--sink-listen", "127.0.0.1:0",
		"--relay-listen", "127.0.0.1:0", "--web-listen", "127.0.0.1:0")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 7 || lines[0] != "relaylab is running; the store is "+filepath.Join(dir, "s.db") || lines[6] != "Ctrl-C stops." {
		t.Errorf("the text banner:\n%s\nwant its 7 lines, the store named absolute", stdout)
	}
	if !strings.Contains(stderr, `level=INFO msg="relaylab started" store=`+filepath.Join(dir, "s.db")+" config=none") {
		t.Errorf("no started line naming the store and config=none in the log:\n%s", stderr)
	}
}

// TestFO24SinkRelayBannerJSON: relaylab sink and relaylab relay print no
// banner under --log-format json either; each logs its started record.
func TestFO24SinkRelayBannerJSON(t *testing.T) {
	t.Parallel()
	stdout, stderr := runDaemonUntil(t, "relaylab sink started", "sink", "--db", filepath.Join(t.TempDir(), "s.db"), "--listen", "127.0.0.1:0", "--log-format", "json")
	if stdout != "" {
		t.Errorf("sink's stdout under --log-format json:\n%s", stdout)
	}
	rec := startedRecord(t, stderr, "relaylab sink started")
	if sinks, _ := rec["sink"].(map[string]any); sinks["mx"] == nil || rec["config"] != "none" || rec["bounce_relay"] == nil {
		t.Errorf("the sink's record lacks sink.mx, config none or bounce_relay: %v", rec)
	}
	stdout, stderr = runDaemonUntil(t, "relaylab relay started", "relay", "--db", filepath.Join(t.TempDir(), "r.db"), "--listen", "127.0.0.1:0", "--log-format", "json")
	if stdout != "" {
		t.Errorf("relay's stdout under --log-format json:\n%s", stdout)
	}
	rec = startedRecord(t, stderr, "relaylab relay started")
	if paths, _ := rec["paths"].(map[string]any); paths["local-sink"] == nil || !strings.HasPrefix(rec["relay"].(string), "smtp://127.0.0.1:") {
		t.Errorf("the relay's record lacks relay or paths.local-sink: %v", rec)
	}
}

// TestFO24BannerStoreAbsolute: a relative --db is named absolute, in the
// banner and the record (from the working directory).
func TestFO24BannerStoreAbsolute(t *testing.T) {
	t.Parallel()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	db, conf, format := "x.db", "", "text"
	b := newBanner(&env{}, daemonFlags{db: &db, config: &conf, format: &format}, db)
	if b.store != filepath.Join(wd, "x.db") {
		t.Errorf("store %q, want %q", b.store, filepath.Join(wd, "x.db"))
	}
}
