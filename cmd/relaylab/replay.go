package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/reports"
	"github.com/relaylab/relaylab/reports/scenario"
	"golang.org/x/term"
)

func init() {
	register(command{"replay", "replay scenario files on a virtual clock and judge their expectations", runReplay})
}

// verdictOutputs are the --junit, --json, --html and --markdown files of
// replay and expect.
type verdictOutputs struct {
	junit, json, html, markdown *string
}

func addVerdictOutputs(fs *flag.FlagSet) verdictOutputs {
	return verdictOutputs{
		junit:    outputPathFlag(fs, "junit", "write JUnit XML to FILE (one test case per expectation)"),
		json:     outputPathFlag(fs, "json", "write the verdicts, summaries and timelines as JSON to FILE"),
		html:     outputPathFlag(fs, "html", "write a self-contained HTML report to FILE"),
		markdown: outputPathFlag(fs, "markdown", "append the verdicts as Markdown to FILE, creating it if need be (for a CI job's summary, such as $GITHUB_STEP_SUMMARY, which each step appends to)"),
	}
}

// outputFile is one of the verdicts' output files that a flag names.
type outputFile struct {
	flag   string
	path   string
	write  func(io.Writer, []reports.Verdict) error
	append bool
}

// files are the output files the flags name, "" among them for those
// not given.
func (o verdictOutputs) files() []outputFile {
	return []outputFile{{"--junit", *o.junit, reports.WriteVerdictsJUnit, false}, {"--json", *o.json, reports.WriteVerdictsJSON, false}, {"--html", *o.html, reports.WriteVerdictsHTML, false},
		// A CI job's summary file is shared by its steps: each appends.
		{"--markdown", *o.markdown, reports.WriteVerdictsMarkdown, true}}
}

// write writes vs to every output file given; one that cannot be written
// does not keep the others from being written.
func (o verdictOutputs) write(vs []reports.Verdict) error {
	var errs []error
	for _, f := range o.files() {
		if f.path == "" {
			continue
		}
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if f.append {
			flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		}
		out, err := os.OpenFile(f.path, flags, 0o666)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.flag, err))
			continue
		}
		if err := f.write(out, vs); err != nil {
			out.Close()
			errs = append(errs, fmt.Errorf("%s %s: %w", f.flag, f.path, err))
			continue
		}
		if err := out.Close(); err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", f.flag, f.path, err))
		}
	}
	return errors.Join(errs...)
}

// check opens every output file given for writing, as write will, before
// anything is replayed or judged, so that one that cannot be written (its
// directory missing or read-only, a directory by that name) is found at
// once, not after a replay of minutes or an expect --wait. It leaves an
// existing file as it was (no truncation: an earlier run's output stays
// until the verdicts replace it) and removes a file it created.
func (o verdictOutputs) check() error {
	var errs []error
	for _, f := range o.files() {
		if f.path == "" {
			continue
		}
		_, statErr := os.Lstat(f.path)
		out, err := os.OpenFile(f.path, os.O_WRONLY|os.O_CREATE, 0o666)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.flag, err))
			continue
		}
		out.Close()
		if errors.Is(statErr, fs.ErrNotExist) {
			os.Remove(f.path)
		}
	}
	return errors.Join(errs...)
}

// unwritableOutputs is the error of replay and expect when check finds an
// output file that cannot be written (what, "replayed" or "judged", is
// what they did not do). The outputs that can be written say so of every
// file, as "not judged", so that no earlier run's output stays in place
// looking green beside the error.
func (o verdictOutputs) unwritable(err error, files []string, what string) error {
	err = fmt.Errorf("%w: nothing was %s, as its verdicts could not be written there; give a file in a directory that exists and that you may write to", err, what)
	vs := make([]reports.Verdict, 0, len(files))
	for _, f := range files {
		vs = append(vs, notVerdict(f, f, what, err))
	}
	o.write(vs) // the unwritable ones fail again, as err says
	return noVerdict(err)
}

// notVerdict is the verdict of the file named name at path that was not
// judged (what: "replayed" or "judged") because of err, which stopped
// the whole run: every output says so, as a failure.
func notVerdict(name, path, what string, err error) reports.Verdict {
	return reports.ErrorVerdict(name, path, fmt.Errorf("not %s: %w", what, err))
}

// stopped writes vs, the verdicts of a replay or expect that stopped
// before it could judge (a store it cannot use, a serve it cannot ask, a
// signal), to every output given, so that no earlier run's output stays
// in place looking green beside the error, and returns err. An output
// that cannot be written is added to err, whose exit code stays.
func (o verdictOutputs) stopped(err error, vs []reports.Verdict) error {
	werr := o.write(vs)
	if werr == nil {
		return err
	}
	code := exitNoVerdict
	var xe *exitError
	if errors.As(err, &xe) {
		code, err = xe.code, xe.err
	}
	return &exitError{code: code, err: errors.Join(err, werr)}
}

// stoppedAfter is the error of a replay or an expect that stopped for err
// after the files of loadErrs did not load: their problems, then the
// stop's, each once on standard error (standard output says of each file
// only that it was not judged), with the stop's exit code.
func stoppedAfter(cmd string, loadErrs []error, err error) error {
	if len(loadErrs) == 0 {
		return noVerdict(err)
	}
	code := exitNoVerdict
	if xe := (*exitError)(nil); errors.As(err, &xe) {
		code = xe.code
		if xe == err {
			err = xe.err // its text alone; main would print no more
		}
	}
	return &exitError{code: code, err: joinLines(cmd, append(slices.Clone(loadErrs), err)...)}
}

// shownOnce is verdict v as standard output gives it when its error is
// on standard error (a file that did not load, a replay that could not
// run): a line that points there, so that a CI log, which interleaves
// the two streams, shows the problem once. The output files carry it
// whole.
func shownOnce(v reports.Verdict, what string) reports.Verdict {
	return reports.ErrorVerdict(v.Name, v.File, fmt.Errorf("%s: the reason, with file, line and key, is on standard error", what))
}

// interrupted is the error of a replay or an expect that a signal ended
// (ctx's end) before, rather than "context canceled": the signal as
// main's context names it when it gives a cause, else the two it stops
// on.
func interrupted(ctx context.Context, before string) error {
	sig := "a signal to stop (SIGINT or SIGTERM)"
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) && !errors.Is(c, context.DeadlineExceeded) {
		sig = c.Error()
	}
	return fmt.Errorf("interrupted: relaylab got %s before %s", sig, before)
}

// exitNoVerdict is the exit code of replay and expect when they could not
// judge at all (a store that cannot be read, a relaylab serve that cannot be
// asked, an output file that cannot be written, a signal that stopped
// them): not 1, which says that an expectation failed.
const exitNoVerdict = 3

// noVerdict gives err the exit code exitNoVerdict, unless it carries one.
func noVerdict(err error) error {
	var xe *exitError
	if err == nil || errors.As(err, &xe) {
		return err
	}
	return &exitError{code: exitNoVerdict, err: err}
}

// verdictExit is exit 0 when every verdict passed and 1 otherwise.
func verdictExit(vs []reports.Verdict) error {
	for _, v := range vs {
		if !v.Passed {
			return &exitError{code: 1}
		}
	}
	return nil
}

const replaySynopsis = `[--db PATH] [--junit FILE] [--json FILE] [--html FILE] [--markdown FILE] [--quiet] SCENARIO.yaml|DIR...

Replays each scenario on a virtual clock and judges its expect: section; a
directory stands for every *.yaml and *.yml file in it, in name order.
A scenario to start from (the sink's greylist directive defers each
recipient's first try; the relay's retry gets through):

    name: greylisted then delivered
    messages:
      - {from: app@shop.test, to: ["greylist+u{n}@example.test"], count: 3, every: 1m}
    expect:
      recipients:
        - {match: "greylist+*@example.test", count: 3, status: delivered, attempts: 2}

README.md ("Scenarios: replay, assert, report") lists a scenario's keys
and every expectation; testdata/scenarios/ in the source has more.
A replay that reaches its clock.limit judges the expectations of the
recipients final by then; the others fail as not judged, saying why, and
the verdict notes what was not final. An expectation that the limit rules
out (an attempt it asks for, or an expiry, after the limit) is refused at
load.
Exit status: 0 when every expectation held, 1 when one failed or was not
judged at the clock.limit, 2 for bad flags or scenario files, 3 when a
replay could not run to a verdict or an output file could not be
written.`

func runReplay(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "replay", replaySynopsis)
	db := outputPathFlag(fs, "db", "add the replay's record to the store at `PATH` (default: a fresh temporary one; with several files, each replay appends); refused while another process, such as relaylab serve, has it open, and a warning when it holds events already: give a new file to keep a replay apart")
	outs := addVerdictOutputs(fs)
	quiet := fs.Bool("quiet", false, "print only the verdicts, no progress")
	if err := parseFlags(fs, interleaveFor(fs, args)); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError("name at least one scenario file (README.md's Scenarios section describes the format; relaylab's source has examples in testdata/scenarios/)")
	}
	named := fileArgs(fs.Args(), "scenario files")
	if err := outs.check(); err != nil {
		return outs.unwritable(err, argPaths(named), "replayed")
	}
	// Read every file first. A file that does not load is not replayed,
	// but the others are, and every output file says which one failed:
	// an earlier run's file must not stay in place, green.
	type loaded struct {
		sc   *scenario.Scenario
		path string
		err  error // why the file cannot be judged
	}
	var files []loaded
	var inputErrs []error // exit 2
	for _, a := range named {
		path := a.path
		if a.err != nil {
			inputErrs = append(inputErrs, a.err)
			files = append(files, loaded{nil, path, a.err})
			continue
		}
		sc, err := scenario.Load(path)
		if err != nil {
			var ce *config.Error
			if e := expectFileGiven(path); e != nil {
				err = e
			} else if !errors.As(err, &ce) && !errors.Is(err, os.ErrNotExist) {
				err = fmt.Errorf("%s: %w", path, err)
			}
		} else if sc.Expect.Empty() {
			// Judging nothing would pass whatever happened: in CI a
			// missing or misindented expect: would be a green build.
			err = fmt.Errorf("%s: expect: no expectations: list recipients: or aggregate: checks under expect: (a replay without them would pass whatever happened)", path)
		}
		if err != nil {
			inputErrs = append(inputErrs, err)
		}
		files = append(files, loaded{sc, path, err})
	}
	if *db != "" && len(inputErrs) < len(files) {
		if err := checkReplayDB(ctx, e.stderr, *db); err != nil {
			// Nothing is replayed: every output says why, of each file
			// (one that did not load, its own problem).
			// Standard output says so of each file in a line, the reason
			// being on standard error once, as expect's does.
			vs := make([]reports.Verdict, 0, len(files))
			short := make([]reports.Verdict, 0, len(files))
			for _, f := range files {
				if f.err != nil {
					vs = append(vs, reports.ErrorVerdict(f.path, f.path, f.err))
					short = append(short, shownOnce(vs[len(vs)-1], "did not load"))
				} else {
					vs = append(vs, notVerdict(f.sc.Name, f.path, "replayed", err))
					short = append(short, stoppedShort(f.sc.Name, f.path, "replay", "replaying"))
				}
			}
			reports.WriteVerdicts(e.stdout, markFromDir(short, named))
			return outs.stopped(stoppedAfter("replay", inputErrs, err), markFromDir(vs, named))
		}
	}
	tty := false
	if f, ok := e.stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	var vs []reports.Verdict
	var unrecorded []error // verdicts given, records not added to --db
	var runErrs []error    // exit 3
	// onStderr: what standard output says, in place of its verdict's
	// error, of a file whose problem standard error gives.
	onStderr := map[int]string{}
	for _, f := range files {
		if f.err != nil {
			onStderr[len(vs)] = "did not load"
			vs = append(vs, reports.ErrorVerdict(f.path, f.path, f.err))
			continue
		}
		sc := f.sc
		if ctx.Err() != nil {
			// A signal stopped an earlier file: this one is not replayed,
			// and every output says so, rather than leaving it out.
			err := fmt.Errorf("%s: %w", sc.File(), interrupted(ctx, "this scenario started"))
			onStderr[len(vs)] = "not replayed"
			runErrs, vs = append(runErrs, err), append(vs, notVerdict(sc.Name, sc.File(), "replayed", err))
			continue
		}
		opts := scenario.Options{DB: *db}
		if !*quiet {
			opts.Progress = progressPrinter(e.stderr, sc.Name, tty)
		}
		out, err := scenario.Run(ctx, sc, opts)
		if tty && !*quiet {
			fmt.Fprintln(e.stderr)
		}
		if errors.Is(err, scenario.ErrNotRecorded) {
			// Its verdict stands, and so does a clock limit beside it.
			var rec error
			rec, err = splitNotRecorded(err)
			unrecorded = append(unrecorded, fmt.Errorf("%s: %w", sc.File(), rec))
		}
		if errors.Is(err, scenario.ErrClockLimit) && out != nil && out.Data != nil {
			// The expectations of the recipients final at the limit are
			// judged; the others fail as not judged (their cases stay,
			// each saying why), and the verdict's note says what was not
			// final, at the line of clock.limit when the file sets it.
			data, _ := os.ReadFile(sc.File())
			// The key names where; the package's "scenario: " would
			// read as a key of its own.
			note := config.Locate(sc.File(), data, config.Errorf("clock.limit", "%s", strings.TrimPrefix(err.Error(), "scenario: ")))
			v := reports.NewVerdict(sc.Name, sc.File(), out.Data, out.Results)
			v.VirtualSeconds = out.Virtual.Seconds()
			v.Notes = append(v.Notes, note.Error())
			vs = append(vs, v)
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				// Not "context canceled": a signal stopped the replay.
				err = fmt.Errorf("%w, so it has no verdict; replay it again to judge it", interrupted(ctx, "the scenario finished"))
			}
			err = fmt.Errorf("%s: %w", sc.File(), err)
			runErrs = append(runErrs, err)
			onStderr[len(vs)] = "not replayed"
			vs = append(vs, reports.ErrorVerdict(sc.Name, sc.File(), err))
			continue
		}
		v := reports.NewVerdict(sc.Name, sc.File(), out.Data, out.Results)
		v.VirtualSeconds = out.Virtual.Seconds()
		vs = append(vs, v)
		if !*quiet {
			fmt.Fprintf(e.stderr, "%s: %s of virtual time in %s\n", sc.Name, config.FormatDuration(out.Virtual.Round(time.Second)), out.Wall.Round(time.Millisecond))
		}
	}
	shown := slices.Clone(vs)
	for i, what := range onStderr {
		shown[i] = shownOnce(vs[i], what)
	}
	vs = markFromDir(vs, named)
	reports.WriteVerdicts(e.stdout, markFromDir(shown, named))
	if err := outs.write(vs); err != nil {
		return noVerdict(joinLines("replay", append(append(inputErrs, runErrs...), err)...))
	}
	if len(inputErrs) > 0 {
		return &exitError{code: 2, err: joinLines("replay", append(inputErrs, runErrs...)...)}
	}
	if len(runErrs) > 0 || len(unrecorded) > 0 {
		return noVerdict(joinLines("replay", append(runErrs, unrecorded...)...))
	}
	return verdictExit(vs)
}

// joinedLines is errors.Join's error for a command's standard error:
// one error a line, each after the first prefixed "relaylab CMD: " as
// main prefixes the first, so that every line says whose it is.
type joinedLines struct {
	cmd  string
	errs []error
}

func (j joinedLines) Error() string {
	parts := make([]string, len(j.errs))
	for i, err := range j.errs {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "\n"+errorLine(j.cmd, ""))
}

func (j joinedLines) Unwrap() []error { return j.errs }

// joinLines joins the errors of errs that are not nil (joinedLines); nil
// when none is.
func joinLines(cmd string, errs ...error) error {
	var kept []error
	for _, err := range errs {
		if err != nil {
			kept = append(kept, err)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	return joinedLines{cmd, kept}
}

// fileArg is a file named on the command line of replay or expect, or
// found in a directory named there (fromDir), or a directory named there
// that holds none (err says so).
type fileArg struct {
	path    string
	fromDir bool
	err     error
}

// fileArgs are the files that args name, for replay (what: "scenario
// files") and expect ("expect files"): a directory stands for every
// *.yaml and *.yml file in it, in name order (as probe's --zone takes a
// directory for its *.zone files), rather than failing to be read as a
// file. Both endings are YAML's, and a repository may use either: one
// left out would be a scenario that never ran in a CI job that stays
// green. A directory without one is an error of its own, naming what it
// holds, as a file that does not load is, and the other files are
// replayed or judged all the same.
func fileArgs(args []string, what string) []fileArg {
	var out []fileArg
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil || !st.IsDir() {
			out = append(out, fileArg{path: arg}) // loading it says what is wrong
			continue
		}
		entries, err := os.ReadDir(arg)
		if err != nil {
			out = append(out, fileArg{path: arg, err: fmt.Errorf("%s: %w", arg, err)})
			continue
		}
		n := len(out)
		var others []string         // what the directory holds instead, for the error
		for _, e := range entries { // ReadDir sorts by name
			if !e.IsDir() && isYAMLName(e.Name()) {
				out = append(out, fileArg{path: filepath.Join(arg, e.Name()), fromDir: true})
			} else {
				others = append(others, e.Name())
			}
		}
		if len(out) == n {
			out = append(out, fileArg{path: arg, err: fmt.Errorf("%s: a directory with no *.yaml file in it: name %s (%s), or a directory that holds them (*.yml files are taken too); %s",
				arg, what, filepath.Join(arg, "*.yaml"), dirHolds(others))})
		}
	}
	return out
}

// isYAMLName reports whether a file's name ends as a YAML file's does,
// .yaml or .yml, the files a directory given to replay or expect stands
// for.
func isYAMLName(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// dirHolds says what a directory without a YAML file holds, by the names
// of its entries (a few, then how many more): a scenario saved as
// .yaml.txt or .YAML is then seen at once.
func dirHolds(names []string) string {
	const shown = 5
	switch {
	case len(names) == 0:
		return "it is empty"
	case len(names) > shown:
		return fmt.Sprintf("it holds %s and %d more", strings.Join(names[:shown], ", "), len(names)-shown)
	}
	return "it holds " + strings.Join(names, ", ")
}

// argPaths are the paths of args, in order.
func argPaths(args []fileArg) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a.path
	}
	return out
}

// markFromDir marks the verdicts, one per arg of args in order, of the
// files found in a directory, which the outputs then show with their
// file beside their name: the command line does not name those files.
func markFromDir(vs []reports.Verdict, args []fileArg) []reports.Verdict {
	for i := range vs {
		vs[i].FromDir = i < len(args) && args[i].fromDir
	}
	return vs
}

// progressPrinter draws a bar on a terminal and prints a line now and then
// elsewhere.
func progressPrinter(w io.Writer, name string, tty bool) func(final, total int, virtual time.Duration) {
	var lastLine time.Time
	printedAll := false
	return func(final, total int, virtual time.Duration) {
		if tty {
			const width = 30
			filled := 0
			if total > 0 {
				filled = final * width / total
			}
			bar := make([]byte, width)
			for i := range bar {
				bar[i] = '.'
				if i < filled {
					bar[i] = '#'
				}
			}
			fmt.Fprintf(w, "\r%s [%s] %d/%d final, +%s virtual ", name, bar, final, total, config.FormatDuration(virtual.Round(time.Second)))
			return
		}
		// Every 2 s, and once as soon as every recipient is final (the
		// relay's DSNs may go on being retried after that: not a line per
		// step of the clock).
		if all := final == total; time.Since(lastLine) >= 2*time.Second || all && !printedAll {
			printedAll = printedAll || all
			lastLine = time.Now()
			fmt.Fprintf(w, "%s: %d/%d submitted recipients final at +%s virtual\n", name, final, total, config.FormatDuration(virtual.Round(time.Second)))
		}
	}
}

// expectFileGiven says, for a file replay cannot load that is an expect
// file (name: and expect: alone, as relaylab expect reads), where it
// belongs; nil for any other. Read as a scenario, such a file fails for
// its want of messages: and, with a path: of a sink listener (mx1), for a
// relay path the scenario has not, which points away from the mistake.
func expectFileGiven(path string) error {
	data, err := os.ReadFile(path)
	if err != nil || config.CheckShape(path, data) != nil {
		return nil
	}
	var top map[string]any
	if config.Unmarshal(data, &top) != nil {
		return nil
	}
	if _, ok := top["expect"]; !ok {
		return nil
	}
	for k := range top {
		if k != "name" && k != "expect" {
			return nil // a scenario with a problem of its own
		}
	}
	return &config.Error{File: path, Msg: "this is an expect file (name: and expect: only, no messages: to send): it judges what a sink recorded from a sender relaylab did not run, so judge it with relaylab expect --db STORE " + path +
		" (or --url with a running relaylab serve); relaylab replay runs a scenario, which sends its own messages: and has an expect: section beside them"}
}

// splitNotRecorded parts err, a replay's error that holds
// scenario.ErrNotRecorded, into that one and what else was joined to it
// (a replay cut short by its clock.limit is recorded too: see
// scenario.Run), nil when nothing was.
func splitNotRecorded(err error) (rec, rest error) {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return err, nil
	}
	var others []error
	for _, e := range j.Unwrap() {
		if rec == nil && errors.Is(e, scenario.ErrNotRecorded) {
			rec = e
			continue
		}
		others = append(others, e)
	}
	if len(others) == 1 {
		return rec, others[0]
	}
	return rec, errors.Join(others...)
}
