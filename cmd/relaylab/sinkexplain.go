package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/relaylab/relaylab/sink"
)

// runSinkExplain is "relaylab sink explain": what the sink would answer an
// envelope, stage by stage, and what chose each reply, without sending.
func runSinkExplain(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "sink explain", `[--config FILE] [--listener NAME] [--client IP] [--helo NAME] [--from ADDR] --to ADDR... [--attempt N] [--json]

Says what the sink would answer, without sending anything: for each stage
of a session (connect, EHLO, MAIL, RCPT for each --to, DATA, the final
dot; RSET and QUIT when a rule or directive answers there) the reply, and
what chose it, in the words of the transcript's "* reply by" lines: a
directive in the address, a rule of sink.rules (by name, or by place),
a provider profile and the domain it answers for, or the sink's own
reply. It runs the sink's own decision over the configuration's rules,
profiles and listeners (serve's and sink's --config), with the address
directives, as a session would.

It draws for no probability: a rule or directive that applies "with
probability P" is shown as such, then what the sink answers otherwise.
What depends on the sink's history is said, and shown at --attempt: a
directive such as defer2 or a rule with attempt: counts the attempts of
each sender and recipient across sessions, and greylisting remembers
each triple. Rules on the message's content or its SPF, DKIM or DMARC
result are named as not tried.

Exit status: 0 when explained, 2 for bad arguments or a configuration the
sink would refuse (the error names the file, line and key).`)
	cfgPath := fs.String("config", "", "YAML configuration file with a sink: section (default: the built-in configuration)")
	listener := fs.String("listener", "", "the listener connected to (default: the first)")
	client := fs.String("client", "127.0.0.1", "the client's IP address")
	helo := fs.String("helo", "client.test", "the name the client gives in EHLO")
	from := fs.String("from", "", "the envelope sender (default: the null sender <>)")
	var to multiFlag
	fs.Var(&to, "to", "a recipient (repeatable, in RCPT order)")
	attempt := fs.Int("attempt", 1, "the attempt number of each sender and recipient, as the sink counts them across sessions")
	asJSON := fs.Bool("json", false, "print the steps as JSON")
	if err := parseFlags(fs, interleaveFor(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("sink explain takes no arguments, got %q (a recipient goes after --to)", fs.Args())
	}
	if *attempt < 1 {
		return usageError("--attempt %d: attempts count from 1", *attempt)
	}
	ip, err := netip.ParseAddr(*client)
	if err != nil {
		return usageError("--client %q is not an IP address (for example 127.0.0.1 or 2001:db8::1)", *client)
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return subcommandError("sink explain", err)
	}
	if len(to) == 0 {
		return usageError("sink explain needs a recipient: --to ADDR (repeatable), as RCPT TO would name it")
	}
	env := sink.Envelope{Listener: *listener, Client: ip, HELO: *helo, From: *from, To: to, Attempt: *attempt}
	steps, err := sink.Explain(cfg.Sink, env)
	if err != nil {
		return usageError("sink explain: %v", err)
	}
	if *asJSON {
		return printJSON(e, explainJSON{Listener: listenerName(cfg.Sink, *listener), Client: ip.String(), HELO: *helo, From: *from, Attempt: *attempt, Steps: steps})
	}
	fmt.Fprintf(e.stdout, "what the sink answers on listener %s, from %s, attempt %d (nothing is sent; no probability is drawn)\n",
		listenerName(cfg.Sink, *listener), ip, *attempt)
	for _, st := range steps {
		printStep(e.stdout, st)
	}
	return nil
}

// explainJSON is sink explain's --json.
type explainJSON struct {
	Listener string      `json:"listener"`
	Client   string      `json:"client"`
	HELO     string      `json:"helo"`
	From     string      `json:"from"`
	Attempt  int         `json:"attempt"`
	Steps    []sink.Step `json:"steps"`
}

func listenerName(c sink.Config, name string) string {
	if name == "" && len(c.Listeners) > 0 {
		return c.Listeners[0].Name
	}
	return name
}

// printStep writes one stage: the command, then, as a transcript has
// them, the sink's notes, the "* reply by" line and the reply's lines.
func printStep(w io.Writer, st sink.Step) {
	fmt.Fprintf(w, "\n%s\n", st.Command)
	if st.Profile != "" {
		fmt.Fprintf(w, "  (%s)\n", st.Profile)
	}
	for _, n := range st.Notes {
		fmt.Fprintf(w, "  * %s\n", n)
	}
	indent := "  "
	for _, c := range st.Chances {
		who := c.Rule
		if who == "" {
			who = "a rule"
		}
		fmt.Fprintf(w, "  %s with probability %s:\n", who, strconv.FormatFloat(c.Probability, 'f', -1, 64))
		printAnswer(w, "    ", c.Answer)
		indent = "    "
	}
	if len(st.Chances) > 0 {
		fmt.Fprintln(w, "  otherwise:")
	}
	printAnswer(w, indent, st.Answer)
	for _, h := range st.History {
		fmt.Fprintf(w, "  depends on: %s\n", h)
	}
	if st.Ends != "" {
		fmt.Fprintf(w, "  (the session goes no further: %s)\n", st.Ends)
	}
}

func printAnswer(w io.Writer, indent string, a sink.Answer) {
	if a.Delay != "" {
		fmt.Fprintf(w, "%s* delay %s (%s)\n", indent, a.Delay, a.Rule)
	}
	switch {
	case a.Hang:
		fmt.Fprintf(w, "%s* hang (%s): no reply; the sink waits until the client gives up\n", indent, a.Rule)
		return
	case a.Drop:
		fmt.Fprintf(w, "%s* drop (%s): the connection is closed without a reply\n", indent, a.Rule)
		return
	}
	if a.By != "" {
		fmt.Fprintf(w, "%s* reply by %s\n", indent, a.By)
	}
	for _, ln := range a.Wire {
		fmt.Fprintf(w, "%s%s\n", indent, ln)
	}
	if a.By == "" && a.Rule == "" {
		fmt.Fprintf(w, "%s(the sink's own reply: no directive, rule or profile rule answers here)\n", indent)
	}
	if a.Tarpit != "" {
		fmt.Fprintf(w, "%s* tarpit: the reply goes out one byte per %s (%s)\n", indent, a.Tarpit, a.Rule)
	}
	for _, b := range a.Bounces {
		about := ""
		if len(b.For) > 0 {
			about = " for <" + strings.Join(b.For, ">, <") + ">"
		}
		fmt.Fprintf(w, "%s* accepted; a bounce%s follows in %s (%s): %s\n", indent, about, b.After, b.By, b.Reply.String())
	}
	if a.Closes {
		fmt.Fprintf(w, "%s* the connection closes after this reply\n", indent)
	}
}
