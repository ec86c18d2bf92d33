package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/postfixtest"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/sink"
)

// TestExpectPostfixRetries puts Postfix, an MTA no one here wrote, under
// test: relaylab's sink defers a recipient twice with 451 and then accepts,
// and relaylab expect judges Postfix's retries from what the sink recorded.
func TestExpectPostfixRetries(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "sink.db")
	const rcpt = "defer2+bob@example.test" // sink/DIRECTIVES.md: 451 4.7.1 twice, then accept

	st, err := store.Open(ctx, store.Options{Path: dbPath, Sync: store.SyncOff, Clock: clock.Real{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := sink.DefaultConfig()
	cfg.Listeners = []sink.ListenerConfig{sink.DefaultListener("mx", "127.0.0.1:0", "sink.relaylab.test")}
	cfg.Bounce.Relay = ""
	snk, err := sink.New(cfg, sink.Options{Store: st, Clock: clock.Real{}, Logger: slog.New(slog.DiscardHandler), Seed: 1})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	if err := snk.Start(ctx); err != nil {
		st.Close()
		t.Fatal(err)
	}
	stopSink := func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		snk.Shutdown(sctx)
		st.Close()
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			stopSink()
		}
	})

	// A backoff of 3s puts more than 2s between Postfix's attempts, so
	// min_interval: 1s below holds however the seconds fall. Postfix uses
	// the sink's STARTTLS when offered (any certificate will do).
	pf := postfixtest.Start(t, postfixtest.Options{RelayHost: snk.Addrs()["mx"].String(),
		Extra: map[string]string{"minimal_backoff_time": "3s", "maximal_backoff_time": "6s", "smtp_tls_security_level": "may"}})
	msg := "From: app@sender.test\r\nTo: " + rcpt + "\r\nSubject: retry me\r\n\r\nPostfix should try three times.\r\n"
	if err := pf.Submit(ctx, "app@sender.test", []string{rcpt}, []byte(msg)); err != nil {
		t.Fatal(err)
	}

	// Attempts appear once their sessions end; wait for the accepted one.
	var atts []sink.Attempt
	for delivered := false; !delivered; {
		select {
		case <-ctx.Done():
			t.Fatalf("the sink never accepted the message from Postfix; attempts so far: %+v", atts)
		case <-time.After(200 * time.Millisecond):
		}
		if atts, err = sink.Attempts(ctx, st.DB(), rcpt); err != nil {
			t.Fatal(err)
		}
		for _, a := range atts {
			delivered = delivered || a.Reply.Code == 250
		}
	}
	stopSink()
	stopped = true
	if len(atts) != 3 || atts[0].Reply.Code != 451 || atts[1].Reply.Code != 451 {
		t.Fatalf("sink saw %+v, want 451, 451, 250", atts)
	}
	for i, a := range atts {
		if a.TLS == "" || a.Sender != "app@sender.test" {
			t.Errorf("attempt %d: TLS %q, sender %q: want Postfix's STARTTLS and the envelope sender", i+1, a.TLS, a.Sender)
		}
	}

	tests := []struct {
		name     string
		expect   string
		wantCode int
		want     []string // in stdout
	}{
		{"retries as expected", "recipients:\n  - match: \"" + rcpt + "\"\n    status: delivered\n    attempts: 3\n    min_interval: 1s\n    last_code: 250\n",
			0, []string{"PASS postfix retries", "ok    recipients[0] " + rcpt}},
		{"wrong attempt count", "recipients:\n  - match: \"" + rcpt + "\"\n    status: delivered\n    attempts: 1\n",
			1, []string{"FAIL postfix retries", rcpt, "expected 1 attempt, got 3", "#1", "451 4.7.1", "#3", "250"}},
	}
	for _, tt := range tests {
		file := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".yaml")
		if err := os.WriteFile(file, []byte("name: postfix retries\nexpect:\n  "+strings.ReplaceAll(strings.TrimSpace(tt.expect), "\n", "\n  ")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runIn(t, ctx, "expect", "--db", dbPath, file)
		t.Logf("%s: relaylab expect exited %d:\n%s", tt.name, code, out)
		if code != tt.wantCode {
			t.Errorf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.name, code, tt.wantCode, out, errOut)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", tt.name, w, out)
			}
		}
	}
}
