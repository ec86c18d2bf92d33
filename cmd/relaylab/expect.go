package main

import (
	"context"
	"database/sql"
	"os"
	"sort"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/reports"
	"github.com/relaylab/relaylab/sink"
)

func init() {
	register(command{"expect", "judge what a sink recorded from someone else's sender against expectations", runExpect})
}

// expectFile is an expect file: a name and an expect: section, the same
// language as a scenario's.
type expectFile struct {
	Name   string               `yaml:"name"`
	Expect reports.Expectations `yaml:"expect"`
}

func (x *expectFile) Validate(string) error { return x.Expect.Validate("expect") }

func runExpect(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "expect", "--db PATH [--junit FILE] [--json FILE] [--html FILE] EXPECT.yaml...")
	db := fs.String("db", "", "the store of the sink that received the mail (relaylab sink --db)")
	outs := addVerdictOutputs(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError("name at least one expect file")
	}
	if *db == "" {
		return usageError("--db PATH is required: the store the sink recorded into")
	}
	if _, err := os.Stat(*db); err != nil {
		return usageError("--db %s: %v", *db, err)
	}
	var files []*expectFile
	for _, path := range fs.Args() {
		x := &expectFile{Name: path}
		if err := config.Load(path, x); err != nil {
			return &exitError{code: 2, err: err} // file, line and key, or the file cannot be read
		}
		files = append(files, x)
	}
	st, err := store.Open(ctx, store.Options{Path: *db})
	if err != nil {
		return err
	}
	defer st.Close()
	d, err := reports.FromSink(ctx, sinkAttempts{st.DB()})
	if err != nil {
		return err
	}
	var vs []reports.Verdict
	for i, x := range files {
		vs = append(vs, reports.NewVerdict(x.Name, fs.Arg(i), d, reports.Evaluate(d, x.Expect)))
	}
	reports.WriteVerdicts(e.stdout, vs)
	if err := outs.write(vs); err != nil {
		return err
	}
	return verdictExit(vs)
}

// sinkAttempts reads a sink's record for reports.FromSink.
type sinkAttempts struct{ db *sql.DB }

func (s sinkAttempts) AllAttempts(ctx context.Context) ([]reports.SinkAttempt, error) {
	rcpts, err := sink.Recipients(ctx, s.db)
	if err != nil {
		return nil, err
	}
	var out []reports.SinkAttempt
	for _, r := range rcpts {
		atts, err := sink.Attempts(ctx, s.db, r)
		if err != nil {
			return nil, err
		}
		for _, a := range atts {
			out = append(out, reports.SinkAttempt{Time: a.Time, Listener: a.Listener, Client: a.Client, Sender: a.Sender,
				Recipient: a.Recipient, Stage: string(a.Stage), Code: a.Reply.Code, Enhanced: a.Reply.Enhanced, Text: a.Reply.Text})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, nil
}
