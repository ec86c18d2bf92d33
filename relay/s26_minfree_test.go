package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
)

// TestSubmissionRefusesMailBelowMinFree: while the queue's disk has less
// room than store.min_free_bytes keeps, the submission answers MAIL with
// 452 4.3.1, as the sink does and Postfix below queue_minfree, and no
// transaction begins.
func TestSubmissionRefusesMailBelowMinFree(t *testing.T) {
	t.Parallel()
	v := clock.NewVirtual(epoch)
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "relay.db"), Sync: store.SyncOff, Clock: v,
		Logger: slog.New(slog.DiscardHandler), MinFree: 1 << 62})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, ok := st.DiskFree(); !ok {
		t.Skip("this system cannot tell the free space of a file system; Room lets all mail in there")
	}
	cfg := testConfig(closedAddr(t))
	cfg.Listen = "127.0.0.1:0"
	r, err := New(cfg, Options{Store: st, Clock: v, Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		err = r.Start(context.Background())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Shutdown(ctx)
	})
	send := rawSession(t, r.Addr().String())
	for _, tt := range []struct{ cmd, want string }{
		{"MAIL FROM:<a@x.test>", "452 4.3.1 Insufficient system storage: the disk of the relay's queue has less room than it keeps free (store.min_free_bytes)"},
		{"RCPT TO:<b@y.test>", "503"},
	} {
		if got := send(tt.cmd); !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: %q, want %s", tt.cmd, got, tt.want)
		}
	}
}

// TestSubmissionFullDiskIs452: a message the queue could not write for a
// full disk (SQLite's "database or disk is full", here from a page limit
// on the writer's connection) is answered 452 4.3.1, insufficient system
// storage, as the sink answers; it was 451 4.3.0, a failure that says
// nothing of when to come back.
func TestSubmissionFullDiskIs452(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := submitConfig(mta.addr)
	cfg.AllowedNetworks = []string{"127.0.0.0/8"}
	h := newHarness(t, cfg, Options{})
	if err := h.store.Write(context.Background(), func(tx *store.Tx) error {
		var pages int
		if err := tx.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
			return err
		}
		_, err := tx.Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c := dialSubmission(t, h.r.Addr().String(), false)
	if err := c.Mail("a@x.test", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("b@y.test", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("Subject: hi\r\n\r\n" + strings.Repeat("a full disk\r\n", 2000)))
	err = w.Close()
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 452 || se.EnhancedCode != (smtp.EnhancedCode{4, 3, 1}) || !strings.Contains(se.Message, "full disk") {
		t.Errorf("end of data on a full disk: %v, want 452 4.3.1 naming the full disk", err)
	}
}
