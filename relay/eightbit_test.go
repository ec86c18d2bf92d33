package relay

import (
	"context"
	"net/textproto"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// RFC 6152 3: a message with 8-bit data is not given to a server that
// does not offer 8BITMIME; it bounces at once with 554 5.6.3, as a
// non-ASCII envelope to a server without SMTPUTF8 does. It was sent as
// it was, without BODY=8BITMIME.
func TestEightBitNeedsEightBitMIME(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		body string
		want string
		data int32
	}{
		{"8-bit", "Grüße.\r\n", events.RelayBounced, 0},
		{"7-bit", "Hello.\r\n", events.RelayDelivered, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var data atomic.Int32
			addr := scriptedServer(t, func(tc *textproto.Conn) {
				commandLoop(tc, "220 old.test ESMTP", func(verb string) bool {
					switch verb {
					case "EHLO":
						tc.PrintfLine("250-old.test")
						tc.PrintfLine("250 SIZE 10000000")
					case "DATA":
						data.Add(1)
						tc.PrintfLine("354 go on")
						if _, err := tc.ReadDotBytes(); err != nil {
							return true
						}
						tc.PrintfLine("250 2.0.0 queued")
					case "QUIT":
						tc.PrintfLine("221 bye")
						return true
					default:
						tc.PrintfLine("250 2.0.0 ok")
					}
					return false
				})
			})
			h := newHarness(t, testConfig(addr), Options{})
			id, err := h.r.Enqueue(context.Background(), Submission{From: "", Recipients: []Recipient{{Address: "x@r.test"}},
				Data: []byte("From: a@s.test\r\nSubject: test\r\n\r\n" + tt.body)})
			if err != nil {
				t.Fatal(err)
			}
			h.runUntil("a terminal event", h.done(id, 1))
			if got := h.terminal(id)["x@r.test"]; len(got) != 1 || got[0] != tt.want {
				t.Fatalf("terminal events %v, want [%s]", got, tt.want)
			}
			if got := data.Load(); got != tt.data {
				t.Errorf("the server got DATA %d times, want %d", got, tt.data)
			}
			if tt.want != events.RelayBounced {
				return
			}
			b := h.events(events.Filter{Message: id, Kinds: []string{events.RelayBounced}})
			p := payload(t, b[0])
			rep, _ := p["reply"].(map[string]any)
			if rep["code"] != float64(554) || rep["enhanced"] != "5.6.3" {
				t.Errorf("bounce reply %v, want 554 5.6.3", rep)
			}
			if r, _ := p["reason"].(string); !strings.Contains(r, "8BITMIME") {
				t.Errorf("bounce reason %q, want one that names 8BITMIME", r)
			}
		})
	}
}
