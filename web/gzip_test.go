package web

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestGzipLargeJSON: a JSON answer of gzipMin bytes or more goes out
// gzip-compressed to a client that takes gzip (Accept-Encoding), the same
// JSON once decompressed; a small one, and any to a client that does not
// take gzip (none named, or gzip;q=0), goes out as it is. Each says that
// it varies with Accept-Encoding.
func TestGzipLargeJSON(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	var evs []events.Event
	for i := range 200 {
		evs = append(evs, relayEvent(events.RelayDelivered, fmt.Sprintf("m%03d", i), "user@example.test"))
	}
	appendEvents(t, ts.st, evs...)
	// A transport that leaves the encoding alone: Go's own would ask for
	// gzip and decompress out of sight.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(path, accept string) (http.Header, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", ts.url+path, nil)
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		return resp.Header, b
	}
	const big = "/api/v1/events?limit=200"
	_, plain := get(big, "")
	if len(plain) < gzipMin {
		t.Fatalf("the answer has %d bytes, fewer than gzipMin: the test needs more events", len(plain))
	}
	for _, tc := range []struct {
		path, accept string
		gzipped      bool
	}{
		{big, "gzip", true},
		{big, "deflate, gzip;q=0.5", true},
		{big, "GZIP", true},
		{big, "", false},
		{big, "gzip;q=0", false},
		{big, "br", false},
		{"/api/v1/events?limit=1", "gzip", false},
	} {
		h, b := get(tc.path, tc.accept)
		if !slices.Contains(h.Values("Vary"), "Accept-Encoding") {
			t.Errorf("%s with %q: Vary %q, want Accept-Encoding", tc.path, tc.accept, h.Values("Vary"))
		}
		if got := h.Get("Content-Encoding") == "gzip"; got != tc.gzipped {
			t.Errorf("%s with %q: Content-Encoding %q, want gzip %v", tc.path, tc.accept, h.Get("Content-Encoding"), tc.gzipped)
			continue
		}
		if !tc.gzipped {
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		un, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(un, plain) || len(b) >= len(plain) {
			t.Errorf("%s with %q: %d bytes that decompress to %d (%v), want the %d of the plain answer, fewer compressed",
				tc.path, tc.accept, len(b), len(un), err, len(plain))
		}
	}
}
