package relay

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestFR22ReleaseTwiceIsNoError: a release of mail that is not held
// (never held, or released already) changes nothing and is no error, as
// a hold of held mail is none (Postfix's postsuper -H of mail not on
// hold); a release of finished mail, of a recipient the message lacks or
// of an unknown message stays an error saying why. It was ErrNotHeld
// (exit 1, a 400) for mail still waiting.
func TestFR22ReleaseTwiceIsNoError(t *testing.T) {
	t.Parallel()
	h, _, refuse, id := deferredOnce(t, "b@r.test", "c@r.test")
	ctx := context.Background()

	if rel, err := h.r.ReleaseBy(ctx, id, "", "ops"); err != nil || len(rel) != 0 {
		t.Errorf("ReleaseBy of a message never held = %v, %v; want nothing released, no error", rel, err)
	}
	if _, err := h.r.HoldBy(ctx, id, "b@r.test", "ops", ""); err != nil {
		t.Fatal(err)
	}
	// Its advice says how to release it by the CLI and by the web API.
	m, err := h.r.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if adv := m.Recipients[0].Advice; !strings.Contains(adv, "`relaylab queue release "+id+"`, or POST /api/v1/queue/"+id+"/release") {
		t.Errorf("a held recipient's advice %q, want both ways to release it", adv)
	}
	if rel, err := h.r.ReleaseBy(ctx, id, "c@r.test", "ops"); err != nil || len(rel) != 0 {
		t.Errorf("ReleaseBy of the recipient not held = %v, %v; want nothing released, no error", rel, err)
	}
	if rel, err := h.r.ReleaseBy(ctx, id, "b@r.test", "ops"); err != nil || len(rel) != 1 {
		t.Fatalf("ReleaseBy of the held recipient = %v, %v; want b@r.test", rel, err)
	}
	h.settle()
	if rel, err := h.r.ReleaseBy(ctx, id, "b@r.test", "ops"); err != nil || len(rel) != 0 {
		t.Errorf("ReleaseBy again = %v, %v; want nothing released, no error", rel, err)
	}
	if n := len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayReleased}})); n != 1 {
		t.Errorf("%d relay.released events, want 1: a release of what is not held records nothing", n)
	}

	// Finished: an error, ErrNotWaiting and ErrNotHeld, naming the state.
	refuse.Store(false)
	h.runUntil("delivered", h.done(id, 2))
	_, err = h.r.ReleaseBy(ctx, id, "", "ops")
	if !errors.Is(err, ErrNotWaiting) || !errors.Is(err, ErrNotHeld) || !strings.Contains(err.Error(), "delivered") || !strings.Contains(err.Error(), "nothing to release") {
		t.Errorf("ReleaseBy of a delivered message: %v; want ErrNotWaiting and ErrNotHeld saying it is delivered", err)
	}
	if _, err := h.r.ReleaseBy(ctx, id, "nobody@r.test", "ops"); !errors.Is(err, ErrNoRecipient) {
		t.Errorf("ReleaseBy of a recipient the message lacks: %v, want ErrNoRecipient", err)
	}
	if _, err := h.r.ReleaseBy(ctx, "nope", "", "ops"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReleaseBy of an unknown id: %v, want ErrNotFound", err)
	}
}

// TestFR22HeldErrorNamesTheCallersRelease: a retry's refusal of held
// mail says how to release it in the caller's terms: the web API's
// caller gets its own call, not the CLI's command, which stays the
// default.
func TestFR22HeldErrorNamesTheCallersRelease(t *testing.T) {
	t.Parallel()
	holds := []OperatorHold{{Address: "b@r.test", By: "ops", Since: epoch}}
	if got := (&HeldError{ID: "m1", Holds: holds}).Error(); !strings.Contains(got, "`relaylab queue release m1` releases it") {
		t.Errorf("default HeldError %q, want the CLI's release", got)
	}
	he := &HeldError{ID: "m1", Holds: holds, Release: "POST /api/v1/queue/m1/release"}
	if got := he.Error(); !strings.Contains(got, "POST /api/v1/queue/m1/release releases it and sends it at once") || strings.Contains(got, "relaylab queue") {
		t.Errorf("HeldError with the API's release %q, want that call and no CLI command", got)
	}
}

// TestFR22ExpiryAfterHoldSaysHeld: mail held by hand that expires once
// released says so in its expiry's reason (the relay.expired event and
// queue show) and in the DSN to its sender, with when the hold began and
// ended, so that a reader understands why it had so few attempts: past
// max_age while held, its release gave it one; held for part of its
// life, it was not tried then. It said only "older than the maximum age".
func TestFR22ExpiryAfterHoldSaysHeld(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		held    time.Duration // how long the hold lasts; max_age is 1h
		want    []string      // in the expiry's reason
		dsnWant []string
		not     string
	}{
		{"past max_age", 3 * time.Hour,
			[]string{"held by hand for 3h0m0s of that, by ops from 2026-03-01T12:00:00Z to 2026-03-01T15:00:00Z (released by rel)",
				"passed its max_age at 2026-03-01T13:00:00Z while held, so its release gave it one attempt"},
			[]string{"held it in the queue by hand for 3h0m0s", "from 2026-03-01T12:00:00Z to 2026-03-01T15:00:00Z", "tried 2 times"}, ""},
		{"within max_age", 40 * time.Minute,
			[]string{"held by hand for 40m0s of that, by ops from 2026-03-01T12:00:00Z to 2026-03-01T12:40:00Z (released by rel), during which it was not tried"},
			[]string{"held it in the queue by hand for 40m0s"}, "while held"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, _, _, id := deferredOnce(t, "b@r.test")
			ctx := context.Background()
			if _, err := h.r.HoldBy(ctx, id, "", "ops", "checking"); err != nil {
				t.Fatal(err)
			}
			h.v.Advance(tt.held)
			h.settle()
			if _, err := h.r.ReleaseBy(ctx, id, "", "rel"); err != nil {
				t.Fatal(err)
			}
			h.runUntil("the expiry", h.done(id, 1))
			e := h.events(events.Filter{Message: id, Kinds: []string{events.RelayExpired}})
			if len(e) != 1 {
				t.Fatalf("expired events %v", e)
			}
			pl := payload(t, e[0])
			reason, _ := pl["reason"].(string)
			for _, w := range tt.want {
				if !strings.Contains(reason, w) {
					t.Errorf("the expiry's reason %q\nlacks %q", reason, w)
				}
			}
			if tt.not != "" && strings.Contains(reason, tt.not) {
				t.Errorf("the expiry's reason %q says %q", reason, tt.not)
			}
			if spans, _ := pl["held_by_hand"].([]any); len(spans) != 1 {
				t.Errorf("the expiry's held_by_hand %v, want the one hold", pl["held_by_hand"])
			}
			m, err := h.r.Message(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if rc := m.Recipients[0]; !strings.Contains(rc.Reason, tt.want[0]) {
				t.Errorf("Message's reason %q, want the hold (%q)", rc.Reason, tt.want[0])
			}
			dsnID := h.firstDSN(t)
			d, err := h.r.loadMessage(ctx, dsnID)
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Join(strings.Fields(string(d.data)), " ") // its lines wrapped
			for _, w := range tt.dsnWant {
				if !strings.Contains(text, w) {
					t.Errorf("the DSN lacks %q:\n%s", w, d.data)
				}
			}
			if strings.Contains(text, "by ops") || strings.Contains(text, "checking") {
				t.Errorf("the DSN names who held it or the note, which are the operator's:\n%s", d.data)
			}
		})
	}
}
