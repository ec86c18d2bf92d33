package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/relaylab/relaylab/internal/mailaddr"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/relay"
)

func init() {
	register(command{"suppress", "list, add or remove addresses on the relay's suppression list", runSuppress})
}

func runSuppress(ctx context.Context, e *env, args []string) (err error) {
	fs := newFlags(e, "suppress", `(list | add ADDR | remove ADDR | clear) [--db PATH | --config FILE] [--reason TEXT] [--json]

Lists and edits the relay's suppression list: addresses the relay does not
send to (hard bounces, too many soft bounces, added by hand). clear empties
it, with the soft bounces counted toward it, for a clean slate: a test run
against a store that earlier runs used would otherwise find an address an
earlier run bounced still suppressed, its new messages not sent. Works on
a stopped store and on one relaylab serve runs on, which follows at its
next attempt. Exit status: 0 when done, 1 when remove names an address
that is not on the list (or the store cannot be read), 2 for bad
arguments or a --db that is not a relaylab store.`)
	db := fs.String("db", "", "the SQLite store (default relaylab.db, or store.path in --config)")
	cfgPath := fs.String("config", "", "YAML configuration file")
	reason := fs.String("reason", "", "add: why the address is suppressed")
	asJSON := fs.Bool("json", false, "print JSON: the list, or what add, remove or clear did")
	if err := parseFlags(fs, interleaveFor(fs, args)); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError("say list, add ADDR, remove ADDR or clear")
	}
	verb, rest := fs.Arg(0), fs.Args()[1:]
	switch {
	case (verb == "list" || verb == "clear") && len(rest) == 0:
	case (verb == "add" || verb == "remove") && len(rest) == 1:
	case (verb == "add" || verb == "remove") && len(rest) == 0:
		return usageError("%s needs an address: relaylab suppress %s ADDR", verb, verb)
	case verb == "clear":
		return usageError("clear empties the whole list and takes no address, got %q: to take one address off, relaylab suppress remove ADDR", rest)
	default:
		return usageError("want list, add ADDR, remove ADDR or clear, got %q", fs.Args())
	}
	var given string
	if verb == "add" || verb == "remove" {
		addr, err := suppressAddr(verb, rest[0])
		switch {
		case err != nil && verb == "add":
			return err
		case err == nil:
			given, rest[0] = rest[0], addr
		default:
			given = rest[0] // remove takes an entry as stored, checked or not
		}
	}
	defer func() { err = changeRefused(*db, *cfgPath, err) }()
	rl, _, done, err := openRelay(ctx, e, *db, *cfgPath)
	if err != nil {
		return err
	}
	defer done()
	switch verb {
	case "list":
		list, err := rl.Suppressions(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(e, list)
		}
		if len(list) == 0 {
			fmt.Fprintln(e.stdout, "the suppression list is empty")
			return nil
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ADDRESS\tSINCE\tSOURCE\tCATEGORY\tREASON")
		for _, s := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Address, s.Created.Format(time.RFC3339), s.Source, s.Category, s.Reason)
		}
		return tw.Flush()
	case "clear":
		n, err := rl.ClearSuppressions(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(e, struct {
				Removed int `json:"removed"`
			}{n})
		}
		if n == 0 {
			fmt.Fprintln(e.stdout, "the suppression list was empty; nothing changed")
			return nil
		}
		fmt.Fprintf(e.stdout, "cleared the suppression list: removed %s; messages sent to them from now on go out\n", countOf(n, "address", "addresses"))
		return nil
	case "add":
		// Adding again would replace the reason a bounce gave with "added
		// by hand" and say "suppressed" as if it were news: say what the
		// list already holds instead.
		if on, err := suppressionOf(ctx, rl, rest[0]); err != nil {
			return err
		} else if on != nil {
			if *asJSON {
				return printJSON(e, suppressChange{Address: rest[0], Given: given, Changed: false, Entry: on})
			}
			fmt.Fprintf(e.stdout, "%s is already on the suppression list, since %s: %s (%s); nothing changed (remove it first to give another reason)\n",
				rest[0], on.Created.Format(time.RFC3339), on.Reason, suppressionSource(*on))
			return nil
		}
		if err := rl.Suppress(ctx, rest[0], *reason); errors.Is(err, store.ErrReadOnly) {
			return err
		} else if err != nil {
			return usageError("%v", strings.TrimPrefix(err.Error(), "relay: "))
		}
		if *asJSON {
			on, err := suppressionOf(ctx, rl, rest[0])
			if err != nil {
				return err
			}
			return printJSON(e, suppressChange{Address: rest[0], Given: given, Changed: true, Entry: on})
		}
		fmt.Fprintf(e.stdout, "suppressed %s: later messages to it are recorded as suppressed and not sent\n", rest[0])
		if given != rest[0] {
			fmt.Fprintf(e.stdout, "(stored as %s, from %q: the list holds addresses without angle brackets and in lower case, and matches recipients in any case)\n", rest[0], given)
		}
		return nil
	default:
		ok, err := rl.Unsuppress(ctx, rest[0])
		if err == nil && !ok && given != rest[0] {
			// An entry stored as given, before add checked addresses
			// ("<bob@example.test>").
			ok, err = rl.Unsuppress(ctx, given)
		}
		if err != nil {
			return err
		}
		if *asJSON {
			if err := printJSON(e, suppressChange{Address: rest[0], Given: given, Changed: ok}); err != nil {
				return err
			}
		}
		if !ok {
			return &exitError{code: 1, err: fmt.Errorf("%s is not on the suppression list", rest[0])}
		}
		if *asJSON {
			return nil
		}
		fmt.Fprintf(e.stdout, "removed %s from the suppression list\n", rest[0])
		return nil
	}
}

// suppressChange is what suppress add or remove did, for --json: the
// address as the list holds it and as given, whether the list changed
// (false: add of an address already on it, remove of one not on it), and
// for add the entry as the list now holds it.
type suppressChange struct {
	Address string             `json:"address"`
	Given   string             `json:"given"`
	Changed bool               `json:"changed"`
	Entry   *relay.Suppression `json:"entry,omitempty"`
}

// suppressAddr checks the address given to suppress add or remove and
// returns it as the list holds it: trimmed, lower-cased, without the one
// pair of angle brackets of an SMTP path ("<bob@example.test>", as a
// transcript shows it), which stored as given would match no recipient.
func suppressAddr(verb, s string) (string, error) {
	a := strings.TrimSpace(s)
	if strings.HasPrefix(a, "<") && strings.HasSuffix(a, ">") {
		a = strings.TrimSpace(a[1 : len(a)-1])
	}
	at := strings.LastIndexByte(a, '@')
	switch {
	case strings.ContainsAny(a, "<>"):
		return "", usageError("%s %q: angle brackets go round a whole address once, as in <user@example.test>; give the address alone: user@example.test", verb, s)
	case at <= 0 || at == len(a)-1:
		return "", usageError("%s %q: that is not an email address: give one as local@domain, such as user@example.test", verb, s)
	case strings.IndexFunc(a, unicode.IsSpace) >= 0:
		return "", usageError("%s %q: an address has no spaces (a local part that needs one is quoted, \"a b\"@example.test, which no bounce gives): give it as local@domain", verb, s)
	}
	if f := mailaddr.Fault(a); f != "" {
		return "", usageError("%s %q: %s", verb, s, f)
	}
	return strings.ToLower(a), nil
}

// suppressionOf is addr's entry on the suppression list, nil when it has
// none. The list holds addresses trimmed and lower-cased.
func suppressionOf(ctx context.Context, rl *relay.Relay, addr string) (*relay.Suppression, error) {
	list, err := rl.Suppressions(ctx)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if strings.EqualFold(list[i].Address, strings.TrimSpace(addr)) {
			return &list[i], nil
		}
	}
	return nil, nil
}

// suppressionSource says in words who put an address on the list, and
// the category of the reply when a reply did.
func suppressionSource(s relay.Suppression) string {
	how := "source " + s.Source
	switch s.Source {
	case "manual":
		return "added with relaylab suppress add"
	case "soft-bounces":
		return "after too many soft bounces"
	case "bounce":
		how = "after a hard bounce"
	case "dsn":
		how = "after a bounce message (DSN) reported a failure"
	}
	if s.Category != "" {
		how += ", category " + s.Category
	}
	return how
}
