package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/reports/scenario"
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
directives, as a session would. --config may name a scenario file
instead: then it is the sink that relaylab replay runs for it (its
sink: section, file names from its directory, the file checked as
replay checks it), and the EHLO name is the replay's relay's unless
--helo gives one.

It draws for no probability: a rule or directive that applies "with
probability P" is shown as such, then what the sink answers otherwise.
What depends on the sink's history is said, and shown at --attempt: a
directive such as defer2 or a rule with attempt: counts the attempts of
each sender and recipient across sessions, and greylisting remembers
each triple. Rules on the message's content or its SPF, DKIM or DMARC
result are named as not tried. With relay.dsn.verp: true in the file, a
note names each rule whose sender: the relay's VERP return path
(bounces+QUEUEID.MAC@HOST) does not match: it never matches the relay's
mail, whose original sender that address does not hold.

Exit status: 0 when explained, 2 for bad arguments or a configuration the
sink would refuse (the error names the file, line and key).`)
	cfgPath := fs.String("config", "", "YAML configuration file with a sink: section, or a scenario file (the sink its replay runs) (default: the built-in configuration)")
	listener := fs.String("listener", "", "the listener connected to (default: the first)")
	client := fs.String("client", "127.0.0.1", "the client's IP address")
	helo := fs.String("helo", "client.test", "the name the client gives in EHLO (with a scenario file: the replay's relay's, relay.hostname or its path's helo)")
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
	heloSet := false
	fs.Visit(func(f *flag.Flag) { heloSet = heloSet || f.Name == "helo" })
	src, err := explainSource(*cfgPath)
	if err != nil {
		return subcommandError("sink explain", err)
	}
	if len(to) == 0 {
		return usageError("sink explain needs a recipient: --to ADDR (repeatable), as RCPT TO would name it")
	}
	cfg := src.sink
	name := listenerName(cfg, *listener)
	heloWhat := ""
	if src.scenario != nil && !heloSet {
		// In a replay the client is the scenario's relay, which says its
		// path's helo, or its hostname.
		*helo = replayHelo(src.scenario, cfg, name)
		heloWhat = " (EHLO " + *helo + ", the replay's relay)"
	}
	if *from == "<>" {
		// As relaylab send and swaks take it: the null sender, said ""
		// in --json's from as --from '' says it.
		*from = ""
	}
	env := sink.Envelope{Listener: *listener, Client: ip, HELO: *helo, From: *from, To: to, Attempt: *attempt}
	steps, err := sink.Explain(cfg, env)
	if err != nil {
		return usageError("sink explain: %v", err)
	}
	notes := verpSenderNotes(src.relay, cfg.Rules)
	if *asJSON {
		j := explainJSON{Listener: name, Client: ip.String(), HELO: *helo, From: *from, Attempt: *attempt, Notes: notes, Steps: steps}
		if src.scenario != nil {
			j.Scenario = src.scenario.Name
		}
		return printJSON(e, j)
	}
	whose := "the sink"
	if src.scenario != nil {
		whose = fmt.Sprintf("the replay's sink of scenario %q", src.scenario.Name)
	}
	fmt.Fprintf(e.stdout, "what %s answers on listener %s, from %s%s, attempt %d (nothing is sent; no probability is drawn)\n",
		whose, name, ip, heloWhat, *attempt)
	for _, n := range notes {
		fmt.Fprintf(e.stdout, "note: %s\n", n)
	}
	for _, st := range steps {
		printStep(e.stdout, st)
	}
	return nil
}

// explainSrc is what sink explain explains: a configuration file's sink
// (or the built-in one), or the sink a scenario file's replay runs.
type explainSrc struct {
	sink     sink.Config
	relay    relay.Config       // the relay that sends to it (its VERP)
	scenario *scenario.Scenario // nil for a configuration file
}

// explainSource reads --config: a scenario file (one with a top-level
// key of a scenario's that a configuration file has not, such as
// messages:) is read and checked as replay reads it, file names taken
// from its directory, and gives the sink of its replay, its listeners
// as the scenario names them; anything else is a configuration file.
func explainSource(path string) (explainSrc, error) {
	if path != "" {
		if data, err := os.ReadFile(path); err == nil && scenarioKey(data) != "" {
			sc, err := scenario.Parse(path, data)
			if err != nil {
				return explainSrc{}, &exitError{code: 2, err: fmt.Errorf("%s is read as a scenario, as relaylab replay reads it, for its top-level %s: key (a configuration file has none):\n%w", path, scenarioKey(data), err)}
			}
			return explainSrc{sink: sc.Sink, relay: sc.Relay, scenario: sc}, nil
		}
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return explainSrc{}, err
	}
	return explainSrc{sink: cfg.Sink, relay: cfg.Relay}, nil
}

// scenarioOnlyKeys are top-level keys of a scenario file that a
// configuration file does not have.
var scenarioOnlyKeys = []string{"messages", "expect", "name"}

// scenarioKey is the first of scenarioOnlyKeys that data has at its top
// level, or "".
func scenarioKey(data []byte) string {
	for _, k := range scenarioOnlyKeys {
		if config.KeyLine(data, k) > 0 {
			return k
		}
	}
	return ""
}

// replayHelo is the EHLO name the replay's relay gives the sink listener
// named listener: that of the first path to it (relay.paths[].helo, else
// relay.hostname), else relay.hostname.
func replayHelo(sc *scenario.Scenario, cfg sink.Config, listener string) string {
	rc := sc.Relay.WithDefaults()
	for _, p := range rc.Paths {
		name, ok := relay.SinkHost(p.Host)
		if ok && (name == listener || name == "" && len(cfg.Listeners) > 0 && cfg.Listeners[0].Name == listener) {
			return p.Helo
		}
	}
	return rc.Hostname
}

// explainJSON is sink explain's --json.
type explainJSON struct {
	// Scenario is the name of the scenario whose replay's sink is
	// explained; "" for a configuration file.
	Scenario string `json:"scenario,omitempty"`
	Listener string `json:"listener"`
	Client   string `json:"client"`
	HELO     string `json:"helo"`
	From     string `json:"from"`
	Attempt  int    `json:"attempt"`
	// Notes are said before the steps: a rule that never meets the
	// relay's mail (verpSenderNotes).
	Notes []string    `json:"notes,omitempty"`
	Steps []sink.Step `json:"steps"`
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

// verpSenderNotes says of each rule whose sender: never matches the
// relay's mail under relay.dsn.verp why it does not: the relay then sends
// every message from its bounce address with the queue id and a MAC as
// the tag (bounces+ID.MAC@HOST, relay's bouncetoken.go), which does not
// hold the sender, so
// the sink cannot match the original sender either. Such a rule still
// matches mail sent to the sink directly, so it is said, not refused.
func verpSenderNotes(rc relay.Config, rules []sink.Rule) []string {
	if !rc.DSN.VERP {
		return nil
	}
	rc = rc.WithDefaults()
	// A queue id is 16 characters of lower-case base32 (relay's newID),
	// and so is the MAC after its dot.
	const sampleID = "abcdefgh234567ab.abcdefgh234567ab"
	verp := dsn.VERPAddress(rc.DSN.BounceAddress, sampleID)
	at := strings.LastIndex(rc.DSN.BounceAddress, "@")
	if at < 0 {
		return nil
	}
	shown := dsn.VERPAddress(rc.DSN.BounceAddress, "QUEUEID.MAC")
	all := rc.DSN.BounceAddress[:at] + "+*" + rc.DSN.BounceAddress[at:]
	var out []string
	for i, r := range rules {
		if r.Sender == "" || r.Sender == "<>" || r.MatchesSender(verp) {
			// "<>" matches the DSNs the relay sends, from the null sender.
			continue
		}
		named := ""
		if r.Name != "" {
			named = fmt.Sprintf(" (rule %q)", r.Name)
		}
		out = append(out, fmt.Sprintf("sink.rules[%d].sender %q%s never matches mail from the relay: with relay.dsn.verp: true the relay sends each message from %s (the tag is its queue id and a signature, not the sender, so the original sender cannot be read from it); it matches only mail sent to the sink directly. To answer the relay's mail, match its recipient, or sender: %q for all of it, or set relay.dsn.verp: false",
			i, r.Sender, named, shown, all))
	}
	return out
}
