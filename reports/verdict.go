package reports

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/relaylab/relaylab/internal/config"
)

// Verdict is the judged outcome of one scenario or expect file.
type Verdict struct {
	Name    string   `json:"name"`
	File    string   `json:"file,omitempty"`
	Passed  bool     `json:"passed"`
	Results []Result `json:"results"`
	Summary Summary  `json:"summary"`
	// VirtualSeconds is how much clock time a replay covered.
	VirtualSeconds float64      `json:"virtual_seconds,omitempty"`
	Recipients     []*Recipient `json:"recipients"`
	// Notes is what no expectation judges: what a sink said about the
	// recipients' addresses (a piece that looks like a directive but is
	// not one, greylist5min for greylist5m, which a passing run would
	// otherwise hide behind its 250), the sessions it refused before any
	// RCPT TO when an expectation found too few records (told once, see
	// NewVerdict), or that expect --wait ran out.
	Notes []string `json:"notes,omitempty"`
	// Error says why the file could not be judged at all (it did not
	// load, its replay reached its clock.limit or failed): the verdict
	// then has no results, and fails.
	Error string `json:"error,omitempty"`
	// FromDir says that the file was found in a directory named on the
	// command line (relaylab replay DIR, expect DIR), which does not name
	// the file: the outputs show it beside the verdict's name.
	FromDir bool `json:"-"`
	// errorLine is the line of the file that Error names first, for the
	// JUnit error case's line attribute; 0 when not known.
	errorLine int
}

// ErrorVerdict is the verdict of a file that could not be judged: every
// output says so, as a failure, so that no earlier output file stays in
// place looking green.
func ErrorVerdict(name, file string, err error) Verdict {
	if name == "" {
		name = file
	}
	// The summary of nothing, with its lists [] as every summary's, not null.
	v := Verdict{Name: name, File: file, Error: err.Error(), Results: []Result{}, Summary: Summarize(&Data{}), Recipients: []*Recipient{}}
	var ce *config.Error
	if errors.As(err, &ce) && ce.File == file {
		v.errorLine = ce.Line
	}
	return v
}

// verdictNames is each verdict's name, with its file beside it when
// another verdict has the same name (three copies of one scenario would
// otherwise give three suites that no reader can tell apart) or when the
// file was found in a directory (FromDir: nothing else says which of its
// files a name came from).
func verdictNames(vs []Verdict) []string {
	count := map[string]int{}
	for _, v := range vs {
		count[v.Name]++
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Name
		if (count[v.Name] > 1 || v.FromDir) && v.File != "" && v.File != v.Name {
			out[i] = fmt.Sprintf("%s (%s)", v.Name, v.File)
		}
	}
	return out
}

// sinkNoteRE finds a sink's note in a reply's text (sink.NotDirective):
// the piece, the address when the reply names it, and why;
// shadowedNoteRE a directive that never acts (the sink's shadowed
// note): the directive, the address, and the one before it that acts
// on every attempt, with its stage.
var (
	sinkNoteRE     = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"(?: in <([^>]*)>)? is not a directive: (.*?); taken as a plain name`)
	shadowedNoteRE = regexp.MustCompile(`directive "((?:[^"\\]|\\.)*)"(?: in <([^>]*)>)? never acts: ("(?:[^"\\]|\\.)*" comes before it for stage \S+ and acts on every attempt)`)
)

// hasSinkNote reports whether text holds a note sinkNotes reads.
func hasSinkNote(text string) bool {
	return sinkNoteRE.MatchString(text) || shadowedNoteRE.MatchString(text)
}

// sinkNotes collects the sink's notes from the replies of rs's attempts
// and from extra (the sink's own record of each recipient's reply, which
// has the notes that the reply after the final dot folds into "and N
// more"), once each, naming the address each is about, in the order of
// rs's recipients.
func sinkNotes(rs []*Recipient, extra []SinkAttempt) []string {
	var out []string
	seen := map[string]bool{}
	add := func(text, rcpt string) {
		note := func(n string) {
			if k := strings.ToLower(n); !seen[k] {
				seen[k] = true
				out = append(out, n)
			}
		}
		for _, m := range sinkNoteRE.FindAllStringSubmatch(text, -1) {
			note(fmt.Sprintf(`sink: "%s" in %s is not a directive: %s; taken as a plain name`, m[1], cmp.Or(m[2], rcpt), m[3]))
		}
		for _, m := range shadowedNoteRE.FindAllStringSubmatch(text, -1) {
			note(fmt.Sprintf(`sink: directive "%s" in %s never acts: %s`, m[1], cmp.Or(m[2], rcpt), m[3]))
		}
	}
	byAddr := map[string][]string{}
	for _, a := range extra {
		k := strings.ToLower(a.Recipient)
		byAddr[k] = append(byAddr[k], a.Text)
	}
	for _, r := range rs {
		for _, a := range r.Attempts {
			add(a.Text, r.Address)
		}
		k := strings.ToLower(r.Address)
		for _, t := range byAddr[k] {
			add(t, r.Address)
		}
		delete(byAddr, k)
	}
	for _, a := range extra { // addresses no recipient of rs has
		if _, ok := byAddr[strings.ToLower(a.Recipient)]; ok {
			add(a.Text, a.Recipient)
		}
	}
	return out
}

// verdictSinkNotes are the sink's notes a verdict on d carries: on a
// replay's record, which is the scenario's mail alone, all of them; on a
// sink's record (expect), which may hold the mail of every test that
// used the sink, those of the records results' expectations matched
// (Result.noted), then a line that counts the others and says where
// they are listed.
func (d *Data) verdictSinkNotes(results []Result) []string {
	all := sinkNotes(d.Recipients, d.sinkNotes)
	if !d.FromSink || len(all) == 0 {
		return all
	}
	noted := map[*Recipient]bool{}
	addrs := map[string]bool{}
	for _, res := range results {
		for _, r := range res.noted {
			noted[r] = true
			addrs[strings.ToLower(r.Address)] = true
		}
	}
	var rs []*Recipient // in d's order, as all has them
	for _, r := range d.Recipients {
		if noted[r] {
			rs = append(rs, r)
		}
	}
	var extra []SinkAttempt
	for _, a := range d.sinkNotes {
		if addrs[strings.ToLower(a.Recipient)] {
			extra = append(extra, a)
		}
	}
	own := sinkNotes(rs, extra)
	if n := len(all) - len(own); n > 0 {
		own = append(own, fmt.Sprintf("sink: %d more near-miss %s in the store, in records these expectations did not match: relaylab report lists %s",
			n, plural(n, "directive", "directives"), plural(n, "it", "them")))
	}
	return own
}

// AddSinkNotes gives d the replies a sink recorded for each recipient,
// from which a verdict takes the sink's notes on their addresses (the
// relay's record of a reply after the final dot has one recipient's
// note, and "and N more" for the others').
func (d *Data) AddSinkNotes(atts []SinkAttempt) {
	for _, a := range atts {
		if hasSinkNote(a.Text) {
			d.sinkNotes = append(d.sinkNotes, SinkAttempt{Recipient: a.Recipient, Text: a.Text})
		}
	}
}

// NewVerdict judges d against results. When a result's failure refers
// to the sessions a sink refused before any RCPT TO (an expectation that
// found too few records), the verdict says the whole of it once, as a
// note: each such failure refers to it in a few words.
//
// The sink's notes on addresses (a near-miss directive such as
// greylist5min) are, on a sink's record, those of the records the
// expectations matched (verdictSinkNotes): a store that expect reads may
// hold every test's mail.
func NewVerdict(name, file string, d *Data, results []Result) Verdict {
	v := Verdict{Name: name, File: file, Passed: true, Results: results, Summary: Summarize(d), Recipients: d.Recipients, Notes: d.verdictSinkNotes(results)}
	for _, r := range results {
		v.Passed = v.Passed && r.Pass
	}
	// The sink's early refusals are told once, whatever the number of
	// expectations whose failures refer to them.
	if slices.ContainsFunc(results, func(r Result) bool { return r.earlyRefusals }) {
		v.Notes = append(v.Notes, d.earlyRefusalRunNote())
	}
	// The relay's suppressions of the addresses the expectations match:
	// a pass may rest on an earlier run's records.
	v.Notes = append(v.Notes, d.suppressedNotes(results)...)
	if v.Recipients == nil {
		v.Recipients = []*Recipient{}
	}
	return v
}

// WriteVerdicts prints each verdict: PASS or FAIL per expectation, with the
// failure messages, then a one-line total.
//
// Replies and addresses come from whoever sent or answered the mail:
// control characters in them are shown escaped, not obeyed by the
// terminal.
func WriteVerdicts(w io.Writer, vs []Verdict) {
	writeShown(w, func(w io.Writer) error { writeVerdicts(w, vs); return nil })
}

func writeVerdicts(w io.Writer, vs []Verdict) {
	pass, fail, errs := 0, 0, 0
	names := verdictNames(vs)
	for i, v := range vs {
		if v.Error != "" {
			errs++
			fmt.Fprintf(w, "ERROR %s: not judged\n", names[i])
			for _, line := range strings.Split(v.Error, "\n") {
				fmt.Fprintf(w, "        %s\n", line)
			}
			continue
		}
		status := "PASS"
		if !v.Passed {
			status = "FAIL"
		}
		s := v.Summary
		fmt.Fprintf(w, "%s %s: %s, %s", status, names[i], s.countedRecords(), counted(s.Attempts, "attempt"))
		for _, c := range s.ByStatus {
			fmt.Fprintf(w, ", %d %s", c.Count, c.Key)
		}
		if apart := s.apartNote(); apart != "" {
			fmt.Fprintf(w, "; %s", apart)
		}
		fmt.Fprintln(w)
		for _, n := range v.Notes {
			fmt.Fprintf(w, "  note  %s\n", n)
		}
		if showsTimeline(v.Results) {
			fmt.Fprintf(w, "  times %s\n", timesLegend(s.FromSink))
		}
		for _, r := range v.Results {
			if r.Pass {
				pass++
				fmt.Fprintf(w, "  ok    %s\n", r.Name)
				continue
			}
			fail++
			// Where the expectation is written, for the reader and for a
			// CI problem matcher (FILE:LINE).
			fmt.Fprintf(w, "  FAIL  %s%s\n", r.Name, whereNote(r))
			for _, line := range strings.Split(r.Message, "\n") {
				fmt.Fprintf(w, "        %s\n", line)
			}
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed", pass, fail)
	if errs > 0 {
		fmt.Fprintf(w, ", %s not judged", counted(errs, "file"))
	}
	fmt.Fprintln(w)
}

// showsTimeline reports whether a failure of rs shows a timeline, whose
// times the verdict then says where they count from (timesLegend).
func showsTimeline(rs []Result) bool {
	return slices.ContainsFunc(rs, func(r Result) bool { return !r.Pass && strings.Contains(r.Message, "timeline:\n") })
}

// WriteVerdictsMarkdown writes the verdicts for a CI job's summary page
// (GitHub's $GITHUB_STEP_SUMMARY): a table of the scenarios, then each
// failed expectation with its message in a code block, with control
// characters escaped as WriteVerdicts does.
func WriteVerdictsMarkdown(w io.Writer, vs []Verdict) error {
	return writeShown(w, func(w io.Writer) error { return writeVerdictsMarkdown(w, vs) })
}

// verdictTally counts the expectations that passed and failed, and the
// files that could not be judged; head is "passed" when none failed and
// every file was judged, "failed" otherwise, and line says it all as
// "expectations: 3 passed, 1 failed; 1 file not judged".
func verdictTally(vs []Verdict) (head, line string) {
	pass, fail, errs := 0, 0, 0
	for _, v := range vs {
		if v.Error != "" {
			errs++
		}
		for _, r := range v.Results {
			if r.Pass {
				pass++
			} else {
				fail++
			}
		}
	}
	head = "passed"
	if fail > 0 || errs > 0 {
		head = "failed"
	}
	line = fmt.Sprintf("expectations: %d passed, %d failed", pass, fail)
	if errs > 0 {
		line += fmt.Sprintf("; %s not judged", counted(errs, "file"))
	}
	return head, line
}

func writeVerdictsMarkdown(w io.Writer, vs []Verdict) error {
	names := verdictNames(vs)
	head, line := verdictTally(vs)
	fmt.Fprintf(w, "## relaylab verdicts: %s\n\n%s\n\n", head, line)
	// On a sink's record (relaylab expect) the count is of records.
	noun := "recipients"
	if slices.ContainsFunc(vs, func(v Verdict) bool { return v.Summary.FromSink }) {
		noun = "records"
	}
	fmt.Fprintf(w, "| scenario or expect file | verdict | expectations | %s | attempts | by status |\n| --- | --- | ---: | ---: | ---: | --- |\n", noun)
	for i, v := range vs {
		verdict := "✅ pass"
		switch {
		case v.Error != "":
			verdict = "⚠️ not judged"
		case !v.Passed:
			verdict = "❌ fail"
		}
		var status []string
		for _, c := range v.Summary.ByStatus {
			status = append(status, fmt.Sprintf("%d %s", c.Count, c.Key))
		}
		if apart := v.Summary.apartNote(); apart != "" {
			status = append(status, apart)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %s |\n", mdEscape(names[i]), verdict, len(v.Results), v.Summary.Recipients, v.Summary.Attempts, mdEscape(strings.Join(status, ", ")))
	}
	for i, v := range vs {
		if v.Error != "" {
			fmt.Fprintf(w, "\n### ⚠️ %s: not judged\n\n%s\n", mdEscape(names[i]), mdFence(v.Error))
		}
		if len(v.Notes) > 0 {
			fmt.Fprintf(w, "\n### ⚠️ %s: notes\n\n", mdEscape(names[i]))
			for _, n := range v.Notes {
				fmt.Fprintf(w, "- %s\n", mdEscape(n))
			}
		}
	}
	for i, v := range vs {
		if showsTimeline(v.Results) {
			fmt.Fprintf(w, "\n%s: %s.\n", mdEscape(names[i]), mdEscape(timesLegend(v.Summary.FromSink)))
		}
		for _, r := range v.Results {
			if r.Pass {
				continue
			}
			fmt.Fprintf(w, "\n### ❌ %s: %s\n\n", mdEscape(names[i]), mdEscape(r.Name))
			if at := r.Where(); at != "" {
				fmt.Fprintf(w, "at %s\n\n", mdEscape(at))
			}
			fmt.Fprintf(w, "%s\n", mdFence(r.Message))
		}
	}
	return nil
}

// mdFence is text in a code block, its fence longer than any run of
// backticks in text.
func mdFence(text string) string {
	fence := "```"
	for strings.Contains(text, fence) {
		fence += "`"
	}
	return fence + "\n" + text + "\n" + fence
}

// VerdictsSchema names the layout of WriteVerdictsJSON's document, as
// probe's JSON names its own (probe.SchemaVersion): keys are only ever
// added within it; a key that changes meaning makes a new one.
const VerdictsSchema = "relaylab.verdicts/v1"

// WriteVerdictsJSON writes the verdicts as one JSON document: "schema"
// (VerdictsSchema), "passed" (every verdict passed and every file was
// judged) and "verdicts", each a Verdict with its "results".
func WriteVerdictsJSON(w io.Writer, vs []Verdict) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Schema   string    `json:"schema"`
		Passed   bool      `json:"passed"`
		Verdicts []Verdict `json:"verdicts"`
	}{VerdictsSchema, allPassed(vs), vs})
}

// WriteVerdictsJUnit writes one suite per verdict, one case per
// expectation, with the file and line of its expectation and a time of 0
// (junitTime); the sink's notes are in each case's system-out and the
// suite's properties (the one on the sink's early refusals in the
// suite's system-out instead of the cases'), and a file that could not
// be judged is one case with an error ("load and judge FILE", for a
// replay and an expect file alike), at the file and line of its first
// error. The note of an expect --wait that ran out ends each failure's
// text too. A failure that shows a timeline ends with a "times:" line that
// says what its +TIME counts from, as the text output does above it.
// Each case's
// classname is "relaylab." and the verdict's name with its dots made _:
// Jenkins splits a classname at its last dot into a package and a class,
// which would make "relaylab.greylisting (sc/grey" and "yaml)" of
// "greylisting (sc/grey.yaml)". The suite keeps the name as it is.
func WriteVerdictsJUnit(w io.Writer, vs []Verdict) error {
	var suites []JUnitSuite
	for i, name := range verdictNames(vs) {
		v := vs[i]
		s := JUnitSuite{Name: name, Time: junitTime}
		class := "relaylab." + strings.ReplaceAll(name, ".", "_")
		if v.Error != "" {
			first, _, _ := strings.Cut(v.Error, "\n")
			s.Cases = append(s.Cases, JUnitCase{Name: "load and judge " + v.File, Classname: class, File: v.File, Line: v.errorLine, Time: junitTime, Error: &JUnitFailure{Message: first, Text: v.Error}})
		}
		// The notes are in each case's system-out, where CI readers show
		// them beside the case, but the one on the sink's early refusals:
		// the run's, said once in the suite's system-out, which the
		// failures that need it refer to.
		var caseNotes, failureNotes []string
		if len(v.Notes) > 0 {
			s.Properties = &JUnitProperties{}
			for _, n := range v.Notes {
				s.Properties.Property = append(s.Properties.Property, JUnitProperty{Name: "note", Value: n})
				if isEarlyNote(n) {
					s.SystemOut = n
				} else {
					caseNotes = append(caseNotes, n)
				}
				if isWaitNote(n) {
					failureNotes = append(failureNotes, n)
				}
			}
		}
		notes := strings.Join(caseNotes, "\n")
		for _, r := range v.Results {
			c := JUnitCase{Name: r.Name, Classname: class, File: r.File, Line: r.Line, Time: junitTime, SystemOut: notes}
			if !r.Pass {
				first, _, _ := strings.Cut(r.Message, "\n")
				first = strings.TrimSuffix(first, "; timeline:") // the timeline is in the text
				c.Failure = &JUnitFailure{Message: first, Text: r.Message}
				if showsTimeline([]Result{r}) {
					// The failure's text is what CI pages show of a case
					// (Jenkins' stack trace, GitLab's system output, the
					// GitHub reporters' details), not the suite's
					// system-out: the legend of its +TIME goes there, as
					// the text output's "times" line.
					c.Failure.Text = strings.TrimRight(r.Message, "\n") + "\ntimes: " + timesLegend(v.Summary.FromSink)
				}
				// An expect --wait that ran out: a longer one might have
				// turned the failure, which its text must say.
				for _, n := range failureNotes {
					c.Failure.Text = strings.TrimRight(c.Failure.Text, "\n") + "\nnote: " + n
				}
			}
			s.Cases = append(s.Cases, c)
		}
		suites = append(suites, s)
	}
	return WriteJUnitSuites(w, suites)
}

// WriteVerdictsHTML writes the overall result, then for each verdict its
// results, the notes on it and its report; a file that could not be
// judged has its error alone.
func WriteVerdictsHTML(w io.Writer, vs []Verdict) error {
	var secs []htmlSection
	names := verdictNames(vs)
	for i, v := range vs {
		if v.Error != "" {
			secs = append(secs, htmlSection{Name: names[i], File: v.File, NotJudged: v.Error})
			continue
		}
		d := &Data{Recipients: v.Recipients, FromSink: v.Summary.FromSink, RelayMail: v.Summary.RelayMail}
		for _, r := range v.Recipients {
			for _, t := range append([]Attempt{{Time: r.Queued}}, r.Attempts...) {
				if d.First.IsZero() || t.Time.Before(d.First) {
					d.First = t.Time
				}
				if t.Time.After(d.Last) {
					d.Last = t.Time
				}
			}
		}
		sec := newSection(names[i], v.Results, d)
		sec.File, sec.Notes = v.File, v.Notes
		// The note of an empty store tells how to record mail with
		// serve; a verdict's results say what was missing.
		sec.EmptyNote = ""
		secs = append(secs, sec)
	}
	head, line := verdictTally(vs)
	return writeHTMLSections(w, htmlView{Title: "relaylab verdicts", Overall: "relaylab verdicts: " + head + "; " + line, Failed: head != "passed", Sections: secs})
}

// whereNote is " (FILE:LINE)" of r's expectation, "" when not known.
func whereNote(r Result) string {
	if at := r.Where(); at != "" {
		return " (" + at + ")"
	}
	return ""
}

func allPassed(vs []Verdict) bool {
	for _, v := range vs {
		if !v.Passed || v.Error != "" {
			return false
		}
	}
	return true
}
