package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// stallingSmarthost is a smarthost on loopback that takes MAIL, RCPT and
// the data, and never answers the final dot: a delivery to it stays
// under way until the relay cuts it. inData says a message's data came.
func stallingSmarthost(t *testing.T) (addr string, inData <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	in := make(chan struct{}, 8)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
			go func() {
				r := bufio.NewReader(c)
				io.WriteString(c, "220 stall.test ESMTP\r\n")
				for data := false; ; {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if data {
						if line == ".\r\n" {
							in <- struct{}{}
							io.Copy(io.Discard, r) // no answer, until the relay closes
							return
						}
						continue
					}
					switch strings.ToUpper(strings.Fields(line + " x")[0]) {
					case "EHLO", "HELO", "MAIL", "RCPT", "RSET", "NOOP":
						io.WriteString(c, "250 stall.test\r\n")
					case "DATA":
						data = true
						io.WriteString(c, "354 go on\r\n")
					case "QUIT":
						io.WriteString(c, "221 bye\r\n")
						return
					default:
						io.WriteString(c, "502 not here\r\n")
					}
				}
			}()
		}
	}()
	return l.Addr().String(), in
}

// A stop whose grace runs out names as cut only the delivery under way
// (its recipient stays in flight, tried again at the next start), and
// says that the recipients claimed for deliveries that had not begun (the
// one worker was busy) went back to the queue untried. They were left in
// flight and counted as deliveries cut, and the next start sent them
// again as if an attempt of theirs had been cut off.
func TestS19FR2RelayStopPutsBackWhatHadNotBegun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	upstream, inData := stallingSmarthost(t)
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("relay:\n  workers: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "r.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errb, _, done := runDaemon(ctx, "relay", "--config", cfg, "--db", db, "--listen", "127.0.0.1:0",
		"--smarthost", upstream, "--shutdown-grace", "50ms")
	waitFor(t, out, "Ctrl-C stops")
	addr := regexp.MustCompile(`smtp://(127\.0\.0\.1:\d+)`).FindStringSubmatch(out.String())
	if addr == nil {
		t.Fatalf("no address:\n%s", out.String())
	}
	c := dialLines(t, addr[1])
	c.want("EHLO client.test", "250")
	for i, to := range []string{"slow@r.test", "b@r.test", "c@r.test"} {
		c.want("MAIL FROM:<a@s.test>", "250")
		c.want("RCPT TO:<"+to+">", "250")
		c.want("DATA", "354")
		c.want("Subject: x\r\n\r\nhi\r\n.", "250")
		if i == 0 {
			<-inData // the one worker is busy
		}
	}
	inflight := func() int {
		t.Helper()
		code, out, errOut := runIn(t, context.Background(), "queue", "list", "--db", db, "--state", "inflight")
		if code != 0 {
			t.Fatalf("queue list: exit %d: %s", code, errOut)
		}
		return strings.Count(out, "@r.test")
	}
	for deadline := time.Now().Add(time.Minute); inflight() < 2; time.Sleep(20 * time.Millisecond) { // bounds a hang, measures nothing
		if time.Now().After(deadline) {
			t.Fatal("the relay never claimed a second recipient")
		}
	}
	cancel() // SIGTERM; the delivery under way never ends
	if code := <-done; code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	log := errb.String()
	if !strings.Contains(log, "the relay's deliveries in progress (1 recipient) stay queued") ||
		!regexp.MustCompile(`went back to the queue untried, due as before \((1 recipient|2 recipients), which waited`).MatchString(log) {
		t.Errorf("the stop's warning does not count the one delivery cut and the recipients put back:\n%s", log)
	}
	if n := inflight(); n != 1 {
		t.Errorf("%d recipients in flight after the stop, want 1 (the delivery cut)", n)
	}
}

// The line of a stop that cut nothing says how many recipients the relay
// put back in the queue untried, where it said "the rest finished" of
// them too.
func TestS19FR2StopLineCountsWhatWentBack(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	log := slog.New(slog.NewTextHandler(&buf, nil))
	at := inProgress{parts: []count{{"delivery", "deliveries", 16}}, putBack: func() int { return 5 }}
	if err := stopDone(log, time.Second, 1616*time.Millisecond, at, []stopped{{"relay", nil}}); err != nil {
		t.Fatal(err)
	}
	want := "stopped in 1.616s, nothing cut (in progress at the signal: 16 deliveries; the idle sessions were answered 421 4.3.2 at once; " +
		"the relay's deliveries not yet begun went back to the queue untried, due as before (5 recipients, which waited for a worker, a connection or their rate's turn); the rest finished)"
	if got := buf.String(); !strings.Contains(got, want) || !strings.Contains(got, "put_back=5") {
		t.Errorf("got:\n%s\nwant the line:\n%s", got, want)
	}
	buf.Reset()
	at.putBack = func() int { return 0 }
	stopDone(log, time.Second, time.Second, at, []stopped{{"relay", nil}})
	if got := buf.String(); !strings.Contains(got, "at once, the rest finished)") || strings.Contains(got, "put_back") {
		t.Errorf("nothing put back: got\n%s", got)
	}
}
