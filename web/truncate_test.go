package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestTimelineTruncated: a message or a recipient with more events than
// one answer holds says so, with the after= that reads the rest, instead
// of stopping at 5000 in silence.
func TestTimelineTruncated(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	evs := make([]events.Event, 0, maxTimeline+2)
	for i := range maxTimeline + 2 {
		evs = append(evs, events.Event{Kind: events.RelayAttempt, Message: "big", Recipient: "r@example.test"}.
			WithPayload(map[string]any{"attempt": i + 1}))
	}
	got := appendEvents(t, ts.st, evs...)
	wantNext := got[maxTimeline-1].ID
	for _, path := range []string{"/api/v1/messages/big/timeline", "/api/v1/recipients/r@example.test/timeline"} {
		code, _, body := do(t, "GET", ts.url+path, "")
		var page struct {
			Events    []events.Event `json:"events"`
			Timelines []struct {
				Events []events.Event `json:"events"`
			} `json:"timelines"`
			Truncated bool  `json:"truncated"`
			Next      int64 `json:"next"`
		}
		if err := json.Unmarshal(body, &page); code != http.StatusOK || err != nil {
			t.Fatalf("%s: %d %v", path, code, err)
		}
		n := len(page.Events)
		if len(page.Timelines) == 1 {
			n = len(page.Timelines[0].Events)
		}
		if !page.Truncated || page.Next != wantNext || n != maxTimeline {
			t.Errorf("%s: truncated %v, next %d, %d events; want true, %d, %d", path, page.Truncated, page.Next, n, wantNext, maxTimeline)
		}
		code, _, body = do(t, "GET", fmt.Sprintf("%s%s?after=%d", ts.url, path, page.Next), "")
		rest := string(body)
		if code != http.StatusOK || !strings.Contains(rest, `"truncated":false`) ||
			!strings.Contains(rest, `"attempt":5001}`) || !strings.Contains(rest, `"attempt":5002}`) || strings.Contains(rest, `"attempt":5000}`) {
			t.Errorf("%s?after=%d: %d %.300s; want the 2 remaining events, not truncated", path, page.Next, code, rest)
		}
	}
	code, _, body := do(t, "GET", ts.url+"/api/v1/messages/big/timeline?after=x", "")
	if e := wantAPIError(t, body); code != http.StatusBadRequest || !strings.Contains(e.Detail, "after") {
		t.Errorf("after=x: %d %+v, want 400 naming after", code, e)
	}
}

// TestMissingAsset: a UI file that does not exist is a 404 like the API's
// (JSON), or a small HTML page under the page CSP for a browser that
// navigated there; never Go's plain-text "404 page not found".
func TestMissingAsset(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	code, hdr, body := do(t, "GET", ts.url+"/nope.js", "", "Accept", "*/*")
	if e := wantAPIError(t, body); code != http.StatusNotFound || !strings.Contains(e.Error, "/nope.js") {
		t.Errorf("/nope.js: %d %+v, want 404 naming the path", code, e)
	}
	code, hdr, body = do(t, "GET", ts.url+"/nope.js", "", "Accept", "text/html,application/xhtml+xml")
	page := string(body)
	if code != http.StatusNotFound || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || !strings.Contains(page, "Not found") ||
		!strings.Contains(page, "/nope.js") || hdr.Get("Content-Security-Policy") != pageCSP || strings.Contains(page, "<script") || strings.Contains(page, "style=") {
		t.Errorf("/nope.js for a browser: %d %s CSP %q\n%s\nwant an HTML 404 page without script or inline style, under the page CSP", code, hdr.Get("Content-Type"), hdr.Get("Content-Security-Policy"), page)
	}
	code, _, body = do(t, "GET", ts.url+"/%3Cimg%20src=x%3E.js", "", "Accept", "text/html")
	if code != http.StatusNotFound || strings.Contains(string(body), "<img") {
		t.Errorf("a path with markup: %d, echoed unescaped: %s", code, body)
	}
	for _, ok := range []string{"/", "/app.js", "/style.css", "/messages/x"} {
		if code, _, _ := do(t, "GET", ts.url+ok, ""); code != http.StatusOK {
			t.Errorf("%s: %d, want 200", ok, code)
		}
	}
}
