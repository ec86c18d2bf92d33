package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/textsafe"
	"github.com/relaylab/relaylab/relay"
)

func init() {
	register(command{"queue", "list, show, retry, delete, hold or release messages in the relay's queue; list or end destinations' rests", runQueue})
}

// openRelay opens an existing store and a relay that is not started: enough
// for queue and suppression commands, also while another process runs it.
// It returns the store's path too.
func openRelay(ctx context.Context, e *env, db, cfgPath string) (*relay.Relay, string, func(), error) {
	log, cfg, path, err := recordedStore(ctx, e, db, cfgPath)
	if err != nil {
		return nil, "", nil, err
	}
	st, _, err := openStoreFor(ctx, cfg, path, log, false) // recordedStore: it exists
	if err != nil {
		return nil, "", nil, err
	}
	relayCfg, err := relayConfig(cfg)
	if err != nil {
		st.Close()
		return nil, "", nil, usageError("%v", err)
	}
	// Beside a running relay, a recipient in flight is being attempted:
	// delete refuses it, as the running relay's own API does.
	rl, err := relay.New(relayCfg, relay.Options{Store: st, Logger: log, SharedQueue: relayRunner(path) != ""})
	if err != nil {
		st.Close()
		return nil, "", nil, err
	}
	return rl, path, func() { st.Close() }, nil
}

// queueStates are the values of queue list --state.
var queueStates = []string{"waiting", relay.StateQueued, relay.StateInflight, relay.StateDeferred, relay.StateHeld, relay.StateDelivered,
	relay.StateBounced, relay.StateExpired, relay.StateSuppressed, "all"}

// queuePoll is how often a running relay looks for queue changes made by
// another process, such as `relaylab queue retry`.
const queuePoll = 2 * time.Second

func runQueue(ctx context.Context, e *env, args []string) (err error) {
	fs := newFlags(e, "queue", `(list | show ID | retry ID | delete ID | hold ID [RCPT] | release ID [RCPT] | rests | unrest DEST) [--db PATH | --config FILE]
       [--state STATE] [--recipient TEXT] [--domain DOMAIN] [--oldest] [--after ID | --before ID] [--limit N] [--note TEXT] [--json]

Lists and acts on the relay's queue in a store; a running relay or serve
on the same store sees a retry, delete, hold or release within 2 s. hold
keeps a message's waiting recipients (or RCPT alone) from being tried
until release: held mail does not expire, and a retry leaves it held.
list pages with --after (the last ID listed) or --before (the first).
A hold of held mail, or a release of mail not held, changes nothing and
says so (as Postfix's postsuper -h and -H).
rests lists the destinations the relay rests after a 421 or a rate limit,
which hold back all their mail; unrest DEST ends one now (a retry cannot):
its held mail is due at once, and a relay.rest_ended event records it.
Exit status: 0 when done (or nothing to change), 1 when the message does
not exist or none of its recipients waits (retry, delete, hold, release),
2 for bad arguments, --after or --before an ID the store never had too.`)
	db := fs.String("db", "", "the SQLite store (default relaylab.db, or store.path in --config)")
	cfgPath := fs.String("config", "", "YAML configuration file")
	state := fs.String("state", "waiting", "list: waiting (queued, deferred, inflight or held), "+strings.Join(queueStates[1:len(queueStates)-1], ", ")+", or all")
	limit := fs.Int("limit", 100, "list: at most this many messages")
	recipient := fs.String("recipient", "", "list: messages with a recipient whose address contains TEXT (any case)")
	domain := fs.String("domain", "", "list: messages with a recipient at DOMAIN")
	oldest := fs.Bool("oldest", false, "list: the oldest first (the mail stuck longest), not the newest")
	after := fs.String("after", "", "list: the page after message ID (the last one listed), in the listing's order")
	before := fs.String("before", "", "list: the page before message ID (the first one listed), in the listing's order")
	note := fs.String("note", "", "hold: why, for queue show and the relay.held event")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, interleaveFor(fs, args)); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError("queue: say list, show ID, retry ID, delete ID, hold ID [RCPT] or release ID [RCPT]")
	}
	verb, rest := fs.Arg(0), fs.Args()[1:]
	defer func() { err = changeRefused(*db, *cfgPath, err) }()
	if verb == "rests" || verb == "unrest" {
		return queueRests(ctx, e, verb, rest, *db, *cfgPath, *asJSON)
	}
	needID := verb == "show" || verb == "retry" || verb == "delete"
	byRcpt := verb == "hold" || verb == "release"
	switch {
	case verb == "list" && len(rest) != 0:
		return usageError("queue list takes no arguments, got %q (filter with --state, --recipient, --domain, --limit)", rest)
	case (needID || byRcpt) && len(rest) == 0:
		return usageError("queue %s needs a message ID (`relaylab queue list --state all` lists them)", verb)
	case needID && len(rest) > 1:
		return usageError("queue %s takes one message ID, got %d: %q (`relaylab queue list --state all` lists them)", verb, len(rest), rest)
	case byRcpt && len(rest) > 2:
		return usageError("queue %s takes a message ID and at most one recipient, got %d arguments: %q", verb, len(rest), rest)
	case verb != "list" && !needID && !byRcpt:
		hint := ""
		if n := config.Nearest(verb, []string{"list", "show", "retry", "delete", "hold", "release", "rests", "unrest"}); n != "" {
			hint = "; did you mean " + n + "?"
		}
		return usageError("queue: unknown action %q: want list, show, retry, delete, hold, release, rests or unrest%s (relaylab queue --help says what each does)", verb, hint)
	case verb == "list" && !slices.Contains(queueStates, *state):
		return usageError("queue list: --state %q: want one of %s", *state, strings.Join(queueStates, ", "))
	case *after != "" && *before != "":
		return usageError("queue list: --after and --before both given: --after ID pages on past the last message listed, --before ID back from the first; give one")
	case *note != "" && verb != "hold":
		return usageError("queue %s: --note is for queue hold (why the mail is held)", verb)
	}
	if err := flagAtLeast("limit", *limit, 1, "1 or more (how many messages to list)"); err != nil {
		return err
	}
	rl, path, done, err := openRelay(ctx, e, *db, *cfgPath)
	if err != nil {
		return err
	}
	defer done()
	switch verb {
	case "list":
		return queueList(ctx, e, rl, queueListArgs{state: *state, limit: *limit, asJSON: *asJSON, path: path,
			f: relay.QueueFilter{Recipient: *recipient, Domain: *domain, Oldest: *oldest, After: *after, BeforeID: *before}})
	case "show":
		m, err := rl.Message(ctx, rest[0])
		if err != nil {
			return notFound(rest[0], err)
		}
		notes, err := rl.QueuedNotes(ctx, m.ID)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(e, shownMessage{MessageInfo: m, Notes: notes})
		}
		fmt.Fprintf(e.stdout, "message %s\n  sender   %s\n  size     %d bytes\n  created  %s\n", m.ID, orNull(m.Sender), m.Size, m.Created.Format(time.RFC3339))
		if !m.Expires.IsZero() && waits(m) {
			// Of finished mail the expiry no longer applies.
			fmt.Fprintf(e.stdout, "  expires  %s\n", m.Expires.Format(time.RFC3339))
		}
		if m.EnvID != "" || m.Ret != "" {
			fmt.Fprintf(e.stdout, "  envid    %s  ret %s\n", m.EnvID, m.Ret)
		}
		switch {
		case m.IsDSN && m.DSNFor != "":
			fmt.Fprintf(e.stdout, "  (a delivery status notification the relay wrote about message %s)\n", m.DSNFor)
		case m.IsDSN:
			fmt.Fprintln(e.stdout, "  (a delivery status notification written by the relay)")
		}
		// What the relay saw in the message as it queued it, such as a
		// line a next hop may wrap and so break the DKIM signature.
		for _, n := range notes {
			fmt.Fprintf(e.stdout, "  note     %s\n", textsafe.Escape(n))
		}
		runner := "?" // who runs a relay on the store: asked once, for a recipient in flight
		for _, rc := range m.Recipients {
			if rc.State == relay.StateInflight && runner == "?" {
				runner = relayRunner(path)
			}
			state := recipientState(rc.State, rc.Attempts, runner)
			turn := relay.WaitsForTurn(rc) // the state says what it waits for
			if turn {
				state = turnState(rc, runner)
			}
			fmt.Fprintf(e.stdout, "  recipient %s: %s\n", rc.Address, state)
			switch {
			case rc.Path != "" && rc.Host != "":
				fmt.Fprintf(e.stdout, "    path %s host %s\n", rc.Path, rc.Host)
			case rc.Path != "":
				fmt.Fprintf(e.stdout, "    path %s\n", rc.Path) // held by shaping before any host
			}
			// The last reply is a server's (or the relay's own failure of an
			// attempt); the relay's shaping holds the recipient apart from
			// it.
			neverAnswered := heldOnly(rc)
			switch r := oneLine(rc.Reply); {
			case neverAnswered:
				fmt.Fprintln(e.stdout, "    last reply: none yet (no server has answered)")
			case r != "":
				fmt.Fprintf(e.stdout, "    last reply: %s\n", r)
			}
			if rc.Hold != nil && !turn {
				fmt.Fprintf(e.stdout, "    held: %s\n", textsafe.Escape(rc.Hold.Text))
			}
			if h := rc.OperatorHold; h != nil {
				fmt.Fprintf(e.stdout, "    held by hand: by %s since %s", textsafe.Escape(h.By), h.Since.Format(time.RFC3339))
				if h.Note != "" {
					// On the line: a line break in the note is a space.
					fmt.Fprintf(e.stdout, " (%s)", textsafe.Escape(strings.Join(strings.Fields(h.Note), " ")))
				}
				fmt.Fprintln(e.stdout)
			}
			switch {
			case turn:
			case rc.Category != "":
				fmt.Fprintf(e.stdout, "    category %s: %s\n", rc.Category, textsafe.Escape(rc.Reason))
			case rc.Reason != "":
				fmt.Fprintf(e.stdout, "    reason: %s\n", textsafe.Escape(rc.Reason))
			}
			if rc.Advice != "" {
				fmt.Fprintf(e.stdout, "    advice: %s\n", textsafe.Escape(rc.Advice))
			}
			if !rc.Due.IsZero() {
				fmt.Fprintf(e.stdout, "    next attempt %s\n", rc.Due.Format(time.RFC3339))
			}
			// Every host or path each attempt reached: a path that failed
			// before the one that took the message shows here, and the
			// paths an attempt passed over (a resting primary), even of
			// one attempt.
			if len(rc.Hops) > 1 || slices.ContainsFunc(rc.Hops, func(h relay.Hop) bool { return len(h.Skipped) > 0 }) {
				fmt.Fprintln(e.stdout, "    attempts:")
				printHops(e.stdout, rc.Hops)
			}
			// What the receiving side's DSNs said after it took the
			// message, short of a failure (that is a bounce).
			for _, r := range rc.Reports {
				fmt.Fprintf(e.stdout, "    %s\n", reportLine(r))
			}
		}
		return nil
	case "retry":
		// Read before the retry, which moves their due times to now.
		held, err := rl.Holds(ctx, rest[0])
		if err != nil {
			return err
		}
		n, err := rl.RetryNow(ctx, rest[0])
		if err != nil {
			return notFound(rest[0], err)
		}
		if byHand, err := rl.OperatorHolds(ctx, rest[0]); err == nil && len(byHand) > 0 {
			// Said last: a retry leaves a hold by hand as it is.
			defer printHeldByHand(e, rest[0], byHand)
		}
		// The built-in configuration has none of the running relay's
		// routes: Holds read a window's hold from the recipient's last
		// deferral, as the store recorded it.
		windows := slices.ContainsFunc(held, func(h relay.Held) bool { _, ok := relay.WindowHoldRoute(h.Reply.Text); return ok })
		if *cfgPath == "" && (windows || usedOtherPaths(ctx, rl, rest[0])) {
			// The built-in configuration knows no window or warm-up of
			// the running relay's, and rests only by the paths the
			// recipients last used.
			defer fmt.Fprint(e.stdout, recordedHoldsNote(windows))
		}
		if len(held) == 0 {
			fmt.Fprintf(e.stdout, "%d recipient(s) of %s due now; a running relaylab relay or serve on this store sends them within %s\n", n, rest[0], queuePoll)
			return nil
		}
		fmt.Fprintf(e.stdout, "%d recipient(s) of %s waiting; the relay's own shaping holds %d of them, which a retry cannot lift (a cap, window or destination's rest): their next attempt stays at the hold's end:\n",
			n, rest[0], len(held))
		for _, h := range held {
			if !h.Expires.IsZero() {
				fmt.Fprintf(e.stdout, "  %s held until %s, after the message expires at %s: it expires unsent then, and its sender gets a DSN, unless the shaping changes or the retry policy's max_age is longer: %s\n",
					h.Address, h.Until.Format(time.RFC3339), h.Expires.Format(time.RFC3339), oneLine(h.Reply))
				continue
			}
			fmt.Fprintf(e.stdout, "  %s held until %s: %s\n", h.Address, h.Until.Format(time.RFC3339), oneLine(h.Reply))
		}
		if dest := restOfHeld(held); dest != "" {
			fmt.Fprintf(e.stdout, "a destination's rest ends before its time only by hand: relaylab queue unrest %s (relaylab queue rests lists the rests)\n", dest)
		}
		if n > len(held) {
			fmt.Fprintf(e.stdout, "the other %d are due now; a running relaylab relay or serve on this store sends them within %s\n", n-len(held), queuePoll)
		}
		return nil
	case "hold", "release":
		rcpt := ""
		if len(rest) == 2 {
			rcpt = rest[1]
		}
		if verb == "hold" {
			return queueHold(ctx, e, rl, rest[0], rcpt, *note)
		}
		return queueRelease(ctx, e, rl, rest[0], rcpt)
	default:
		if err := rl.DeleteBy(ctx, rest[0], "relaylab queue delete"); err != nil {
			return notFound(rest[0], err)
		}
		fmt.Fprintf(e.stdout, "deleted %s\n", rest[0])
		return nil
	}
}

// shownMessage is what queue show --json prints: the message, and the
// relay's notes on it from its relay.queued events (relay.QueuedNotes).
type shownMessage struct {
	relay.MessageInfo
	Notes []string `json:"notes,omitempty"`
}

// usedOtherPaths reports whether a waiting recipient of message id last
// went over a path the built-in configuration does not have: the store is
// a relay's that ran with a file of its own.
func usedOtherPaths(ctx context.Context, rl *relay.Relay, id string) bool {
	m, err := rl.Message(ctx, id)
	if err != nil {
		return false
	}
	builtin := relay.DefaultConfig().Paths
	for _, rc := range m.Recipients {
		if (rc.State == relay.StateQueued || rc.State == relay.StateDeferred) && rc.Path != "" &&
			!slices.ContainsFunc(builtin, func(p relay.PathConfig) bool { return p.Name == rc.Path }) {
			return true
		}
	}
	return false
}

// printHops prints a recipient's attempts, one line each, except that a
// run of attempts in a row that met the same reply at the same place is
// one line ("#3-#118 ... (116 attempts)"): a recipient deferred for days
// has a hundred of them.
func printHops(w io.Writer, hops []relay.Hop) {
	where := func(h relay.Hop) string {
		if h.Host != "" {
			return h.Path + " " + h.Host
		}
		return h.Path
	}
	for i := 0; i < len(hops); {
		h, j := hops[i], i+1
		for j < len(hops) && where(hops[j]) == where(h) && oneLine(hops[j].Reply) == oneLine(h.Reply) && sameSkips(hops[j], h) {
			j++
		}
		if last := hops[j-1]; j-i > 2 {
			fmt.Fprintf(w, "      #%d-#%d %s to %s  %s  %s (%d attempts)\n", h.Attempt, last.Attempt, h.Time.Format(time.RFC3339), last.Time.Format(time.RFC3339),
				where(h), oneLine(h.Reply), j-i)
		} else {
			j = i + 1
			fmt.Fprintf(w, "      #%d %s  %s  %s\n", h.Attempt, h.Time.Format(time.RFC3339), where(h), oneLine(h.Reply))
		}
		for _, s := range h.Skipped {
			fmt.Fprintf(w, "        skipped %s\n", textsafe.Escape(strings.ReplaceAll(s.Text, "\n", " ")))
		}
		// A failure before the last attempt (a primary its backup
		// covered, an MX host before the next) says what it means and
		// what to fix there; the last one's is the recipient's reason.
		if j < len(hops) && h.Category != "" {
			fmt.Fprintf(w, "        category %s: %s\n", textsafe.Escape(h.Category), textsafe.Escape(h.Reason))
			if h.Advice != "" {
				fmt.Fprintf(w, "        what to do: %s\n", textsafe.Escape(h.Advice))
			}
		}
		i = j
	}
}

// sameSkips reports whether hops a and b passed over the same paths for
// the same reasons, so that a folded run of them says it once.
func sameSkips(a, b relay.Hop) bool {
	return slices.EqualFunc(a.Skipped, b.Skipped, func(x, y relay.SkippedPath) bool { return x.Path == y.Path && x.Text == y.Text })
}

// reportLine is one line of queue show for a DSN from the receiving side
// that reports no failure: "DSN <time>: delayed 4.2.2 <reply> — <reason>;
// <advice>".
func reportLine(r relay.DSNReport) string {
	var b strings.Builder
	b.WriteString("DSN ")
	if !r.Time.IsZero() {
		b.WriteString(r.Time.Format(time.RFC3339) + ": ")
	}
	b.WriteString(textsafe.Escape(r.Action))
	switch {
	case r.Reply.Code != 0:
		b.WriteString(" " + oneLine(r.Reply)) // "452 4.2.2 mailbox full"
	default:
		// No reply code in its Diagnostic-Code (or none at all): the
		// status, and the diagnostic's text as it came.
		if r.Status != "" {
			b.WriteString(" " + textsafe.Escape(r.Status))
		}
		if t := strings.TrimSpace(r.Reply.Text); t != "" {
			b.WriteString(" " + textsafe.Escape(strings.ReplaceAll(t, "\n", " ")))
		}
	}
	if r.RemoteMTA != "" {
		b.WriteString(" (from " + textsafe.Escape(r.RemoteMTA) + ")")
	}
	b.WriteString(" — " + textsafe.Escape(r.Reason))
	if r.Advice != "" {
		b.WriteString("; " + textsafe.Escape(r.Advice))
	}
	return b.String()
}

// notFound turns an unknown id, or a delete of a message with nothing
// waiting, into exit 1 that says which id and how to list them, rather
// than the relay's "relay: no such message in the queue".
func notFound(id string, err error) error {
	var (
		deleted *relay.DeletedError
		held    *relay.HeldError
	)
	switch {
	case errors.As(err, &deleted), errors.As(err, &held):
		return &exitError{code: 1, err: err}
	case errors.Is(err, relay.ErrNoRecipient):
		return &exitError{code: 1, err: err}
	case errors.Is(err, relay.ErrNotFound):
		return &exitError{code: 1, err: fmt.Errorf("no message with id %q in this store's queue: `relaylab queue list --state all` lists the ids (and --db chooses the store)", id)}
	case errors.Is(err, relay.ErrInFlight):
		return &exitError{code: 1, err: err}
	case errors.Is(err, relay.ErrNotWaiting):
		// Finished mail, for a retry, delete, hold or release alike.
		return &exitError{code: 1, err: fmt.Errorf("%w (its history stays; `relaylab queue list` lists what is waiting)", err)}
	}
	return err
}

// heldOnly reports whether rc is held by the relay's shaping and no
// server has answered it yet: its Reply is empty, its hold apart.
func heldOnly(rc relay.RecipientInfo) bool {
	return rc.Hold != nil && rc.Reply.Code == 0 && rc.Reply.Text == ""
}

func orNull(s string) string {
	if s == "" {
		return "<>"
	}
	return s
}

func oneLine(r relay.Reply) string {
	s := r.String()
	switch {
	case r.Code == 0 && r.Text == "":
		return ""
	case r.Code == 0 && r.Stage == "":
		s = r.Text // a failure before any stage: no "stage: " to print
	}
	if r.Code == 0 && r.Enhanced != "" {
		// The relay's own failure (a SERVFAIL is 4.4.3, RFC 3463) has an
		// enhanced code and no reply code: show it as a server's would be.
		s = r.Enhanced + " " + s
	}
	// The reply is the server's text: shown, not obeyed by the terminal.
	return textsafe.Escape(strings.ReplaceAll(s, "\n", " "))
}

// printJSON writes v as indented JSON. A list with nothing in it is [],
// not null, so that scripts iterate over the output without a check.
func printJSON(e *env, v any) error {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.IsNil() {
		v = reflect.MakeSlice(rv.Type(), 0, 0).Interface()
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// interleaveFor moves flags after positional arguments to the front, so that
// "queue show ID --db x" parses as "queue --db x show ID". A flag takes the
// next argument as its value unless fs defines it as a boolean; everything
// after "--" stays positional.
func interleaveFor(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && takesValue(fs, strings.TrimLeft(a, "-")) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	// "--" keeps Parse from reading a positional "-x" given after "--" as a flag.
	return append(append(flags, "--"), pos...)
}

// takesValue reports whether flag name reads the next argument. Without a
// FlagSet, --json, -h and --help are the booleans.
func takesValue(fs *flag.FlagSet, name string) bool {
	if fs == nil {
		return name != "json" && name != "h" && name != "help"
	}
	f := fs.Lookup(name)
	if f == nil {
		return false // -h, --help or a mistake that Parse reports by name
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

// recipientState is a recipient's state and attempts as queue show says
// them. One in flight is being delivered by the relay runner names (a
// process), or, when no relay runs on the store (runner ""), was when
// the relay stopped: that relay's next start queues it again, due at
// once, as a crash leaves it.
func recipientState(state string, attempts int, runner string) string {
	if state != relay.StateInflight {
		return state + " after " + countOf(attempts, "attempt", "attempts")
	}
	if runner == "" {
		return fmt.Sprintf("in flight when the relay stopped (after %s): no relay runs on this store now; relaylab serve or relay queues it again, due at once, when it next starts on it",
			countOf(attempts, "attempt", "attempts"))
	}
	return fmt.Sprintf("in flight: attempt %d under way, by %s", attempts+1, runner)
}

// turnState is recipientState of a recipient in flight that waits for its
// turn at the relay's shaping (a rate's slot, a connection;
// relay.WaitsForTurn): no connection is made for it yet, and a start
// after a crash sends it with no warning of a second copy.
func turnState(rc relay.RecipientInfo, runner string) string {
	wait := textsafe.Escape(rc.Hold.Text)
	if runner == "" {
		return fmt.Sprintf("in flight when the relay stopped (after %s), %s, no connection made for it: no relay runs on this store now; relaylab serve or relay queues it again, due at once, when it next starts on it",
			countOf(rc.Attempts, "attempt", "attempts"), wait)
	}
	return fmt.Sprintf("in flight, not begun: %s; attempt %d begins then, by %s (no connection is made for it yet)", wait, rc.Attempts+1, runner)
}

// waits reports whether a recipient of m still waits: queued, deferred,
// in flight or held by hand.
func waits(m relay.MessageInfo) bool {
	return slices.ContainsFunc(m.Recipients, func(rc relay.RecipientInfo) bool {
		switch rc.State {
		case relay.StateQueued, relay.StateDeferred, relay.StateInflight, relay.StateHeld:
			return true
		}
		return false
	})
}

// relayRunner names the process that runs a relay on the store at path
// (relaylab serve or relay), or "" when none does.
func relayRunner(path string) string {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	pids, err := storeHolders(path)
	if err != nil {
		return "a relay, if one runs on this store (which processes have it open could not be told: " + err.Error() + ")"
	}
	for _, pid := range pids {
		if roles, _ := processRoles(pid); slices.Contains(roles, "relay") {
			return describeProcess(pid)
		}
	}
	return ""
}

// queueListArgs is what queue list was asked for.
type queueListArgs struct {
	state  string // as given: "all" for every state
	limit  int
	asJSON bool
	f      relay.QueueFilter
	path   string // the store's, to ask whether a relay runs on it
}

// queueList prints a page of the queue, one row a recipient, and on
// stderr, when the page is not the whole of what matches, how many match
// and how to page on.
func queueList(ctx context.Context, e *env, rl *relay.Relay, a queueListArgs) error {
	f := a.f
	f.State, f.Limit = a.state, a.limit
	if f.State == "all" {
		f.State = ""
	}
	page, err := rl.ListPage(ctx, f)
	if errors.Is(err, relay.ErrNotFound) {
		// The only id a listing looks up is the place to page from: one
		// the store never had is a mistyped or foreign argument.
		flag, cursor := "--after", a.f.After
		if cursor == "" {
			flag, cursor = "--before", a.f.BeforeID
		}
		return usageError("queue list: %s %s: no message with that id in this store's queue or its history, so there is no place to page from: give --after the last id a listing printed, or --before the first (the note on stderr under a page names both), or leave out %s to list from the first page (and --db chooses the store)",
			flag, cursor, flag)
	}
	if err != nil {
		return err
	}
	list := page.Messages
	if len(list) > 0 && (!a.asJSON || page.More || page.Earlier || a.f.Recipient != "" || a.f.Domain != "") {
		// How many match, and how to see the rest; on stderr, so that
		// stdout stays the table. --json says it only of a page or a
		// filter, as it did before plain listings said it.
		fmt.Fprintln(e.stderr, queuePageNote(a, page))
	}
	if note := stoppedInflightNote(list, a.path); note != "" {
		fmt.Fprintln(e.stderr, note)
	}
	if a.asJSON {
		return printJSON(e, list)
	}
	switch {
	case len(list) == 0 && page.Total > 0 && a.f.After != "":
		fmt.Fprintf(e.stdout, "no messages after %s: %s\n", a.f.After, queueOthersWords(a, page, "before"))
		return nil
	case len(list) == 0 && page.Total > 0 && a.f.BeforeID != "":
		fmt.Fprintf(e.stdout, "no messages before %s: %s\n", a.f.BeforeID, queueOthersWords(a, page, "after"))
		return nil
	case len(list) == 0:
		fmt.Fprintf(e.stdout, "no messages (%s)\n", queueFilterWords(a))
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tSENDER\tRECIPIENT\tSTATE\tATTEMPTS\tNEXT\tLAST REPLY")
	for _, m := range list {
		for _, rc := range m.Recipients {
			next := "-"
			if !rc.Due.IsZero() {
				next = rc.Due.Format(time.RFC3339)
			}
			last := oneLine(rc.Reply)
			if last == "" && rc.State == relay.StateSuppressed {
				// No server was asked: the list's reason, which quotes
				// the bounce's reply, lines and all: on the row's line.
				last = textsafe.Escape(strings.ReplaceAll(rc.Reason, "\n", " "))
			}
			switch {
			case rc.OperatorHold != nil:
				// Who held it and since when: the hold is why it waits.
				if last == "" {
					last = "none yet"
				}
				last += " [held by " + textsafe.Escape(rc.OperatorHold.By) + " since " + rc.OperatorHold.Since.Format(time.RFC3339)
				if n := rc.OperatorHold.Note; n != "" {
					last += ": " + textsafe.Escape(strings.Join(strings.Fields(n), " "))
				}
				last += "]"
			case relay.WaitsForTurn(rc):
				// Claimed, with no connection made for it yet.
				if last == "" {
					last = "none yet"
				}
				last += " [not begun: " + textsafe.Escape(rc.Hold.Text) + "]"
			case heldOnly(rc):
				// Held before any server answered (as show says it).
				last = "none yet [held by shaping: " + textsafe.Escape(rc.Hold.Text) + "]"
			case rc.Hold != nil:
				last += " [held by shaping]"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", m.ID, m.Created.Format(time.RFC3339), orNull(m.Sender),
				rc.Address, rc.State, rc.Attempts, next, last)
		}
	}
	return tw.Flush()
}

// stoppedInflightNote says, of the recipients of list in flight, that no
// relay runs on the store at path to attempt them: a relay stopped (a
// crash, a kill) with them claimed, and its next start queues them again,
// due at once, as queue show says of each; those that waited for their
// turn had no connection made for them. "" when none is in flight or a
// relay runs.
func stoppedInflightNote(list []relay.MessageInfo, path string) string {
	n, turn := 0, 0
	for _, m := range list {
		for _, rc := range m.Recipients {
			switch {
			case relay.WaitsForTurn(rc):
				turn++
			case rc.State == relay.StateInflight:
				n++
			}
		}
	}
	if n+turn == 0 || relayRunner(path) != "" {
		return ""
	}
	var notes []string
	if n > 0 {
		notes = append(notes, fmt.Sprintf("%s in flight, but no relay runs on this store: the relay stopped (a crash, a kill) during the attempt; relaylab serve or relay queues each again, due at once, when it next starts on it",
			countOf(n, "recipient is", "recipients are")))
	}
	if turn > 0 {
		notes = append(notes, fmt.Sprintf("%s in flight, waiting for %s turn when the relay stopped, but no relay runs on this store: no connection was made for %s; relaylab serve or relay queues each again, due at once, when it next starts on it",
			countOf(turn, "recipient is", "recipients are"), map[bool]string{true: "its", false: "their"}[turn == 1], pronoun(turn)))
	}
	return "relaylab queue list: " + strings.Join(notes, "; and ")
}

// queueOthersWords says, of an empty page after or before the message
// paged from, where the ones that match are (side: "before" or "after"
// it), not counting that message itself.
func queueOthersWords(a queueListArgs, p relay.QueuePage, side string) string {
	n, what := p.Total, ""
	if p.CursorMatches {
		n--
		what = " other"
		if n == 0 {
			return fmt.Sprintf("it is the only one that matches (%s)", queueFilterWords(a))
		}
	}
	if n == 1 {
		return fmt.Sprintf("the 1%s that matches (%s) comes %s it", what, queueFilterWords(a), side)
	}
	if what != "" {
		what += "s"
	}
	return fmt.Sprintf("the %d%s that match (%s) come %s it", n, what, queueFilterWords(a), side)
}

// queueFilterWords says what a listing matched: "state waiting, to
// example.org".
func queueFilterWords(a queueListArgs) string {
	w := "state " + a.state
	if a.f.Domain != "" {
		w += ", a recipient at " + a.f.Domain
	}
	if a.f.Recipient != "" {
		w += fmt.Sprintf(", a recipient containing %q", a.f.Recipient)
	}
	return w
}

// queuePageNote says which part of what matches a page is, and how to
// reach the rest.
func queuePageNote(a queueListArgs, p relay.QueuePage) string {
	order := "newest"
	if a.f.Oldest {
		order = "oldest"
	}
	first, last := p.Messages[0].ID, p.Messages[len(p.Messages)-1].ID
	note := fmt.Sprintf("relaylab queue list: %d of %d messages (%s) are shown, %s first", len(p.Messages), p.Total, queueFilterWords(a), order)
	var more []string
	if p.More {
		if a.f.After == "" && a.f.BeforeID == "" {
			note += ", and more match: --limit N shows more"
		}
		more = append(more, "--after "+last+" the next page")
	}
	if p.Earlier {
		more = append(more, "--before "+first+" the page before")
	}
	if !a.f.Oldest && p.More && a.f.After == "" && a.f.BeforeID == "" {
		more = append(more, "--oldest the oldest (most stuck) first")
	}
	if len(more) == 0 {
		return note
	}
	return note + "; " + strings.Join(more, ", ")
}
