package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/web"
)

// TestExpectMatchRefusesDeadPatterns: a match that can match no address
// is bad input (exit 2) naming the file, line and key, where "[" and the
// sink rules' "/[/" each found 0 recipients and said nothing more.
func TestExpectMatchRefusesDeadPatterns(t *testing.T) {
	t.Parallel()
	db := sinkStore(t, "a@example.test")
	for _, tt := range []struct{ match, want string }{
		{"[", `:4:15: expect.recipients[0].match: "[" has a [ that no ] closes`},
		{"/[/", `:4:15: expect.recipients[0].match: "/[/" is written as a regexp between slashes`},
		{"/^a@/", `expect.recipients[0].match: "/^a@/" is written as a regexp`},
		{"user[0-9]*@example.test", `expect.recipients[0].match: "user[0-9]*@example.test" has a [ before the @`},
	} {
		t.Run(tt.match, func(t *testing.T) {
			t.Parallel()
			file := writeExpect(t, "  recipients:\n    - {match: \""+tt.match+"\", count: 1}\n")
			code, out, errOut := runIn(t, context.Background(), "expect", "--db", db, file)
			if code != 2 || !strings.Contains(errOut, tt.want) || !strings.Contains(errOut, "glob") {
				t.Errorf("exit %d (want 2), stderr %q (want %q and what a glob is)\nstdout:\n%s", code, errOut, tt.want, out)
			}
		})
	}
	// An address literal's brackets are themselves.
	file := writeExpect(t, "  recipients:\n    - {match: \"*@[127.0.0.1]\", count: 0}\n")
	if code, out, errOut := runIn(t, context.Background(), "expect", "--db", db, file); code != 0 {
		t.Errorf("an address-literal glob: exit %d, stderr %q\nstdout:\n%s", code, errOut, out)
	}
}

// TestExpectURLForms: --url takes the serve's address with or without the
// API's /api/v1 (which was added twice: /api/v1/api/v1/sink/attempts), a
// query is refused as usage, and an answer that is a web page, not the
// API's JSON, says so and what to check, where it said "invalid character
// '<' looking for beginning of value".
func TestExpectURLForms(t *testing.T) {
	t.Parallel()
	db := sinkStore(t, "app@example.test")
	st, err := store.Open(context.Background(), store.Options{Path: db, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := web.New(web.Options{Store: st, Logger: slog.New(slog.DiscardHandler), Sink: sinkAdapter{db: st.DB()}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	file := writeExpect(t, "  recipients:\n    - {match: \"app@example.test\", count: 1}\n")
	for _, u := range []string{hs.URL, hs.URL + "/", hs.URL + "/api/v1", hs.URL + "/api/v1/"} {
		code, out, errOut := runIn(t, context.Background(), "expect", "--url", u, file)
		if code != 0 {
			t.Errorf("--url %s: exit %d (want 0), stderr %q\nstdout:\n%s", u, code, errOut, out)
		}
	}
	code, _, errOut := runIn(t, context.Background(), "expect", "--url", hs.URL+"/?x=1", file)
	if code != 2 || !strings.Contains(errOut, "has a query or fragment") || !strings.Contains(errOut, "give the serve's address alone, such as "+hs.URL) {
		t.Errorf("--url with a query: exit %d (want 2), stderr %q", code, errOut)
	}
	code, _, errOut = runIn(t, context.Background(), "expect", "--url", "http://127.0.0.1:99999", file)
	if code != 2 || !strings.Contains(errOut, "port 99999 is not a port (1 to 65535)") {
		t.Errorf("--url with port 99999: exit %d (want 2), stderr %q", code, errOut)
	}

	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!doctype html><title>not the API</title>"))
	}))
	t.Cleanup(page.Close)
	r := remoteAttempts{base: page.URL, client: &http.Client{Timeout: time.Minute}}
	_, err = r.AllAttempts(context.Background())
	for _, want := range []string{"/api/v1/sink/attempts answered a web page (text/html), not the JSON of relaylab's API", "check --url"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("a web page instead of the API: error %v, want it to say %q", err, want)
		}
	}
}
