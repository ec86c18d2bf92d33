// Command relaylab is the one binary of relaylab: the sink (a fake receiving
// MTA), the relay, the probes, the web UI, scenario replay and the tools
// around them. Run "relaylab help" for the list of subcommands.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/textsafe"
)

// command is one subcommand. run gets the arguments after its name and
// returns an error to print; exitError carries a specific exit code.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a command reads and writes besides its arguments, so that
// tests can run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// hup delivers SIGHUP to commands that reload on it.
	hup <-chan os.Signal
	// again delivers a SIGINT or SIGTERM after the first (which ends the
	// context a command runs in): a daemon stopping gracefully then
	// stops at once.
	again <-chan os.Signal
	// errLog is set by a command that logs JSON (--log-format json): the
	// error it ends with goes there, as one more JSON line a log
	// collector can parse, instead of a plain "relaylab CMD: ..." line.
	errLog *slog.Logger
}

// exitError ends the process with code after printing err (if not nil).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError is bad input on the command line: exit code 2.
func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// commands lists every subcommand, sorted by name.
func commands() []command {
	cs := append([]command(nil), registered...)
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	return cs
}

// registered is filled by register calls in the init of each command's own
// file (serve.go, sink.go, load.go, ...), so that commands do not collide in
// one list.
var registered []command

func register(c command) { registered = append(registered, c) }

func main() {
	ctx, again := stopSignals()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, hup: hup, again: again}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// stopSignals returns the context that the first SIGINT or SIGTERM ends,
// and the channel that delivers the ones after it.
func stopSignals() (context.Context, <-chan os.Signal) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancelCause(context.Background())
	again := make(chan os.Signal, 1)
	go func() {
		// The cause names the signal, for a command that says it was
		// interrupted (context.Cause).
		sig := <-sigs
		name := "SIGTERM"
		if sig == os.Interrupt {
			name = "SIGINT"
		}
		cancel(errors.New(name))
		for s := range sigs {
			select {
			case again <- s:
			default: // one is waiting to be read already
			}
		}
	}()
	return ctx, again
}

// errorLine is the line a command's error is printed as: "relaylab NAME:
// MSG", or "relaylab MSG" when MSG names the command already ("dkim
// keygen: ...", "sink: listener mx: ..."), instead of saying it twice.
func errorLine(name, msg string) string {
	if strings.HasPrefix(msg, name+": ") || strings.HasPrefix(msg, name+" ") {
		return "relaylab " + msg
	}
	return "relaylab " + name + ": " + msg
}

// run dispatches args and returns the process's exit code.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		args = append([]string{"version"}, args[1:]...)
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return run(ctx, e, []string{args[1], "--help"})
		}
		if len(args) == 0 {
			usage(e.stderr) // no command: a usage error
			return 2
		}
		usage(e.stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		if err == nil || errors.Is(err, flag.ErrHelp) {
			return 0
		}
		code := 1
		var xe *exitError
		if errors.As(err, &xe) {
			if code, err = xe.code, xe.err; err == nil {
				return code
			}
		}
		if e.errLog != nil {
			e.errLog.Error("relaylab "+c.name+" stopped", "err", err.Error(), "exit", code)
			return code
		}
		// An error may quote a server's reply or a file's bytes: its
		// control characters are shown, not obeyed by the terminal.
		fmt.Fprintln(e.stderr, errorLine(c.name, textsafe.Escape(err.Error())))
		return code
	}
	fmt.Fprintln(e.stderr, unknownCommandLine(args[0]))
	fmt.Fprintln(e.stderr, `see "relaylab help" for the commands`)
	return 2
}

// unknownCommandLine says that relaylab has no command name, and which
// one was probably meant ("servee": serve). A flag where the command
// should be (relaylab --db x.db queue list) is said as such.
func unknownCommandLine(name string) string {
	if strings.HasPrefix(name, "-") {
		return fmt.Sprintf("relaylab: %s before the command: a command comes first, its flags after it (relaylab COMMAND [flags])", name)
	}
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	line := fmt.Sprintf("relaylab: unknown command %q", name)
	if n := config.Nearest(name, names); n != "" {
		line += "; did you mean " + n + "?"
	} else if n := commandPrefix(name, names); n != "" {
		line += "; did you mean " + n + "?" // suppression for suppress
	}
	return line
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "relaylab: a deliverability monitoring and SMTP testing harness")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: relaylab COMMAND [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `"relaylab COMMAND --help" describes a command's flags.`)
}

// newFlags returns a FlagSet that returns errors instead of exiting. Its
// usage goes to e.stdout when asked for (-h, --help: exit 0, so that
// "relaylab serve --help | less" shows it) and to e.stderr beside a usage
// error (exit 2). A command's own fs.Usage writes to fs.Output().
func newFlags(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("relaylab "+name, flag.ContinueOnError)
	fs.SetOutput(&flagOutput{stdout: e.stdout, stderr: e.stderr})
	fs.Usage = func() {
		line := "usage: relaylab " + name
		if synopsis != "" && !strings.HasPrefix(synopsis, "\n") {
			line += " "
		}
		fmt.Fprintf(fs.Output(), "%s%s\n\n", line, synopsis)
		printFlags(fs)
	}
	return fs
}

// printFlags is fs.PrintDefaults with each flag written as the synopses,
// the README and the error lines write it, --db rather than -db (the flag
// package takes both).
func printFlags(fs *flag.FlagSet) {
	out := fs.Output()
	var b strings.Builder
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(out)
	// A flag's line starts "  -NAME"; its usage lines "    \t".
	text := strings.ReplaceAll("\n"+b.String(), "\n  -", "\n  --")
	io.WriteString(out, text[1:])
}

// flagOutput is where a FlagSet of newFlags prints: stderr, except while
// parseFlags parses, when it holds what is printed until it knows whether
// that is the help asked for (stdout) or a bad flag and the usage (stderr).
type flagOutput struct {
	stdout, stderr io.Writer
	parsing        bool
	held           bytes.Buffer
}

func (o *flagOutput) Write(p []byte) (int, error) {
	if o.parsing {
		return o.held.Write(p)
	}
	return o.stderr.Write(p)
}

// parseFlags parses args, turning a bad flag into a usage error (exit 2)
// and printing the help asked for with -h or --help on stdout.
func parseFlags(fs *flag.FlagSet, args []string) error {
	out, _ := fs.Output().(*flagOutput)
	if out != nil {
		out.parsing = true
	}
	err := fs.Parse(args)
	if out != nil {
		out.parsing = false
		w := out.stderr
		if errors.Is(err, flag.ErrHelp) {
			w = out.stdout
		}
		held := out.held.String()
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			// What is wrong, in words, instead of the flag package's line
			// (`invalid value "abc" for flag -sessions: parse error`) and
			// the whole usage after it, which buried it.
			held = flagErrorLines(fs, err.Error())
		}
		io.WriteString(w, held)
		out.held.Reset()
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{code: 2}
	}
	return nil
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}

// commandPrefix is the command that name starts with or is the start of
// (suppression, suppress; prob, probe), at least four letters in common:
// a word too far from it for Nearest; "" when none or several are.
func commandPrefix(name string, names []string) string {
	name = strings.ToLower(name)
	found := ""
	for _, n := range names {
		if len(name) >= 4 && len(n) >= 4 && (strings.HasPrefix(name, n) || strings.HasPrefix(n, name)) {
			if found != "" {
				return ""
			}
			found = n
		}
	}
	return found
}

// jsonLogAttr is the ReplaceAttr of the JSON log (--log-format json): a
// duration is a number of milliseconds (to the microsecond) under its key
// with "_ms" added ("delay_ms": 1500, "grace_ms": 10000), the unit the
// project's JSON uses elsewhere (latency_ms, p50_ms), which a log
// pipeline sums, compares and charts; Go's "1.5s" is a string it cannot,
// and slog's own, nanoseconds under the bare key, says no unit. A
// configuration's duration (config.Duration) is one too. The text log
// keeps "1.5s", which people read.
func jsonLogAttr(_ []string, a slog.Attr) slog.Attr {
	d, ok := logDuration(a)
	if !ok {
		return a
	}
	key := a.Key
	if !strings.HasSuffix(key, "_ms") {
		key += "_ms"
	}
	return slog.Float64(key, float64(d.Microseconds())/1000)
}

// textLogAttr is the ReplaceAttr of the text log: a duration as the
// configuration writes it (keep=35d, grace=10s), not Go's 840h0m0s.
func textLogAttr(_ []string, a slog.Attr) slog.Attr {
	if d, ok := logDuration(a); ok {
		return slog.String(a.Key, config.FormatDuration(d))
	}
	return a
}

// logDuration is the duration a log attribute holds, a time.Duration or
// a configuration's config.Duration.
func logDuration(a slog.Attr) (time.Duration, bool) {
	switch v := a.Value; {
	case v.Kind() == slog.KindDuration:
		return v.Duration(), true
	case v.Kind() == slog.KindAny:
		cd, ok := v.Any().(config.Duration)
		return cd.D(), ok
	}
	return 0, false
}
