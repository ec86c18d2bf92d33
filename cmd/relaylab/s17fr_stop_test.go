package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lineConn is a raw SMTP client that sees every line sent, the unasked
// 421 of a stop among them.
type lineConn struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func dialLines(t *testing.T, addr string) *lineConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(time.Minute)) // bounds a hang, measures nothing
	c := &lineConn{t: t, nc: nc, r: bufio.NewReader(nc)}
	if l := c.line(); !strings.HasPrefix(l, "220 ") {
		t.Fatalf("greeting %q", l)
	}
	return c
}

// line is the last line of the next reply, or "" at the end.
func (c *lineConn) line() string {
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			return ""
		}
		if l = strings.TrimRight(l, "\r\n"); len(l) < 4 || l[3] != '-' {
			return l
		}
	}
}

func (c *lineConn) want(cmd, code string) {
	c.t.Helper()
	io.WriteString(c.nc, cmd+"\r\n")
	if l := c.line(); !strings.HasPrefix(l, code) {
		c.t.Fatalf("%s: got %q, want %s", cmd, l, code)
	}
}

// stop421 asserts the 421 of a stop, then the end of the connection.
func (c *lineConn) stop421(name string) {
	c.t.Helper()
	if l := c.line(); !strings.HasPrefix(l, "421 4.3.2 ") || !strings.Contains(l, "shutting down") {
		c.t.Errorf("%s: got %q, want 421 4.3.2 ... shutting down", name, l)
	}
	if l := c.line(); l != "" {
		c.t.Errorf("%s: after the 421 got %q, want the end", name, l)
	}
}

func readReady(t *testing.T, path string) readyInfo {
	t.Helper()
	var info readyInfo
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) { // bounds a hang, measures nothing
		if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &info) == nil {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ready file %s", path)
		}
	}
}

// waitFor waits until buf holds want.
func waitFor(t *testing.T, buf interface{ String() string }, want string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !strings.Contains(buf.String(), want); time.Sleep(10 * time.Millisecond) { // bounds a hang, measures nothing
		if time.Now().After(deadline) {
			t.Fatalf("no %q in:\n%s", want, buf.String())
		}
	}
}

// serve stops as an MTA does: at the signal the sink and the relay stop
// accepting, and their idle sessions are answered 421 4.3.2 at once, while
// a transaction in progress goes on; then the transaction ends, and serve
// with it, saying it stopped and that nothing was cut. The stop was
// sequential: the sink kept accepting mail while the relay drained, and an
// idle submission session held the relay, so the sink's idle session got
// its 421 only when the grace was over.
func TestS17FRServeStopsLikeAnMTA(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	info, errb, done := serveOnLoopback(t, ctx)

	sinkIdle := dialLines(t, info.Sink["mx"])
	sinkIdle.want("EHLO idle.test", "250")
	relayIdle := dialLines(t, info.Relay)
	relayIdle.want("EHLO idle.test", "250")
	txn := dialLines(t, info.Sink["mx"])
	txn.want("EHLO busy.test", "250")
	txn.want("MAIL FROM:<a@x.test>", "250")
	txn.want("RCPT TO:<u@sink.test>", "250")

	cancel() // SIGTERM
	sinkIdle.stop421("the sink's idle session")
	relayIdle.stop421("the relay's idle submission session")
	for name, addr := range map[string]string{"sink": info.Sink["mx"], "relay": info.Relay} {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			t.Errorf("the %s accepted a connection after the signal", name)
		}
	}
	select {
	case code := <-done:
		t.Fatalf("serve exited (%d) with a transaction in progress", code)
	default:
	}
	txn.want("DATA", "354")
	txn.want("Subject: late\r\n\r\nStill taken.\r\n.", "250")
	txn.stop421("the session after its transaction")
	if code := <-done; code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	log := errb.String()
	if !strings.Contains(log, `msg="stopped in `) || !strings.Contains(log, "nothing cut") || !strings.Contains(log, "sink_sessions=2 submission_sessions=1 deliveries=0") ||
		strings.Contains(log, "stopped with work in progress") {
		t.Errorf("the log does not say serve stopped with nothing cut:\n%s", log)
	}
}

// relaylab relay answers SIGHUP with the changed keys a restart would
// apply (only those the relay uses: not web:), or says nothing it uses
// changed; a stop answers its idle submission session 421 at once and
// ends with a line saying it stopped. It ignored SIGHUP without a word.
func TestS17FRRelayHangupAndStop(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("relay:\n  workers: 2\nweb:\n  token: first\n"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errb, hup, done := runDaemon(ctx, "relay", "--config", cfg, "--db", filepath.Join(dir, "r.db"), "--listen", "127.0.0.1:0", "--smarthost", "127.0.0.1:9", "--shutdown-grace", "1h")
	waitFor(t, out, "Ctrl-C stops")
	addr := regexp.MustCompile(`smtp://(127\.0\.0\.1:\d+)`).FindStringSubmatch(out.String())
	if addr == nil {
		t.Fatalf("no address:\n%s", out.String())
	}

	os.WriteFile(cfg, []byte("relay:\n  workers: 3\nweb:\n  token: second\n"), 0o644)
	hup <- syscall.SIGHUP
	waitFor(t, errb, "SIGHUP: the relay reloads nothing")
	if want := `restart it to apply what changed" keys=relay.workers`; !strings.Contains(errb.String(), want) {
		t.Errorf("want %q (web.token is not the relay's):\n%s", want, errb.String())
	}
	os.WriteFile(cfg, []byte("relay:\n  workers: 2\nweb:\n  token: third\n"), 0o644)
	hup <- syscall.SIGHUP
	waitFor(t, errb, "SIGHUP: nothing the relay uses changed")

	idle := dialLines(t, addr[1])
	idle.want("EHLO idle.test", "250")
	cancel()
	idle.stop421("the idle submission session")
	if code := <-done; code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	if log := errb.String(); !strings.Contains(log, `msg="stopped in `) || strings.Contains(log, "stopped with work in progress") {
		t.Errorf("the log does not say the relay stopped with nothing cut:\n%s", log)
	}
}

// relaylab sink names, on SIGHUP, only the changed keys a restart of the
// sink applies: not relay: (it named relay.workers, which a restart of
// the sink does not apply).
func TestS17FRSinkHangupNamesSinkKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("relay:\n  workers: 2\n"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errb, hup, done := runDaemon(ctx, "sink", "--config", cfg, "--db", filepath.Join(dir, "s.db"), "--listen", "127.0.0.1:0")
	waitFor(t, out, "Ctrl-C stops.")
	os.WriteFile(cfg, []byte("relay:\n  workers: 3\nsink:\n  listeners:\n    - name: mx\n      listen: 127.0.0.1:2525\n      hostname: mx.changed.test\n"), 0o644)
	hup <- syscall.SIGHUP
	waitFor(t, errb, "restart to apply it")
	if want := `restart to apply it" keys=sink.listeners[0].hostname`; !strings.Contains(errb.String(), want) {
		t.Errorf("want %q:\n%s", want, errb.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	if log := errb.String(); !strings.Contains(log, "nothing was in progress") {
		t.Errorf("no line saying the sink stopped:\n%s", log)
	}
}

// A grace that runs out on a submission session in a transaction (and no
// delivery) is logged as what it is: the session answered 421 and closed,
// not deliveries that stay queued.
func TestS17FRRelayCutNamesWhatWasCut(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, errb := &syncBuffer{}, &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdin: strings.NewReader(""), stdout: out, stderr: errb, hup: make(chan os.Signal)},
			[]string{"relay", "--db", filepath.Join(dir, "r.db"), "--listen", "127.0.0.1:0", "--smarthost", "127.0.0.1:9", "--shutdown-grace", "50ms"})
	}()
	waitFor(t, out, "Ctrl-C stops")
	addr := regexp.MustCompile(`smtp://(127\.0\.0\.1:\d+)`).FindStringSubmatch(out.String())
	if addr == nil {
		t.Fatalf("no address:\n%s", out.String())
	}
	txn := dialLines(t, addr[1])
	txn.want("EHLO busy.test", "250")
	txn.want("MAIL FROM:<a@s.test>", "250")
	cancel() // and the transaction never ends
	txn.stop421("the session in a transaction, at the grace's end")
	if code := <-done; code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	log := errb.String()
	if !strings.Contains(log, "the relay closed 1 submission session still in a transaction (its client sends again)") || strings.Contains(log, "deliveries in progress") ||
		!strings.Contains(log, "cut=relay") || strings.Contains(log, `msg="stopped in`) {
		t.Errorf("the warning does not name what was cut, and only that:\n%s", log)
	}
}

// stopOutcome takes a part's own words for what was cut (cutError) over
// its stock ones.
func TestS17FRStopOutcomeTakesCutWords(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	log := slog.New(slog.NewTextHandler(&buf, nil))
	cut, err := stopOutcomeCut(log, time.Second, []stopped{{"relay", &cutError{words: "exactly this", err: context.DeadlineExceeded}}, {"sink", nil}})
	if !cut || err != nil || !strings.Contains(buf.String(), "(--shutdown-grace 1s ran out): exactly this;") || strings.Contains(buf.String(), "deliveries") {
		t.Errorf("cut %v, err %v, log:\n%s", cut, err, buf.String())
	}
	buf.Reset()
	if cut, _ := stopOutcomeCut(log, time.Second, []stopped{{"relay", nil}}); cut || buf.Len() != 0 {
		t.Errorf("nothing cut: cut %v, log %q", cut, buf.String())
	}
}

// serveOnLoopback starts serve with its sink, relay and web UI on free
// loopback ports and a grace of an hour, and returns what its ready file
// says, its log and its exit status (when ctx ends).
func serveOnLoopback(t *testing.T, ctx context.Context) (readyInfo, *syncBuffer, <-chan int) {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("sink:\n  listeners:\n    - name: mx\n      listen: 127.0.0.1:0\nrelay:\n  listen: 127.0.0.1:0\nweb:\n  listen: 127.0.0.1:0\n"), 0o644)
	ready := filepath.Join(dir, "ready.json")
	_, errb, done := startServeArgs(t, ctx, "--config", cfg, "--db", filepath.Join(dir, "s.db"), "--ready-file", ready, "--shutdown-grace", "1h")
	return readReady(t, ready), errb, done
}

// runDaemon runs relaylab with args until ctx ends, with a channel for
// SIGHUP, and returns its output, its log and its exit status.
func runDaemon(ctx context.Context, args ...string) (out, errb *syncBuffer, hup chan os.Signal, done chan int) {
	out, errb, hup, done = &syncBuffer{}, &syncBuffer{}, make(chan os.Signal, 1), make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdin: strings.NewReader(""), stdout: out, stderr: errb, hup: hup}, args)
	}()
	return out, errb, hup, done
}
