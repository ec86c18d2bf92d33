// Package reports builds read-only views of what happened from the event
// log: per-recipient timelines, summaries by status, path, domain, category
// and reply code, latency percentiles, and exports of them (text, JSON, CSV,
// Markdown, HTML with SVG charts).
package reports

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// EventSource is where reports read the log from (a *store.Store).
type EventSource interface {
	Events(ctx context.Context, f events.Filter) ([]events.Event, error)
}

// Attempt is one exchange with one host for one recipient. Several of
// them make one delivery try when the relay walks down the MX hosts (or a
// route's paths) in the same attempt: Try numbers the tries as the relay
// does (its relay.attempt events' "attempt"), and expectations count tries.
type Attempt struct {
	Time time.Time `json:"time"`
	// Try is the number of the delivery try this exchange was part of,
	// from 1; every exchange of one try has the same number. On a sink's
	// record each session's attempt is a try of its own.
	Try      int    `json:"try"`
	Path     string `json:"path,omitempty"`
	Host     string `json:"host,omitempty"`
	Stage    string `json:"stage,omitempty"`
	Code     int    `json:"code,omitempty"`
	Enhanced string `json:"enhanced,omitempty"`
	Text     string `json:"text,omitempty"`
	// By is what chose the sink's reply (`rule "name"`, sink.rules[1], a
	// profile's rule, a directive, a limit): on a sink's record, and on a
	// relay's attempt that the sink of the same store answered (a serve's
	// or a replay's store, see AddSinkRecord).
	By string `json:"by,omitempty"`
	// SinkSession is, on a relay's attempt that the sink of the same
	// store answered, the sink's number for the session that answered it:
	// its transcript is the web UI's sink session of that number. 0
	// otherwise.
	SinkSession int64 `json:"sink_session,omitempty"`
	// Latency is the attempt's time from its start (the dial or the
	// pooled connection's reuse) to its last reply or failure, on the
	// relay's clock: in a replay, the virtual clock's. Nil when the event
	// has none.
	Latency *float64 `json:"latency_ms,omitempty"`
	// Error is a failure with no SMTP reply (connection refused, timeout).
	Error string `json:"error,omitempty"`
	// TLS is the TLS version of the connection the attempt ended on ("TLS
	// 1.3"), and Cipher its cipher suite; both are empty in plaintext and
	// when no connection was made. After a refused STARTTLS with tls:
	// opportunistic, that is the plaintext connection that followed.
	TLS    string `json:"tls,omitempty"`
	Cipher string `json:"cipher,omitempty"`
	// WalkStopped is why the try went to no host after this one although
	// some remained: a cap of the path (max_mx_addresses,
	// max_mx_sessions) and the hosts it left out.
	WalkStopped string `json:"walk_stopped,omitempty"`
	// Auth is what the sink's checks (sink.verify) found of the message
	// this attempt left with it, when the store holds them (a replay's:
	// see AddSinkAuth); nil otherwise.
	Auth *Auth `json:"auth,omitempty"`
	// Skipped are the paths of the route this try passed over before
	// this exchange, held back by the relay's shaping (a resting
	// destination, a warm-up cap), and why: a failover's first path.
	Skipped []SkippedPath `json:"skipped,omitempty"`

	// sinkMessage is, on a sink's record, the sink's number for the
	// message this attempt left, 0 when it left none: a message the sink
	// stored is one copy, however many attempts name it (Copies).
	sinkMessage int64
}

// greeting reports whether the attempt's reply was the server's greeting
// (the relay's stage "greeting", the sink's "connect").
func (a Attempt) greeting() bool { return a.Stage == "greeting" || a.Stage == "connect" }

// Reply is the attempt's reply as "CODE ENHANCED TEXT" (the parts it has,
// one space apart), or its Error when there was no reply.
func (a Attempt) Reply() string {
	if a.Code == 0 {
		return a.Error
	}
	parts := []string{strconv.Itoa(a.Code)}
	for _, p := range []string{a.Enhanced, strings.TrimSpace(a.Text)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

// Shown is the attempt's reply as a person reads it: Reply, and for the
// relay's own failure without a reply (an MX lookup's SERVFAIL, 4.4.3)
// its enhanced code before the error, as a server's reply would carry
// it. Reply stays without it, since expectations' globs match that.
func (a Attempt) Shown() string {
	if a.Code == 0 && a.Enhanced != "" && a.Error != "" {
		return a.Enhanced + " " + a.Error
	}
	return a.Reply()
}

// Recipient is one message recipient's life in the relay.
type Recipient struct {
	Message string `json:"message"`
	// ScenarioMessage is, on the store of a replay (replay --db), the
	// name the replay's verdicts give the message ("msg-3"), which the
	// message's Message-ID carries (ScenarioMessageID); Message is the
	// relay's queue id.
	ScenarioMessage string `json:"scenario_message,omitempty"`
	// Scenario is, beside ScenarioMessage, the name of the scenario that
	// sent the message (its name: key), which tells the msg-1 of each of
	// several scenarios replayed into one store apart; "" in a store
	// written before the Message-ID carried it.
	Scenario string `json:"scenario,omitempty"`
	// namesScenario: the store holds the messages of more than one
	// scenario, so that the message's label names its scenario.
	namesScenario bool
	Address       string `json:"address"`
	// Sender is set on a sink's record only, when the sink saw the
	// address from more than one envelope sender: each sender's attempts
	// are then a recipient of their own ("<>" for the null sender), since
	// greylisting and the sink's counted directives judge each pair apart.
	Sender string `json:"sender,omitempty"`
	// Session is set on a sink's record only: the sink's number for the
	// session of the recipient's last attempt. It names a recipient that
	// has no Message (refused before the data): "session 12".
	Session  int64  `json:"session,omitempty"`
	Domain   string `json:"domain"`
	Status   string `json:"status"` // queued, deferred, delivered, bounced, expired, suppressed
	Path     string `json:"path,omitempty"`
	Category string `json:"category,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Advice is what to do about the recipient's last deferral or its
	// failure, as the relay's classification says.
	Advice string `json:"advice,omitempty"`
	// DSN is set when the sender got a DSN about this recipient: on a
	// relay's record, one the relay wrote (or a late bounce it relayed
	// on) whose own delivery to the sender succeeded; a DSN queued and
	// then bounced, expired or still waiting is not one (DSNUndelivered
	// says what became of it). A DSN of an older store, whose relay.dsn
	// event does not name its message, counts when queued.
	DSN bool `json:"dsn,omitempty"`
	// DSNStatus is the status code the DSN about this recipient carried:
	// the last one the sender got, else the last one queued.
	DSNStatus string `json:"dsn_status,omitempty"`
	// DSNMessage is, on a relay's record, the relay's message that carried
	// the DSN of DSNStatus to the sender (see DSN).
	DSNMessage string `json:"dsn_message,omitempty"`
	// DSNUndelivered says, on a relay's record, what became of a DSN the
	// relay queued for this recipient's sender when none reached them:
	// "queued as message m2 to a@x.test, which expired undelivered ...".
	DSNUndelivered string `json:"dsn_undelivered,omitempty"`
	// DSNNotSent says, on a sink's record, why a bounce the sink has for
	// this recipient did not go out (not yet due or sent, its relay
	// refused it, NOTIFY ruled it out), so that an expectation of a DSN
	// that fails says why. On a store the relay and the sink both wrote
	// (a replay's), a recipient the relay delivered to the sink has it
	// when the sink's bounce of it ended unsent (it gave up, NOTIFY or a
	// null sender ruled it out): its sink.bounce event with sent false.
	DSNNotSent string `json:"dsn_not_sent,omitempty"`
	// Suppressed is set when the recipient's address was put on the
	// suppression list because of this message.
	Suppressed bool      `json:"suppressed,omitempty"`
	Queued     time.Time `json:"queued"`
	// Done is when the recipient reached its terminal state; absent
	// until it has one (omitempty never left out a zero time.Time, and
	// the JSON said "0001-01-01T00:00:00Z").
	Done     time.Time `json:"done,omitzero"`
	Attempts []Attempt `json:"attempts"`
	// Holds are the times the relay's own shaping held the recipient back
	// without sending it (a destination resting after a 421 to another
	// message, a sending window, a warm-up cap): no attempts, but steps of
	// its timeline.
	Holds []Hold `json:"holds,omitempty"`
	// LateBounce is the DSN that came back after the receiving side had
	// taken the message with a 2xx (an asynchronous bounce), which turned
	// the delivered recipient into bounced.
	LateBounce *LateBounce `json:"late_bounce,omitempty"`
	// DSNReports are the DSNs from the receiving side that reported on
	// the recipient without a failure (a delay, a delivery), oldest
	// first: they leave its status as it was.
	DSNReports []DSNReport `json:"dsn_reports,omitempty"`
	// SenderDSNs are, on a sink's record, the DSNs that the sender's own
	// MTA wrote about this recipient to the message's sender and that
	// reached the sink (the sender routes its bounces to it), oldest
	// first: Postfix's "Undelivered Mail Returned to Sender" after a
	// refusal, its delay warnings. expect's sender_dsn and
	// sender_dsn_status judge them.
	SenderDSNs []SenderDSN `json:"sender_dsns,omitempty"`
	// SenderDSNMail is set, on a sink's record, on a record that is not
	// the application's mail but a DSN the sink received from the
	// sender's MTA (the null sender's multipart/report to the
	// application's sender, routed to the sink): the summary counts
	// those apart (Summary.SenderDSNMail), and the record it reports on
	// shows it in its timeline (SenderDSNs).
	SenderDSNMail bool `json:"sender_dsn_mail,omitempty"`
	// SinkDSNMail is set, on a sink's record, on a record that is the
	// sink's own late bounce come back to it as mail: the DSN it sent to
	// the application's sender through its bounce relay (serve's relay,
	// or the sender's MTA), which routes that address to the sink. Not
	// the application's mail either, so counted apart
	// (Summary.SinkDSNMail); the record it reports on has it as its
	// LateBounce, which dsn and dsn_status judge.
	SinkDSNMail bool `json:"sink_dsn_mail,omitempty"`
	// Recovered are the times the relay queued the recipient again after
	// an unclean stop cut an attempt off (relay.recovered): the server may
	// have taken the message then, so the recipient may hold it twice.
	Recovered []time.Time `json:"recovered,omitempty"`

	// tried is the classification of the last deferral that a server's
	// reply caused (not a hold): what a delivered recipient's category
	// says.
	tried *classified
	// fromSink: the recipient is of a sink's record (FromSink), whose
	// DSN is the sink's own late bounce of a message it accepted.
	fromSink bool
	// messageID is, on a sink's record, the Message-ID of the message
	// its attempts left (FromSink): what ties a DSN from the sender's MTA
	// to it.
	messageID string
	// relayMessageID is, on a relay's record, the Message-ID of its
	// message (its relay.queued's message_id): what the copies a drop
	// after the final dot left share (copiesNote).
	relayMessageID string
	// dsnRelay is, on a sink's record, where the sink sent its bounce of
	// the recipient, or tried to (SinkBounce.Relay).
	dsnRelay string
	// from is, on a sink's record, the envelope sender of its attempts
	// (Sender says it only when the address had several).
	from string
	// dsnsAbout are, on a sink's record of a message's sender (the DSN
	// mail from the sender's MTA, or other mail to that address), the
	// addresses whose records the DSNs to this address report on, and
	// sentFor those of the records this address sent (noteSenders): a
	// sender_dsn written on the sender's address goes on theirs.
	dsnsAbout, sentFor []string
	// notify is the NOTIFY the recipient was queued with (RFC 3461
	// 4.1: "NEVER", "SUCCESS,DELAY", "" for the default), which says
	// why no DSN was sent.
	notify string
	// dsns are the DSNs queued to the sender about this recipient, in
	// order, which resolveDSNs judges once the whole log is read.
	dsns []queuedDSN
	// relayDSN: the recipient is the sender of a message, to whom the
	// relay sent a DSN about it (or relayed a late bounce on): mail the
	// relay wrote itself, which the aggregate expectations tell apart
	// from the messages' own recipients; a replay names its messages
	// relay-1, relay-2 and on (nameRelayDSNs).
	relayDSN bool
	// next is, on a relay's record, when its last deferral said the
	// relay tries the recipient again (relay.deferred's next_attempt);
	// on a sink's record, when the relay of the same store tries the
	// address again (AddRelayRetries). Zero when not known.
	next time.Time
}

// queuedDSN is a DSN queued to a recipient's sender: the relay's message
// that carries it and the status it reports.
type queuedDSN struct{ message, status string }

type classified struct{ category, reason, advice string }

// Hold is one time the relay's shaping held a recipient back.
type Hold struct {
	Time time.Time `json:"time"`
	// Text is the relay's own reply for the hold, which names it and its
	// end ("not tried: destination path:x rests until ...").
	Text     string    `json:"text"`
	Path     string    `json:"path,omitempty"`
	Category string    `json:"category,omitempty"`
	Until    time.Time `json:"until,omitzero"`
}

// LateBounce is an asynchronous bounce: the reply the DSN reports, as
// the relay read it from the DSN's Diagnostic-Code and Status fields.
type LateBounce struct {
	Time     time.Time `json:"time"`
	Code     int       `json:"code,omitempty"`
	Enhanced string    `json:"enhanced,omitempty"`
	Text     string    `json:"text,omitempty"`
	Category string    `json:"category,omitempty"`
	// ReportingMTA is the server that wrote the DSN.
	ReportingMTA string `json:"reporting_mta,omitempty"`
}

// Reply is the bounce's reply as "CODE ENHANCED TEXT".
func (b *LateBounce) Reply() string {
	return Attempt{Code: b.Code, Enhanced: b.Enhanced, Text: b.Text}.Reply()
}

// DeferredBeforeDelivery reports whether r was delivered with a category
// or reason: those (and its advice) are then a deferral's or hold's
// before the delivery (a 4xx, a rest of its destination after another
// message's 421), kept for expectations, not its outcome. Every format
// says so: "deferred before delivery" in the text, HTML and CSV,
// "deferred_before_delivery": true in the JSON.
func (r *Recipient) DeferredBeforeDelivery() bool {
	return r.Status == "delivered" && (r.Category != "" || r.Reason != "")
}

// earlier is the category and reason of a delivered recipient's earlier
// deferral (see DeferredBeforeDelivery), as "category, reason".
func (r *Recipient) earlier() string {
	return strings.TrimPrefix(strings.TrimSuffix(r.Category+", "+r.Reason, ", "), ", ")
}

// MarshalJSON writes r's fields, and "deferred_before_delivery": true
// when DeferredBeforeDelivery, without which a delivered recipient's
// "category" and "reason" read as its outcome. A recipient not delivered
// has the "reason" and "advice" every other format prints (see why):
// without a classification (a recipient no attempt of which has ended, a
// sink's recipient whose last attempt got no refusal), those read from
// its last reply, which say that no category was recorded. "dsn" is true when the sender got a DSN
// about the recipient, false when one was made that did not reach them
// (the relay's, beside "dsn_message" and "dsn_undelivered", or a sink's
// bounce not sent, beside "dsn_not_sent"), and absent when there was none.
// "copies" is Copies, absent when the receiving side holds none: 2 after
// a drop after the final dot and the retry that followed.
// "next_attempt" is when the relay tries a deferred recipient again
// (nextAttempt), absent for any other.
func (r Recipient) MarshalJSON() ([]byte, error) {
	if r.Status != "delivered" {
		r.Reason, r.Advice = r.why() // r is a copy: the Data stays as it was read
	}
	type fields Recipient // the fields without this method
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	// The caller's encoder escapes <, > and & if it escapes them; one
	// escaped here would stay escaped for a caller that does not.
	enc.SetEscapeHTML(false)
	next, _ := r.nextAttempt() // zero, and absent, when there is none
	var dsn *bool
	if r.DSN || r.DSNMessage != "" || r.DSNUndelivered != "" || r.DSNNotSent != "" {
		dsn = &r.DSN
	}
	err := enc.Encode(struct {
		fields
		// Over fields' "dsn", which omitempty leaves out when false.
		DSN                    *bool     `json:"dsn,omitempty"`
		DeferredBeforeDelivery bool      `json:"deferred_before_delivery,omitempty"`
		Copies                 int       `json:"copies,omitempty"`
		NextAttempt            time.Time `json:"next_attempt,omitzero"`
	}{fields(r), dsn, r.DeferredBeforeDelivery(), r.Copies(), next})
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), err
}

// Final reports whether the recipient reached a terminal state.
func (r *Recipient) Final() bool {
	switch r.Status {
	case "delivered", "bounced", "expired", "suppressed":
		return true
	}
	return false
}

// Tries is the number of delivery tries: the exchanges of one try (each
// MX host, each path of a route) count once.
func (r *Recipient) Tries() int { return len(r.tries()) }

// tries is the index in Attempts of each try's first exchange.
func (r *Recipient) tries() []int {
	var out []int
	nums := r.tryNumbers()
	for i := range nums {
		if i == 0 || nums[i] != nums[i-1] {
			out = append(out, i)
		}
	}
	return out
}

// tryNumbers is each attempt's try number; an attempt without one (a
// Data built by hand) is a try of its own.
func (r *Recipient) tryNumbers() []int {
	nums := make([]int, len(r.Attempts))
	for i, a := range r.Attempts {
		switch {
		case a.Try > 0:
			nums[i] = a.Try
		case i == 0:
			nums[i] = 1
		default:
			nums[i] = nums[i-1] + 1
		}
	}
	return nums
}

// LastReply is the reply of the last attempt, as "550 5.1.1 text" (see
// Attempt.Reply).
func (r *Recipient) LastReply() string {
	if len(r.Attempts) == 0 {
		return ""
	}
	return r.Attempts[len(r.Attempts)-1].Reply()
}

// outcomeReply is the reply that decided a recipient not delivered: the
// late bounce's after a 2xx, which LastReply (the 2xx) is not, else the
// last reply.
func (r *Recipient) outcomeReply() string {
	if b := r.LateBounce; b != nil && r.Status != "delivered" {
		if c := r.lastCode(); c != 0 {
			return "late bounce after a " + strconv.Itoa(c) + ": " + b.Reply()
		}
		return "late bounce: " + b.Reply()
	}
	return r.lastShown()
}

// lastShown is the last attempt's reply as a person reads it (see
// Attempt.Shown).
func (r *Recipient) lastShown() string {
	if len(r.Attempts) == 0 {
		return ""
	}
	return r.Attempts[len(r.Attempts)-1].Shown()
}

// lastCode is the last attempt's reply code, 0 without one.
func (r *Recipient) lastCode() int {
	if len(r.Attempts) == 0 {
		return 0
	}
	return r.Attempts[len(r.Attempts)-1].Code
}

// Data is everything the reports need, read once from the log.
type Data struct {
	Recipients []*Recipient `json:"recipients"`
	// SinkReplies counts the replies the sink gave, by "stage code". The
	// log holds only the refusals (sink.reply); CountSinkReplies puts
	// every reply of the sink's session records in their place.
	SinkReplies map[string]int `json:"sink_replies,omitempty"`
	// SinkSessions counts the sessions the sink recorded, SinkMessages the
	// messages it received whole (sink_messages), and SinkAccepted those
	// of them it answered with 2xx after the data.
	SinkSessions int `json:"sink_sessions"`
	// SinkSessionsOpen counts those of SinkSessions that have no end
	// recorded: cut short (a kill -9 of the sink) or still open. Of
	// their replies only those after the data are known, one per
	// message they stored, so SinkReplies then counts more "data-end"
	// replies than "mail" or "data" ones.
	SinkSessionsOpen int `json:"sink_sessions_open,omitempty"`
	SinkMessages     int `json:"sink_messages"`
	SinkAccepted     int `json:"sink_accepted"`
	// FromSink is set when the recipients are those a sink saw (FromSink),
	// not a relay's.
	FromSink bool `json:"from_sink,omitempty"`
	// RelayMail is set, on a sink's records (FromSink), when the store
	// they were read from holds the relay's mail too (relaylab expect on
	// a serve's store or API): the reports then do not say that the store
	// holds only what the sink received.
	RelayMail bool `json:"-"`
	// OtherSenders are, on a store that the relay and the sink both
	// wrote (a serve's), the sink's records of mail that did not come
	// from the relay: sent straight to the sink by another client, as
	// the sink saw them (see FromSink and AddSinkRecord). The summary and
	// the relay's recipients leave them out.
	OtherSenders []*Recipient `json:"other_senders,omitempty"`
	// SinkCountsUnknown is set when the sink's sessions and replies
	// could not be counted (expect --url: the serve's API has the
	// attempts, not every session and reply): SinkSessions and
	// SinkReplies are then left out of the JSON, not given wrong.
	SinkCountsUnknown bool `json:"-"`
	// earlyRefusals are the sessions a sink refused before any RCPT TO
	// (FromSink, from a SinkEarlyRefusalSource): they name no recipient,
	// so an expectation that finds too few says of them
	// (EarlyRefusalNote).
	earlyRefusals []SinkEarlyRefusal
	First, Last   time.Time `json:"-"`

	// sinkNotes are the sink's replies that carry a note (AddSinkNotes).
	sinkNotes []SinkAttempt
	// sinkMessages are the messages the sink checked (sink.verify), with
	// their results, for AddSinkAuth.
	sinkMessages []sinkMessage
	// messageIDs are the Message-ID fields of the relay's messages, by
	// the relay's id, where its relay.queued events carry them.
	messageIDs map[string]string
	// sinkMessageIDs are the Message-ID fields of the sink's messages, by
	// the sink's number for them (its sink.message events), and
	// unsentSinkBounces the sink's bounces that ended unsent (its
	// sink.bounce events with sent false): what addUnsentSinkBounces
	// ties to the relay's recipients.
	sinkMessageIDs    map[int64]string
	unsentSinkBounces []unsentSinkBounce
	// restOrigins are the rests of destinations that the relay's
	// attempts began, by destination key, with what began each
	// (noteRestOrigin).
	restOrigins map[string][]restOrigin
	// sinkUnanswered counts the sink's messages it stored and gave no
	// reply to after their final dot (a drop or hang: sinkUnansweredNote).
	sinkUnanswered int
	// suppressed are, on a sink's record, the addresses whose mail the
	// relay's suppression list stopped, by mailaddr.Key
	// (AddRelaySuppressions).
	suppressed map[string]*suppressedAddr
}

// unsentSinkBounce is a bounce the sink ended without sending: of
// which of its messages, for which recipient, and why (see
// SinkBounceNotSent).
type unsentSinkBounce struct {
	message   int64
	recipient string
	why       string
}

// payload is the union of the fields relay events carry.
type payload struct {
	Path     string `json:"path"`
	Host     string `json:"host"`
	Code     int    `json:"code"`
	Enhanced string `json:"enhanced"`
	Text     string `json:"text"`
	// Reply is the relay's reply object {stage, code, enhanced, text}, or
	// a plain string.
	Reply    json.RawMessage `json:"reply"`
	Error    string          `json:"error"`
	Category string          `json:"category"`
	Reason   string          `json:"reason"`
	Advice   string          `json:"advice"`
	Stage    string          `json:"stage"`
	// Count is how many replies a sink.reply event stands for: one, or
	// those past a session's first 2,000 folded by stage and code.
	Count      int      `json:"count"`
	LatencyMS  *float64 `json:"latency_ms"`
	DSN        bool     `json:"dsn"`
	Status     string   `json:"status"`
	Suppressed bool     `json:"suppressed"`
	// TLS and Cipher are a relay.attempt's connection: its TLS version and
	// cipher suite names, empty in plaintext.
	TLS    string `json:"tls"`
	Cipher string `json:"cipher"`
	// Attempt is a relay.attempt's try number (every host of one try
	// has the same); WalkStopped says that a cap stopped the try there.
	Attempt     int    `json:"attempt"`
	WalkStopped string `json:"walk_stopped"`
	// NextAttempt is a relay.deferred's next try; Async marks a
	// relay.bounced from a DSN that came after delivery, and
	// ReportingMTA the DSN's writer; BounceFor is, on a relay.queued, the
	// message of this relay's that a DSN relayed on to its sender reports
	// on.
	NextAttempt  time.Time `json:"next_attempt"`
	Async        bool      `json:"async"`
	ReportingMTA string    `json:"reporting_mta"`
	BounceFor    string    `json:"bounce_for"`
	// DSNMessage is, on a relay.dsn, the message the relay queued the
	// DSN as.
	DSNMessage string `json:"dsn_message"`
	// Notify is, on a relay.queued, the recipient's NOTIFY parameter.
	Notify string `json:"notify"`
	// Skipped are the paths of a route an attempt passed over (on a
	// relay.attempt, or on the outcome when no attempt followed);
	// RelayedAs is, on a late bounce, the relay's message carrying the
	// DSN on to the sender.
	Skipped   []SkippedPath `json:"skipped"`
	RelayedAs string        `json:"relayed_as"`
	// MessageID is, on a relay.queued, the message's Message-ID field
	// without angle brackets, when the relay's event carries it: what
	// ties an attempt to the sink's record of the message (AddSinkAuth).
	MessageID string `json:"message_id"`
}

// reply is a payload's reply object, when it has one.
type reply struct {
	Stage    string `json:"stage"`
	Code     int    `json:"code"`
	Enhanced string `json:"enhanced"`
	Text     string `json:"text"`
}

func (p payload) reply() (reply, bool) {
	var rep reply
	if len(p.Reply) == 0 || json.Unmarshal(p.Reply, &rep) != nil {
		return reply{}, false
	}
	return rep, true
}

// Load reads the whole log from src.
func Load(ctx context.Context, src EventSource) (*Data, error) {
	d := &Data{SinkReplies: map[string]int{}}
	byKey := map[string]*Recipient{}
	var after int64
	for {
		evs, err := src.Events(ctx, events.Filter{AfterID: after, Limit: 5000})
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			d.add(e, byKey)
		}
		after = evs[len(evs)-1].ID
	}
	for _, r := range d.Recipients {
		if r.Attempts == nil {
			r.Attempts = []Attempt{} // [] in JSON: no attempt, not an unknown
		}
		if r.Status == "delivered" {
			r.deliveredCategory()
		}
		if r.Status == "suppressed" && r.Category == "" {
			// The relay refused it for the suppression list before any
			// attempt: that is its category.
			r.Category = "suppressed"
		}
	}
	d.resolveDSNs()
	d.addUnsentSinkBounces()
	d.AddSinkAuth(d.messageIDs)
	seq := map[*Recipient]int{}
	rank := map[string]int{} // each scenario's place in the store, by its first recipient
	for _, r := range d.Recipients {
		r.Scenario, r.ScenarioMessage, seq[r] = scenarioName(d.messageIDs[r.Message])
		r.relayMessageID = d.messageIDs[r.Message]
		if _, ok := rank[r.Scenario]; !ok && r.Scenario != "" {
			rank[r.Scenario] = len(rank)
		}
	}
	d.nameRelayDSNs(seq)
	for _, r := range d.Recipients {
		r.namesScenario = len(rank) > 1 && r.Scenario != ""
		if r.ScenarioMessage != "" {
			// A replay's listeners had free ports, different on every
			// run: its verdicts show the host alone, and so does this.
			for i := range r.Attempts {
				r.Attempts[i].Host = ReplayHost(r.Attempts[i].Host)
			}
		}
	}
	sort.SliceStable(d.Recipients, func(i, j int) bool {
		a, b := d.Recipients[i], d.Recipients[j]
		if !a.Queued.Equal(b.Queued) {
			return a.Queued.Before(b.Queued)
		}
		// A replay queues many messages at one instant of its virtual
		// clock: its order, not the random queue id, keeps a report on
		// its store the same from run to run; scenarios replayed into
		// one store start their clocks alike, and come in their order.
		if a.Scenario != b.Scenario && a.Scenario != "" && b.Scenario != "" {
			return rank[a.Scenario] < rank[b.Scenario]
		}
		if seq[a] != seq[b] && seq[a] > 0 && seq[b] > 0 {
			return seq[a] < seq[b]
		}
		if a.Message != b.Message {
			return a.Message < b.Message
		}
		return a.Address < b.Address
	})
	return d, nil
}

func (d *Data) add(e events.Event, byKey map[string]*Recipient) {
	if d.First.IsZero() || e.Time.Before(d.First) {
		d.First = e.Time
	}
	if e.Time.After(d.Last) {
		d.Last = e.Time
	}
	var p payload
	if len(e.Payload) > 0 {
		_ = json.Unmarshal(e.Payload, &p) // a payload of another shape leaves p empty
	}
	switch e.Kind {
	case events.SinkReply:
		d.SinkReplies[fmt.Sprintf("%s %d", p.Stage, p.Code)] += max(p.Count, 1)
		return
	case events.SinkMessage:
		d.addSinkMessage(e)
		d.noteSinkMessage(e)
		d.SinkMessages++
		if p.Code/100 == 2 {
			d.SinkAccepted++
		}
		if p.Code == 0 {
			d.sinkUnanswered++ // stored, then a drop or hang after the final dot
		}
		return
	case events.SinkSession:
		d.SinkSessions++
		return
	case events.SinkBounce:
		d.noteSinkBounce(e)
		return
	}
	if !strings.HasPrefix(e.Kind, "relay.") || e.Recipient == "" {
		return
	}
	key := e.Message + "\x00" + e.Recipient
	r := byKey[key]
	if r == nil {
		r = &Recipient{Message: e.Message, Address: e.Recipient, Domain: domainOf(e.Recipient), Status: "queued", Queued: e.Time}
		byKey[key] = r
		d.Recipients = append(d.Recipients, r)
	}
	switch e.Kind {
	case events.RelayAttempt:
		d.noteRestOrigin(e)
		a := Attempt{Time: e.Time, Try: p.Attempt, Path: p.Path, Host: p.Host, Stage: p.Stage, Code: p.Code, Enhanced: p.Enhanced, Text: p.Text,
			Latency: p.LatencyMS, Error: p.Error, TLS: p.TLS, Cipher: p.Cipher, WalkStopped: p.WalkStopped, Skipped: p.Skipped}
		if n := len(r.Attempts); a.Try == 0 {
			// An event without a try number (an older store) is a try
			// of its own.
			a.Try = 1
			if n > 0 {
				a.Try = r.Attempts[n-1].Try + 1
			}
		}
		if len(p.Reply) > 0 {
			var rep struct {
				Stage    string `json:"stage"`
				Code     int    `json:"code"`
				Enhanced string `json:"enhanced"`
				Text     string `json:"text"`
			}
			var str string
			switch {
			case json.Unmarshal(p.Reply, &rep) == nil:
				a.Stage, a.Code, a.Enhanced, a.Text = rep.Stage, rep.Code, rep.Enhanced, rep.Text
				if rep.Code == 0 {
					a.Text, a.Error = "", strings.TrimPrefix(rep.Stage+": "+rep.Text, ": ")
				}
			case json.Unmarshal(p.Reply, &str) == nil:
				a.Text = str
			}
		}
		r.Attempts = append(r.Attempts, a)
		if p.Path != "" {
			r.Path = p.Path
		}
	case events.RelayDeferred:
		if !r.Final() {
			r.Status = "deferred"
		}
		rep, ok := p.reply()
		hold := ok && rep.Stage == "shaping"
		r.addSkipHolds(e.Time, p.Skipped)
		// A hold's category and reason ("nothing was sent to this
		// recipient") are a recipient's only while nothing was sent to
		// it: one that was tried keeps its own last reply's, and why
		// tells of the hold beside them (heldNote).
		if !hold || r.tried == nil {
			r.Category, r.Reason, r.Advice = orKeep(p.Category, r.Category), orKeep(p.Reason, r.Reason), orKeep(p.Advice, r.Advice)
		}
		r.next = p.NextAttempt
		if hold {
			r.Holds = append(r.Holds, Hold{Time: e.Time, Text: d.namedRest(rep.Text), Path: e.Path, Category: p.Category, Until: p.NextAttempt})
		} else if p.Category != "" {
			r.tried = &classified{p.Category, p.Reason, p.Advice}
		}
	case events.RelayQueued:
		r.notify = p.Notify
		if p.MessageID != "" {
			if d.messageIDs == nil {
				d.messageIDs = map[string]string{}
			}
			d.messageIDs[e.Message] = p.MessageID
		}
		if p.BounceFor != "" {
			d.relayedBounce(p.BounceFor, e.Message)
		}
	case events.RelayRecovered:
		r.Recovered = append(r.Recovered, e.Time)
	case events.RelayHeld, events.RelayReleased:
		// A hold by hand (relaylab queue hold) and its release: a held
		// line each in the timeline, and the status held while it lasts.
		var h struct {
			By   string `json:"by"`
			Note string `json:"note"`
		}
		json.Unmarshal(e.Payload, &h)
		text, cat := "held by "+cmp.Or(h.By, "an operator")+": not tried, and not expired, until released", handHold
		if h.Note != "" {
			text += "; note: " + h.Note
		}
		if e.Kind == events.RelayReleased {
			text, cat = "released from its hold by "+cmp.Or(h.By, "an operator")+": tried again now", handRelease
		}
		r.Holds = append(r.Holds, Hold{Time: e.Time, Text: text, Category: cat})
		if !r.Final() {
			r.Status = map[string]string{events.RelayHeld: "held", events.RelayReleased: "queued"}[e.Kind]
		}
	case events.RelayDSNReceived:
		r.addDSNReport(e)
	case events.RelayDSN:
		if p.DSNMessage == "" {
			r.DSN = true // an older store: the DSN's own delivery cannot be followed
		}
		if p.Status != "" {
			r.DSNStatus = p.Status
		}
		r.dsns = append(r.dsns, queuedDSN{p.DSNMessage, p.Status})
	default:
		if events.Terminal(e.Kind) {
			if e.Kind == events.RelayBounced && p.Async {
				rep, _ := p.reply()
				r.LateBounce = &LateBounce{Time: e.Time, Code: rep.Code, Enhanced: rep.Enhanced, Text: rep.Text, Category: p.Category, ReportingMTA: p.ReportingMTA}
				r.relayedOn(p.RelayedAs, rep.Enhanced)
			}
			r.addSkipHolds(e.Time, p.Skipped)
			r.Status = strings.TrimPrefix(e.Kind, "relay.")
			r.Done = e.Time
			r.Category, r.Reason, r.Advice = orKeep(p.Category, r.Category), orKeep(p.Reason, r.Reason), orKeep(p.Advice, r.Advice)
			r.Suppressed = r.Suppressed || p.Suppressed
			if p.Path != "" {
				r.Path = p.Path
			}
		}
	}
}

func orKeep(v, old string) string {
	if v != "" {
		return v
	}
	return old
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return ""
}

// dsnSeq is added to the number of a replay's relay-N in the order of
// Load, so that the relay's DSNs come after the scenario's messages
// queued at the same instant, as in the replay's verdicts.
const dsnSeq = 1 << 30

// nameRelayDSNs marks the recipients of the DSNs the relay wrote to the
// senders of messages (relayDSN), and names those of a replay's messages
// as the replay's verdicts do: relay-1, relay-2 and on, numbered within
// each scenario in the order they were queued (then by address), each
// with the scenario of the message it reports on. seq gets their place
// in the sort of Load.
func (d *Data) nameRelayDSNs(seq map[*Recipient]int) {
	about := map[string]*Recipient{} // a DSN's message: a recipient it reports on
	for _, r := range d.Recipients {
		for _, q := range r.dsns {
			if q.message != "" && about[q.message] == nil {
				about[q.message] = r
			}
		}
	}
	var made []*Recipient
	for _, r := range d.Recipients {
		if o := about[r.Message]; o != nil {
			r.relayDSN = true
			if o.ScenarioMessage != "" {
				made = append(made, r)
			}
		}
	}
	sort.SliceStable(made, func(i, j int) bool {
		if !made[i].Queued.Equal(made[j].Queued) {
			return made[i].Queued.Before(made[j].Queued)
		}
		return made[i].Address < made[j].Address
	})
	names := map[string]int{} // the relay's message: its number
	count := map[string]int{} // by scenario
	for _, r := range made {
		sc := about[r.Message].Scenario
		n, ok := names[r.Message]
		if !ok {
			count[sc]++
			n = count[sc]
			names[r.Message] = n
		}
		r.Scenario, r.ScenarioMessage, seq[r] = sc, "relay-"+strconv.Itoa(n), dsnSeq+n
	}
}

// ReplayHost is the host a replay's record shows for hostport: a
// loopback listener's address without the free port it happened to get
// on this run (127.0.0.1:39871 is 127.0.0.1), any other as it is.
func ReplayHost(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil && h == "127.0.0.1" {
		return h
	}
	return hostport
}

// relayedBounce marks the DSN another server wrote about message msg,
// which the relay matched and relays on to the sender as message carrier,
// as the DSN of the recipients it reported as bounced, with the status of
// their late bounce: the sender got it once carrier was delivered
// (resolveDSNs).
func (d *Data) relayedBounce(msg, carrier string) {
	for _, r := range d.Recipients {
		if r.Message == msg && r.LateBounce != nil && len(r.dsns) == 0 && !r.DSN {
			r.DSNStatus = r.LateBounce.Enhanced
			r.dsns = append(r.dsns, queuedDSN{carrier, r.LateBounce.Enhanced})
		}
	}
}

// resolveDSNs sets, for each recipient a DSN was queued about, whether
// the sender got one: the DSN's own message reached the sender (its
// recipient delivered). Otherwise DSNUndelivered says what became of the
// last one queued: bounced, expired, suppressed or still waiting. A DSN
// whose message is not in the log (a log read in part) is taken as sent,
// as it was before DSNs were followed.
func (d *Data) resolveDSNs() {
	byMsg := map[string]*Recipient{}
	for _, r := range d.Recipients {
		if _, ok := byMsg[r.Message]; !ok {
			byMsg[r.Message] = r
		}
	}
	for _, r := range d.Recipients {
		if len(r.dsns) == 0 {
			continue
		}
		var undelivered string
		for _, q := range r.dsns {
			if q.message == "" {
				continue
			}
			c := byMsg[q.message]
			if c == nil || c.Status == "delivered" {
				r.DSN, r.DSNMessage, r.DSNUndelivered = true, q.message, ""
				if q.status != "" {
					r.DSNStatus = q.status
				}
				continue
			}
			if !r.DSN {
				r.DSNMessage = q.message
				undelivered = c.dsnFate()
			}
		}
		if !r.DSN {
			r.DSNUndelivered = undelivered
		}
	}
}

// noteSinkMessage keeps the Message-ID of the sink's message of e (a
// sink.message event, whose message key is the Message-ID) by the sink's
// number for it, which its bounces name.
func (d *Data) noteSinkMessage(e events.Event) {
	var p struct {
		ID int64 `json:"id"`
	}
	if e.Message == "" || json.Unmarshal(e.Payload, &p) != nil || p.ID == 0 {
		return
	}
	if d.sinkMessageIDs == nil {
		d.sinkMessageIDs = map[int64]string{}
	}
	d.sinkMessageIDs[p.ID] = e.Message
}

// noteSinkBounce keeps the sink's bounce of e (a sink.bounce event, one
// at the bounce's end) when it ended unsent.
func (d *Data) noteSinkBounce(e events.Event) {
	var p struct {
		Message   int64  `json:"message"`
		Recipient string `json:"recipient"`
		Sent      bool   `json:"sent"`
		Error     string `json:"error"`
		Skipped   string `json:"skipped"`
	}
	if json.Unmarshal(e.Payload, &p) != nil || p.Sent || p.Message == 0 {
		return
	}
	d.unsentSinkBounces = append(d.unsentSinkBounces, unsentSinkBounce{p.Message, cmp.Or(p.Recipient, e.Recipient), SinkBounceNotSent(p.Error, p.Skipped)})
}

// SinkBounceNotSent says why a bounce of the sink's ended unsent, to
// follow "the sink has a bounce for it that": on a replay's store here,
// and on a sink's own record by relaylab expect and report (whose
// advice, unsentBounce's, reads these words).
func SinkBounceNotSent(errText, skipped string) string {
	if skipped != "" {
		return "it did not send: " + skipped
	}
	return "it could not send: " + cmp.Or(errText, "no reason recorded")
}

// addUnsentSinkBounces gives DSNNotSent to each recipient the relay
// delivered to the sink whose bounce the sink then ended unsent, on a
// store both wrote (a replay's): the sink's message is the relay's by
// its Message-ID. Without it such a recipient read as plainly
// delivered, though the receiving side had failed it and told no one.
func (d *Data) addUnsentSinkBounces() {
	if len(d.unsentSinkBounces) == 0 || len(d.messageIDs) == 0 {
		return
	}
	relayMsgs := map[string][]string{} // Message-ID: the relay's messages
	for id, mid := range d.messageIDs {
		relayMsgs[mid] = append(relayMsgs[mid], id)
	}
	byKey := map[string]*Recipient{}
	for _, r := range d.Recipients {
		byKey[r.Message+"\x00"+strings.ToLower(r.Address)] = r
	}
	for _, b := range d.unsentSinkBounces {
		mid, ok := d.sinkMessageIDs[b.message]
		if !ok {
			continue
		}
		for _, msg := range relayMsgs[mid] {
			r := byKey[msg+"\x00"+strings.ToLower(b.recipient)]
			if r != nil && r.Status == "delivered" && !r.DSN && r.LateBounce == nil {
				r.DSNNotSent = b.why
			}
		}
	}
}

// dsnFate says what became of r, a DSN's recipient (the sender) that was
// not delivered: "queued as message m2 to a@x.test, which expired
// undelivered after 9 attempts; last reply: 451 4.3.0 ...".
func (r *Recipient) dsnFate() string {
	s := "queued as message " + r.Message + " to " + r.Address + ", which "
	switch r.Status {
	case "bounced", "expired", "suppressed":
		s += r.Status + " undelivered"
		if r.Status == "suppressed" && len(r.Attempts) == 0 {
			s += " (the address is on the suppression list)"
		}
	default:
		s += "is still waiting to be delivered (" + r.Status + ")"
	}
	if n := r.Tries(); n > 0 {
		s += " after " + counted(n, "attempt")
	}
	if lr := r.lastShown(); lr != "" {
		s += "; last reply: " + lr
	}
	return s
}

// deliveredCategory gives a delivered recipient the category, reason and
// advice of the last deferral a server's reply caused, not of a hold of
// the relay's shaping that came after it: a 421 that rested the
// destination, then a hold until the rest ended, is "rate-limited". A
// recipient only held back keeps the hold's category, with a reason that
// says it was held, not that nothing was sent.
func (r *Recipient) deliveredCategory() {
	switch {
	case r.tried != nil:
		r.Category, r.Reason, r.Advice = r.tried.category, r.tried.reason, r.tried.advice
	case len(r.Holds) > 0:
		h := r.Holds[len(r.Holds)-1]
		r.Category, r.Advice = h.Category, ""
		r.Reason = "the relay's own shaping held it back before it was sent (" + h.Text + ")"
	}
}
