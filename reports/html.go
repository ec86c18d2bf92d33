package reports

import (
	"fmt"
	"html/template"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// WriteHTML writes a self-contained HTML report (no script, no external
// resources, and a Content-Security-Policy that allows neither) with SVG
// charts: deliveries over time, attempts per recipient and bounce
// categories. It starts with a table of contents whose links go to the
// summary, the charts, the count tables and the recipients grouped by
// outcome (those not delivered first), with each group's count; their
// anchors' ids are fixed words ("summary", "recipients-bounced"), never
// a value from mail. Every value from mail is escaped by html/template,
// and its control and bidirectional characters are shown as escapes
// (see writeShown). On a sink's record the summary and the list count
// records ("Records"), and the DSNs from the sender's MTA apart, as
// WriteText does.
func WriteHTML(w io.Writer, d *Data) error {
	return writeHTMLSections(w, htmlView{Title: "relaylab report", Sections: []htmlSection{newSection("", nil, d)}})
}

type htmlView struct {
	Title string
	// Overall is the verdicts' result in one line, "" for a report.
	Overall  string
	Failed   bool
	Sections []htmlSection
}

type htmlSection struct {
	// ID is the section's anchor and the prefix of its parts' (see
	// anchor): "" for a report's one section, "s1", "s2" for the
	// verdicts' sections, by their place.
	ID   string
	Name string
	// File is the scenario or expect file of a verdict's section.
	File       string
	Results    []Result
	S          Summary
	Recipients []*Recipient
	Timeline   template.HTML
	Attempts   template.HTML
	Categories template.HTML
	// SinkNote says what a report on a sink-only store shows.
	SinkNote string
	// Times says where the times of the recipients' timelines count
	// from (timesLegend).
	Times string
	// Uncategorized counts recipients not delivered that have no
	// category (no attempt ended, or on a sink's record the last attempt
	// got no refusal to classify).
	Uncategorized int
	// TimeToDelivery names the time to delivery's line ("Time to
	// delivery"), "" when it has none (see timeToDelivery).
	TimeToDelivery string
	// EmptyNote says what to do when nothing has been recorded.
	EmptyNote string
	// NotJudged is why a verdict's file could not be judged (it did not
	// load, its replay failed): the section then shows that alone.
	NotJudged string
	// Notes are what a verdict's expectations do not judge (see
	// Verdict.Notes).
	Notes []string
	// Groups are the recipients by outcome, in the order the contents
	// and the page give them (see outcomeGroups).
	Groups []htmlGroup
	// Noun is what the section's records are called ("recipient", or
	// on a sink's record "record": Summary.recordNoun), and Heading the
	// title of their list ("Recipients", "Records").
	Noun, Heading string
	// SenderDSNMail says how many DSNs from the sender's MTA reached a
	// sink as mail, which Recipients leaves out, and why (see
	// Summary.senderDSNMailNote); "" for none.
	SenderDSNMail string
	// SinkDSNMail says the same of the sink's own DSNs that came back
	// to it (Summary.sinkDSNMailNote).
	SinkDSNMail string
}

// htmlGroup is the recipients of one outcome: a status, or "delivered,
// then bounced late" apart from delivered.
type htmlGroup struct {
	// Part is the group's anchor within its section: "recipients-"
	// and a fixed word, never a value from mail.
	Part       string
	Label      string
	Class      string
	Recipients []*Recipient
}

// notDeliveredOrder and deliveredOrder are the order of the outcome
// groups: not delivered first, the worst first, then a status in
// neither (a store from a later relaylab, or a hostile one) by name,
// then those delivered, then bounced late, and those delivered.
var (
	notDeliveredOrder = []string{"bounced", "expired", "suppressed", "deferred", "held", "queued"}
	deliveredOrder    = []string{bouncedLateGroup, "delivered"}
)

// bouncedLateGroup is the group of recipients delivered, then bounced
// late (bouncedLate).
const bouncedLateGroup = "delivered-bounced-late"

// outcomeGroups groups rs by outcome, each group in rs's order. A status
// that is not a known word gets the anchor recipients-other (-2, -3...):
// a status a hostile store made up is shown escaped, never in an id.
func outcomeGroups(rs []*Recipient) []htmlGroup {
	by := map[string][]*Recipient{}
	for _, r := range rs {
		k := r.Status
		if r.bouncedLate() {
			k = bouncedLateGroup
		}
		by[k] = append(by[k], r)
	}
	var out []htmlGroup
	known := func(order []string) {
		for _, k := range order {
			if g := by[k]; len(g) > 0 {
				label, class := k, k
				if k == bouncedLateGroup {
					label, class = "delivered, then bounced late", "bounced"
				}
				out = append(out, htmlGroup{Part: "recipients-" + k, Label: label, Class: class, Recipients: g})
			}
		}
	}
	known(notDeliveredOrder)
	var other []string
	for k := range by {
		if !slices.Contains(notDeliveredOrder, k) && !slices.Contains(deliveredOrder, k) {
			other = append(other, k)
		}
	}
	sort.Strings(other)
	for i, k := range other {
		part := "recipients-other"
		if i > 0 {
			part += fmt.Sprintf("-%d", i+1)
		}
		out = append(out, htmlGroup{Part: part, Label: k, Recipients: by[k]})
	}
	known(deliveredOrder)
	return out
}

// anchor is the id of a section's part: the part alone in a report's
// one section, prefixed with the section's id in the verdicts'.
func anchor(section, part string) string {
	if section == "" {
		return part
	}
	if part == "" {
		return section
	}
	return section + "-" + part
}

// tally is how many of a section's expectations passed and failed:
// "3 passed, 1 failed".
func tally(rs []Result) string {
	pass := 0
	for _, r := range rs {
		if r.Pass {
			pass++
		}
	}
	return fmt.Sprintf("%d passed, %d failed", pass, len(rs)-pass)
}

func newSection(name string, results []Result, d *Data) htmlSection {
	s := Summarize(d)
	rs := records(d.Recipients)
	sec := htmlSection{Name: name, Results: results, S: s, Recipients: rs, Timeline: overTimeSVG(d), Attempts: attemptsSVG(rs), Categories: barsSVG(s.ByCategory, "#c0392b"),
		Groups: outcomeGroups(rs), Noun: s.recordNoun(), Heading: "Recipients", SenderDSNMail: s.senderDSNMailNote(), SinkDSNMail: s.sinkDSNMailNote()}
	if s.FromSink {
		sec.Heading = "Records"
	}
	if sinkOnly(d, s) {
		sec.SinkNote = sinkOnlyNote(d)
	}
	if len(rs) > 0 {
		sec.Times = reportTimesLegend(d)
		if results != nil {
			// A verdict's: expectations speak of at: and attempt_times.
			sec.Times = timesLegend(d.FromSink)
		}
	}
	if name, ok := timeToDelivery(d, s); ok {
		sec.TimeToDelivery = strings.ToUpper(name[:1]) + name[1:]
	}
	if empty(s) {
		sec.EmptyNote = emptyNote
	}
	for _, r := range rs {
		if r.Status != "delivered" && r.Category == "" {
			sec.Uncategorized++
		}
	}
	return sec
}

// writeHTMLSections writes view, its sections given their ids: none
// for a report's one unnamed section, s1, s2... for the verdicts'.
func writeHTMLSections(w io.Writer, view htmlView) error {
	for i := range view.Sections {
		if len(view.Sections) > 1 || view.Sections[i].Name != "" {
			view.Sections[i].ID = fmt.Sprintf("s%d", i+1)
		}
	}
	return writeShown(w, func(w io.Writer) error { return htmlReport.Execute(w, view) })
}

var htmlReport = template.Must(template.New("report").Funcs(template.FuncMap{
	// ms: the summary holds float milliseconds, which the template would
	// print with an exponent (1.908954264e+06).
	"ms": ms,
	// counted is "1 recipient", "2 recipients".
	"counted": counted,
	// steps are r's timeline as the text shows it: attempts, holds and
	// a late bounce in time order, repeats folded (timelineSteps).
	"steps": htmlSteps,
	// reason and advice are a recipient's, as why gives them.
	"reason": func(r *Recipient) string { s, _ := r.why(); return s },
	"advice": func(r *Recipient) string { _, s := r.why(); return s },
	// sessionsOpen and openNote say how many of the sink's sessions have
	// no end recorded, and what that does to its replies' counts.
	"sessionsOpen": sinkSessionsOpen,
	"openNote":     sinkOpenNote,
	// earlier is a delivered recipient's earlier deferral.
	"earlier":        (*Recipient).earlier,
	"beforeDelivery": (*Recipient).beforeDelivery,
	// state is a recipient's status as its heading shows it (held).
	"state": (*Recipient).state,
	// copies and copiesAdvice tell of a message the receiving side
	// holds more than once; unanswered, of the sink's messages stored
	// with no reply to their final dot.
	"copies":       func(r *Recipient) string { n, _ := r.copiesNote(); return n },
	"copiesAdvice": func(r *Recipient) string { _, a := r.copiesNote(); return a },
	"unanswered":   func(s Summary) string { return sinkUnansweredNote(s.sinkUnanswered) },
	// lastReply is the reply a recipient not delivered ended on (a late
	// bounce's, after the reply it followed), with what chose it on a
	// sink's record, as the Markdown's "last reply" column gives it: the
	// advice says to read it, and the attempts are folded away.
	"lastReply": (*Recipient).outcomeReplyBy,
	// ident is "message N", or "session N" for a sink's recipient
	// refused before the data.
	"ident": (*Recipient).ident,
	// unsent and unsentAdvice say what became of a late bounce the sink
	// did not send.
	"unsent":       func(r *Recipient) string { s, _ := r.unsentBounce(); return s },
	"unsentAdvice": func(r *Recipient) string { _, s := r.unsentBounce(); return s },
	"notSentNote":  func() string { return bouncesNotSentNote },
	// otherSenders counts the sink's records of mail from other senders
	// than the relay, which the HTML does not list.
	"otherSenders": func(s Summary) string { return s.otherSenders(otherSendersWhere) },
	// anchor is the id of a section's part; tally counts its
	// expectations passed and failed.
	"anchor": anchor,
	"tally":  tally,
	// bouncedLate, lateReply and lateMeaning say of a recipient
	// delivered, then bounced late, that it was, the bounce's reply, and
	// what it means.
	"bouncedLate": (*Recipient).bouncedLate,
	"lateReply":   func(r *Recipient) string { return r.LateBounce.Reply() },
	"lateMeaning": (*Recipient).lateBounceMeaning,
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}.delivered{color:#1e7e34}.bounced,.expired{color:#c0392b}.deferred,.queued{color:#b7791f}.suppressed{color:#666}
.grid{display:flex;flex-wrap:wrap;gap:1.5rem}.grid>div{flex:1 1 320px}svg text{font-size:11px}
code,pre{font-size:12px}code{white-space:pre-line}pre{white-space:pre-wrap;margin:.2rem 0}details{margin:.2rem 0}
nav ul{margin:.2rem 0;padding-left:1.2rem}nav li{margin:.1rem 0}
</style></head><body>
<h1>{{.Title}}</h1>
{{with .Overall}}<p><strong class="{{if $.Failed}}bounced{{else}}delivered{{end}}">{{.}}</strong></p>{{end}}
<nav id="contents" aria-label="contents"><h2>Contents</h2><ul>
{{range .Sections}}{{$id := .ID}}{{if .ID}}<li><a href="#{{.ID}}">{{or .Name .ID}}</a>{{if .NotJudged}} (not judged)</li>{{else}}<ul>{{end}}{{end}}
{{if not .NotJudged}}{{if .Results}}<li><a href="#{{anchor $id "results"}}">expectations</a>: {{tally .Results}}</li>
{{end}}<li><a href="#{{anchor $id "summary"}}">Summary</a></li>
<li><a href="#{{anchor $id "charts"}}">Charts</a></li>
<li>Counts: <a href="#{{anchor $id "by-status"}}">by status</a>, <a href="#{{anchor $id "by-path"}}">by path</a>, <a href="#{{anchor $id "by-domain"}}">by domain</a> ({{counted (len .S.ByDomain) "domain"}}), <a href="#{{anchor $id "by-code"}}">by reply code</a>{{if .S.SinkReplies}}, <a href="#{{anchor $id "sink-replies"}}">sink replies</a>{{end}}</li>
<li><a href="#{{anchor $id "recipients"}}">{{.Heading}}</a> ({{len .Recipients}}){{range $i, $g := .Groups}}{{if $i}},{{else}}:{{end}} <a href="#{{anchor $id $g.Part}}">{{len $g.Recipients}} {{$g.Label}}</a>{{end}}</li>
{{if .ID}}</ul></li>{{end}}{{end}}
{{end}}</ul></nav>
{{range .Sections}}{{$id := .ID}}{{$noun := .Noun}}<section{{with .ID}} id="{{.}}"{{end}}>
{{if .Name}}<h2>{{.Name}}</h2>{{end}}
{{with .File}}<p><small>file: {{.}}</small></p>{{end}}
{{if .NotJudged}}<p><strong class="deferred">⚠️ not judged</strong>: the file could not be loaded or replayed, so none of its expectations was judged.</p><pre>{{.NotJudged}}</pre>{{else}}
{{with .Notes}}<h3>Notes</h3><ul>{{range .}}<li class="deferred">{{.}}</li>{{end}}</ul>{{end}}
{{if .Results}}<table id="{{anchor $id "results"}}"><tr><th>expectation</th><th>result</th></tr>{{range .Results}}<tr><td>{{.Name}}{{with .Where}}<br><small>{{.}}</small>{{end}}</td><td>{{if .Pass}}<span class="delivered">pass</span>{{else}}<span class="bounced">FAIL</span><pre>{{.Message}}</pre>{{end}}</td></tr>{{end}}</table>{{end}}
<p id="{{anchor $id "summary"}}">{{counted .S.Recipients .Noun}}, {{counted .S.Attempts "attempt"}}.
{{if .TimeToDelivery}}{{.TimeToDelivery}} p50 {{ms .S.TimeToDelivery.P50}}, p99 {{ms .S.TimeToDelivery.P99}}.{{end}}
{{if or .S.SinkSessions .S.SinkMessages}}{{if not .S.SinkCountsUnknown}}{{.S.SinkSessions}} sink sessions{{sessionsOpen .S}}, {{end}}{{.S.SinkAccepted}} sink messages accepted of {{.S.SinkMessages}} received{{unanswered .S}}.{{end}}</p>
{{with .SinkNote}}<p>{{.}}</p>{{end}}
{{with .SenderDSNMail}}<p>{{.}}.</p>{{end}}
{{with .SinkDSNMail}}<p>{{.}}.</p>{{end}}
{{with .EmptyNote}}<p>Note: {{.}}.</p>{{end}}
{{with .S.SinkBouncesNotSent}}<p class="bounced">{{.}} late bounce(s) not sent: {{notSentNote}}.</p>{{end}}
{{with otherSenders .S}}<p>{{.}}.</p>{{end}}
<div class="grid" id="{{anchor $id "charts"}}">
<div><h3>Outcomes over time</h3>{{.Timeline}}</div>
<div><h3>Attempts per {{.Noun}}</h3>{{.Attempts}}</div>
<div><h3>Why mail was not delivered (deferred, bounced, expired, suppressed)</h3>{{if .S.ByCategory}}{{.Categories}}{{end}}{{with .Uncategorized}}<p>{{.}} {{$noun}}(s) not delivered without a category (no attempt ended, or the sink gave no refusal to classify: a connection dropped, a recipient accepted with no data after it): their last replies are under By reply code and in {{if eq $noun "record"}}Records{{else}}Recipients{{end}}.</p>{{end}}{{if not (or .S.ByCategory .Uncategorized)}}<p>None.</p>{{end}}</div>
</div>
<div class="grid">
<div id="{{anchor $id "by-status"}}"><h3>By status</h3><table>{{range .S.ByStatus}}<tr><td class="{{.Key}}">{{.Key}}</td><td>{{.Count}}</td></tr>{{end}}</table></div>
<div id="{{anchor $id "by-path"}}"><h3>By path</h3><table>{{range .S.ByPath}}<tr><td>{{.Key}}</td><td>{{.Count}}</td></tr>{{end}}</table></div>
<div id="{{anchor $id "by-domain"}}"><h3>By domain</h3><table>{{range .S.ByDomain}}<tr><td>{{.Key}}</td><td>{{.Count}}</td></tr>{{end}}</table></div>
<div id="{{anchor $id "by-code"}}"><h3>By reply code</h3><table>{{range .S.ByCode}}<tr><td>{{.Key}}</td><td>{{.Count}}</td></tr>{{end}}</table></div>
{{if .S.SinkReplies}}<div id="{{anchor $id "sink-replies"}}"><h3>Sink replies (stage, code)</h3><table>{{range .S.SinkReplies}}<tr><td>{{.Key}}</td><td>{{.Count}}</td></tr>{{end}}</table>{{with openNote .S}}<p><small>Note: {{.}}.</small></p>{{end}}</div>{{end}}
</div>
<div id="{{anchor $id "recipients"}}"><h3>{{.Heading}}</h3>
{{with .Times}}<p><small>{{.}}.</small></p>{{end}}
{{if not .Recipients}}<p>None.</p>{{end}}
{{range .Groups}}<h4 id="{{anchor $id .Part}}"><span class="{{.Class}}">{{.Label}}</span> ({{len .Recipients}}) <small><a href="#contents">contents</a></small></h4>
<table><tr><th>recipient</th><th>status</th><th>last reply</th><th>category</th><th>attempts</th></tr>
{{range .Recipients}}{{$r := .}}<tr><td>{{.Address}}{{with .Sender}}<br><small>from {{.}}</small>{{end}}{{with ident .}}<br><small>{{.}}</small>{{end}}</td><td class="{{.Status}}">{{state .}}</td><td>{{if ne .Status "delivered"}}{{with lastReply .}}<code>{{.}}</code>{{end}}{{end}}</td><td>{{if eq .Status "delivered"}}{{if .DeferredBeforeDelivery}}<small>{{beforeDelivery .}}: {{earlier .}}</small>{{end}}{{else}}{{.Category}}{{with reason .}}<br><small>{{.}}</small>{{end}}{{with advice .}}<br><small>what to do: {{.}}</small>{{end}}{{end}}{{with unsent .}}<div><small class="bounced">{{.}}</small><br><small>what to do about it: {{unsentAdvice $r}}</small></div>{{end}}{{with copies .}}<div><small class="deferred">copies: {{.}}</small><br><small>what to do about the copies: {{copiesAdvice $r}}</small></div>{{end}}{{if bouncedLate .}}<div><small class="bounced">then bounced late: {{lateReply .}}</small><br><small>{{lateMeaning .}}</small></div>{{end}}</td>
<td><details><summary>{{.Tries}}</summary>{{range steps $r}}<div><code>{{.Code}}</code>{{with .Note}}<br><small>note: {{.}}</small>{{end}}</div>{{end}}</details></td></tr>
{{end}}</table>
{{end}}</div>
{{end}}</section>{{end}}
</body></html>
`))

// overTimeSVG draws terminal outcomes per time bucket as stacked bars.
func overTimeSVG(d *Data) template.HTML {
	type bucket struct{ delivered, deferred, failed int }
	if len(d.Recipients) == 0 || !d.Last.After(d.First) {
		return template.HTML(`<p>Not enough data.</p>`)
	}
	const n, width, height = 40, 480, 160
	span := d.Last.Sub(d.First)
	bs := make([]bucket, n)
	idx := func(t time.Time) int {
		i := int(float64(t.Sub(d.First)) / float64(span) * (n - 1))
		return min(max(i, 0), n-1)
	}
	for _, r := range records(d.Recipients) {
		for _, a := range r.Attempts {
			if a.Code >= 400 && a.Code < 500 || a.Code == 0 {
				bs[idx(a.Time)].deferred++
			}
		}
		switch {
		case r.Status == "delivered":
			bs[idx(r.Done)].delivered++
		case r.Final():
			bs[idx(r.Done)].failed++
		}
	}
	top := 1
	for _, b := range bs {
		top = max(top, b.delivered+b.deferred+b.failed)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg viewBox="0 0 %d %d" width="100%%" role="img" aria-label="outcomes over time">`, width, height+30)
	bw := float64(width) / n
	for i, b := range bs {
		y := float64(height)
		for _, part := range []struct {
			v     int
			color string
		}{{b.delivered, "#2e8b57"}, {b.deferred, "#e0a800"}, {b.failed, "#c0392b"}} {
			h := float64(part.v) / float64(top) * height
			y -= h
			if part.v > 0 {
				fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, float64(i)*bw, y, bw-1, h, part.color)
			}
		}
	}
	fmt.Fprintf(&sb, `<text x="0" y="%d">%s</text><text x="%d" y="%d" text-anchor="end">+%s</text>`, height+14, "0", width, height+14, span.Round(time.Second))
	fmt.Fprintf(&sb, `<text x="0" y="%d" fill="#2e8b57">delivered</text><text x="80" y="%d" fill="#b7791f">deferrals</text><text x="160" y="%d" fill="#c0392b">failed</text></svg>`, height+28, height+28, height+28)
	return template.HTML(sb.String())
}

// attemptsSVG draws how many of rs needed 1, 2, 3... attempts.
func attemptsSVG(rs []*Recipient) template.HTML {
	hist := map[int]int{}
	for _, r := range rs {
		hist[r.Tries()]++
	}
	var keys []int
	for k := range hist {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var cs []Count
	for _, k := range keys {
		cs = append(cs, Count{counted(k, "attempt"), hist[k]})
	}
	return barsSVG(cs, "#2c6fbb")
}

// barsSVG draws a horizontal bar chart; labels are escaped.
func barsSVG(cs []Count, color string) template.HTML {
	if len(cs) == 0 {
		return template.HTML(`<p>No data.</p>`)
	}
	const width, row = 480, 20
	top := 1
	for _, c := range cs {
		top = max(top, c.Count)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg viewBox="0 0 %d %d" width="100%%" role="img">`, width, row*len(cs)+4)
	for i, c := range cs {
		w := float64(c.Count) / float64(top) * (width - 200)
		y := i * row
		fmt.Fprintf(&sb, `<text x="0" y="%d">%s</text><rect x="160" y="%d" width="%.1f" height="%d" fill="%s"/><text x="%.1f" y="%d">%d</text>`,
			y+14, template.HTMLEscapeString(trim(c.Key, 26)), y+3, w, row-6, color, 164+w, y+14, c.Count)
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

func trim(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
