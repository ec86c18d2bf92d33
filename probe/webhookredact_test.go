package probe

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/testutil"
)

// syncBuffer is a log destination that tests read while a webhook writes.
type syncBuffer = testutil.SyncBuffer

// TestRedactURL: a webhook URL keeps its scheme and host in messages; a
// path, query or user part, which may hold the secret, does not appear.
func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                                    "",
		"https://hooks.test":                  "https://hooks.test",
		"https://hooks.test/":                 "https://hooks.test/",
		"http://127.0.0.1:43750/T0KEN":        "http://127.0.0.1:43750/<redacted>",
		"https://hooks.test/?key=T0KEN":       "https://hooks.test/<redacted>",
		"https://user:T0KEN@hooks.test/":      "https://hooks.test/<redacted>",
		"https://hooks.test/services/A/T0KEN": "https://hooks.test/<redacted>",
		"not a url T0KEN":                     "<redacted>",
	} {
		if got := config.RedactURL(in); got != want {
			t.Errorf("config.RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWebhookLogsHideTheURLPath: no log line of a failing webhook holds
// the secret of its URL's path, whether the receiver answers an error or
// cannot be reached (the HTTP client's own error quotes the URL).
func TestWebhookLogsHideTheURLPath(t *testing.T) {
	t.Parallel()
	ts, _ := hookServer(t, func(n int) int {
		if n == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusNotFound
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	for _, base := range []string{ts.URL, closed} {
		var logs syncBuffer
		cfg := DefaultConfig().Webhook
		cfg.URL = base + "/hooks/S3CRET-T0KEN?sig=S3CRET-SIG"
		cfg.Attempts = 2
		vc := clock.NewVirtual(epoch)
		w := newWebhook(cfg, newWebhookClient(), nil, vc, slog.New(slog.NewTextHandler(&logs, nil)))
		done := make(chan struct{})
		go func() {
			defer close(done)
			w.deliver(context.Background(), Change{Target: "127.0.2.20", Kind: ChangeListed, Key: "listing 127.0.2.20 bl.test"})
		}()
		driveClock(vc, done)
		out := logs.String()
		if strings.Contains(out, "S3CRET") {
			t.Errorf("%s: the logs show the URL's secret:\n%s", base, out)
		}
		if !strings.Contains(out, base+"/<redacted>") || !strings.Contains(out, "retrying") || !strings.Contains(out, "level=ERROR") {
			t.Errorf("%s: the logs do not name the receiver as %s/<redacted>, or lack the retry and the last failure:\n%s", base, base, out)
		}
	}
}

// driveClock jumps vc to each timer set until done is closed.
func driveClock(vc *clock.Virtual, done <-chan struct{}) {
	for {
		ch := vc.Changed()
		if vc.Pending() > 0 {
			vc.AdvanceToNext()
			continue
		}
		select {
		case <-done:
			return
		case <-ch:
		}
	}
}
