package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeListenFlagsAndReadyFile: serve's listener flags move every
// listener without a configuration file, and --ready-file says where each
// one listens (port 0 picks free ones) while serve runs, and is gone after
// a clean stop.
func TestServeListenFlagsAndReadyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errb, done := startServeArgs(t, ctx, "--db", filepath.Join(dir, "s.db"), "--sink-listen", "127.0.0.1:0", "--sink-listen", "127.0.0.1:0",
		"--relay-listen", "127.0.0.1:0", "--web-listen", "127.0.0.1:0", "--ready-file", ready)
	b, err := os.ReadFile(ready)
	if err != nil {
		t.Fatalf("no ready file once serve runs: %v\n%s\n%s", err, out.String(), errb.String())
	}
	var info readyInfo
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatalf("ready file %s: %v", b, err)
	}
	if len(info.Sink) != 2 || info.Relay == "" || !strings.HasPrefix(info.Web, "http://127.0.0.1:") || info.Store != filepath.Join(dir, "s.db") {
		t.Fatalf("ready file: %s", b)
	}
	for name, addr := range map[string]string{"sink mx": info.Sink["mx"], "sink mx2": info.Sink["mx2"], "relay": info.Relay} {
		if strings.HasSuffix(addr, ":0") {
			t.Errorf("%s: %s is no bound address", name, addr)
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Errorf("%s at %s: %v", name, addr, err)
			continue
		}
		greeting := make([]byte, 3)
		c.SetReadDeadline(time.Now().Add(30 * time.Second)) // bounds a hang, measures nothing
		if _, err := c.Read(greeting); err != nil || string(greeting) != "220" {
			t.Errorf("%s at %s greets %q, %v", name, addr, greeting, err)
		}
		c.Close()
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, errb.String())
	}
	if _, err := os.Stat(ready); !os.IsNotExist(err) {
		t.Errorf("the ready file is still there after a clean stop (%v)", err)
	}
}

// TestServeListenFlagsRefused: each bad use names its flag.
func TestServeListenFlagsRefused(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "s.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--web-listen", "0.0.0.0:0"}, `--web-listen "0.0.0.0:0" listens beyond loopback with no web.token`},
		{[]string{"--relay-listen", "nope"}, "--relay-listen"},
		{[]string{"--sink-listen", "127.0.0.1:99999"}, "--sink-listen"},
		{[]string{"--relay-listen", "127.0.0.1:43890", "--sink-listen", "127.0.0.1:43890"}, `--relay-listen "127.0.0.1:43890" and --sink-listen "127.0.0.1:43890" (listener mx) would listen on the same port`},
		{[]string{"--web-listen", "127.0.0.1:43891", "--relay-listen", "0.0.0.0:43891"}, `--web-listen "127.0.0.1:43891" and --relay-listen "0.0.0.0:43891" would listen on the same port; a host of 0.0.0.0`},
	} {
		code, _, errOut := runIn(t, context.Background(), append([]string{"serve", "--db", db}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("serve %v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("a refused start left a store behind (%v)", err)
	}
}

// TestReadyFileOfAnEarlierRun: a ready file a killed run left (with its
// dead ports) is removed before anything listens, so that a script
// waiting for it reads this run's addresses or none: serve replaces it,
// and a serve that cannot start leaves none. relaylab sink writes one
// too, with its listeners and no relay.
func TestReadyFileOfAnEarlierRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready.json")
	stale := `{"store": "old.db", "sink": {"mx": "127.0.0.1:1"}, "relay": "127.0.0.1:2"}`
	// A port in use: serve cannot start.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	os.WriteFile(ready, []byte(stale), 0o644)
	code, _, _ := runIn(t, context.Background(), "serve", "--db", filepath.Join(dir, "a.db"), "--sink-listen", busy.Addr().String(), "--ready-file", ready)
	if _, err := os.Stat(ready); code != 1 || !os.IsNotExist(err) {
		t.Errorf("a serve that could not start (exit %d) left the earlier run's ready file (%v)", code, err)
	}

	os.WriteFile(ready, []byte(stale), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, errb, done := startDaemon(t, ctx, "sink", "--db", filepath.Join(dir, "s.db"), "--listen", "127.0.0.1:0", "--ready-file", ready)
	b, err := os.ReadFile(ready)
	var info readyInfo
	if err != nil || json.Unmarshal(b, &info) != nil || info.Sink["mx"] == "" || info.Sink["mx"] == "127.0.0.1:1" || info.Relay != "" || info.Store != filepath.Join(dir, "s.db") {
		t.Errorf("sink's ready file: %s (%v)", b, err)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("sink exited %d: %s", code, errb.String())
	}
	if _, err := os.Stat(ready); !os.IsNotExist(err) {
		t.Errorf("sink left its ready file after a clean stop (%v)", err)
	}
	if code, _, errOut := runIn(t, context.Background(), "sink", "--db", filepath.Join(dir, "s.db"), "--ready-file", filepath.Join(dir, "no", "such", "dir", "r.json")); code != 2 || !strings.Contains(errOut, "--ready-file") {
		t.Errorf("a ready file in a missing directory: exit %d, stderr %q", code, errOut)
	}
}

// TestStopAtTheGraceExitsZero: a stop that --shutdown-grace cuts short
// (a session the sink holds, here one whose RCPT reply it trickles) is the stop the
// help promises: exit 0, and stderr says what was cut and that nothing
// acknowledged is lost, instead of exit 1 and "context deadline exceeded".
func TestStopAtTheGraceExitsZero(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, errb, done := startDaemon(t, ctx, "sink", "--db", filepath.Join(dir, "s.db"), "--listen", "127.0.0.1:0", "--ready-file", ready, "--shutdown-grace", "300ms")
	b, _ := os.ReadFile(ready)
	var info readyInfo
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	// The sink trickles its RCPT reply a byte every 200 ms: the session
	// is in the sink's hands for seconds.
	c := tarpitted(t, info.Sink["mx"], "tarpit200ms", 30*time.Second)
	defer c.Close()
	cancel()
	if code := <-done; code != 0 || !strings.Contains(errb.String(), "--shutdown-grace 300ms ran out") || !strings.Contains(errb.String(), "nothing acknowledged with 250 is lost") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

// TestServeWebListenShortSecret: --web-listen beyond loopback with a
// configuration whose token is short (fine on its loopback listener) is
// refused as the file would be, naming the flag and the key.
func TestServeWebListenShortSecret(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("web: {token: short}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runIn(t, context.Background(), "serve", "--db", filepath.Join(dir, "s.db"), "--config", cfg, "--web-listen", "0.0.0.0:0")
	want := `--web-listen "0.0.0.0:0": web.token is too short (5 of the 16 characters it needs)`
	if code != 2 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "openssl rand -hex 16") {
		t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, want)
	}
}

// TestServeWebListenLoopbackOverFileListen: a file whose web.listen is
// beyond loopback with a short token would be refused, but --web-listen
// 127.0.0.1 moves the UI to loopback, where the short token is fine, so
// serve starts and listens there.
func TestServeWebListenLoopbackOverFileListen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("web: {listen: '0.0.0.0:8025', token: short}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ready := filepath.Join(dir, "ready.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errb, done := startServeArgs(t, ctx, "--db", filepath.Join(dir, "s.db"), "--config", cfg, "--sink-listen", "127.0.0.1:0",
		"--relay-listen", "127.0.0.1:0", "--web-listen", "127.0.0.1:0", "--ready-file", ready)
	b, err := os.ReadFile(ready)
	if err != nil {
		t.Fatalf("no ready file once serve runs: %v\n%s\n%s", err, out.String(), errb.String())
	}
	var info readyInfo
	if err := json.Unmarshal(b, &info); err != nil || !strings.HasPrefix(info.Web, "http://127.0.0.1:") {
		t.Fatalf("ready file %s: %v", b, err)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, errb.String())
	}
}

// tarpitted opens a session to the sink at addr, greets, sends MAIL, then
// RCPT to a directive address (tarpit200ms) and returns once the first
// byte of the trickled reply is here: from then on the session is in the
// sink's hands. limit bounds a hang; it measures nothing.
func tarpitted(t *testing.T, addr, directive string, limit time.Duration) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(limit))
	r := bufio.NewReader(c)
	for _, cmd := range []string{"", "EHLO a.test\r\n", "MAIL FROM:<a@shop.test>\r\n"} {
		if cmd != "" {
			c.Write([]byte(cmd))
		}
		for { // the reply's last line
			line, err := r.ReadString('\n')
			if err != nil {
				c.Close()
				t.Fatalf("after %q: %v", cmd, err)
			}
			if len(line) > 3 && line[3] == ' ' {
				break
			}
		}
	}
	c.Write([]byte("RCPT TO:<" + directive + "+slow@example.test>\r\n"))
	if _, err := r.ReadByte(); err != nil {
		c.Close()
		t.Fatal(err)
	}
	return c
}
