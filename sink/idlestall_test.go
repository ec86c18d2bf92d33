package sink

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/store"
)

// timeoutCounter counts the reads of a connection that end at its
// deadline.
type timeoutCounter struct {
	net.Conn
	n *atomic.Int32
}

func (c timeoutCounter) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.n.Add(1)
	}
	return n, err
}

// TestStallInTheMessageWaitsOneIdlePeriod: a client that stalls in the
// middle of a message is answered 421 after one idle timeout, and the
// session waits for no second one (go-smtp's drain of the rest of the
// message, then its next command read, get the same timeout at once),
// instead of holding the session and its connection slot twice as long.
func TestStallInTheMessageWaitsOneIdlePeriod(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "sink.db"), Sync: store.SyncOff, Clock: clock.Real{}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := DefaultConfig()
	cfg.Listeners[0].Listen = "127.0.0.1:0"
	cfg.Listeners[0].Limits.IdleTimeout = config.Duration(300 * time.Millisecond)
	cfg.Bounce.Relay = ""
	var timeouts atomic.Int32
	s, err := New(cfg, Options{Store: st, Clock: clock.Real{}, Logger: quietLogger(), Seed: 7,
		Wrap: func(c net.Conn) net.Conn { return timeoutCounter{c, &timeouts} }})
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
	for _, script := range []string{
		"EHLO x\r\nMAIL FROM:<stall@hostile.test>\r\nRCPT TO:<b@sink.test>\r\nDATA\r\nSubject: half\r\n\r\nhalf a mess",
		"EHLO x\r\nMAIL FROM:<stall@hostile.test>\r\nRCPT TO:<b@sink.test>\r\nBDAT 100 LAST\r\nhalf",
	} {
		timeouts.Store(0)
		c := hsDial(t, s.Addrs()[cfg.Listeners[0].Name].String())
		c.write(script)
		var replies []string
		for {
			_, line, err := c.reply()
			if err != nil {
				break
			}
			replies = append(replies, line)
		}
		if last := replies[len(replies)-1]; !strings.HasPrefix(last, "421 4.4.2") || strings.Contains(strings.Join(replies, "\n"), "554") || strings.Count(strings.Join(replies, "\n"), "421 ") != 1 {
			t.Errorf("replies %q, want one 421 4.4.2, last, and no 554", replies)
		}
		if n := timeouts.Load(); n != 1 {
			t.Errorf("the session waited out %d idle periods after the stall, want 1", n)
		}
	}
}
