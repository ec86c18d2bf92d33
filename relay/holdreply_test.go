package relay

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/config"
)

// TestHoldKeepsTheLastServerReply: a recipient deferred with 451 by the
// server and then held while its destination rests after another
// message's 421 keeps the 451 (and its stage) as its last reply in
// Message and List, as queue show and list print it, and has the hold
// apart, naming the 421 that rested the destination, its recipient and
// its message. The hold's text replaced the 451 ("destination path:x
// rests until ...") and said nothing of what caused the rest. A later
// attempt's reply ends the hold.
func TestHoldKeepsTheLastServerReply(t *testing.T) {
	t.Parallel()
	soft := 0
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			switch {
			case strings.HasPrefix(to, "slow@"):
				return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "too many connections, slow down")
			case strings.HasPrefix(to, "soft@") && soft == 0:
				soft++
				return smtpErr(451, smtp.EnhancedCode{4, 7, 1}, "try again later")
			}
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Backoff = dur(10 * time.Minute)
	cfg.Retry.Schedule = []config.Duration{dur(5 * time.Minute)}
	h := newHarness(t, cfg, Options{})
	ctx := context.Background()
	id1 := h.enqueue("a@s.test", "soft@r.test")
	h.runUntil("the 451", h.deferrals(id1, 1))
	h.v.Advance(time.Minute)
	id2 := h.enqueue("a@s.test", "slow@r.test")
	h.runUntil("the 421", h.deferrals(id2, 1))
	h.v.Advance(4 * time.Minute) // soft@ is due, the destination rests
	h.runUntil("the hold", h.deferrals(id1, 2))

	m, err := h.r.Message(ctx, id1)
	if err != nil {
		t.Fatal(err)
	}
	rc := m.Recipients[0]
	if rc.Reply.Code != 451 || rc.Reply.Enhanced != "4.7.1" || rc.Reply.Stage != "rcpt" || rc.Reply.Text != "try again later" {
		t.Errorf("last reply %+v, want the server's 451 4.7.1 at rcpt", rc.Reply)
	}
	want := "not tried: destination path:primary rests until " + epoch.Add(11*time.Minute).Format(time.RFC3339) +
		" after 421 4.7.0 too many connections, slow down"
	if rc.Hold == nil || rc.Hold.Stage != "shaping" || rc.Hold.Text != want {
		t.Errorf("hold %+v, want %q", rc.Hold, want)
	}
	if rc.Category != "destination-backoff" {
		t.Errorf("category %q, want the hold's", rc.Category)
	}
	list, err := h.r.List(ctx, QueueFilter{State: "waiting"})
	if err != nil {
		t.Fatal(err)
	}
	for _, lm := range list {
		if lm.ID == id1 && (lm.Recipients[0].Reply.Code != 451 || lm.Recipients[0].Hold == nil) {
			t.Errorf("List: %+v, want the 451 and the hold", lm.Recipients[0])
		}
	}
	// A recipient held before any attempt has no server's reply: no
	// Reply, its hold apart.
	id3 := h.enqueue("a@s.test", "new@r.test")
	h.runUntil("the hold of a new message", h.deferrals(id3, 1))
	if m3, err := h.r.Message(ctx, id3); err != nil || m3.Recipients[0].Hold == nil || m3.Recipients[0].Reply != (Reply{}) {
		t.Errorf("never tried: %+v (%v), want no reply and its hold", m3.Recipients, err)
	}
	// After the rest: delivered, and the hold is gone.
	h.runUntil("delivery", h.done(id1, 1))
	m, _ = h.r.Message(ctx, id1)
	if rc := m.Recipients[0]; rc.Hold != nil || rc.Reply.Code != 250 {
		t.Errorf("after delivery: %+v, want the 250 and no hold", rc)
	}
}
