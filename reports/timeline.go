package reports

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// timelineStep is one line of a recipient's timeline, built once by
// timelineSteps and rendered as text (WriteTimeline) or HTML (htmlSteps),
// so that both show the same lines in the same order: an exchange with a
// host ("#3"), a fold of tries that repeat, a hold of the relay's shaping
// ("held", folded when in a row) or a bounce after delivery ("DSN").
type timelineStep struct {
	Label string // "#3", "held", "DSN"; "" for a fold
	At    string // "+5m0s", relative to queueing
	Path  string
	Host  string // the host, "(the relay's shaping)", or the DSN's writer
	Text  string // the reply, the hold's text, or the late bounce's
	// Extras follow Text: "(by rule ...)", "[TLS 1.3]", the sink's
	// checks, a hold's category and its count.
	Extras []string
	// Note is why the walk down the MX hosts stopped at this host.
	Note string
	// Fold is a fold's whole line (see foldLine).
	Fold string
}

// timelineSteps are r's timeline: one step per exchange with a host,
// numbered by its delivery try, with times relative to queueing; the
// holds of the relay's shaping and a bounce that came after delivery are
// steps of their own, in time order. Three or more tries in a row with
// the same hosts and replies are one step ("#4-#110 ... (107 times)"),
// and so are three or more turns of a cycle of tries ("(alternating, 120
// times each)", see foldAt); holds in a row for the same path and
// category are one, the last shown with their count and span.
func (r *Recipient) timelineSteps() []timelineStep {
	try := r.tryNumbers()
	tx := r.tryIndex()
	at := func(t time.Time) string { return "+" + t.Sub(r.Queued).Round(time.Second).String() }
	extras := func(a Attempt) []string {
		var out []string
		if a.By != "" {
			out = append(out, "(by "+a.By+")")
		}
		if a.TLS != "" {
			out = append(out, "["+a.TLS+"]")
		}
		if a.Auth != nil {
			out = append(out, "["+a.Auth.String()+"]")
		}
		return out
	}
	tail := func(a Attempt) string { // a fold's: its note inline
		s := extras(a)
		if a.WalkStopped != "" {
			s = append(s, "(note: "+a.WalkStopped+")")
		}
		if len(s) == 0 {
			return ""
		}
		return "  " + strings.Join(s, "  ")
	}
	var out []timelineStep
	h := 0 // the next hold to show
	holdsUntil := func(t time.Time, last bool) {
		for h < len(r.Holds) && (last || r.Holds[h].Time.Before(t)) {
			x := r.Holds[h]
			// Holds in a row for the same path and reason are one step:
			// a destination that rests again and again holds its mail
			// as many times.
			n := 1
			for h+n < len(r.Holds) && (last || r.Holds[h+n].Time.Before(t)) && r.Holds[h+n].Path == x.Path && r.Holds[h+n].Category == x.Category {
				n++
			}
			y := r.Holds[h+n-1]
			var ex []string
			if x.Category != "" {
				ex = append(ex, "("+x.Category+")")
			}
			if n > 1 {
				ex = append(ex, fmt.Sprintf("(%d times from %s to %s; the last shown)", n, at(x.Time), at(y.Time)))
			}
			out = append(out, timelineStep{Label: "held", At: at(y.Time), Path: y.Path, Host: "(the relay's shaping)", Text: y.Text, Extras: ex})
			h += n
		}
	}
	for i := 0; i < len(r.Attempts); i++ {
		a := r.Attempts[i]
		holdsUntil(a.Time, false)
		if f, ok := r.foldAt(tx, i, h); ok {
			out = append(out, timelineStep{Fold: r.foldLine(f, try, at, tail)})
			i = r.foldEnd(f, try) - 1
			continue
		}
		out = append(out, timelineStep{Label: fmt.Sprintf("#%d", try[i]), At: at(a.Time), Path: a.Path, Host: a.Host, Text: a.Shown(), Extras: extras(a), Note: a.WalkStopped})
	}
	if b := r.LateBounce; b != nil {
		holdsUntil(b.Time, false)
		from := b.ReportingMTA
		switch {
		case from != "":
		case r.fromSink:
			from = "(the sink)" // its own DSN of a message it took
		default:
			from = "(a DSN)"
		}
		var ex []string
		if b.Category != "" {
			ex = append(ex, "("+b.Category+")")
		}
		when := ""
		if !b.Time.IsZero() { // a source that does not say when it was sent
			when = at(b.Time)
		}
		out = append(out, timelineStep{Label: "DSN", At: when, Host: from, Text: "late bounce after delivery: " + b.Reply(), Extras: ex})
	}
	holdsUntil(time.Time{}, true)
	return out
}

// WriteTimeline prints r's timeline (see timelineSteps), one line per
// step, in columns; an attempt over TLS ends with its version ("[TLS
// 1.3]"), and the last host of a try that a cap of the path stopped says
// so ("(note: the walk down the MX hosts stopped at ...)"). The JSON
// keeps every attempt and hold.
func WriteTimeline(w io.Writer, r *Recipient) {
	for _, s := range r.timelineSteps() {
		if s.Fold != "" {
			fmt.Fprintf(w, "  %s\n", s.Fold)
			continue
		}
		ex := s.Extras
		if s.Note != "" {
			ex = append(ex[:len(ex):len(ex)], "(note: "+s.Note+")")
		}
		tail := ""
		if len(ex) > 0 {
			tail = "  " + strings.Join(ex, "  ")
		}
		// "#1 " and "DSN" fill the label's column; "held" is one wider,
		// and its time one narrower, so that the path, host and reply
		// columns line up with the attempts'.
		label, when := fmt.Sprintf("%-3s", s.Label), fmt.Sprintf("%-11s", s.At)
		if len(s.Label) > 3 && len(s.At) < 11 {
			when = fmt.Sprintf("%-10s", s.At)
		}
		head := fmt.Sprintf("  %s %s %-12s %-24s ", label, when, s.Path, s.Host)
		// A reply of several lines goes on under its first line's text.
		text := strings.ReplaceAll(s.Text, "\n", "\n"+strings.Repeat(" ", utf8.RuneCountInString(head)))
		fmt.Fprintf(w, "%s%s%s\n", head, text, tail)
	}
}

// htmlStep is one line of a recipient's timeline in the HTML report.
type htmlStep struct{ Code, Note string }

// htmlSteps are r's timeline steps (see timelineSteps) as the HTML
// report shows them: the same lines, in the same order and folded alike,
// as the text's timeline, a step's fields a space apart.
func htmlSteps(r *Recipient) []htmlStep {
	var out []htmlStep
	for _, s := range r.timelineSteps() {
		if s.Fold != "" {
			out = append(out, htmlStep{Code: s.Fold})
			continue
		}
		parts := []string{s.Label, s.At, s.Path, s.Host, s.Text}
		if s.Label == "held" || s.Label == "DSN" {
			parts = []string{s.Label, s.At}
			for _, p := range []string{s.Path, s.Host, s.Text} {
				if p != "" {
					parts = append(parts, p)
				}
			}
		}
		out = append(out, htmlStep{Code: strings.Join(append(parts, s.Extras...), " "), Note: s.Note})
	}
	return out
}
