package sink

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/quiesce"
	"github.com/relaylab/relaylab/internal/store"
)

// TestHangOutlastsIdleTimeout: a hang waits until the client gives up
// (README: "never reply; wait until the client gives up"), however long
// that takes; the listener's idle_timeout, which the command before the
// hang had set on the connection, must not end it. The connections are
// tracked as in a replay, so that the idle timeout runs on the virtual
// clock and the test moves that clock past it.
func TestHangOutlastsIdleTimeout(t *testing.T) {
	vc := clock.NewVirtual(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	tr := quiesce.New(vc)
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "sink.db"), Sync: store.SyncOff, Clock: vc, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := DefaultConfig()
	cfg.Listeners[0].Listen = "127.0.0.1:0"
	cfg.Bounce.Relay = ""
	s, err := New(cfg, Options{Store: st, Clock: vc, Logger: quietLogger(),
		Wrap: func(c net.Conn) net.Conn { return tr.Wrap(c, quiesce.Server) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		s.Shutdown(sctx)
	}()

	raw, err := net.Dial("tcp", addrOf(t, s, "mx"))
	if err != nil {
		t.Fatal(err)
	}
	raw.SetDeadline(time.Now().Add(time.Minute)) // bounds a broken test only
	nc := tr.Wrap(raw, quiesce.Client)
	defer nc.Close()
	r := bufio.NewReader(nc)
	reply := func(cmd string) string {
		t.Helper()
		if cmd != "" {
			if _, err := nc.Write([]byte(cmd + "\r\n")); err != nil {
				t.Fatal(err)
			}
		}
		var last string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("after %q: %v", cmd, err)
			}
			if last = strings.TrimRight(line, "\r\n"); len(last) < 4 || last[3] != '-' {
				return last
			}
		}
	}
	reply("")
	reply("EHLO client.test")
	reply("MAIL FROM:<a@client.test>")
	if _, err := nc.Write([]byte("RCPT TO:<rcpthang@x.test>\r\n")); err != nil {
		t.Fatal(err)
	}
	// The client waits for the RCPT reply; the sink hangs in a read.
	got := make(chan error, 1)
	go func() {
		_, err := r.ReadString('\n')
		got <- err
	}()
	for i := 0; ; i++ {
		if _, _, ok := tr.Quiet(); ok {
			break
		}
		if i == 10000 {
			t.Fatal("the sink never settled into its hang")
		}
		time.Sleep(time.Millisecond)
	}
	// Well past the default idle timeout of 5 minutes.
	vc.Advance(time.Hour)
	// The sink must still be there: its end of the connection stays open
	// and silent. Before the fix the idle timeout closed it, and the
	// client read end of file.
	select {
	case err := <-got:
		t.Fatalf("the client's read ended (%v) an hour into a hang: the sink gave up, not the client", err)
	case <-time.After(300 * time.Millisecond):
	}
	// The client gives up, as a real one would after its own timeout.
	nc.Close()
	if err := <-got; err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after the client closed: %v", err)
	}
}
