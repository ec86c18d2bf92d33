package web

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestEventFilterRefusesWhatMatchesNothing: a recipient= that can name no
// recipient (no @; a space, which is a + the query decoded, naming %2B)
// and a kind= with an empty item (kind=, or a blank) are 400s that say
// so, on a page of /api/v1/events and on the stream's handshake, where
// the page answered 200 with no events (or every kind) and the stream
// waited forever. An address, postmaster and a quoted local part with a
// space still filter.
func TestEventFilterRefusesWhatMatchesNothing(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	appendEvents(t, ts.st,
		relayEvent(events.RelayDeferred, "m1", "defer2+t1@example.test"),
		relayEvent(events.RelayDelivered, "m2", `"a b"@example.test`),
		relayEvent(events.RelayDelivered, "m3", "postmaster"),
	)
	handshake := []string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}
	for _, tc := range []struct {
		query string
		want  int
		has   []string
	}{
		{"recipient=defer2+t1@example.test", 400, []string{"a + in a query must be written %2B", "defer2 t1@example.test has a space where the address likely has +", "recipient=defer2%2Bt1@example.test"}},
		{"recipient=notanaddress", 400, []string{`recipient=\"notanaddress\": not an address`}},
		{"kind=,", 400, []string{`kind=\",\": an empty kind`}},
		{"kind=%20", 400, []string{"an empty kind"}},
		{"kind=relay.deferred,", 400, []string{"an empty kind"}},
		{"recipient=defer2%2Bt1@example.test", 200, []string{`"m1"`}},
		{"recipient=%22a%20b%22@example.test", 200, []string{`"m2"`}},
		{"recipient=Postmaster", 200, []string{`"m3"`}},
		{"kind=relay.deferred,%20relay.delivered", 200, []string{`"m1"`, `"m3"`}},
	} {
		code, _, b := do(t, "GET", ts.url+"/api/v1/events?"+tc.query, "")
		if code != tc.want {
			t.Errorf("events?%s: %d %s, want %d", tc.query, code, b, tc.want)
			continue
		}
		for _, w := range tc.has {
			if !strings.Contains(string(b), w) {
				t.Errorf("events?%s: %s, want %q in it", tc.query, b, w)
			}
		}
		if tc.want != 400 {
			continue
		}
		wantAPIError(t, b)
		// The stream refuses it before the upgrade.
		code, _, b = do(t, "GET", ts.url+"/api/v1/events/stream?"+tc.query, "", handshake...)
		if code != 400 || !strings.Contains(string(b), tc.has[0]) {
			t.Errorf("stream?%s: %d %s, want 400 with %q", tc.query, code, b, tc.has[0])
		}
	}
}
