package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/sink"
	"github.com/relaylab/relaylab/web"
)

// runSinkClear is "relaylab sink clear": the sink's record deleted and
// its counters and greylist forgotten, what DELETE /api/v1/sink/messages
// does, for a CI job that keeps one store between its tests.
func runSinkClear(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sink clear", `[--db PATH | --config FILE] [--json]

Deletes what the sink recorded in the store: its messages, its sessions
with their transcripts, its attempts, the bounces it sent or gave up on,
and their events; then forgets its attempt counters and greylist, as
"relaylab sink reset" does, so that the next test starts from a clean
slate. It keeps a bounce still due and the message it quotes, the
sink.rules and sink.reset events, and everything of the relay (its
queue too) and of the probes. Works on a stopped store and on one that
relaylab serve or sink runs on: the running sink follows from its next
connection (DELETE /api/v1/sink/messages clears a running serve at
once). Exit status: 0 when done, 1 when the store failed, 2 for bad
arguments or no store.`)
	db := fs.String("db", "", "the SQLite store (default relaylab.db, or store.path in --config)")
	cfgPath := fs.String("config", "", "YAML configuration file")
	asJSON := fs.Bool("json", false, "print what was deleted and forgotten as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("sink clear takes no arguments, got %q", fs.Args())
	}
	log, cfg, path, err := recordedStore(ctx, e, *db, *cfgPath)
	if err != nil {
		return subcommandError("sink clear", err)
	}
	st, _, err := openStore(ctx, cfg, path, log)
	if err != nil {
		return subcommandError("sink clear", err)
	}
	defer st.Close()
	c, err := sink.Clear(ctx, st)
	if err != nil {
		if store.DiskFull(err) {
			return fmt.Errorf("%w; SQLite needs free room in the store's write-ahead log even to delete, so clearing again will not help until some space is free on the file system of %s (free it by another file first)", err, path)
		}
		return startError(path, err) // "sink: ...": relaylab sink: ...
	}
	out := web.SinkCleared{Deleted: deletedDTO(c.Tables), KeptMessages: c.KeptMessages, Forgotten: forgottenDTO(c.Forgotten)}
	if *asJSON {
		return printJSON(e, out)
	}
	d := out.Deleted
	fmt.Fprintf(e.stdout, "deleted the sink's %s, %s, %s, %s and %s\n",
		countOf(int(d.Messages), "message", "messages"), countOf(int(d.Sessions), "session", "sessions"),
		countOf(int(d.Attempts), "attempt", "attempts"), countOf(int(d.Bounces), "bounce sent or given up on", "bounces sent or given up on"),
		countOf(int(d.Events), "event", "events"))
	if c.KeptMessages > 0 {
		fmt.Fprintf(e.stdout, "kept %s that bounces still due quote: the sink reads each when it sends its bounce; a clear after that deletes them\n",
			countOf(int(c.KeptMessages), "message", "messages"))
	}
	f := c.Forgotten
	fmt.Fprintf(e.stdout, "forgot the attempt counters of %s and %s, and %s\n",
		countOf(f.Pairs, "(sender, recipient) pair", "(sender, recipient) pairs"), countOf(f.Messages, "Message-ID", "Message-IDs"),
		countOf(f.Greylist, "greylist entry", "greylist entries"))
	fmt.Fprintln(e.stdout, "a relaylab serve or sink running on this store follows from its next connection")
	return nil
}

// subcommandError names the subcommand (sink reset, sink clear) in err,
// which run prints after "relaylab sink": "relaylab sink clear: no store
// at ...", not "relaylab sink: ..." as if the sink had failed to start.
func subcommandError(name string, err error) error {
	var xe *exitError
	if errors.As(err, &xe) {
		if xe.err == nil {
			return err
		}
		return &exitError{code: xe.code, err: fmt.Errorf("%s: %w", name, xe.err)}
	}
	return fmt.Errorf("%s: %w", name, err)
}
