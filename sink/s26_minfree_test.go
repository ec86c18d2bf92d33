package sink

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
)

// syncBuffer is a bytes.Buffer a logger and a test may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMailRefusedBelowMinFree: while the store's disk has less room than
// store.min_free_bytes keeps, MAIL is answered 452 4.3.1, as Postfix
// answers below queue_minfree, and logged once, not per MAIL; nothing is
// stored. Before, the sink took mail until the disk was full to the last
// byte, when not even a prune could run.
func TestMailRefusedBelowMinFree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "sink.db"), Sync: store.SyncOff, Logger: quietLogger(),
		MinFree: 1 << 62}) // more than any disk has
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.DiskFree(); !ok {
		t.Skip("this system cannot tell the free space of a file system; Room lets all mail in there")
	}
	var logged syncBuffer
	cfg := DefaultConfig()
	cfg.Listeners[0].Listen = "127.0.0.1:0"
	cfg.Bounce.Relay = ""
	s, err := New(cfg, Options{Store: st, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err == nil {
		err = s.Start(ctx)
	}
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(sctx)
		st.Close()
	})
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	for range 3 {
		c.expect(452, "store.min_free_bytes", "MAIL FROM:<a@example.test>")
	}
	c.expect(503, "", "RCPT TO:<b@example.test>") // no transaction began
	c.expect(221, "", "QUIT")
	var n int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM sink_messages`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d messages stored (%v), want none", n, err)
	}
	if got := strings.Count(logged.String(), "sink: taking new mail failed"); got != 1 {
		t.Errorf("%d log lines about the refusals, want 1:\n%s", got, logged.String())
	}
	// The 452's enhanced code is X.3.1, mail system full.
	c2 := dial(t, addrOf(t, s, "mx"))
	c2.greet()
	if code, msg := c2.cmd("MAIL FROM:<a@example.test>"); code != 452 || !strings.HasPrefix(msg, "4.3.1 ") {
		t.Errorf("MAIL: %d %q, want 452 4.3.1", code, msg)
	}
}
