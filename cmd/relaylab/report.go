package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/reports"
	"github.com/relaylab/relaylab/sink"
)

func init() {
	register(command{"report", "summarise what a store recorded: text, JSON, CSV, JUnit, Markdown or HTML", runReport})
}

func runReport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "report", `[--db PATH | --config FILE] [--format F] [--out FILE]

Summarises what a store holds: recipients by status, path, domain,
category and reply code, time to delivery, each undelivered recipient's
timeline; on a store the sink alone wrote, its sessions, messages and
replies; on a serve's, what chose the sink's reply to each of the
relay's attempts, and the sink's records of mail that other clients
sent straight to it. Exit status: 0 when the report was written, 2 for bad flags or
a --db that is not a relaylab store, 1 when the store cannot be read or
the report cannot be written whole.`)
	db := fs.String("db", "", "the store to read (default relaylab.db, or store.path in --config)")
	cfgPath := fs.String("config", "", "YAML configuration file whose store.path to read")
	format := fs.String("format", "text", "output format: "+strings.Join(reports.Formats, ", "))
	out := fs.String("out", "", "write to FILE instead of standard output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// classify explains the refusals of a store the sink alone wrote:
	// with --config, as its relay.classify rules would, the built-in
	// table's otherwise (as serve's web pages do).
	var classify *relay.Classifier
	if *db == "" || *cfgPath != "" {
		cfg, err := loadConfig(*cfgPath)
		if err != nil {
			return err
		}
		if *db == "" {
			*db = cfg.Store.Path
		}
		if len(cfg.Relay.Classify) > 0 {
			if classify, err = relay.NewClassifier(cfg.Relay.Classify); err != nil {
				return fmt.Errorf("%s: relay.classify: %w", *cfgPath, err)
			}
		}
	}
	// requireStore, not store.Open: reading must neither create a store
	// nor migrate a SQLite file that is not one.
	if err := requireStore(ctx, *db); err != nil {
		return err
	}
	valid := false
	for _, f := range reports.Formats {
		valid = valid || f == *format
	}
	if !valid {
		return usageError("--format %q: want one of %s", *format, strings.Join(reports.Formats, ", "))
	}
	log, err := newLogger(e, "warn")
	if err != nil {
		return err
	}
	st, err := openToRead(ctx, *db, log)
	if err != nil {
		return err
	}
	defer st.Close()
	// A store found damaged as it is read is said as one found so at
	// open, with what to do; before the store closes, while a -wal that
	// may have damaged it is still beside it.
	d, err := reports.Load(ctx, st)
	if err != nil {
		return startError(*db, fmt.Errorf("reading %s: %w", *db, err))
	}
	if err := d.AddSinkRecord(ctx, sinkRecord{sinkAttempts{db: st.DB(), classify: classify}}); err != nil {
		return startError(*db, fmt.Errorf("reading %s: %w", *db, err))
	}
	if d.FromSink {
		// The senders of a store the sink alone wrote were not
		// relaylab's relay, which retries: advise as expect does.
		d.AdviseOutsideSenders(nil)
	}
	if *out == "" {
		return reports.Write(e.stdout, *format, d)
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	// A report cut short (a full disk) or not flushed at close is an
	// error, not exit 0 beside half a file.
	if err := reports.Write(f, *format, d); err != nil {
		f.Close()
		return fmt.Errorf("--out %s: %w", *out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--out %s: %w", *out, err)
	}
	return nil
}

// sinkRecord is the sink's record in a store, for
// reports.Data.AddSinkRecord: a report on it counts every reply the sink
// gave, the successes too (the log's sink.reply events are the refusals
// alone), and a store that only a sink wrote shows the recipients as the
// sink saw them.
type sinkRecord struct{ sinkAttempts }

var _ reports.SinkRecord = sinkRecord{}

func (s sinkRecord) SinkReplies(ctx context.Context) ([]reports.SinkReply, int, error) {
	out, t, err := s.tally(ctx)
	return out, t.Sessions, err
}

// tally counts the sink's replies by stage and code, and its sessions,
// those with no end recorded among them.
func (s sinkRecord) tally(ctx context.Context) ([]reports.SinkReply, sink.ReplyTally, error) {
	t, err := sink.CountReplies(ctx, s.db)
	if err != nil {
		return nil, t, err
	}
	out := make([]reports.SinkReply, len(t.Counts))
	for i, c := range t.Counts {
		out[i] = reports.SinkReply{Stage: string(c.Stage), Code: c.Code, Count: c.Count}
	}
	return out, t, nil
}

// openToRead opens the store at path for a report: read-only when
// this user may read the store but not write beside it (the store of a
// serve another user runs, a read-only file system), which log says
// (openReadOnly).
func openToRead(ctx context.Context, path string, log *slog.Logger) (*store.Store, error) {
	st, err := store.Open(ctx, store.Options{Path: path, NoMigrate: true})
	if err != nil {
		st, err = openReadOnly(ctx, path, log, err)
	}
	if err != nil {
		return nil, unusableStore(path, false, err)
	}
	return st, nil
}
