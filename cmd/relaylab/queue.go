package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/relaylab/relaylab/relay"
)

func init() {
	register(command{"queue", "list, show, retry or delete messages in the relay's queue", runQueue})
}

// openRelay opens the store and a relay that is not started: enough for
// queue and suppression commands, also while another process runs it.
func openRelay(ctx context.Context, e *env, db, cfgPath string) (*relay.Relay, func(), error) {
	log, err := newLogger(e, "warn")
	if err != nil {
		return nil, nil, err
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, cfg, db, log)
	if err != nil {
		return nil, nil, err
	}
	rl, err := relay.New(cfg.Relay, relay.Options{Store: st, Logger: log})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return rl, func() { st.Close() }, nil
}

// queuePoll is how often a running relay looks for queue changes made by
// another process, such as `relaylab queue retry`.
const queuePoll = 2 * time.Second

func runQueue(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "queue", "(list | show ID | retry ID | delete ID) [--db PATH] [--state STATE] [--json]")
	db := fs.String("db", "", "the SQLite store (default relaylab.db)")
	cfgPath := fs.String("config", "", "YAML configuration file")
	state := fs.String("state", "waiting", "list: waiting (queued, deferred, in flight), queued, deferred, delivered, bounced, expired, suppressed, or all")
	limit := fs.Int("limit", 100, "list: at most this many messages")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, interleave(args)); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError("queue: say list, show ID, retry ID or delete ID")
	}
	verb, rest := fs.Arg(0), fs.Args()[1:]
	needID := verb == "show" || verb == "retry" || verb == "delete"
	switch {
	case verb == "list" && len(rest) != 0, needID && len(rest) != 1:
		return usageError("queue %s: wrong arguments %q", verb, rest)
	case verb != "list" && !needID:
		return usageError("queue: unknown action %q: want list, show, retry or delete", verb)
	}
	rl, done, err := openRelay(ctx, e, *db, *cfgPath)
	if err != nil {
		return err
	}
	defer done()
	switch verb {
	case "list":
		st := *state
		if st == "all" {
			st = ""
		}
		list, err := rl.List(ctx, relay.QueueFilter{State: st, Limit: *limit})
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(e, list)
		}
		if len(list) == 0 {
			fmt.Fprintf(e.stdout, "no messages (state %s)\n", *state)
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
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", m.ID, m.Created.Format(time.RFC3339), orNull(m.Sender),
					rc.Address, rc.State, rc.Attempts, next, oneLine(rc.Reply))
			}
		}
		return tw.Flush()
	case "show":
		m, err := rl.Message(ctx, rest[0])
		if err != nil {
			return notFound(err)
		}
		if *asJSON {
			return printJSON(e, m)
		}
		fmt.Fprintf(e.stdout, "message %s\n  sender   %s\n  size     %d bytes\n  created  %s\n", m.ID, orNull(m.Sender), m.Size, m.Created.Format(time.RFC3339))
		if !m.Expires.IsZero() {
			fmt.Fprintf(e.stdout, "  expires  %s\n", m.Expires.Format(time.RFC3339))
		}
		if m.EnvID != "" || m.Ret != "" {
			fmt.Fprintf(e.stdout, "  envid    %s  ret %s\n", m.EnvID, m.Ret)
		}
		if m.IsDSN {
			fmt.Fprintln(e.stdout, "  (a delivery status notification written by the relay)")
		}
		for _, rc := range m.Recipients {
			fmt.Fprintf(e.stdout, "  recipient %s: %s after %d attempt(s)\n", rc.Address, rc.State, rc.Attempts)
			if rc.Path != "" {
				fmt.Fprintf(e.stdout, "    path %s host %s\n", rc.Path, rc.Host)
			}
			if r := oneLine(rc.Reply); r != "" {
				fmt.Fprintf(e.stdout, "    last reply: %s\n", r)
			}
			if rc.Category != "" {
				fmt.Fprintf(e.stdout, "    category %s: %s\n", rc.Category, rc.Reason)
			}
			if !rc.Due.IsZero() {
				fmt.Fprintf(e.stdout, "    next attempt %s\n", rc.Due.Format(time.RFC3339))
			}
		}
		return nil
	case "retry":
		n, err := rl.RetryNow(ctx, rest[0])
		if err != nil {
			return notFound(err)
		}
		fmt.Fprintf(e.stdout, "%d recipient(s) of %s due now; a running relaylab relay or serve on this store sends them within %s\n", n, rest[0], queuePoll)
		return nil
	default:
		if err := rl.Delete(ctx, rest[0]); err != nil {
			return notFound(err)
		}
		fmt.Fprintf(e.stdout, "deleted %s\n", rest[0])
		return nil
	}
}

func notFound(err error) error {
	if errors.Is(err, relay.ErrNotFound) {
		return &exitError{code: 1, err: fmt.Errorf("%w (`relaylab queue list --state all` lists the ids)", err)}
	}
	return err
}

func orNull(s string) string {
	if s == "" {
		return "<>"
	}
	return s
}

func oneLine(r relay.Reply) string {
	if r.Code == 0 && r.Text == "" {
		return ""
	}
	return strings.ReplaceAll(r.String(), "\n", " ")
}

func printJSON(e *env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// interleave moves flags after positional arguments to the front, so that
// "queue show ID --db x" parses as "queue --db x show ID".
func interleave(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && !isBoolFlag(a) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func isBoolFlag(a string) bool {
	switch strings.TrimLeft(a, "-") {
	case "json", "h", "help":
		return true
	}
	return false
}
