package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/store"
)

func init() {
	register(command{"prune", "delete the sink's record, finished relay mail, soft-bounce counts, probe changes and events older than a cutoff", runPrune})
}

// pruneOutput is prune's --json.
type pruneOutput struct {
	store.PruneResult
	// Interrupted is set when a signal stopped the prune: Tables are
	// what it had deleted (or counted) by then, the last one partly.
	Interrupted bool  `json:"interrupted,omitempty"`
	Vacuumed    bool  `json:"vacuumed,omitempty"`
	SizeBefore  int64 `json:"size_before"`
	SizeAfter   int64 `json:"size_after"`
}

func runPrune(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "prune", `(--older-than D | --before DATE|RFC3339) [--db PATH | --config FILE] [--dry-run] [--vacuum] [--json]

Deletes what is older than the cutoff: the sink's sessions, messages,
attempts and bounces sent or given up on (a session goes with its
messages and attempts, when all are older; one with no end recorded,
open or cut by a kill, is as old as its start); the relay's finished
messages (every recipient delivered, bounced, expired or suppressed)
with their bodies; the soft-bounce counts (suppression.soft_bounces) of addresses
whose last expiry is older; the probe's changes; and events, the probe's
too. It keeps mail still queued, deferred or in flight, bounces still
due, the suppression list, the greylist, probe changes not yet posted to
the webhook, and the events the sink and relay rebuild their state from
at start (the last sink reset, today's relay attempts, rests not yet
over). Probe results are probe.keep's: serve's probe deletes them and
their probe.result events once older. A (sender, recipient) pair whose
attempts are all pruned counts from 1 again when the sink next starts,
and an address whose soft-bounce count is pruned counts from 1 again at
its next expiry. Runs beside relaylab serve, sink or relay, a few
hundred rows per transaction. The file keeps its size (SQLite reuses
the space) unless --vacuum, which rewrites it and needs the store to
itself: it is refused while any other process has the store open.
Exit status: 0 when done, 1 when the store failed or --vacuum was
refused, 2 for bad arguments or no store, 130 when interrupted (Ctrl-C:
what was deleted by then, table by table, is said, and stays deleted).`)
	db := fs.String("db", "", "the SQLite store (default relaylab.db, or store.path in --config)")
	cfgPath := fs.String("config", "", "YAML configuration file")
	olderThan := fs.String("older-than", "", "prune what is older than this, like 30d or 12h")
	beforeFlag := fs.String("before", "", "prune what is older than this date (2026-03-01, midnight UTC) or time, RFC 3339 (2026-03-01T00:00:00Z)")
	dryRun := fs.Bool("dry-run", false, "count what would be deleted, delete nothing")
	vacuum := fs.Bool("vacuum", false, "afterwards rewrite the file to give the space back (needs the store to itself)")
	asJSON := fs.Bool("json", false, "print what was deleted as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("prune takes no arguments, got %q (say how old with --older-than or --before)", fs.Args())
	}
	before, err := pruneCutoff(*olderThan, *beforeFlag, time.Now())
	if err != nil {
		return err
	}
	if *vacuum && *dryRun {
		return usageError("--vacuum with --dry-run: a dry run changes nothing, so there is nothing to give back; drop one")
	}
	log, cfg, path, err := recordedStore(ctx, e, *db, *cfgPath)
	if err != nil {
		return err
	}
	if *vacuum {
		// Asked before this process opens the store (openElsewhere).
		if err := refuseVacuum(path, "nothing was pruned"); err != nil {
			return err
		}
	}
	st, _, err := openStore(ctx, cfg, path, log)
	if err != nil {
		return err
	}
	out := pruneOutput{SizeBefore: st.Size()}
	out.PruneResult, err = st.Prune(ctx, before, store.PruneOptions{DryRun: *dryRun})
	cerr := st.Close()
	if err == nil {
		err = cerr
	}
	if err != nil {
		return pruneFailed(ctx, e, out, startError(path, err), path, *asJSON)
	}
	if *vacuum {
		// One may have opened it while this one pruned.
		if err := refuseVacuum(path, fmt.Sprintf("the prune itself was done (%d rows)", out.Total())); err != nil {
			return err
		}
		if err := store.Vacuum(ctx, path); err != nil {
			if ctx.Err() != nil {
				return &exitError{code: exitInterrupted, err: fmt.Errorf("%w: SQLite rolls an unfinished vacuum back, so the file keeps its size; the prune itself was done (%d rows)",
					interrupted(ctx, "the vacuum finished"), out.Total())}
			}
			return &exitError{code: 1, err: err}
		}
		out.Vacuumed = true
	}
	out.SizeAfter = store.FilesSize(path)
	if *asJSON {
		return printJSON(e, out)
	}
	printPruned(e, out)
	return nil
}

// pruneCutoff is the time before which prune deletes: now less
// --older-than, or --before; exactly one of them.
func pruneCutoff(olderThan, before string, now time.Time) (time.Time, error) {
	switch {
	case olderThan == "" && before == "":
		return time.Time{}, usageError("say how old with --older-than D (like 30d) or --before DATE or TIME (2026-03-01, or RFC 3339)")
	case olderThan != "" && before != "":
		return time.Time{}, usageError("--older-than and --before both say how old: give one")
	case olderThan != "":
		d, err := config.ParseDuration(olderThan)
		if err != nil {
			return time.Time{}, usageError("--older-than: %v", err)
		}
		if d.D() <= 0 {
			return time.Time{}, usageError("--older-than %s: want more than 0, like 30d", olderThan)
		}
		return now.Add(-d.D()), nil
	}
	t, err := time.Parse(time.RFC3339, before)
	if err != nil {
		// A date alone is its midnight, UTC, as the Inbox's after: reads it.
		if d, derr := time.Parse(time.DateOnly, before); derr == nil {
			t, err = d, nil
		}
	}
	if err != nil {
		return time.Time{}, usageError("--before %q: want a date, 2026-03-01 (midnight UTC), or a time in RFC 3339, like 2026-03-01T00:00:00Z", before)
	}
	if t.After(now) {
		return time.Time{}, usageError("--before %s is in the future: it would take mail still being recorded; give a time in the past", before)
	}
	return t, nil
}

// refuseVacuum refuses --vacuum while another process has the store at
// path open: VACUUM holds the store's write lock for its whole run, so a
// running sink or relay would answer 451 to everything meanwhile.
func refuseVacuum(path, done string) error {
	pids, err := storeHolders(path)
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("%s: telling whether another process has the store open: %w", path, err)}
	}
	if len(pids) == 0 {
		return nil
	}
	who := describeProcess(pids[0])
	return &exitError{code: 1, err: fmt.Errorf("--vacuum: the store %s is in use by %s, and a vacuum takes the store to itself for its whole run (the sink and relay would refuse mail with 451 meanwhile); %s. Stop that process first, or prune without --vacuum (SQLite reuses the freed space)", path, who, done)}
}

// pruneFailed is the error of a prune that failed with err, or that a
// signal stopped; with asJSON, an interrupted one prints what it had
// deleted by then.
func pruneFailed(ctx context.Context, e *env, out pruneOutput, err error, path string, asJSON bool) error {
	switch {
	case ctx.Err() != nil:
		out.Interrupted = true
		out.SizeAfter = store.FilesSize(path)
		if asJSON {
			if jerr := printJSON(e, out); jerr != nil {
				return jerr
			}
		}
		return &exitError{code: exitInterrupted, err: pruneInterrupted(ctx, out.PruneResult)}
	case store.DiskFull(err):
		return &exitError{code: 1, err: fmt.Errorf("%w: SQLite needs free room in the store's write-ahead log even to delete, so running it again will not help: free some space on the file system of %s first (another file), then run it again (what was deleted before the failure stays deleted)", err, path)}
	}
	return &exitError{code: 1, err: fmt.Errorf("%w (what was deleted before the failure stays deleted; run it again to finish)", err)}
}

// pruneInterrupted is the error of a prune that a signal stopped: the
// table it was at and what it had deleted (or, dry, counted) by then,
// table by table, rather than "context canceled".
func pruneInterrupted(ctx context.Context, res store.PruneResult) error {
	verb, at := "deleted", "the prune finished"
	if res.DryRun {
		verb = "counted"
	}
	var done []string
	for i, t := range res.Tables {
		if i == len(res.Tables)-1 {
			at = "it finished " + t.Name()
		}
		if t.Rows > 0 {
			done = append(done, fmt.Sprintf("%s %d", t.Name(), t.Rows))
		}
	}
	what := "nothing yet"
	if len(done) > 0 {
		what = strings.Join(done, ", ") + fmt.Sprintf(" (%d rows)", res.Total())
	}
	if res.DryRun {
		return fmt.Errorf("%w; it had %s %s, and deletes nothing in a dry run", interrupted(ctx, at), verb, what)
	}
	return fmt.Errorf("%w; it had %s %s older than %s, and what it deleted stays deleted: run it again to finish",
		interrupted(ctx, at), verb, what, res.Before.UTC().Format(time.RFC3339))
}

func printPruned(e *env, out pruneOutput) {
	verb := "deleted"
	if out.DryRun {
		verb = "would delete"
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tROWS")
	for _, t := range out.Tables {
		fmt.Fprintf(tw, "%s\t%d\n", t.Name(), t.Rows)
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "%s %d rows older than %s\n", verb, out.Total(), out.Before.UTC().Format(time.RFC3339))
	if out.Vacuumed {
		fmt.Fprintf(e.stdout, "vacuumed: the store's files went from %s to %s\n", bytesText(out.SizeBefore), bytesText(out.SizeAfter))
	} else if !out.DryRun && out.Total() > 0 {
		fmt.Fprintln(e.stdout, "the file keeps its size: SQLite reuses the freed space (--vacuum gives it back, with the store stopped)")
	}
}

func bytesText(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d KB", (n+1023)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}
