package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/relaylab/relaylab/web"
)

// TestReadyzNamesTheSinksListeners: serve's /readyz checks that each of
// the sink's listeners accepts connections (sink:NAME), through the
// sink adapter, and answers 503 naming one that stopped.
func TestReadyzNamesTheSinksListeners(t *testing.T) {
	_, st, sk := startSinkStore(t)
	srv, err := web.New(web.Options{Store: st, Logger: slog.New(slog.DiscardHandler), Sink: sinkAdapter{sk: sk, db: st.DB()}})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); srv.Run(rctx) }()
	t.Cleanup(func() { stop(); <-done })
	ready := func() (int, map[string]string) {
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		var a struct {
			Checks map[string]string `json:"checks"`
		}
		json.Unmarshal(rec.Body.Bytes(), &a)
		return rec.Code, a.Checks
	}
	deadline := time.Now().Add(10 * time.Second)
	code, checks := ready()
	for checks["stream"] != "ok" && time.Now().Before(deadline) { // the stream starts following
		time.Sleep(20 * time.Millisecond)
		code, checks = ready()
	}
	if code != 200 || checks["sink:mx"] != "ok" {
		t.Errorf("a running sink: %d %v, want 200 with sink:mx ok", code, checks)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sk.Shutdown(ctx)
	if code, checks := ready(); code != 503 || checks["sink:mx"] == "ok" || checks["sink:mx"] == "" {
		t.Errorf("a stopped sink: %d %v, want 503 naming sink:mx", code, checks)
	}
}
