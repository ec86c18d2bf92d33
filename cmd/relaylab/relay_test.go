package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/relay"
)

func TestDKIMKeygen(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"rsa", "ed25519"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "k.pem")
			code, stdout, stderr := runIn(t, context.Background(), "dkim", "keygen", "--domain", "example.test", "--selector", "s1", "--type", typ, "--out", out)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !regexp.MustCompile(`^s1\._domainkey\.example\.test\. IN TXT .*"v=DKIM1; k=` + typ + `; p=`).MatchString(stdout) {
				t.Errorf("record %q", stdout)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := relay.ParsePrivateKey(b); err != nil {
				t.Errorf("written key does not parse: %v", err)
			}
			if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
				t.Errorf("key mode %v, want 0600", st.Mode().Perm())
			}
			// An --out that exists is bad input (exit 2), named, and kept.
			if code, _, errOut := runIn(t, context.Background(), "dkim", "keygen", "--domain", "example.test", "--selector", "s1", "--type", typ, "--out", out); code != 2 || !strings.Contains(errOut, "--out "+out+" already exists") {
				t.Errorf("keygen onto an existing key: exit %d (want 2), stderr %q", code, errOut)
			}
		})
	}
	if code, _, _ := runIn(t, context.Background(), "dkim", "keygen", "--domain", "d", "--selector", "s", "--type", "dsa", "--out", "x"); code != 2 {
		t.Errorf("bad --type: exit %d, want 2", code)
	}
}

func TestQueueAndSuppressCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "q.db")
	st, err := store.Open(ctx, store.Options{Path: db, Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rl, err := relay.New(relay.DefaultConfig(), relay.Options{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	id, err := rl.Enqueue(ctx, relay.Submission{From: "a@s.test", Data: []byte("Subject: x\r\n\r\ny\r\n"), Recipients: []relay.Recipient{{Address: "b@r.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	steps := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"queue", "list", "--db", db}, 0, id},
		{[]string{"queue", "show", id, "--db", db}, 0, "recipient b@r.test: queued"},
		{[]string{"queue", "retry", id, "--db", db}, 0, "1 recipient(s)"},
		{[]string{"queue", "show", "nope", "--db", db}, 1, ""},
		{[]string{"queue", "frob", "--db", db}, 2, ""},
		{[]string{"queue", "delete", id, "--db", db}, 0, "deleted " + id},
		{[]string{"queue", "list", "--db", db}, 0, "no messages"},
		{[]string{"suppress", "add", "x@r.test", "--reason", "complaint", "--db", db}, 0, "suppressed x@r.test"},
		{[]string{"suppress", "list", "--db", db}, 0, "complaint"},
		{[]string{"suppress", "remove", "x@r.test", "--db", db}, 0, "removed"},
		{[]string{"suppress", "remove", "x@r.test", "--db", db}, 1, ""},
		{[]string{"suppress", "add", "not-an-address", "--db", db}, 2, ""},
	}
	for _, s := range steps {
		code, out, errOut := runIn(t, ctx, s.args...)
		if code != s.code || !strings.Contains(out, s.out) {
			t.Errorf("%v: exit %d (want %d)\nstdout %q (want %q)\nstderr %q", s.args, code, s.code, out, s.out, errOut)
		}
	}
}

func TestRelayCommandStartsAndStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	db := filepath.Join(t.TempDir(), "r.db")
	done := make(chan int, 1)
	var out, errb syncBuffer
	go func() {
		done <- run(ctx, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, hup: make(chan os.Signal)},
			[]string{"relay", "--listen", "127.0.0.1:0", "--db", db, "--smarthost", "127.0.0.1:1"})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "Ctrl-C") {
		if time.Now().After(deadline) {
			t.Fatalf("relay did not start: %s %s", out.String(), errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "smtp://127.0.0.1:") || !strings.Contains(out.String(), "path smarthost") {
		t.Errorf("output %q", out.String())
	}
	// The hint must work as printed: queue opens relaylab.db unless told.
	if want := "`relaylab queue list --db " + db + "` shows the queue"; !strings.Contains(out.String(), want) {
		t.Errorf("output %q, want the hint %q", out.String(), want)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d: %s", code, errb.String())
	}
	if code, _, _ := runIn(t, context.Background(), "relay", "--smarthost", "nocolon"); code != 2 {
		t.Errorf("bad --smarthost: exit %d, want 2", code)
	}
}

func TestQueueListCmd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ path, want string }{
		{"", "relaylab queue list"},
		{"relaylab.db", "relaylab queue list"},
		{"relay.db", "relaylab queue list --db relay.db"},
		{"data/q.db", "relaylab queue list --db data/q.db"},
		{"my queue.db", "relaylab queue list --db 'my queue.db'"},
		{"it's.db", `relaylab queue list --db 'it'\''s.db'`},
	} {
		if got := queueListCmd(tc.path); got != tc.want {
			t.Errorf("queueListCmd(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}
