package main

import (
	"slices"
	"time"

	"github.com/relaylab/relaylab/relay"
)

// recordedWindowHolds lists the waiting recipients of m (read before a
// retry) whose last deferral the store records as a hold of a route's
// sending window that ends after now, except those already in held. A
// window holds a route, not a path: such a recipient's row names no
// path, so the built-in configuration (queue retry without --config),
// which has no windows and none of the running relay's routes, finds no
// hold of it, while the running relay holds it again until the window
// opens, whatever the retry says.
func recordedWindowHolds(m relay.MessageInfo, held []relay.Held, now time.Time) []relay.Held {
	var out []relay.Held
	for _, rc := range m.Recipients {
		if (rc.State != relay.StateQueued && rc.State != relay.StateDeferred) || rc.Hold == nil ||
			rc.Category != "shaping" || rc.Path != "" ||
			slices.ContainsFunc(held, func(h relay.Held) bool { return h.Address == rc.Address }) {
			continue
		}
		// The hold's text names when the window next opens; the next
		// attempt recorded may be later, by the retry schedule.
		until := relay.HoldEnd(rc.Hold.Text)
		if until.IsZero() {
			until = rc.Due
		}
		if !until.After(now) {
			continue // the window is open again: the retry sends it
		}
		h := relay.Held{Address: rc.Address, Until: until, Reply: *rc.Hold}
		if !m.Expires.IsZero() && until.After(m.Expires) {
			h.Expires = m.Expires
		}
		out = append(out, h)
	}
	return out
}

// recordedHoldsNote is queue retry's note, without --config, on holds read
// from what the store recorded; windows says that some recipient's was a
// route's sending window.
func recordedHoldsNote(windows bool) string {
	if !windows {
		return "note: without --config, the holds are read from what the store recorded (a destination's rest by the path each recipient last used); a sending window or warm-up cap the running relay's file has, or a rest of another path of the route, may still hold recipients said to be due: give --config with the running relay's file to check them against its routes\n"
	}
	return "note: without --config, the holds are read from what the store recorded: a destination's rest by the path each recipient last used, and a route's sending window by the recipient's last deferral. A retry cannot open a sending window: a relaylab relay or serve running on this store holds such a recipient again, until the window opens, as soon as it sees the retry (till then queue show gives its next attempt as now), unless its file no longer has that window; a warm-up cap the running relay's file has, or a rest of another path of the route, may still hold recipients said to be due: give --config with the running relay's file to check them against its routes\n"
}
