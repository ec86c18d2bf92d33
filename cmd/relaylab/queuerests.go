package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/relaylab/relaylab/internal/textsafe"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/web"
)

// queueRests runs queue rests (list the destinations' rests) and queue
// unrest DEST (end one now).
func queueRests(ctx context.Context, e *env, verb string, args []string, db, cfgPath string, asJSON bool) error {
	switch {
	case verb == "rests" && len(args) != 0:
		return usageError("queue rests takes no arguments, got %q", args)
	case verb == "unrest" && len(args) != 1:
		return usageError("queue unrest takes one destination, such as path:NAME or path:NAME:DOMAIN, got %d arguments: `relaylab queue rests` lists those that rest", len(args))
	}
	rl, _, done, err := openRelay(ctx, e, db, cfgPath)
	if err != nil {
		return err
	}
	defer done()
	if verb == "unrest" {
		ended, err := rl.EndRest(ctx, args[0], "relaylab queue unrest, user "+whoAmI())
		if errors.Is(err, relay.ErrNotResting) {
			return &exitError{code: 1, err: err}
		}
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(e, ended)
		}
		fmt.Fprintf(e.stdout, "ended the rest of %s (it was to end at %s); %s of mail it held due now: a running relaylab relay or serve on this store sends it within %s. A new 421 or rate limit from the destination rests it again.\n",
			ended.Destination, ended.Until.Format(time.RFC3339), countOf(ended.Released, "recipient", "recipients"), queuePoll)
		return nil
	}
	rests, err := rl.Rests(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		if rests == nil {
			rests = []relay.Rest{}
		}
		return printJSON(e, rests)
	}
	if len(rests) == 0 {
		fmt.Fprintln(e.stdout, "no destination rests")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DESTINATION\tUNTIL\tHOLDS\tAFTER")
	for _, r := range rests {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", textsafe.Escape(r.Destination), r.Until.Format(time.RFC3339), r.Held, textsafe.Escape(orUnknown(r.Cause)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "a resting destination's mail waits for the rest's end, whatever a retry asks; relaylab queue unrest DEST ends a rest now")
	return nil
}

// restOfHeld is the destination of the first of held that a rest holds,
// or "".
func restOfHeld(held []relay.Held) string {
	for _, h := range held {
		if dest, _, _, ok := relay.HeldByRest(h.Reply.Text); ok {
			return dest
		}
	}
	return ""
}

// orUnknown is s, or "not known" for "".
func orUnknown(s string) string {
	if s == "" {
		return "not known"
	}
	return s
}

// QueueRestsAPI, for the web UI's Queue page.
var _ web.QueueRestsAPI = relayAdapter{}

// Rests lists the destinations' rests (relay.Rests).
func (a relayAdapter) Rests(ctx context.Context) ([]web.Rest, error) {
	rests, err := a.rl.Rests(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]web.Rest, 0, len(rests))
	for _, r := range rests {
		out = append(out, web.Rest{Destination: r.Destination, Path: r.Path, Until: r.Until, Cause: r.Cause, Throttling: r.Throttling, Held: r.Held})
	}
	return out, nil
}

// EndRest ends a destination's rest now (relay.EndRest).
func (a relayAdapter) EndRest(ctx context.Context, dest, by string) (web.EndedRest, error) {
	r, err := a.rl.EndRest(ctx, dest, by)
	if errors.Is(err, relay.ErrNotResting) {
		return web.EndedRest{}, fmt.Errorf("%w: %v", web.ErrNotFound, err)
	}
	if err != nil {
		return web.EndedRest{}, err
	}
	return web.EndedRest{Rest: web.Rest{Destination: r.Destination, Path: r.Path, Until: r.Until, Cause: r.Cause, Throttling: r.Throttling, Held: r.Held},
		Released: r.Released}, nil
}
