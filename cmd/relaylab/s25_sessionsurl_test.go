package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
)

// TestS25SinkSessionsURLSearch: relaylab sink sessions --url asks a
// running serve's web API, which passes client=, helo=, from=, to= and
// text= on to the sink's search: the API ignored them and gave every
// session, so --url listed what --db would not. A client that is no IP
// address is a 400 naming it, and a search has no total.
func TestS25SinkSessionsURLSearch(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path, sk, addr := sinkOnStore(t, ctx)
	fk4Session(t, addr, "EHLO alpha.client.test", "MAIL FROM:<ann@x.test>", "RCPT TO:<rcpt550+bob@example.test>", "QUIT")
	fk4Session(t, addr, "EHLO beta.test", "MAIL FROM:<cy@y.test>", "RCPT TO:<dave@sink.test>", "DATA", "QUIT")
	if err := sk.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, store.Options{Path: path, NoMigrate: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	url := faServe(t, st)
	for _, tc := range []struct {
		args []string
		want string // the HELO of the one row
	}{
		{[]string{"--helo", "ALPHA"}, "alpha.client.test"},
		{[]string{"--to", "rcpt550+bob@example.test"}, "alpha.client.test"},
		{[]string{"--from", "cy@y.test"}, "beta.test"},
		{[]string{"--text", "dave@sink"}, "beta.test"},
		{[]string{"--client", "127.0.0.1", "--helo", "beta"}, "beta.test"},
	} {
		code, out, errOut := runIn(t, ctx, append([]string{"sink", "sessions", "--url", url}, tc.args...)...)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if code != 0 || len(lines) != 2 || !strings.Contains(lines[1], tc.want) {
			t.Errorf("--url %q: exit %d\n%s%s\nwant the one row of %s", tc.args, code, out, errOut, tc.want)
		}
	}
	resp, err := http.Get(url + "/api/v1/sink/sessions?client=alpha.client.test")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "alpha.client.test") {
		t.Errorf("client= of a host name: %d %s; want a 400 naming it", resp.StatusCode, body)
	}
	resp, err = http.Get(url + "/api/v1/sink/sessions?helo=beta")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Contains(string(body), `"total"`) {
		t.Errorf("helo=beta: %d %s; want the sessions found without a total of all", resp.StatusCode, body)
	}
}
