package reports

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/relaylab/relaylab/internal/events"
)

// SkippedPath is a path of a route that a try passed over, before going
// on to the route's next path, because the relay's own shaping held it
// back (its destination resting after a 421 or rate limit, its warm-up
// cap): its relay.attempt's (or outcome's) "skipped".
type SkippedPath struct {
	Path string `json:"path"`
	// Text says why: "path primary not tried: its destination
	// path:primary rests until T after 1 failure: 421 4.3.2 ...".
	Text     string    `json:"text"`
	Until    time.Time `json:"until,omitzero"`
	Category string    `json:"category,omitempty"`
}

// DSNReport is a DSN from the receiving side that reported on a
// recipient without a failure (RFC 3464 2.3.3: delayed, delivered,
// relayed, expanded), from its relay.dsn_received event: the reply it
// gave, read from its Diagnostic-Code, and its plain reading.
type DSNReport struct {
	Time     time.Time `json:"time"`
	Action   string    `json:"action"`
	Status   string    `json:"status,omitempty"`
	Code     int       `json:"code,omitempty"`
	Enhanced string    `json:"enhanced,omitempty"`
	Text     string    `json:"text,omitempty"`
	// RemoteMTA is the server the DSN says it was trying, ReportingMTA
	// the one that wrote it.
	RemoteMTA      string    `json:"remote_mta,omitempty"`
	ReportingMTA   string    `json:"reporting_mta,omitempty"`
	WillRetryUntil time.Time `json:"will_retry_until,omitzero"`
	Reason         string    `json:"reason,omitempty"`
	Advice         string    `json:"advice,omitempty"`
}

// Reply is the report's reply as "CODE ENHANCED TEXT", or its status
// when the DSN gave no Diagnostic-Code.
func (x DSNReport) Reply() string {
	if x.Code == 0 && x.Text == "" {
		return x.Status
	}
	return Attempt{Code: x.Code, Enhanced: x.Enhanced, Text: x.Text}.Reply()
}

// short is the report's reading in a few words, for its timeline step.
func (x DSNReport) short() string {
	switch x.Action {
	case "delayed":
		return "the receiving side is still trying; no action needed unless a failed DSN follows"
	case "delivered":
		return "the receiving side reports it delivered"
	case "relayed":
		return "passed on to a system that sends no DSNs"
	case "expanded":
		return "delivered and forwarded to several addresses"
	}
	return "not a failure; the status is unchanged"
}

// addDSNReport adds the report of e, a relay.dsn_received event, to r;
// one relayed on to the sender (relayed_as) is a DSN the sender gets
// once that message is delivered (resolveDSNs).
func (r *Recipient) addDSNReport(e events.Event) {
	var p struct {
		DSNReport
		Reply     reply  `json:"reply"`
		RelayedAs string `json:"relayed_as"`
	}
	if json.Unmarshal(e.Payload, &p) != nil {
		return
	}
	x := p.DSNReport
	x.Time, x.Code, x.Enhanced, x.Text = e.Time, p.Reply.Code, p.Reply.Enhanced, p.Reply.Text
	r.DSNReports = append(r.DSNReports, x)
	r.relayedOn(p.RelayedAs, x.Status)
}

// relayedOn notes that the relay's message carrier relays on to r's
// sender a DSN about r with status (a late bounce or a report that came
// in as mail for the sender); "" is none.
func (r *Recipient) relayedOn(carrier, status string) {
	if carrier == "" {
		return
	}
	r.DSNStatus = status
	r.dsns = append(r.dsns, queuedDSN{carrier, status})
}

// addSkipHolds adds to r's holds the paths its try passed over at t when
// no attempt followed them (skipped on an outcome event): the relay's
// shaping held the recipient back there too.
func (r *Recipient) addSkipHolds(t time.Time, skipped []SkippedPath) {
	for _, s := range skipped {
		r.Holds = append(r.Holds, Hold{Time: t, Text: s.Text, Path: s.Path, Category: s.Category, Until: s.Until})
	}
}

// hasSkips reports whether a try of r passed over a path of its route.
func (r *Recipient) hasSkips() bool {
	return slices.ContainsFunc(r.Attempts, func(a Attempt) bool { return len(a.Skipped) > 0 })
}

// timelineStep is one line of a recipient's timeline, built once by
// timelineSteps and rendered as text (WriteTimeline) or HTML (htmlSteps),
// so that both show the same lines in the same order: an exchange with a
// host ("#3"), a fold of tries that repeat, a hold of the relay's shaping
// ("held", folded when in a row; also a path a try passed over), or a
// DSN ("DSN": a bounce, a delay, a success after delivery; one from the
// sender's MTA).
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
// holds of the relay's shaping, the paths of a route a try passed over
// (before the exchange that followed, saying why), the DSNs that came
// after delivery (a bounce, a delay, a success) and those from the
// sender's MTA (a delay warning between two of the sink's deferrals) are
// steps of their own, in time order, among the attempts; no fold spans
// one of them. Three or more tries in a row with
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
			if x.Category != "" && x.Category != handHold && x.Category != handRelease {
				ex = append(ex, "("+x.Category+")")
			}
			if n > 1 {
				ex = append(ex, fmt.Sprintf("(%d times from %s to %s; the last shown)", n, at(x.Time), at(y.Time)))
			}
			label, host := "held", "(the relay's shaping)"
			switch x.Category {
			case handHold:
				host = "(by hand)"
			case handRelease:
				label, host = "released", "(by hand)"
			}
			out = append(out, timelineStep{Label: label, At: at(y.Time), Path: y.Path, Host: host, Text: y.Text, Extras: ex})
			h += n
		}
	}
	// The DSNs' steps, in time order among the attempts: the sender's
	// MTA can warn of a delay (or give up) between the sink's deferrals.
	late := r.lateSteps(at)
	l := 0 // the next DSN step to show
	until := func(t time.Time) {
		for ; l < len(late) && !late[l].t.IsZero() && late[l].t.Before(t); l++ {
			holdsUntil(late[l].t, false)
			out = append(out, late[l].step)
		}
		holdsUntil(t, false)
	}
	for i := 0; i < len(r.Attempts); i++ {
		a := r.Attempts[i]
		until(a.Time)
		var stop time.Time // when the next DSN step is, which no fold spans
		if l < len(late) {
			stop = late[l].t
		}
		if f, ok := r.foldAt(tx, i, h, stop); ok {
			out = append(out, timelineStep{Fold: r.foldLine(f, try, at, tail)})
			i = r.foldEnd(f, try) - 1
			continue
		}
		for _, s := range a.Skipped {
			// Passed over before this exchange: a hold of that path, which
			// says why the try went on to the next.
			ex := []string{"(went on to path " + a.Path + ")"}
			if s.Category != "" {
				ex = append([]string{"(" + s.Category + ")"}, ex...)
			}
			out = append(out, timelineStep{Label: "held", At: at(a.Time), Path: s.Path, Host: "(the relay's shaping)", Text: s.Text, Extras: ex})
		}
		out = append(out, timelineStep{Label: fmt.Sprintf("#%d", try[i]), At: at(a.Time), Path: a.Path, Host: a.Host, Text: a.Shown(), Extras: extras(a), Note: a.WalkStopped})
	}
	for _, d := range late[l:] {
		holdsUntil(d.t, false)
		out = append(out, d.step)
	}
	holdsUntil(time.Time{}, true)
	return out
}

// lateStep is a step of a DSN, at its time t (zero: not known).
type lateStep struct {
	t    time.Time
	step timelineStep
}

// lateSteps are the steps of the DSNs about r, in time order, those
// whose time is not known last: its late bounce and the reports without
// a failure (a delay, a success), which came after r was delivered, each
// from the server that wrote it, and the DSNs from the sender's MTA,
// which can come between the sink's attempts (a delay warning).
func (r *Recipient) lateSteps(at func(time.Time) string) []lateStep {
	from := func(mta string) string {
		switch {
		case mta != "":
			return mta
		case r.fromSink:
			return "(the sink)" // its own DSN of a message it took
		}
		return "(a DSN)"
	}
	when := func(t time.Time) string {
		if t.IsZero() { // a source that does not say when it was sent
			return ""
		}
		return at(t)
	}
	var out []lateStep
	if b := r.LateBounce; b != nil {
		var ex []string
		if b.Category != "" {
			ex = append(ex, "("+b.Category+")")
		}
		out = append(out, lateStep{b.Time, timelineStep{Label: "DSN", At: when(b.Time), Host: from(b.ReportingMTA), Text: "late bounce after delivery: " + b.Reply(), Extras: ex}})
	}
	for _, x := range r.DSNReports {
		out = append(out, lateStep{x.Time, timelineStep{Label: "DSN", At: when(x.Time), Host: from(x.ReportingMTA),
			Text: x.Action + " DSN: " + x.Reply(), Extras: []string{"(" + x.short() + ")"}}})
	}
	for _, x := range r.SenderDSNs {
		// The sender's own DSN, that came back to the sink as mail.
		out = append(out, lateStep{x.Time, timelineStep{Label: "DSN", At: when(x.Time), Host: cmp.Or(x.ReportingMTA, "(the sender's MTA)"),
			Text: "DSN from the sender's MTA: " + x.Action + " " + x.Reply(), Extras: []string{"(the sink's message " + x.Message + ")"}}})
	}
	slices.SortStableFunc(out, func(a, b lateStep) int {
		if a.t.IsZero() || b.t.IsZero() {
			return cmp.Compare(btoi(a.t.IsZero()), btoi(b.t.IsZero()))
		}
		return a.t.Compare(b.t)
	})
	return out
}

// timesLegend says where the times of a timeline (+0s, +6m0s) and of
// attempt_times count from: each message's own queueing, not the start
// of the run, so a message sent at: 1m has its first attempt at +0s; on
// a sink's record, which sees no queueing, each record's first attempt.
func timesLegend(fromSink bool) string {
	if fromSink {
		return "+TIME in a timeline (+0s, +6m0s) counts from the record's first attempt, as the sink sees no queueing; attempt_times counts the same way"
	}
	return "+TIME in a timeline (+0s, +6m0s) counts from when the recipient's message was queued, not from the start of the run: " +
		"a message sent with at: 1m has its first attempt at +0s; attempt_times counts the same way"
}

// reportTimesLegend is timesLegend for a report on d: on a store no
// replay wrote (serve's, the relay's), without the scenario's words (at:,
// attempt_times), which a reader there has never met.
func reportTimesLegend(d *Data) string {
	if d.FromSink || slices.ContainsFunc(d.Recipients, func(r *Recipient) bool { return r.ScenarioMessage != "" }) {
		return timesLegend(d.FromSink)
	}
	return "+TIME in a timeline (+0s, +6m0s) counts from when the recipient's message was queued, not from a common start"
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
		// "#1 " and "DSN" fill the label's column; a longer label
		// ("held", "released") takes from its time's, so that the path,
		// host and reply columns line up with the attempts'.
		lead := fmt.Sprintf("%-*s", timelineLead, fmt.Sprintf("%-3s %s", s.Label, s.At))
		head := fmt.Sprintf("  %s %-12s %-24s ", lead, s.Path, s.Host)
		// A reply of several lines goes on under its first line's text.
		text := strings.ReplaceAll(s.Text, "\n", "\n"+strings.Repeat(" ", utf8.RuneCountInString(head)))
		fmt.Fprintf(w, "%s%s%s\n", head, text, tail)
	}
}

// timelineLead is the width of a text timeline step's label and time
// together: a label of 3 ("#1 ", "DSN"), a space, a time of 11.
const timelineLead = 3 + 1 + 11

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

// btoi is 1 for true, 0 for false.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
