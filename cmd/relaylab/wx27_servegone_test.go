package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/relaylab/relaylab/reports"
)

// TestWaitEndsWhenTheServeIsGone: a serve that stops listening while
// expect --wait looks (stopped, or crashed) ends the wait at the next
// look, exit 3 with the reason, instead of holding the CI job until
// --wait runs out to end with the same error. Other failures of a look
// (a store busy with the sink's writes) are still looked past.
func TestWaitEndsWhenTheServeIsGone(t *testing.T) {
	t.Parallel()
	judged := 0
	judge := func() ([]reports.Verdict, *reports.Data, error) {
		judged++
		if judged == 1 {
			return []reports.Verdict{{Name: "app"}}, &reports.Data{Recipients: []*reports.Recipient{{Address: "a@x.test", Status: "deferred"}}}, nil
		}
		return nil, nil, unreachable("http://127.0.0.1:8025", "the sink's attempts", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED})
	}
	_, _, took, err := driveWait(t, judge)
	if err == nil || !strings.Contains(err.Error(), "nothing listens") || !strings.Contains(err.Error(), "stopped waiting") {
		t.Fatalf("err %v; want the serve's absence and that the wait stopped", err)
	}
	if took != time.Second || judged != 2 {
		t.Errorf("ended after %s and %d judgements, want 1s and 2 (the look that found it gone)", took, judged)
	}
}

// TestExpectWaitServeStopsMidWait runs the command: a serve that answers
// the first look and then closes its listener ends expect --wait 2m within a few
// looks, exit 3, every output saying nothing was judged.
func TestExpectWaitServeStopsMidWait(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:43396")
	if err != nil {
		t.Skipf("port 43396: %v", err)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Listener.Close()
	srv.Listener = l
	attempts := `{"attempts":[{"time":"2026-01-02T03:04:05Z","listener":"mx","client":"127.0.0.1","sender":"app@shop.test","recipient":"a@example.test","stage":"rcpt","code":451,"enhanced":"4.7.1","text":"later","session":1}]}`
	inner := fakeServeAPI(t, attempts, "")
	var looks atomic.Int32
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/sink/attempts" && looks.Add(1) == 2 {
			l.Close() // gone during the second look: its next request is refused
		}
		inner.Config.Handler.ServeHTTP(w, r)
	})
	srv.Config.SetKeepAlivesEnabled(false) // each look dials anew
	srv.Start()
	defer srv.Close()
	dir := t.TempDir()
	x, junit := filepath.Join(dir, "x.yaml"), filepath.Join(dir, "x.xml")
	if err := os.WriteFile(x, []byte("name: app\nexpect:\n  recipients:\n    - {match: \"a@example.test\", status: delivered}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // far below the --wait
	defer cancel()
	code, out, errOut := runIn(t, ctx, "expect", "--url", srv.URL, "--wait", "2m", "--junit", junit, x)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("expect --wait 2m was still waiting on a serve that had gone")
	}
	if code != exitNoVerdict || !strings.Contains(errOut, "nothing listens") || !strings.Contains(out, "not judged") {
		t.Errorf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", code, exitNoVerdict, out, errOut)
	}
}
