package web

import (
	"net/http"
	"strings"
	"testing"
)

// sec25ScriptMail has a part its sender typed as a script: served as a
// download, it must never load as a page's script or worker.
const sec25ScriptMail = "From: a@evil.test\r\nTo: b@example.test\r\nSubject: parts\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
	"--B\r\nContent-Type: text/javascript\r\nContent-Disposition: attachment; filename=x.js\r\n\r\nfetch('/api/v1/sink/reset',{method:'POST'})\r\n--B--\r\n"

// TestSec25PartsNotLoadedAsCode: a request for the API that the browser
// makes to run or apply what it gets (Sec-Fetch-Dest script, worker,
// style...) is refused, even from this origin; fetches, downloads and
// the body's frame are served.
func TestSec25PartsNotLoadedAsCode(t *testing.T) {
	t.Parallel()
	sink := newFakeSink()
	sink.raw = map[string][]byte{"7": []byte(sec25ScriptMail)}
	ts := startServer(t, Options{Sink: sink})
	part := ts.url + "/api/v1/sink/messages/7/parts/2"
	for _, tc := range []struct {
		path, dest string
		want       int
	}{
		{part, "script", http.StatusForbidden},
		{part, "worker", http.StatusForbidden},
		{part, "serviceworker", http.StatusForbidden},
		{part, "sharedworker", http.StatusForbidden},
		{part, "style", http.StatusForbidden},
		{ts.url + "/api/v1/sink/messages/7/raw", "script", http.StatusForbidden},
		{part, "empty", http.StatusOK},    // fetch()
		{part, "document", http.StatusOK}, // a download link
		{part, "", http.StatusOK},         // curl
		{ts.url + "/app.js", "script", http.StatusOK},
	} {
		code, hdr, body := do(t, "GET", tc.path, "", "Sec-Fetch-Site", "same-origin", "Sec-Fetch-Mode", "no-cors", "Sec-Fetch-Dest", tc.dest)
		if code != tc.want {
			t.Errorf("%s as %q: got %d %.120s, want %d", strings.TrimPrefix(tc.path, ts.url), tc.dest, code, body, tc.want)
			continue
		}
		if code == http.StatusForbidden {
			if e := wantAPIError(t, body); !strings.Contains(e.Error, tc.dest) {
				t.Errorf("refusal %q does not name the destination %q", e.Error, tc.dest)
			}
			if hdr.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("refusal without nosniff: %v", hdr)
			}
		}
	}
}
