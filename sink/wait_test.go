package sink

import (
	"fmt"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// TestWaitsAreMarked checks that a delay, a tarpit and a hang mark the
// client's address as waiting for the clock while they last, which is how
// a replay tells a sink that waits from one that works.
func TestWaitsAreMarked(t *testing.T) {
	t.Parallel()
	for _, rcpt := range []string{"delay30s@x.test", "tarpit1s@x.test", "hang@x.test"} {
		t.Run(rcpt, func(t *testing.T) {
			t.Parallel()
			v := clock.NewVirtual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			s, _ := testSink(t, v, nil)
			c := dial(t, addrOf(t, s, "mx"))
			c.greet()
			c.cmd("MAIL FROM:<a@b.test>")
			who := c.nc.LocalAddr().String()
			if v.Marked(who) {
				t.Fatalf("%s marked before the RCPT", who)
			}
			fmt.Fprintf(c.nc, "RCPT TO:<%s>\r\n", rcpt)
			marked := false
			for i := 0; i < 4000 && !marked; i++ {
				time.Sleep(time.Millisecond)
				marked = v.Marked(who)
			}
			if !marked {
				t.Fatalf("RCPT TO:<%s>: the client %s was never marked as waiting for the clock", rcpt, who)
			}
			if rcpt == "hang@x.test" {
				c.nc.Close() // the client gives up: the hang ends
			} else {
				// Move the clock until the reply is all there.
				done := make(chan struct{})
				go func() {
					for {
						select {
						case <-done:
							return
						case <-time.After(time.Millisecond):
							v.Advance(30 * time.Second)
						}
					}
				}()
				code, _ := c.read()
				close(done)
				if code != 250 {
					t.Errorf("RCPT TO:<%s>: got %d, want 250 once the wait is over", rcpt, code)
				}
			}
			for i := 0; i < 4000 && v.Marked(who); i++ {
				time.Sleep(time.Millisecond)
			}
			if v.Marked(who) {
				t.Fatalf("RCPT TO:<%s>: %s still marked after the wait ended", rcpt, who)
			}
		})
	}
}
