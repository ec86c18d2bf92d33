package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/reports"
)

func init() {
	register(command{"report", "summarise what a store recorded: text, JSON, CSV, JUnit, Markdown or HTML", runReport})
}

func runReport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "report", "[--db PATH | --config FILE] [--format F] [--out FILE]")
	db := fs.String("db", "", "the store to read (default relaylab.db, or store.path in --config)")
	cfgPath := fs.String("config", "", "YAML configuration file whose store.path to read")
	format := fs.String("format", "text", "output format: "+strings.Join(reports.Formats, ", "))
	out := fs.String("out", "", "write to FILE instead of standard output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *db == "" {
		cfg, err := loadConfig(*cfgPath)
		if err != nil {
			return err
		}
		*db = cfg.Store.Path
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
	st, err := store.Open(ctx, store.Options{Path: *db})
	if err != nil {
		return err
	}
	defer st.Close()
	d, err := reports.Load(ctx, st)
	if err != nil {
		return fmt.Errorf("reading %s: %w", *db, err)
	}
	if err := addSinkRecord(ctx, st.DB(), d); err != nil {
		return fmt.Errorf("reading %s: %w", *db, err)
	}
	w := e.stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return reports.Write(w, *format, d)
}

// addSinkRecord completes d with what the sink's own record holds and the
// event log does not: every reply of every session (the log has only the
// refusals, as sink.reply events), and, on a store that only a sink wrote
// (no relay mail), the recipients as the sink saw them, each session's
// attempt one try, as relaylab expect --db judges them. Without it such a
// report said "recipients 0" and showed no accepted message anywhere.
func addSinkRecord(ctx context.Context, db *sql.DB, d *reports.Data) error {
	replies, sessions, err := sessionReplies(ctx, db)
	if err != nil {
		return err
	}
	if sessions == 0 {
		return nil
	}
	d.CountSinkReplies(replies)
	if len(d.Recipients) > 0 {
		return nil
	}
	fs, err := reports.FromSink(ctx, sinkAttempts{db})
	if err != nil {
		return err
	}
	d.Recipients, d.FromSink = fs.Recipients, len(fs.Recipients) > 0
	return nil
}

// sessionReplies reads the replies the sink keeps with each session
// (sink_sessions.replies, a JSON list in the order given), and the number
// of sessions that have a row. A session cut short by a crash has a row
// and no replies yet.
func sessionReplies(ctx context.Context, db *sql.DB) ([]reports.SinkReply, int, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, replies FROM sink_sessions ORDER BY id`)
	if err != nil {
		return nil, 0, fmt.Errorf("listing the sink's sessions: %w", err)
	}
	defer rows.Close()
	var out []reports.SinkReply
	n := 0
	for rows.Next() {
		var id int64
		var raw string
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, 0, err
		}
		n++
		var rs []struct {
			Stage string `json:"stage"`
			Code  int    `json:"code"`
		}
		if err := json.Unmarshal([]byte(raw), &rs); err != nil {
			return nil, 0, fmt.Errorf("the replies of sink session %d: %w", id, err)
		}
		for _, r := range rs {
			out = append(out, reports.SinkReply{Stage: r.Stage, Code: r.Code})
		}
	}
	return out, n, rows.Err()
}
