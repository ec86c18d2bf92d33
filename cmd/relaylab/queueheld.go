package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/textsafe"
	"github.com/relaylab/relaylab/relay"
)

// recordedHoldsNote is queue retry's note, without --config, on holds read
// from what the store recorded; windows says that some recipient's was a
// route's sending window.
func recordedHoldsNote(windows bool) string {
	if !windows {
		return "note: without --config, the holds are read from what the store recorded (a destination's rest by the path each recipient last used); a sending window or warm-up cap the running relay's file has, or a rest of another path of the route, may still hold recipients said to be due: give --config with the running relay's file to check them against its routes\n"
	}
	return "note: without --config, the holds are read from what the store recorded: a destination's rest by the path each recipient last used, and a route's sending window by the recipient's last deferral, which names when the window opens. A retry cannot open a sending window: such a recipient stays due when it opens (queue show says so), unless the running relay's file no longer has that window, in which case a relaylab relay or serve started with that file sends it at once; a warm-up cap the running relay's file has, or a rest of another path of the route, may still hold recipients said to be due: give --config with the running relay's file to check them against its routes\n"
}

// queueHold holds message id's waiting recipients (rcpt: that one) by
// hand, as Postfix's postsuper -h does, and says what it held and what
// follows.
func queueHold(ctx context.Context, e *env, rl *relay.Relay, id, rcpt, note string) error {
	held, err := rl.HoldBy(ctx, id, rcpt, "relaylab queue hold, user "+whoAmI(), note)
	if err != nil {
		return notFound(id, err)
	}
	if len(held) == 0 {
		holds, err := rl.OperatorHolds(ctx, id)
		if err != nil {
			return err
		}
		var who []string
		for _, h := range holds {
			if rcpt == "" || strings.EqualFold(h.Address, rcpt) {
				who = append(who, describeHold(h))
			}
		}
		fmt.Fprintf(e.stdout, "%s: nothing changed; already held: %s\n", id, strings.Join(who, "; "))
		return nil
	}
	fmt.Fprintf(e.stdout, "held %s of %s: %s\nnothing is sent to %s until `relaylab queue release %s`; held mail does not expire, and queue retry leaves it held\n",
		countOf(len(held), "recipient", "recipients"), id, strings.Join(held, ", "), pronoun(len(held)), id)
	return nil
}

// queueRelease releases message id's recipients held by hand (rcpt: that
// one), as Postfix's postsuper -H does: due now. Mail still waiting but
// not held is released already: said so, and exit 0, as a second hold.
func queueRelease(ctx context.Context, e *env, rl *relay.Relay, id, rcpt string) error {
	released, err := rl.ReleaseBy(ctx, id, rcpt, "relaylab queue release, user "+whoAmI())
	if err != nil {
		return notFound(id, err)
	}
	if len(released) == 0 {
		fmt.Fprintln(e.stdout, notHeldLine(ctx, rl, id, rcpt, time.Now()))
		return nil
	}
	fmt.Fprintf(e.stdout, "released %s of %s: %s; due now: a running relaylab relay or serve on this store sends %s within %s\n",
		countOf(len(released), "recipient", "recipients"), id, strings.Join(released, ", "), pronoun(len(released)), queuePoll)
	if m, err := rl.Message(ctx, id); err == nil && !m.Expires.IsZero() && !time.Now().Before(m.Expires) {
		fmt.Fprintf(e.stdout, "note: the message passed the retry policy's max_age at %s while held: %s one attempt, and expires (its sender gets a DSN) if that fails\n",
			m.Expires.Format(time.RFC3339), gets(len(released)))
	}
	return nil
}

// notHeldLine is queue release's word on mail that waits but is not
// held: "ID was not held; nothing to release (b@r.test is deferred, next
// attempt T)", of the recipient rcpt alone when given. A next attempt at
// or before now is "due now": a time already past reads as a stale one.
func notHeldLine(ctx context.Context, rl *relay.Relay, id, rcpt string, now time.Time) string {
	line := id + " was not held; nothing to release"
	m, err := rl.Message(ctx, id)
	if err != nil {
		return line
	}
	var states []string
	for _, rc := range m.Recipients {
		if rcpt != "" && !strings.EqualFold(rc.Address, strings.TrimSpace(rcpt)) {
			continue
		}
		st := rc.Address + " is " + rc.State
		if rcpt != "" {
			line = "recipient " + rc.Address + " of " + id + " was not held; nothing to release"
			st = "it is " + rc.State
		}
		if relay.WaitsForTurn(rc) {
			st += " (claimed, and waiting for its turn: no connection is made for it yet)"
		} else if rc.State == relay.StateInflight {
			st += " (an attempt is under way)"
		} else if !rc.Due.IsZero() && !rc.Due.After(now) {
			st += ", due now"
		} else if !rc.Due.IsZero() {
			st += ", next attempt " + rc.Due.UTC().Format(time.RFC3339)
		}
		states = append(states, st)
	}
	if len(states) == 0 {
		return line
	}
	return line + " (" + strings.Join(states, "; ") + ")"
}

// describeHold is "ADDR held by BY since T (NOTE)".
func describeHold(h relay.OperatorHold) string {
	s := h.Address + " held by " + textsafe.Escape(h.By) + " since " + h.Since.Format(time.RFC3339)
	if h.Note != "" {
		s += " (" + textsafe.Escape(h.Note) + ")"
	}
	return s
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func gets(n int) string {
	if n == 1 {
		return "it gets"
	}
	return "each gets"
}

// printHeldByHand is queue retry's word on the recipients it left held
// by hand.
func printHeldByHand(e *env, id string, holds []relay.OperatorHold) {
	var who []string
	for _, h := range holds {
		who = append(who, describeHold(h))
	}
	fmt.Fprintf(e.stdout, "%s held by hand stay%s held, as a retry leaves a hold: %s; `relaylab queue release %s` releases %s\n",
		countOf(len(holds), "recipient", "recipients"), map[bool]string{true: "s", false: ""}[len(holds) == 1], strings.Join(who, "; "), id, pronoun(len(holds)))
}
