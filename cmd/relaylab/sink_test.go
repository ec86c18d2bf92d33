package main

import (
	"bytes"
	"context"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/sink"
)

// sinkOutput is a buffer that the command writes while the test reads.
type sinkOutput struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (s *sinkOutput) Write(p []byte) (int, error) {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.buf.Write(p)
}

func (s *sinkOutput) String() string {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.buf.String()
}

func TestSinkCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "relaylab.yaml")
	os.WriteFile(cfgPath, []byte("sink:\n  rules:\n    - stage: rcpt\n      recipient: \"*@ruled.test\"\n      reply: \"550 5.7.1 first rules\"\n"), 0o644)
	out := &sinkOutput{mu: make(chan struct{}, 1)}
	hup := make(chan os.Signal, 1)
	e := &env{stdout: out, stderr: out, hup: hup}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"sink", "--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--db", filepath.Join(dir, "x.db"), "--config", cfgPath})
	}()
	re := regexp.MustCompile(`sink mx2 +smtp://(127\.0\.0\.1:\d+)`)
	var addr string
	for i := 0; i < 1000 && addr == ""; i++ {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
		time.Sleep(5 * time.Millisecond)
	}
	if addr == "" {
		t.Fatalf("no address printed:\n%s", out.String())
	}
	for i := 0; i < 1000 && !strings.Contains(out.String(), "Ctrl-C stops."); i++ {
		time.Sleep(5 * time.Millisecond)
	}
	if want := "late bounces go to 127.0.0.1:2587 (sink.bounce.relay)"; !strings.Contains(out.String(), want) {
		t.Errorf("the banner does not say where bounces go (%q):\n%s", want, out.String())
	}
	rcpt := func(to string) int {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		tp := textproto.NewConn(nc)
		tp.ReadResponse(220)
		for _, c := range []string{"EHLO t", "MAIL FROM:<a@x.test>"} {
			tp.PrintfLine("%s", c)
			tp.ReadResponse(250)
		}
		tp.PrintfLine("RCPT TO:<%s>", to)
		code, _, _ := tp.ReadResponse(0)
		return code
	}
	if got := rcpt("u@ruled.test"); got != 550 {
		t.Errorf("first rules: got %d, want 550", got)
	}
	if got := rcpt("rcpt452@x.test"); got != 452 {
		t.Errorf("directive: got %d, want 452", got)
	}
	// New rules, and a new limit that a reload cannot apply: the rules
	// change and the log says that sink.listeners needs a restart.
	os.WriteFile(cfgPath, []byte("sink:\n  verify: {enabled: true, resolvers: [\"127.0.0.1:9\"], timeout: 200ms}\n  listeners:\n    - name: mx\n      listen: 127.0.0.1:2525\n      hostname: mx.sink.test\n      limits: {max_connections: 7}\n  rules:\n    - stage: rcpt\n      recipient: \"*@ruled.test\"\n      reply: \"451 4.7.1 second rules\"\n"), 0o644)
	hup <- syscall.SIGHUP
	ok := false
	for i := 0; i < 1000 && !ok; i++ {
		ok = rcpt("u@ruled.test") == 451
		time.Sleep(5 * time.Millisecond)
	}
	if !ok {
		t.Errorf("SIGHUP did not reload the rules:\n%s", out.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	// One line for the reload (the sink's), not two saying the same.
	if strings.Count(out.String(), "configuration reloaded") != 1 || strings.Contains(out.String(), "SIGHUP: rules reloaded") || !strings.Contains(out.String(), "sink.verify reloaded\" enabled=true resolvers=127.0.0.1:9") ||
		!strings.Contains(out.String(), "restart to apply it\" keys=\"sink.listeners[0].hostname, sink.listeners[0].limits.max_connections\"") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestNeedsRestart(t *testing.T) {
	t.Parallel()
	cur := defaultConfig()
	next := defaultConfig()
	if keys := needsRestart(cur, next); len(keys) != 0 {
		t.Errorf("same configuration: %v", keys)
	}
	next.Sink.Rules = append(next.Sink.Rules, sink.Rule{Stage: "rcpt", Reply: "550 5.7.1 no"})
	next.Sink.Profiles = map[string]string{"*.test": "gmail"}
	if keys := needsRestart(cur, next); len(keys) != 0 {
		t.Errorf("rules and profiles reload, yet %v", keys)
	}
	next.Sink.Listeners[0].Limits.MaxConnections = 3
	next.Relay.Listen = "127.0.0.1:2588"
	next.Web.Listen = "127.0.0.1:8026"
	if got, want := strings.Join(needsRestart(cur, next), " "), "sink.listeners[0].limits.max_connections relay.listen web.listen"; got != want {
		t.Errorf("needs restart %q, want %q", got, want)
	}
	// The warning names the key that changed, not only its section.
	cur.Relay.Routes = []relay.RouteConfig{{Name: "default", Paths: []string{"sink"}}}
	next = defaultConfig()
	next.Relay.Routes = []relay.RouteConfig{{Name: "default", Paths: []string{"other"}}}
	next.Relay.Retry.MaxAttempts = 3
	if got, want := strings.Join(needsRestart(cur, next), " "), "relay.routes[0].paths relay.retry.max_attempts"; got != want {
		t.Errorf("needs restart %q, want %q", got, want)
	}
	next.Relay.Routes = append(next.Relay.Routes, next.Relay.Routes[0])
	if got, want := strings.Join(needsRestart(cur, next), " "), "relay.routes relay.retry.max_attempts"; got != want {
		t.Errorf("a route more: needs restart %q, want %q", got, want)
	}
}

func TestSinkCommandBadListen(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	e := &env{stdout: &out, stderr: &out}
	if code := run(context.Background(), e, []string{"sink", "--listen", "nope", "--db", filepath.Join(t.TempDir(), "x.db")}); code != 2 {
		t.Fatalf("exit %d, want 2:\n%s", code, out.String())
	}
}
