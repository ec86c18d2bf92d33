package main

import (
	"context"
	"fmt"

	"github.com/relaylab/relaylab/sink"
)

// runSinkReset is "relaylab sink reset": the sink forgets its attempt
// counters and greylist, so that a second CI run against the same store
// meets "defer2+x@..." and greylisting from the first attempt again.
func runSinkReset(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sink reset", `[--db PATH | --config FILE] [--json]

Makes the sink forget how many times each (sender, recipient) pair and
each Message-ID was tried, and its greylist, so that "defer2+x@..." is
deferred twice again and greylisting starts over. The recorded sessions,
attempts and messages stay (relaylab expect and the web UI still show
them). Works on a stopped store and on one that relaylab serve or sink
runs on: the running sink follows from its next connection. Exit status:
0 when done, 2 for bad arguments or no store.`)
	db := fs.String("db", "", "the SQLite store (default relaylab.db, or store.path in --config)")
	cfgPath := fs.String("config", "", "YAML configuration file")
	asJSON := fs.Bool("json", false, "print what was forgotten as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("sink reset takes no arguments, got %q", fs.Args())
	}
	log, cfg, path, err := recordedStore(ctx, e, *db, *cfgPath)
	if err != nil {
		return subcommandError("sink reset", err)
	}
	st, _, err := openStore(ctx, cfg, path, log)
	if err != nil {
		return subcommandError("sink reset", err)
	}
	defer st.Close()
	f, err := sink.ResetState(ctx, st)
	if err != nil {
		return startError(path, err)
	}
	if *asJSON {
		return printJSON(e, f)
	}
	fmt.Fprintf(e.stdout, "forgot the sink's attempt counters of %s and %s, and %s (sessions up to %d); the recorded sessions and messages stay\n",
		countOf(f.Pairs, "(sender, recipient) pair", "(sender, recipient) pairs"), countOf(f.Messages, "Message-ID", "Message-IDs"),
		countOf(f.Greylist, "greylist entry", "greylist entries"), f.Before)
	fmt.Fprintln(e.stdout, "a relaylab serve or sink running on this store follows from its next connection")
	return nil
}

func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
