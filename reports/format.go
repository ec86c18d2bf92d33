package reports

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Formats lists the names Write accepts.
var Formats = []string{"text", "json", "csv", "junit", "markdown", "html"}

// Write renders d in format to w, and returns the first error writing
// to w (a full disk, a closed pipe), whichever format it was.
func Write(w io.Writer, format string, d *Data) error {
	ew := &errWriter{w: w}
	var err error
	switch format {
	case "text", "":
		err = WriteText(ew, d)
	case "json":
		err = WriteJSON(ew, d)
	case "csv":
		err = WriteCSV(ew, d)
	case "junit":
		err = WriteJUnit(ew, "relaylab", d)
	case "markdown", "md":
		err = WriteMarkdown(ew, d)
	case "html":
		err = WriteHTML(ew, d)
	default:
		return fmt.Errorf("unknown report format %q: want one of %s", format, strings.Join(Formats, ", "))
	}
	if err == nil {
		err = ew.err
	}
	return err
}

// errWriter keeps the first error of its writes and refuses the writes
// after it: the formats write with fmt.Fprintf, whose errors they do not
// check line by line, and a report cut short by a full disk must not end
// as if it were whole.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// WriteJSON writes the summary and every recipient's timeline, as one
// object, indented:
//
//   - "summary": the Summary: "recipients" and "records" (the same
//     count: a record is one message's delivery to one recipient; on a
//     sink's record an address mailed twice has two), "sender_dsn_mail"
//     (on a sink's record, the DSNs from the sender's MTA that reached
//     the sink as mail, which no other count of records includes; absent
//     when none), "attempts" (delivery tries),
//     "by_status", "by_path", "by_domain", "by_category" (recipients not
//     delivered) and "by_code" as lists of {"key", "count"}, largest count
//     first, then by key; "sink_replies" ([] when none, as the other
//     lists), "sink_sessions",
//     "sink_sessions_open" (those of them with no end recorded, cut short
//     or still open, whose replies before the data are not known; absent
//     when none), "sink_messages", "sink_accepted",
//     "sink_bounces_not_sent" (recipients with a "dsn_not_sent"; absent
//     when none); "attempt_latency" and
//     "time_to_delivery" as {"n", "p50_ms", "p90_ms", "p99_ms", "max_ms"}
//     in milliseconds of the clock's time (virtual in a replay); on a
//     sink's record, which sees no queueing, "time_to_delivery" is from
//     the first attempt the sink saw.
//   - "recipients": every Recipient, ordered by queueing time, then (on
//     a replay's store) the scenario's order of its messages, then
//     message, then address (a sink's record: by address, then sender):
//     "message" ("" on a sink's record for a recipient refused before
//     the data), "scenario_message" (on a replay's store, replay --db:
//     the name the replay's verdicts give the message, "msg-3"; absent
//     otherwise), "scenario" (beside it, the name of the scenario that
//     sent the message: each scenario replayed into one store has its
//     msg-1), "address", "sender" (a sink's record, when the address
//     came from several senders), "session" (a sink's record: the sink's
//     number for the session of the last attempt, which names a
//     recipient without a message; absent when not known), "domain", "status" (queued, deferred,
//     delivered, bounced, expired, suppressed), "path", "category",
//     "reason", "advice", "dsn", "dsn_status", "suppressed" (those seven
//     absent when empty, "dsn" when no DSN was made about the recipient:
//     true when the sender got one, false beside "dsn_undelivered" or
//     "dsn_not_sent"; "reason" and "advice" are always there for a
//     recipient not delivered, as the other formats print them: on a
//     sink's record, the relay classifier's reading of the sink's
//     refusal, as the web UI's sink pages give it; without a
//     classification, as before any attempt ended or after a dropped
//     connection on a sink's record, read from its last reply and saying
//     that no category was recorded), "dsn_not_sent" (a sink's record, or a
//     recipient a replay's relay delivered to its sink: why a bounce the
//     sink has for the recipient did not go out; absent otherwise),
//     "dsn_message" (a relay's record: the relay's message that carried
//     the DSN to the sender) and "dsn_undelivered" (what became of that
//     message when it never reached the sender: bounced, expired or still
//     waiting; "dsn" is then false), both absent otherwise,
//     "queued", "done" (absent until terminal),
//     "attempts": a list, [] when none, of {"time", "try", "path", "host",
//     "stage", "code", "enhanced", "text", "latency_ms", "error", "tls",
//     "cipher", "walk_stopped", "auth", "by", "sink_session"}, every one
//     but "time" and "try" absent when empty ("auth": in a replay with
//     sink.verify, the sink's results for the message the attempt left,
//     {"spf", "dkim", "dmarc", "dmarc_policy"}; "by": what chose the
//     sink's reply, a rule or a directive, on a sink's record and on a
//     relay's attempt that the sink of the same store answered, whose
//     "sink_session" is the sink's number for the session that answered
//     it), and "deferred_before_delivery": true on a delivered
//     recipient with a "category" or "reason" (absent otherwise): those
//     and its "advice" are then a deferral's or hold's before the
//     delivery, not its outcome, as the text, HTML and CSV say
//     ("deferred before delivery"), and "sender_dsn_mail": true on a
//     sink's record that is a DSN from the sender's MTA, not the
//     application's mail (absent otherwise). The recipients of replay --json
//     (WriteVerdictsJSON) carry the same key.
//   - "other_senders" (absent when none): on a store the relay and the
//     sink both wrote (a serve's), the sink's records of mail that did
//     not come from the relay (sent straight to the sink), with the
//     recipients' keys as on a store the sink alone wrote; the summary's
//     "other_senders" counts them, and no other count includes them.
//
// Times are RFC 3339 in UTC, with nanoseconds when they have any. A key
// is only ever added, never renamed or given another meaning;
// TestJSONKeys pins them.
func WriteJSON(w io.Writer, d *Data) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Summary      Summary      `json:"summary"`
		Recipients   []*Recipient `json:"recipients"`
		OtherSenders []*Recipient `json:"other_senders,omitempty"`
	}{Summarize(d), orEmpty(d.Recipients), d.OtherSenders})
}

// orEmpty makes a nil list an empty one, so that JSON says [] and not null.
func orEmpty[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

// WriteText writes the summary tables, the timelines of recipients that
// did not end delivered, then those of recipients delivered after more
// than one exchange (a path or MX host that failed before the one that
// took the message, or an earlier try that was deferred) or after a hold
// that sent nothing (its destination's backoff), so that every host or
// path each try reached, and every deferral before a delivery, shows, as
// in the JSON, the HTML and queue show. A delivery at the first host of
// the first try, held by nothing, has a timeline of its 2xx alone, which
// the summary's tables already count: a line says how many such
// timelines are left out, and where they are. A delivered recipient with
// a late bounce (the sink took the message, then bounced it) is not such
// a one: its timeline ends with the bounce's DSN step.
//
// On a sink's record the summary counts records ("records 4": one
// message's delivery to one recipient each), and the DSNs from the
// sender's MTA that reached the sink as mail apart, on a line of their
// own; those have no timeline of their own (the record each reports on
// has it as a step).
//
// On a store the relay and the sink both wrote (a serve's), the sink's
// records of mail from other senders (OtherSenders) are counted on a
// line of their own and their timelines follow the relay's, as on a
// sink's record; the Markdown, HTML and JUnit count them alone.
//
// Replies and addresses come from whoever sent or answered the mail:
// control characters and bidirectional controls in them are shown
// escaped, not obeyed by the terminal.
func WriteText(w io.Writer, d *Data) error {
	return writeShown(w, func(w io.Writer) error { return writeText(w, d) })
}

func writeText(w io.Writer, d *Data) error {
	s := Summarize(d)
	rs := records(d.Recipients)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%ss\t%d\n", s.recordNoun(), s.Recipients)
	if s.RelayDSNs > 0 {
		fmt.Fprintf(tw, "  of them the relay's DSNs\t%d (to the senders of messages; the others are the messages' own recipients)\n", s.RelayDSNs)
	}
	fmt.Fprintf(tw, "attempts\t%d\n", s.Attempts)
	if s.SenderDSNMail > 0 {
		fmt.Fprintf(tw, "DSNs from the sender's MTA\t%d: %s\n", s.SenderDSNMail, senderDSNMailWhy)
	}
	if s.SinkDSNMail > 0 {
		fmt.Fprintf(tw, "DSNs from the sink itself\t%d: %s\n", s.SinkDSNMail, sinkDSNMailWhy)
	}
	if sinkOnly(d, s) {
		fmt.Fprintf(tw, "note\t%s\n", sinkOnlyNote(d))
	}
	if empty(s) {
		fmt.Fprintf(tw, "note\t%s\n", emptyNote)
	}
	// The sink's notes on pieces of addresses that look like a directive
	// but are not one, which a 250 would otherwise hide: expect's verdicts
	// give those of the addresses they judge, and point here for the rest.
	for _, n := range sinkNotes(append(slices.Clip(d.Recipients), d.OtherSenders...), d.sinkNotes) {
		fmt.Fprintf(tw, "note\t%s\n", n)
	}
	if len(rs) > 0 {
		fmt.Fprintf(tw, "times\t%s\n", reportTimesLegend(d))
	}
	if s.SinkSessions > 0 || s.SinkMessages > 0 {
		fmt.Fprintf(tw, "sink sessions\t%d%s\nsink messages\t%d accepted of %d received%s\n", s.SinkSessions, sinkSessionsOpen(s), s.SinkAccepted, s.SinkMessages, sinkUnansweredNote(s.sinkUnanswered))
	}
	if n := s.SinkBouncesNotSent; n > 0 {
		fmt.Fprintf(tw, "late bounces not sent\t%d: %s\n", n, bouncesNotSentNote)
	}
	if n := s.OtherSenders; n > 0 {
		fmt.Fprintf(tw, "other senders\t%s: %s; below, after the relay's\n", counted(n, "record"), otherSendersNote)
	}
	if name, ok := timeToDelivery(d, s); ok {
		fmt.Fprintf(tw, "%s\tp50 %s  p90 %s  p99 %s  max %s\n", name,
			ms(s.TimeToDelivery.P50), ms(s.TimeToDelivery.P90), ms(s.TimeToDelivery.P99), ms(s.TimeToDelivery.Max))
	}
	if s.Latency.N > 0 {
		fmt.Fprintf(tw, "attempt latency\tp50 %s  p90 %s  p99 %s  max %s\n",
			ms(s.Latency.P50), ms(s.Latency.P90), ms(s.Latency.P99), ms(s.Latency.Max))
	}
	for _, t := range []struct {
		title string
		rows  []Count
	}{{"status", s.ByStatus}, {"path", s.ByPath}, {"domain", s.ByDomain}, {"category, not delivered", s.ByCategory}, {"reply code", s.ByCode}, {"sink reply (stage, code)", s.SinkReplies}} {
		if len(t.rows) == 0 {
			continue
		}
		fmt.Fprintf(tw, "\nby %s\tcount\n", t.title)
		for _, c := range t.rows {
			fmt.Fprintf(tw, "  %s\t%d\n", c.Key, c.Count)
		}
	}
	if note := sinkOpenNote(s); note != "" {
		fmt.Fprintf(tw, "  note: %s\n", note) // no tab: not a row of the table above
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	writeCases(w, rs, s.recordNoun(), "--format json and html")
	writeOtherSenders(w, d)
	return nil
}

// writeCases writes the timelines of rs as the text shows them: those
// not delivered, then those delivered after more than a 2xx at the first
// host (see WriteText), then how many more were delivered and where
// their timelines are.
func writeCases(w io.Writer, rs []*Recipient, noun, where string) {
	for _, r := range rs {
		if r.Status == "delivered" {
			continue
		}
		fmt.Fprintf(w, "\n%s: %s", r.label(), r.state())
		if c := r.otherCategory(); c != "" {
			fmt.Fprintf(w, ", %s", c)
		}
		if r.LateBounce != nil {
			fmt.Fprintf(w, ", %s", r.outcomeReply())
		}
		fmt.Fprintln(w)
		reason, advice := r.why()
		if reason != "" {
			fmt.Fprintf(w, "  why: %s\n", reason)
		}
		if advice != "" {
			fmt.Fprintf(w, "  what to do: %s\n", advice)
		}
		writeCopies(w, r)
		writeRecovered(w, r)
		writeUnsentBounce(w, r)
		WriteTimeline(w, r)
		if line := r.nextAttemptLine(); line != "" {
			fmt.Fprintln(w, line)
		}
	}
	plain := 0
	for _, r := range rs {
		if r.Status != "delivered" {
			continue
		}
		if len(r.Attempts) < 2 && !r.DeferredBeforeDelivery() && r.DSNNotSent == "" && len(r.Recovered) == 0 && r.LateBounce == nil &&
			len(r.DSNReports) == 0 && !r.hasSkips() {
			plain++
			continue
		}
		fmt.Fprintf(w, "\n%s: delivered", r.label())
		if r.LateBounce != nil {
			fmt.Fprintf(w, ", then bounced late: %s", r.LateBounce.Reply())
		} else if n := len(r.DSNReports); n > 0 {
			fmt.Fprintf(w, ", then a %s DSN: %s", r.DSNReports[n-1].Action, r.DSNReports[n-1].Reply())
		}
		fmt.Fprintln(w)
		writeLateBounce(w, r)
		if r.DeferredBeforeDelivery() {
			fmt.Fprintf(w, "  %s: %s\n", r.beforeDelivery(), r.earlier())
		}
		writeCopies(w, r)
		writeRecovered(w, r)
		writeUnsentBounce(w, r)
		WriteTimeline(w, r)
	}
	if plain > 0 {
		fmt.Fprintf(w, "\n%d %s(s) delivered at the first host of the first try: their timelines (one 2xx each) are in %s\n", plain, noun, where)
	}
}

// writeLateBounce says, of a recipient delivered with a late bounce (on
// a sink's record: the sink took the message, then bounced it), what the
// bounce means: the message was taken, then reported failed to its
// sender, though the status tables count the recipient delivered.
func writeLateBounce(w io.Writer, r *Recipient) {
	if r.LateBounce == nil {
		return
	}
	took, by, judged := r.lateBounceParts()
	fmt.Fprintf(w, "  late bounce: after %s that took the message, %s told its sender that delivery failed (the DSN step below); "+
		"the tables above count the recipient delivered, as its last attempt took the message%s\n", took, by, judged)
}

// lateBounceParts are what the note on a recipient delivered, then
// bounced late names: the reply that took the message ("the 250"), what
// told its sender it failed ("the sink's DSN"), and on a sink's record
// how relaylab expect judges the bounce ("; relaylab expect judges ...").
func (r *Recipient) lateBounceParts() (took, by, judged string) {
	took, by = "the 2xx", "a DSN"
	if c := r.lastCode(); c != 0 {
		took = "the " + strconv.Itoa(c)
	}
	if r.fromSink {
		by, judged = "the sink's DSN", "; relaylab expect judges the bounce by dsn and dsn_status"
	}
	return took, by, judged
}

// bouncedLate reports whether r was delivered, then bounced late: on a
// sink's record, the sink took the message with a 2xx and then sent its
// sender a DSN saying it failed. The status tables count r delivered (a
// relay's record makes such a recipient bounced).
func (r *Recipient) bouncedLate() bool { return r.Status == "delivered" && r.LateBounce != nil }

// lateBounceMeaning says what a late bounce of a delivered recipient
// means, as the Markdown, JUnit and HTML say it beside the bounce's
// reply (the text says it under its timeline: writeLateBounce).
func (r *Recipient) lateBounceMeaning() string {
	took, by, judged := r.lateBounceParts()
	return fmt.Sprintf("after %s that took the message, %s told its sender that delivery failed; "+
		"it is counted delivered, as its last attempt took the message%s", took, by, judged)
}

// bouncedLateNote follows the count of recipients delivered, then
// bounced late, in the Markdown's and JUnit's summaries.
const bouncedLateNote = "taken with a 2xx, then reported failed to their sender by a DSN; the status tables count them delivered"

// countBouncedLate counts the records of rs delivered, then bounced
// late.
func countBouncedLate(rs []*Recipient) int {
	n := 0
	for _, r := range rs {
		if r.bouncedLate() {
			n++
		}
	}
	return n
}

// writeCopies says, under a recipient's heading, that the receiving
// side holds its message more than once (or at all, undelivered), and
// what to do (copiesNote).
func writeCopies(w io.Writer, r *Recipient) {
	if note, advice := r.copiesNote(); note != "" {
		fmt.Fprintf(w, "  copies: %s\n  what to do about the copies: %s\n", note, advice)
	}
}

// writeRecovered says when an unclean stop of the relay cut an attempt
// of r off and it was sent again: the recipient may hold it twice.
func writeRecovered(w io.Writer, r *Recipient) {
	for _, t := range r.Recovered {
		fmt.Fprintf(w, "  sent again after a stop: at %s the relay found it in flight from before an unclean stop (a crash, or a stop past --shutdown-grace) and queued it again; the attempt cut off may have delivered it, so the recipient may have it twice\n", t.UTC().Format(time.RFC3339))
	}
}

// emptyNote says what to do on a store where nothing has been recorded.
const emptyNote = "nothing has been recorded in this store yet: with relaylab serve (or relaylab relay, or relaylab sink) running on it, " +
	"send mail through the relay (relaylab send --server 127.0.0.1:2587 --to ADDR, or any SMTP client; its port is relay.listen) " +
	"or straight to the sink (127.0.0.1:2525 by default, sink.listeners), then make the report again"

// empty reports whether s counts nothing at all: no recipient and nothing
// from a sink.
func empty(s Summary) bool {
	return s.Recipients == 0 && len(s.SinkReplies) == 0 && s.SinkSessions == 0 && s.SinkMessages == 0
}

// timeToDelivery says whether the summary's time to delivery is worth a
// line, and under which name: on a sink's record, which sees no queueing,
// it runs from the first attempt the sink saw, and with every recipient
// delivered at its first attempt nothing was timed (it would read "p50
// 0s ... max 0s").
func timeToDelivery(d *Data, s Summary) (name string, ok bool) {
	if s.TimeToDelivery.N == 0 {
		return "", false
	}
	if d.FromSink {
		return "first attempt to delivery", s.TimeToDelivery.Max > 0
	}
	return "time to delivery", true
}

// bouncesNotSentNote follows the count of late bounces the sink did not
// send, in every format's summary.
const bouncesNotSentNote = "records the sink accepted and has a late bounce for that did not go out, so their sender was told nothing; each says why and what to do"

// writeUnsentBounce writes r's note about a late bounce the sink did not
// send, and what to do, when it has one.
func writeUnsentBounce(w io.Writer, r *Recipient) {
	if note, advice := r.unsentBounce(); note != "" {
		fmt.Fprintf(w, "  %s\n  what to do about it: %s\n", note, advice)
	}
}

// sinkOnly reports whether d is a store that only a sink wrote (relaylab
// sink as the receiving side of someone else's sender).
func sinkOnly(d *Data, s Summary) bool {
	return d.FromSink || s.Recipients == 0 && (len(s.SinkReplies) > 0 || s.SinkSessions > 0 || s.SinkMessages > 0)
}

// sinkSessionsOpen follows the count of the sink's sessions with how
// many of them have no end recorded, when any have none: " (56 of them
// cut short or still open: no end recorded)".
func sinkSessionsOpen(s Summary) string {
	if s.SinkSessionsOpen == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d of them cut short or still open: no end recorded)", s.SinkSessionsOpen)
}

// sinkOpenNote says, when some of the sink's sessions have no end
// recorded and the sink's replies are counted, why their count after the
// data outnumbers the count of mail, rcpt and data: a session's replies
// are written at its end, and without one only its stored messages'
// replies after the data are known. It is "" otherwise.
func sinkOpenNote(s Summary) string {
	if s.SinkSessionsOpen == 0 || len(s.SinkReplies) == 0 {
		return ""
	}
	return fmt.Sprintf("%d of the %d sink sessions have no end recorded (cut short, as by a kill -9 of the sink, or still open); "+
		"a session's replies are recorded at its end, so of theirs only the replies after the data are counted, one per message stored: "+
		"data-end counts more replies than connect, mail, rcpt and data", s.SinkSessionsOpen, s.SinkSessions)
}

// recordMeaning says what a record of a sink's is, which its reports
// count.
const recordMeaning = "a record is one message's delivery to one recipient: it ends when the sink accepts the message with a 2xx after the data, " +
	"a later message to the same address starts a record of its own, and a retry joins its message's record by its Message-ID"

// sinkOnlyNote says what a sink-only report's records are; on the
// sink's records of a store that holds the relay's mail too (d.RelayMail:
// relaylab expect on a serve's), what they are without saying that the
// store holds nothing else.
func sinkOnlyNote(d *Data) string {
	const records = "the records and attempts are as the sink saw them, each session's attempt one try, " +
		"delivered when accepted after the data (" + recordMeaning + "); each refusal is explained (category, reason, what to do) as the relay's classifier reads it, as the web UI's sink pages explain it"
	if d.FromSink && d.RelayMail {
		return "these are the sink's records of what it received, from the relay and any other client; the store holds the relay's mail too, which relaylab report shows recipient by recipient: " + records
	}
	if d.FromSink {
		return "this store holds only what the sink received (no relay mail): " + records + "; relaylab expect --db judges them"
	}
	return "this store holds only what the sink received (no relay mail): the sink's sessions, messages and replies are below; relaylab expect --db judges each recipient's attempts"
}

// otherCategory is the recipient's category where it says more than its
// status: "" for a recipient suppressed with category suppressed, which
// read "suppressed (suppressed)".
func (r *Recipient) otherCategory() string {
	if r.Category == r.Status {
		return ""
	}
	return r.Category
}

// lastBy is what chose the last attempt's reply when the sink gave it
// (its By: a rule, a profile's rule, a directive, a limit), on a sink's
// record or on a relay's attempt the sink of its store answered; ""
// otherwise.
func (r *Recipient) lastBy() string {
	if len(r.Attempts) == 0 {
		return ""
	}
	return r.Attempts[len(r.Attempts)-1].By
}

// outcomeReplyBy is outcomeReply followed, on a sink's record, by what
// chose that reply, as the text's timeline says it: "550 5.1.1 No such
// user (by directive rcpt550)". A late bounce's reply was chosen by no
// sink rule.
func (r *Recipient) outcomeReplyBy() string {
	s := r.outcomeReply()
	if by := r.lastBy(); by != "" && (r.LateBounce == nil || r.Status == "delivered") {
		s += " (by " + by + ")"
	}
	return s
}

// label is the recipient's address and, when it has one, its message id,
// or on a sink's record without one, its session (see ident); a DSN
// from the sender's MTA that reached a sink says so.
func (r *Recipient) label() string {
	var of []string
	if r.Sender != "" {
		of = append(of, "from "+r.Sender)
	}
	if id := r.ident(); id != "" {
		of = append(of, id)
	}
	switch {
	case r.SenderDSNMail:
		// Matched by an expectation, as the sender's address is: not
		// the application's mail, which the summary's counts are.
		of = append(of, "a DSN from the sender's MTA")
	case r.SinkDSNMail:
		of = append(of, "the sink's own DSN, come back to it")
	}
	if len(of) == 0 {
		return r.Address
	}
	return r.Address + " (" + strings.Join(of, ", ") + ")"
}

// ident names what the recipient's last attempt was part of: "message
// m1" (the relay's message, or the sink's number for the message it
// left), or on a sink's record, for a recipient refused before the data,
// which left none, "session 12", the sink's session; "" when neither is
// known. The text, Markdown, HTML and JUnit (its classname, "session.12") say it
// alike; the JSON and CSV have "message" and "session" apart.
func (r *Recipient) ident() string {
	switch {
	case r.ScenarioMessage != "" && r.ScenarioMessage != r.Message && r.namesScenario:
		// Each scenario of a store has its msg-1.
		return "message " + r.ScenarioMessage + " of scenario " + strconv.Quote(r.Scenario) + " (queue id " + r.Message + ")"
	case r.ScenarioMessage != "" && r.ScenarioMessage != r.Message:
		return "message " + r.ScenarioMessage + " (queue id " + r.Message + ")"
	case r.Message != "":
		return "message " + r.Message
	case r.Session != 0:
		return "session " + strconv.FormatInt(r.Session, 10)
	}
	return ""
}

// who is the recipient's address and, on a sink's record that has one
// per sender, its sender: "a@x.test (from b@y.test)".
func (r *Recipient) who() string {
	if r.Sender == "" {
		return r.Address
	}
	return r.Address + " (from " + r.Sender + ")"
}

// ms formats a number of milliseconds as a duration a person reads at a
// glance: "350ms", "2.5s", "31m49s" (whole seconds from a minute up).
func ms(v float64) string {
	d := time.Duration(v * float64(time.Millisecond))
	if d >= time.Minute || d <= -time.Minute {
		return d.Round(time.Second).String()
	}
	if d < 10*time.Millisecond && d > -10*time.Millisecond {
		return d.Round(10 * time.Microsecond).String() // a local receiver answers in a fraction of a millisecond
	}
	return d.Round(time.Millisecond).String()
}

// WriteCSV writes a header and one row per recipient, with the columns
// message, recipient, domain, status, path, category, attempts (delivery
// tries), last_reply (the last attempt's reply, as expectations'
// last_reply reads it: the 2xx of a recipient bounced later), queued,
// done (empty until terminal), reason, advice (see why), and
// late_bounce: the reply of the DSN that turned a delivered recipient
// into bounced ("550 5.1.1 no such user"), empty without one, the JSON's
// late_bounce, and session: on a sink's record, the sink's number for the
// session of the last attempt, which names a recipient refused before
// the data (message empty), and scenario_message: on a replay's store,
// the name the replay's verdicts give the message ("msg-3"), empty
// otherwise, and scenario: the name of the scenario that sent it, which
// tells apart the msg-1 of each of several scenarios in one store, and
// last_reply_by: on a sink's record, what chose the last reply (a rule,
// a profile's rule, a directive, a limit: the JSON's "by" of the last
// attempt), also on a relay's record of a store whose sink answered the
// attempt (a serve's, a replay's), empty for the sink's normal replies
// and for a reply from another server, and dsn_not_sent: why a late bounce the sink had for a recipient it
// accepted never went out (it gave up on its bounce relay, the sender
// was the null sender, NOTIFY asked for none, not due yet), the JSON's
// dsn_not_sent, empty otherwise; the reason and advice cells say it too,
// with what to do, and sender_dsn_mail: "true" on a sink's record for a
// row that is not the application's mail but a DSN from the sender's
// MTA that reached the sink (the JSON's sender_dsn_mail), which the
// other formats count apart and leave out of their lists (the row of the
// recipient it reports on has it in its timeline), "sink" for a row
// that is the sink's own late bounce come back to it as mail (the
// JSON's sink_dsn_mail), counted apart as well (the row of the
// recipient bounced has the bounce), empty otherwise: a filter on the
// column being empty leaves out both kinds of DSN mail.
// Columns are only ever added at the end.
func WriteCSV(w io.Writer, d *Data) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"message", "recipient", "domain", "status", "path", "category", "attempts", "last_reply", "queued", "done", "reason", "advice", "late_bounce", "session", "scenario_message", "scenario", "last_reply_by", "dsn_not_sent", "sender_dsn_mail"})
	for _, r := range d.Recipients {
		done := ""
		if !r.Done.IsZero() {
			done = r.Done.UTC().Format(time.RFC3339Nano)
		}
		late, session, dsnMail := "", "", ""
		if r.LateBounce != nil {
			late = r.LateBounce.Reply()
		}
		if r.Session != 0 {
			session = strconv.FormatInt(r.Session, 10)
		}
		if r.SenderDSNMail {
			dsnMail = "true"
		}
		if r.SinkDSNMail {
			dsnMail = "sink"
		}
		cw.Write([]string{cell(r.Message), cell(r.Address), cell(r.Domain), r.Status, cell(r.Path), r.Category, strconv.Itoa(r.Tries()),
			cell(r.LastReply()), r.Queued.UTC().Format(time.RFC3339Nano), done, cell(reasonCell(r)), cell(adviceCell(r)), cell(late), session, r.ScenarioMessage, cell(r.Scenario), cell(r.lastBy()), cell(r.DSNNotSent), dsnMail})
	}
	cw.Flush()
	return cw.Error()
}

// reasonCell is a recipient's reason (see why); for a delivered one,
// the reason is an earlier deferral's and says so.
// A late bounce the sink did not send follows, with what to do in the
// advice cell.
func reasonCell(r *Recipient) string {
	reason, _ := r.why()
	if r.DeferredBeforeDelivery() && r.Reason != "" {
		reason = r.beforeDelivery() + ": " + r.Reason
	}
	note, _ := r.unsentBounce()
	return joinNonEmpty("; ", reason, note)
}

// adviceCell is what to do about a recipient not delivered, or about a
// late bounce the sink did not send; a delivered one's needs nothing
// done.
func adviceCell(r *Recipient) string {
	_, advice := r.why()
	_, bounce := r.unsentBounce()
	return joinNonEmpty("; ", advice, bounce)
}

// joinNonEmpty joins the parts that are not "" with sep.
func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// cell keeps a spreadsheet from reading a value as a formula: addresses
// and replies come from whoever sent or answered the mail, and a local
// part may begin with "=" or "@". Such a value gets a leading "'", which
// spreadsheets show as text and do not display (OWASP's advice for CSV
// injection).
func cell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// WriteMarkdown writes the summary as Markdown tables, for CI step
// summaries, then the recipients not delivered, those delivered, then
// bounced late (a sink's record: taken with a 2xx, then bounced by the
// sink's DSN; the text shows them with their timelines), and those whose
// late bounce was not sent, with control characters escaped as WriteText
// does (a carriage return would end a table's row early). On a sink's
// record it counts records, and the DSNs from the sender's MTA apart, as
// WriteText does.
func WriteMarkdown(w io.Writer, d *Data) error {
	return writeShown(w, func(w io.Writer) error { return writeMarkdown(w, d) })
}

func writeMarkdown(w io.Writer, d *Data) error {
	s := Summarize(d)
	rs := records(d.Recipients)
	fmt.Fprintf(w, "## relaylab report\n\n%s, %s\n", s.countedRecords(), counted(s.Attempts, "attempt"))
	if note := s.senderDSNMailNote(); note != "" {
		fmt.Fprintf(w, "\n%s.\n", mdEscape(note))
	}
	if s.SinkSessions > 0 || s.SinkMessages > 0 {
		fmt.Fprintf(w, "\n%d sink sessions%s, %d sink messages accepted of %d received%s\n", s.SinkSessions, sinkSessionsOpen(s), s.SinkAccepted, s.SinkMessages, sinkUnansweredNote(s.sinkUnanswered))
	}
	if sinkOnly(d, s) {
		fmt.Fprintf(w, "\n%s.\n", mdEscape(sinkOnlyNote(d)))
	}
	if n := s.SinkBouncesNotSent; n > 0 {
		fmt.Fprintf(w, "\n%d late bounce(s) not sent: %s (below).\n", n, bouncesNotSentNote)
	}
	if note := s.otherSenders(otherSendersWhere); note != "" {
		fmt.Fprintf(w, "\n%s.\n", mdEscape(note))
	}
	late := countBouncedLate(rs)
	if late > 0 {
		fmt.Fprintf(w, "\n%d %s(s) delivered, then bounced late: %s (below).\n", late, s.recordNoun(), bouncedLateNote)
	}
	if empty(s) {
		fmt.Fprintf(w, "\nNote: %s.\n", emptyNote)
	}
	for _, t := range []struct {
		title string
		rows  []Count
	}{{"Status", s.ByStatus}, {"Path", s.ByPath}, {"Domain", s.ByDomain}, {"Category (not delivered)", s.ByCategory}, {"Reply code", s.ByCode},
		{"Sink reply (stage, code)", s.SinkReplies}} {
		if len(t.rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n| %s | count |\n| --- | ---: |\n", t.title)
		for _, c := range t.rows {
			fmt.Fprintf(w, "| %s | %d |\n", mdEscape(c.Key), c.Count)
		}
	}
	if note := sinkOpenNote(s); note != "" {
		fmt.Fprintf(w, "\nNote: %s.\n", note)
	}
	// Every recipient not delivered, as the text lists them: those still
	// deferred or queued too, which a sink's record (a 4xx, a dropped
	// connection) and a run cut short have, and which "Not delivered"
	// must not leave out.
	var failed []*Recipient
	for _, r := range rs {
		if r.Status != "delivered" {
			failed = append(failed, r)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "\n### Not delivered\n\n| recipient | status | category | last reply | why | what to do |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, r := range failed {
			reason, advice := r.why()
			if note, _ := r.copiesNote(); note != "" {
				reason += "; " + note
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", mdEscape(r.label()), mdEscape(r.state()), mdEscape(r.Category), mdEscape(r.outcomeReplyBy()), mdEscape(reason), mdEscape(advice))
		}
	}
	var twice []*Recipient
	for _, r := range rs {
		if r.Status == "delivered" && r.Copies() > 1 {
			twice = append(twice, r)
		}
	}
	if len(twice) > 0 {
		fmt.Fprintf(w, "\n### Delivered more than once\n\n| recipient | copies | why | what to do |\n| --- | ---: | --- | --- |\n")
		for _, r := range twice {
			note, advice := r.copiesNote()
			fmt.Fprintf(w, "| %s | %d | %s | %s |\n", mdEscape(r.label()), r.Copies(), mdEscape(note), mdEscape(advice))
		}
	}
	if late > 0 {
		fmt.Fprintf(w, "\n### Delivered, then bounced late\n\n| recipient | taken with | late bounce | what it means |\n| --- | --- | --- | --- |\n")
		for _, r := range rs {
			if r.bouncedLate() {
				fmt.Fprintf(w, "| %s | %s | %s | %s |\n", mdEscape(r.label()), mdEscape(r.lastShown()), mdEscape(r.LateBounce.Reply()), mdEscape(r.lateBounceMeaning()))
			}
		}
	}
	if s.SinkBouncesNotSent > 0 {
		fmt.Fprintf(w, "\n### Late bounces not sent\n\n| recipient | status | note | what to do |\n| --- | --- | --- | --- |\n")
		for _, r := range rs {
			if note, advice := r.unsentBounce(); note != "" {
				fmt.Fprintf(w, "| %s | %s | %s | %s |\n", mdEscape(r.label()), r.Status, mdEscape(note), mdEscape(advice))
			}
		}
	}
	return nil
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

// JUnit XML, as CI systems read it: the totals of its suites on the root,
// as GitLab, Jenkins and the GitHub test reporters read them.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr,omitempty"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// junitTime is the time attribute of the verdicts' suites and cases
// (WriteVerdictsJUnit). A wall time would make two runs of one scenario
// differ byte for byte, and a replay's virtual time (days of retries)
// would read in CI tools as how long the test ran; readers that want the
// attribute get 0.
const junitTime = "0"

// JUnitSuite is one test suite; Tests, Failures, Errors and Skipped are
// filled in by WriteJUnitSuites, and each is written even when 0: strict
// readers (the JUnit schema of Jenkins' xUnit plugin, junit-10.xsd, and
// Ant's, which requires errors) read a missing count as an invalid file
// or an unknown one.
type JUnitSuite struct {
	Name     string `xml:"name,attr"`
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	// Skipped is 0: relaylab skips no case. junit-10.xsd allows it on a
	// suite only, not on the root (junitSuites), which has none.
	Skipped int    `xml:"skipped,attr"`
	Time    string `xml:"time,attr,omitempty"`
	// Properties say what the suite's cases judge, for a CI reader; nil
	// writes none.
	Properties *JUnitProperties `xml:"properties,omitempty"`
	Cases      []JUnitCase      `xml:"testcase"`
	SystemOut  string           `xml:"system-out,omitempty"`
}

// JUnitProperties are a suite's properties.
type JUnitProperties struct {
	Property []JUnitProperty `xml:"property"`
}

// JUnitProperty is one of a suite's properties.
type JUnitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// JUnitCase is one test case; Failure is empty when it passed.
type JUnitCase struct {
	Name      string `xml:"name,attr"`
	Classname string `xml:"classname,attr"`
	// File and Line are where the case's expectation is written, which
	// GitLab and the GitHub reporters put their annotation on; absent
	// when not known.
	File    string        `xml:"file,attr,omitempty"`
	Line    int           `xml:"line,attr,omitempty"`
	Time    string        `xml:"time,attr,omitempty"`
	Failure *JUnitFailure `xml:"failure,omitempty"`
	// Error, instead of Failure, says that the case could not be judged.
	Error     *JUnitFailure `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// JUnitFailure explains a failed case.
type JUnitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnitCases writes cases as one suite named suite.
func WriteJUnitCases(w io.Writer, suite string, cases []JUnitCase) error {
	return WriteJUnitSuites(w, []JUnitSuite{{Name: suite, Cases: cases}})
}

// WriteJUnitSuites writes several suites in one file, with their totals;
// the root has a time when its suites have one.
func WriteJUnitSuites(w io.Writer, suites []JUnitSuite) error {
	root := junitSuites{Suites: suites}
	for i := range suites {
		s := &suites[i]
		s.Tests, s.Failures, s.Errors, s.Skipped = len(s.Cases), 0, 0, 0
		root.Time = cmp.Or(root.Time, s.Time)
		for _, c := range s.Cases {
			if c.Failure != nil {
				s.Failures++
			}
			if c.Error != nil {
				s.Errors++
			}
		}
		root.Tests += s.Tests
		root.Failures += s.Failures
		root.Errors += s.Errors
	}
	io.WriteString(w, xml.Header)
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitDeliveryNote is what a report's JUnit suite says it judges: the
// store holds what happened, not what a scenario expected, so a bounce
// the scenario wanted fails here like any other. noun is what a case is
// (Summary.recordNoun): a recipient, or on a sink's record, a record.
func junitDeliveryNote(noun string) string {
	what := noun
	if noun == "record" {
		what = "record (one message's delivery to one recipient)"
	}
	return "delivery report: one case per " + what + ", failed when the " + noun + " was not delivered (bounced, deferred, expired, suppressed or still queued), whether or not a scenario expected that; the store holds no expectations. To judge a scenario's expectations, use relaylab replay --junit (or relaylab expect --junit for a sink's record), where an expected bounce passes."
}

// writeTimelineWithLegend writes r's timeline to b and, when it wrote
// any step, the "times:" line that says what its +TIME counts from.
func writeTimelineWithLegend(b *strings.Builder, r *Recipient, fromSink bool) {
	n := b.Len()
	WriteTimeline(b, r)
	if b.Len() > n {
		b.WriteString("times: " + timesLegend(fromSink) + "\n")
	}
}

// WriteJUnit writes one test case per recipient: it passes when
// delivered. It is a delivery report, not a verdict (Data holds no
// expectations), and the suite says so in its properties and its
// system-out, so that a CI reader does not take an expected bounce's
// failure for a broken scenario. A recipient delivered, then bounced
// late (a sink's record) passes, as delivered, with the bounce's reply,
// what it means and its timeline in its system-out, and the suite's
// system-out counts them: no expectation says whether the bounce was
// wanted (relaylab expect --junit judges dsn and dsn_status). On a
// sink's record a case is a record (its classname "record" when it has
// no message or session), and a DSN from the sender's MTA that reached
// the sink is no case: the suite's system-out counts those apart. A
// timeline ends with a "times:" line that says what its +TIME counts
// from, as the text's legend does: CI pages show a case's text alone.
func WriteJUnit(w io.Writer, suite string, d *Data) error {
	var cases []JUnitCase
	failed := 0
	unsent := ""
	s := Summarize(d)
	rs := records(d.Recipients)
	if note := s.senderDSNMailNote(); note != "" {
		unsent = note + "; none of them is a case here.\n"
	}
	if n := countBouncedLate(rs); n > 0 {
		// A pass, as delivered: the report judges no expectation
		// (relaylab expect --junit fails one that says dsn: none).
		unsent += fmt.Sprintf("%d of them delivered, then bounced late: %s; they pass here, as delivered (in their cases' system-out); "+
			"relaylab expect --junit judges them by their expectations (dsn, dsn_status).\n", n, bouncedLateNote)
	}
	if n := s.SinkBouncesNotSent; n > 0 {
		unsent += fmt.Sprintf("%d late bounce(s) not sent: %s (in their cases' system-out).\n", n, bouncesNotSentNote)
	}
	if note := s.otherSenders(otherSendersWhere); note != "" {
		unsent += note + "; none of them is a case here.\n"
	}
	for _, r := range rs {
		c := JUnitCase{Name: r.who(), Classname: cmp.Or(strings.Replace(r.ident(), " ", ".", 1), s.recordNoun())}
		if r.bouncedLate() {
			var b strings.Builder
			fmt.Fprintf(&b, "delivered, then bounced late: %s\n%s\n", r.LateBounce.Reply(), r.lateBounceMeaning())
			writeTimelineWithLegend(&b, r, d.FromSink)
			c.SystemOut = b.String()
		}
		if note, advice := r.unsentBounce(); note != "" {
			c.SystemOut += note + "\nwhat to do about it: " + advice + "\n"
		}
		if note, advice := r.copiesNote(); note != "" && r.Status == "delivered" {
			c.SystemOut += "copies: " + note + "\nwhat to do about the copies: " + advice + "\n"
			if r.LateBounce == nil {
				var b strings.Builder
				writeTimelineWithLegend(&b, r, d.FromSink)
				c.SystemOut += b.String()
			}
		}
		if r.Status != "delivered" {
			failed++
			var b strings.Builder
			msg := "not delivered: " + r.state()
			if c := r.otherCategory(); c != "" {
				msg += " (" + c + ")"
			}
			if lr := r.outcomeReply(); lr != "" {
				msg += ": " + lr
			}
			reason, advice := r.why()
			if reason != "" {
				b.WriteString(reason + "\n")
			}
			if advice != "" {
				b.WriteString("what to do: " + advice + "\n")
			}
			if note, advice := r.copiesNote(); note != "" {
				b.WriteString("copies: " + note + "\nwhat to do about the copies: " + advice + "\n")
			}
			writeTimelineWithLegend(&b, r, d.FromSink)
			c.Failure = &JUnitFailure{Message: msg, Text: b.String()}
		}
		cases = append(cases, c)
	}
	return WriteJUnitSuites(w, []JUnitSuite{{Name: suite, Cases: cases,
		Properties: &JUnitProperties{[]JUnitProperty{{"relaylab.kind", "delivery-report"},
			{"relaylab.expectations", "none: an expected bounce fails here; relaylab replay --junit judges expectations"}}},
		SystemOut: fmt.Sprintf("%s, %d delivered, %d not delivered.\n%s%s\n", counted(len(rs), s.recordNoun()), len(rs)-failed, failed, unsent, junitDeliveryNote(s.recordNoun()))}})
}

// counted says "1 recipient" or "3 recipients", for a noun whose plural
// adds an s.
func counted(n int, noun string) string {
	if n != 1 {
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}
