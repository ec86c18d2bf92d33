package reports

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/dsn"
)

// SenderDSN is a DSN that the sender's own MTA (the system under test,
// such as Postfix) wrote to a message's sender about one of the
// message's recipients, as the sink received it: the sender routes its
// bounces to the sink, which stores them as mail.
type SenderDSN struct {
	// Time is when the sink received the DSN.
	Time time.Time `json:"time"`
	// Message is the sink's number for the DSN message ("Message
	// accepted as 17"), To the address it went to: the sender.
	Message string `json:"message"`
	To      string `json:"to,omitempty"`
	// Action is the RFC 3464 2.3.3 action: failed, delayed, delivered,
	// relayed or expanded; Status its enhanced status code.
	Action string `json:"action"`
	Status string `json:"status,omitempty"`
	// Diagnostic is the reply the sender's MTA reports
	// (Diagnostic-Code: "550 5.1.1 no such user"), ReportingMTA the MTA
	// that wrote the DSN.
	Diagnostic   string `json:"diagnostic,omitempty"`
	ReportingMTA string `json:"reporting_mta,omitempty"`
	// By says how the DSN was tied to this recipient: "message-id" (the
	// returned message's Message-ID is the recipient's message's) or
	// "address" (its Final-Recipient or Original-Recipient alone).
	By string `json:"by"`
}

// Reply is what the DSN reports: its Diagnostic-Code, else its status.
func (x SenderDSN) Reply() string {
	return strings.TrimSpace(x.Status + " " + x.Diagnostic)
}

// SinkMailMessage is a message the sink received from the null sender
// (RFC 5321 4.5.5: the sender a DSN is sent from), with its raw bytes,
// for FromSink to read the DSNs among them.
type SinkMailMessage struct {
	Message    int64
	Time       time.Time
	Recipients []string
	Raw        []byte
}

// SinkDSNSource is offered by a SinkAttemptSource that has the messages
// it received (a sink's store, or a serve's API for expect --url):
// FromSink reads the DSNs among those from the null sender and ties each
// to the recipient it reports on.
type SinkDSNSource interface {
	NullSenderMessages(ctx context.Context) ([]SinkMailMessage, error)
}

// sinkOwnDSN reports whether the DSN p is one the sink itself wrote (its
// asynchronous bounce, which came back to it through the sender's MTA):
// the sink names its DSNs "<sink-bounce-ID.TAG@HOST>" (sink/bounce.go,
// dsnMessageID). FromSink has those from the sink's own record already.
func sinkOwnDSN(p *dsn.Parsed) bool {
	id := strings.TrimPrefix(strings.TrimSpace(p.Header.Get("Message-ID")), "<")
	return strings.HasPrefix(strings.ToLower(id), "sink-bounce-")
}

// addSenderDSNs ties each DSN among msgs (messages from the null sender
// that are a multipart/report of delivery-status) to the record of the
// recipient each of its per-recipient groups reports on: by the
// returned message's Message-ID when the record has it, else by
// address (Original-Recipient, then Final-Recipient) and, among several
// records of the address, by the action (a failure or a delay is about
// a record not delivered) and then the latest begun before the DSN.
// A record the sink left deferred for which the sender's MTA reports
// failed is bounced: the sender gave up on it, and the DSN says so.
//
// The records of the DSN messages themselves (the sink accepted each
// for the sender's address) are marked SenderDSNMail, or SinkDSNMail
// when the DSN is the sink's own come back: they are not the
// application's mail, and the summary counts them apart.
func (d *Data) addSenderDSNs(msgs []SinkMailMessage) {
	byAddr := map[string][]*Recipient{}
	byMsg := map[string][]*Recipient{} // by the sink's number for the message
	for _, r := range d.Recipients {
		k := matchForm(r.Address) // an IDN in either spelling: one address
		byAddr[k] = append(byAddr[k], r)
		if r.Message != "" {
			byMsg[r.Message] = append(byMsg[r.Message], r)
		}
	}
	for _, m := range msgs {
		if !dsn.IsReport(m.Raw) {
			continue
		}
		// The sink's own DSN that came back to it (through serve's relay,
		// or the sender's MTA) is no more the application's mail than
		// the sender's own, but it is the sink's: its record's late
		// bounce, which dsn judges, not a DSN from the sender's MTA.
		p, err := dsn.Parse(m.Raw)
		own := err == nil && sinkOwnDSN(p)
		for _, r := range byMsg[strconv.FormatInt(m.Message, 10)] {
			r.SenderDSNMail, r.SinkDSNMail = !own, own
		}
		if err != nil || own {
			continue
		}
		origID := strings.Trim(strings.TrimSpace(p.OriginalMessageID), "<>")
		to := ""
		if len(m.Recipients) > 0 {
			to = m.Recipients[0]
		}
		for _, rc := range p.Report.Recipients {
			x := SenderDSN{Time: m.Time, Message: strconv.FormatInt(m.Message, 10), To: to, Action: rc.Action, Status: rc.Status,
				Diagnostic: rc.DiagnosticCode, ReportingMTA: p.Report.ReportingMTA}
			r := senderDSNRecord(byAddr, rc, origID, m, &x)
			if r == nil {
				continue
			}
			r.SenderDSNs = append(r.SenderDSNs, x)
			if x.Action == dsn.ActionFailed && !r.Final() {
				// The sink's reading of its last reply follows (a drop on
				// purpose, a 4xx): the cause the sender gave up on.
				last, _ := r.ownWhy()
				// Its advice was for a reply the sender would retry
				// ("nothing; it is retried"): the sender has stopped.
				r.Status, r.Done = "bounced", m.Time
				r.Advice = "the sender will not try again: if the sink's refusals were your test's, this is the give-up it asked for; otherwise read the sink's last reply and the DSN, fix what they name, and send the message again"
				r.Reason = "the sender's MTA gave up on it and returned a failed DSN to the sender (" + x.Reply() + ")" + cutReason(last)
			}
		}
	}
}

// cutReason is reason, the reading of the sink's last reply, as the
// tail of a sender DSN's reason.
func cutReason(reason string) string {
	if reason == "" {
		return ""
	}
	return "; the sink's last reply: " + reason
}

// senderDSNRecord is the record the DSN group rc reports on (see
// addSenderDSNs), nil when the sink has none of its address; x.By says
// how it was found.
func senderDSNRecord(byAddr map[string][]*Recipient, rc dsn.Recipient, origID string, m SinkMailMessage, x *SenderDSN) *Recipient {
	var rs []*Recipient
	for _, a := range []string{rc.OriginalRecipient, rc.FinalRecipient} {
		if rs = byAddr[matchForm(strings.TrimSpace(a))]; len(rs) > 0 {
			break
		}
	}
	// A recipient seen from several senders: the DSN goes to the
	// message's sender, so it is about that sender's records.
	if to := m.Recipients; len(to) > 0 {
		if same := slices.DeleteFunc(slices.Clone(rs), func(r *Recipient) bool {
			return r.Sender != "" && !slices.ContainsFunc(to, func(a string) bool { return strings.EqualFold(a, r.Sender) })
		}); len(same) > 0 {
			rs = same
		}
	}
	if len(rs) == 0 && origID != "" {
		// No record of the address it names (the sender's MTA rewrote the
		// address and wrote no Original-Recipient): the returned
		// message's Message-ID alone, when one record of it has it.
		var byID []*Recipient
		for _, all := range byAddr {
			for _, r := range all {
				if strings.EqualFold(strings.Trim(r.messageID, "<>"), origID) {
					byID = append(byID, r)
				}
			}
		}
		if len(byID) == 1 {
			x.By = "message-id"
			return byID[0]
		}
	}
	if len(rs) == 0 {
		return nil
	}
	if origID != "" {
		for _, r := range rs {
			if strings.EqualFold(strings.Trim(r.messageID, "<>"), origID) {
				x.By = "message-id"
				return r
			}
		}
	}
	x.By = "address"
	failure := rc.Action == dsn.ActionFailed || rc.Action == dsn.ActionDelayed
	if fit := slices.DeleteFunc(slices.Clone(rs), func(r *Recipient) bool { return (r.Status == "delivered") == failure }); len(fit) > 0 {
		rs = fit
	}
	best := rs[0]
	for _, r := range rs[1:] {
		if !r.Queued.After(m.Time) {
			best = r
		}
	}
	return best
}

// lastSenderDSN is r's last DSN from the sender's MTA with action (any
// when ""), and whether it has one.
func (r *Recipient) lastSenderDSN(action string) (SenderDSN, bool) {
	for i := len(r.SenderDSNs) - 1; i >= 0; i-- {
		if x := r.SenderDSNs[i]; action == "" || x.Action == action {
			return x, true
		}
	}
	return SenderDSN{}, false
}

// checkSenderDSN judges e's sender_dsn and sender_dsn_status against the
// DSNs from the sender's MTA that r has.
func checkSenderDSN(r *Recipient, e RecipientExpectation) []string {
	if e.SenderDSN == "" && e.SenderDSNStatus == "" {
		return nil
	}
	if !r.fromSink {
		return []string{"sender_dsn and sender_dsn_status judge the DSNs a sender's own MTA sent back to a sink (relaylab expect); a replay's DSNs are the relay's, which dsn and dsn_status judge"}
	}
	got := r.senderDSNList()
	switch want := e.SenderDSN; {
	case want == "none" && len(r.SenderDSNs) > 0:
		return []string{"expected no DSN from the sender's MTA, got " + got}
	case want != "" && want != "none":
		if _, ok := r.lastSenderDSN(want); !ok {
			if place := senderDSNPlace(r, e); place != "" {
				return []string{"expected a " + want + " DSN from the sender's MTA about " + r.Address + ", but none reports on this address" + place}
			}
			return []string{"expected a " + want + " DSN from the sender's MTA, " + orNone(got) + senderDSNHint(r)}
		}
	}
	if e.SenderDSNStatus == "" {
		return nil
	}
	action := e.SenderDSN
	if action == "none" {
		action = ""
	}
	for _, x := range r.SenderDSNs {
		if (action == "" || x.Action == action) && statusHas(e.SenderDSNStatus, x.Status) {
			return nil
		}
	}
	what := "a DSN"
	if action != "" {
		what = "a " + action + " DSN"
	}
	if place := senderDSNPlace(r, e); place != "" && len(r.SenderDSNs) == 0 {
		return []string{fmt.Sprintf("expected %s from the sender's MTA about %s with status %s, but none reports on this address", what, r.Address, e.SenderDSNStatus) + place}
	}
	return []string{fmt.Sprintf("expected %s from the sender's MTA with status %s, %s", what, e.SenderDSNStatus, orNone(got)) + senderDSNHint(r)}
}

// senderDSNList names r's DSNs from the sender's MTA: "a failed DSN
// (5.1.1, message 17)"; "" when it has none.
func (r *Recipient) senderDSNList() string {
	var out []string
	for _, x := range r.SenderDSNs {
		out = append(out, fmt.Sprintf("a %s DSN (%s, message %s)", x.Action, cmp.Or(x.Status, "no status"), x.Message))
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, ", ")
}

func orNone(got string) string {
	if got == "" {
		return "none reached the sink"
	}
	return "got " + got
}

// senderDSNHint says, of a recipient with no DSN from the sender's MTA
// yet, where one would come from: the sender writes it to the message's
// sender, and the sink sees it only when that address is routed to it.
func senderDSNHint(r *Recipient) string {
	if len(r.SenderDSNs) > 0 {
		return ""
	}
	if !r.Final() {
		return " (the sink's last reply deferred it: the sender writes a failed DSN only once it gives up, after its queue lifetime (Postfix: maximal_queue_lifetime), and a delayed one after its delay_warning_time; give --wait long enough)"
	}
	return " (the sender's MTA writes its DSN to the message's sender: route that address to the sink, or the sink cannot see it; a sender asked for NOTIFY=NEVER sends none)"
}

// senderDSNLine is the line a timeline's outcome gives r's last DSN from
// the sender's MTA: "DSN from the sender's MTA (pfx.test): failed 5.1.1
// smtp; 550 ... (the sink's message 17, to qa@app.test)".
func (r *Recipient) senderDSNLine() string {
	x, ok := r.lastSenderDSN("")
	if !ok {
		return ""
	}
	s := "DSN from the sender's MTA"
	if x.ReportingMTA != "" {
		s += " (" + x.ReportingMTA + ")"
	}
	s += ": " + x.Action + " " + x.Reply() + " (the sink's message " + x.Message
	if x.To != "" {
		s += ", to " + x.To
	}
	if x.By == "address" {
		s += "; tied by its recipient's address: it returned no Message-ID the sink had"
	}
	return s + ")"
}
