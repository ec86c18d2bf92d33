package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/testutil"
)

// TestBrowserCrossSite: a page of another site (127.0.0.2 stands for it)
// that makes the browser fetch the report and a message from the server,
// as images, scripts and no-cors fetches, gets nothing done: every such
// request is refused before its handler runs.
func TestBrowserCrossSite(t *testing.T) {
	b := newBrowser(t)
	relay, sink, probe := filledFakes()
	s, err := New(Options{Store: openStore(t, clock.Real{}), Relay: relay, Sink: sink, Probe: probe, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	// The server's answers, as the browser's requests reach it.
	var mu sync.Mutex
	var answers []string
	ours := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: 200}
		s.Handler().ServeHTTP(rec, r)
		mu.Lock()
		answers = append(answers, r.URL.Path+" "+http.StatusText(rec.code))
		mu.Unlock()
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ours.Serve(ln)
	defer ours.Close()
	target := "http://" + ln.Addr().String()

	lnEvil, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		if testutil.InCI() {
			t.Fatalf("cannot listen on 127.0.0.2 (needed to stand for another site): %v", err)
		}
		t.Skipf("cannot listen on 127.0.0.2 (needed to stand for another site): %v", err)
	}
	evil := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>another site</title>
<img src="` + target + `/api/v1/reports?format=html">
<script src="` + target + `/api/v1/messages/evil-1"></script>
<script>fetch("` + target + `/api/v1/events?limit=5000", {mode: "no-cors"}).catch(() => {});</script>`))
	})}
	go evil.Serve(lnEvil)
	defer evil.Close()

	b.do(t, chromedp.Navigate("http://"+lnEvil.Addr().String()+"/"))
	got := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), answers...)
	}
	// The timeout only ends a hang.
	for deadline := time.Now().Add(30 * time.Second); len(got()) < 3; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the other site's page made %d of its 3 requests: %v", len(got()), got())
		}
	}
	for _, a := range got() {
		if !strings.HasSuffix(a, " Forbidden") {
			t.Errorf("a request of another site's page was answered: %s (all: %v)", a, got())
		}
	}
}

// statusRecorder keeps the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}
