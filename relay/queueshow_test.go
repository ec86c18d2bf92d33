package relay

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestMessageHasLastAdvice: Message gives each recipient the advice and
// the stage of its last outcome, which its row does not keep, and a
// suppressed recipient the reason it was suppressed.
func TestMessageHasLastAdvice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	authed := startMTA(t, func(f *fakeMTA) { f.tls = true }) // offers no AUTH, even over TLS
	cfg := testConfig(authed.addr)
	cfg.Paths[0].TLS, cfg.Paths[0].Username, cfg.Paths[0].Password = "required", "relay", "pw"
	h := newHarness(t, cfg, Options{})
	if err := h.r.Suppress(ctx, "gone@r.test", "a test"); err != nil {
		t.Fatal(err)
	}
	id := h.enqueue("a@s.test", "b@r.test", "gone@r.test")
	h.runUntil("a deferral and a suppression", func() bool {
		return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred, events.RelaySuppressed}})) >= 2
	})
	m, err := h.r.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range m.Recipients {
		switch rc.Address {
		case "b@r.test":
			if rc.Reply.Stage != "auth" || !strings.Contains(rc.Advice, "AUTH enabled") {
				t.Errorf("deferred recipient %+v: want stage auth and the advice of auth-not-offered", rc)
			}
		case "gone@r.test":
			// The reason reads as said, not "(manual, from manual)".
			if rc.State != StateSuppressed || !strings.Contains(rc.Reason, "suppression list: a test (added by hand)") || strings.Contains(rc.Reason, "from manual") ||
				!strings.Contains(rc.Advice, "suppress remove") {
				t.Errorf("suppressed recipient %+v: want its reason and advice", rc)
			}
		}
	}
}

// TestHeldBack: a recipient a sending window holds is listed by HeldBack
// with the time the window opens, so that a retry can say it stays held.
func TestHeldBack(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Routes[0].Windows = []string{"14:00-15:00"} // the clock starts at 12:00 UTC
	cfg.Retry.MaxAge = dur(24 * time.Hour)
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@s.test", "b@r.test")
	h.runUntil("the hold", func() bool {
		return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) == 1
	})
	held, err := h.r.HeldBack(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 1 || held[0].Address != "b@r.test" || held[0].Until.Sub(epoch) != 2*time.Hour || !strings.Contains(held[0].Reply.Text, "sending windows") {
		t.Errorf("held %+v, want b@r.test until the window opens at +2h", held)
	}
}

// TestDeletedMessageSaysSo: show, retry and delete of a message deleted by
// hand say when it was deleted and where its history is, not only that it
// is not in the queue.
func TestDeletedMessageSaysSo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := testConfig(closedAddr(t))
	cfg.Routes[0].Windows = []string{"14:00-15:00"} // nothing is tried meanwhile
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("a@s.test", "b@r.test")
	h.settle() // deferred by the window, no longer in flight
	if err := h.r.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	_, errShow := h.r.Message(ctx, id)
	_, errRetry := h.r.RetryNow(ctx, id)
	errDelete := h.r.Delete(ctx, id)
	for _, err := range []error{errShow, errRetry, errDelete} {
		var d *DeletedError
		if !errors.As(err, &d) || !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "deleted from the queue by hand at") || !strings.Contains(err.Error(), "relaylab report") {
			t.Errorf("error %v: want a DeletedError that is an ErrNotFound", err)
		}
	}
	if _, err := h.r.Message(ctx, "nosuchid"); err == nil || errors.As(err, new(*DeletedError)) || !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v, want a plain ErrNotFound", err)
	}
}
