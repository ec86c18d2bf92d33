package reports

import (
	"cmp"
	"context"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SinkAttempt is one attempt as a receiving sink saw it; reports takes the
// fields it needs so that it does not depend on how the sink stores them.
type SinkAttempt struct {
	Time      time.Time
	Listener  string
	Client    string
	Sender    string
	Recipient string
	Stage     string
	Code      int
	Enhanced  string
	Text      string
	// TLS is the session's TLS as the sink records it ("TLS 1.3
	// TLS_AES_128_GCM_SHA256"), "" in plaintext.
	TLS string
	// Session is the sink's number for the session the attempt was
	// made in, 0 when the source does not say: what names a recipient
	// refused before the data, which left no message.
	Session int64
	// By names what chose the reply (a rule, a profile's rule, a
	// directive, a limit), "" for the sink's normal replies.
	By string
}

// SinkAttemptSource lists every attempt a sink recorded, oldest first.
type SinkAttemptSource interface {
	AllAttempts(ctx context.Context) ([]SinkAttempt, error)
}

// SinkMessageAttempt is a SinkAttempt with the message it left in the
// sink's record: the sink's number for it, 0 when it left none (refused
// before the data, or the data not received whole).
type SinkMessageAttempt struct {
	SinkAttempt
	Message int64
	// MessageID is the Message-ID header of that message as the sink
	// stored it, "" when it left none or the message had none: a
	// sender's retries of one message keep it, so it tells them from
	// another message to the same address (FromSink's records).
	MessageID string
}

// WithoutMessages is mas as plain attempts, for a SinkMessageSource's
// AllAttempts.
func WithoutMessages(mas []SinkMessageAttempt) []SinkAttempt {
	out := make([]SinkAttempt, len(mas))
	for i, a := range mas {
		out[i] = a.SinkAttempt
	}
	return out
}

// SinkMessageSource is offered by a SinkAttemptSource that knows the
// message each attempt left and its Message-ID (a sink's store does, and
// so do the web API's attempts, with message and message_id): FromSink
// then reads the attempts from it, ties a sender's retries by
// Message-ID, and counts the messages the sink received and accepted.
type SinkMessageSource interface {
	AllMessageAttempts(ctx context.Context) ([]SinkMessageAttempt, error)
}

// SinkBounce is an asynchronous bounce (RFC 3464 DSN) the sink sent
// back to a message's sender after accepting it for Recipient: the
// "accept, then bounce later" of its bounce rules and directives.
type SinkBounce struct {
	Recipient string
	// Sender is the envelope sender of the message bounced, "" when
	// the source does not say (a message from the null sender is never
	// bounced, RFC 5321 6.1): a recipient the sink saw from several
	// senders has a record per sender, and the bounce belongs to one.
	// Without it, the bounce goes to each of the recipient's records the
	// sink accepted.
	Sender string
	// Reply is the failure the DSN reports ("550 5.1.1 no such user").
	Reply string
	// NotSent, when set, says why the bounce did not go out: not sent
	// yet, sending it failed, or NOTIFY ruled it out.
	NotSent string
	// Time is when the sink sent it, zero when the source does not say:
	// the recipient's timeline shows the bounce at that time.
	Time time.Time
	// Message is the sink's number for the message bounced, 0 when the
	// source does not say: it ties the bounce to that message's record
	// of the recipient.
	Message int64
	// Relay is where the sink sent the bounce, or tried to (its
	// sink.bounce.relay, or under relaylab serve its own relay), "" when
	// the source does not say: what a bounce not sent names as the place
	// to look.
	Relay string
}

// SinkBounceSource is a SinkAttemptSource that also gives the bounces
// the sink has: those it sent, and those it did not send with NotSent
// saying why.
type SinkBounceSource interface {
	AllBounces(ctx context.Context) ([]SinkBounce, error)
}

// FromSink builds Data from what a sink saw, for judging a sender that is
// not ours (their MTA, their application): a record per recipient and
// message (see the records below: one ends when the sink accepts the
// message), each with its attempts in order, its message the sink's number for the one its last attempt left
// (when src is a SinkMessageSource), its status from the last reply (2xx after the data: delivered; 4xx
// or a dropped connection: deferred; 5xx: bounced), its path the listener
// its last attempt reached (as a relay recipient's is the path of its
// last attempt), its category, reason and advice the classifier's
// reading of the refusal its status comes from (see explainSink; src's
// own when it is a SinkExplainer, the relay's built-in table otherwise),
// and times relative to the first attempt. When src is a
// SinkMessageSource, SinkMessages counts the messages the sink received
// whole (the distinct messages of the attempts) and SinkAccepted those it
// answered with 2xx after the data; otherwise both stay 0.
func FromSink(ctx context.Context, src SinkAttemptSource) (*Data, error) {
	atts, err := sinkMessageAttempts(ctx, src)
	if err != nil {
		return nil, err
	}
	return fromSinkAttempts(ctx, src, atts, nil)
}

// sinkMessageAttempts are src's attempts, with their messages when src
// is a SinkMessageSource.
func sinkMessageAttempts(ctx context.Context, src SinkAttemptSource) ([]SinkMessageAttempt, error) {
	if ms, ok := src.(SinkMessageSource); ok {
		return ms.AllMessageAttempts(ctx)
	}
	plain, err := src.AllAttempts(ctx)
	if err != nil {
		return nil, err
	}
	atts := make([]SinkMessageAttempt, len(plain))
	for i, a := range plain {
		atts[i].SinkAttempt = a
	}
	return atts, nil
}

// fromSinkAttempts is FromSink over atts, some of src's attempts. The
// bounces and the null sender's mail that src has of the sink's messages
// in relayed (those the relay of the same store delivered, see
// tieSinkAttempts) are the relay's, not of these records: they are left
// out.
func fromSinkAttempts(ctx context.Context, src SinkAttemptSource, atts []SinkMessageAttempt, relayed map[int64]bool) (*Data, error) {
	var err error
	d := &Data{SinkReplies: map[string]int{}, FromSink: true}
	// Greylisting keys on (client, sender, recipient), and the sink's
	// counted directives on (sender, recipient): a recipient delivered
	// from one sender can be deferred from another, and one record
	// merging both would show whichever came last. A recipient seen from
	// several senders has a record per sender; one seen from a single
	// sender has one, as before, without its sender.
	senders := map[string]map[string]bool{}
	for _, ma := range atts {
		k := strings.ToLower(ma.Recipient)
		if senders[k] == nil {
			senders[k] = map[string]bool{}
		}
		senders[k][strings.ToLower(ma.Sender)] = true
	}
	// A record is one message's delivery to the recipient: it ends when
	// the sink accepts the message for it (2xx after the data), and a
	// later attempt begins a new record, so that an application that
	// mails one user twice has two records of one try each, not one of
	// two. A drop after the dot, a refusal at RCPT or after the data
	// keeps it open: the sender retries those. An attempt whose message
	// carries a Message-ID joins the open record of that Message-ID (a
	// retry of it), else one that has not reached the data yet, else
	// begins a record; one without (refused before the data) joins the
	// oldest open record, as the sink's counted directives count it.
	open := map[string][]*Recipient{}
	ids := map[*Recipient]string{}
	// A message's attempts are one per recipient; all have its reply.
	received, accepted := map[int64]bool{}, map[int64]bool{}
	for _, ma := range atts {
		a := ma.SinkAttempt
		if d.First.IsZero() || a.Time.Before(d.First) {
			d.First = a.Time
		}
		if a.Time.After(d.Last) {
			d.Last = a.Time
		}
		d.SinkReplies[a.Stage+" "+strconv.Itoa(a.Code)]++
		if ma.Message != 0 {
			received[ma.Message] = true
			if a.Code >= 200 && a.Code < 300 {
				accepted[ma.Message] = true
			}
		}
		key, sender := strings.ToLower(a.Recipient), ""
		if len(senders[key]) > 1 {
			sender = cmp.Or(a.Sender, "<>")
			key += "\x00" + strings.ToLower(a.Sender)
		}
		r := openRecord(open[key], ids, ma.MessageID)
		if r == nil {
			r = &Recipient{Address: a.Recipient, Sender: sender, Domain: domainOf(a.Recipient), Status: "queued", Queued: a.Time, fromSink: true, from: a.Sender}
			open[key] = append(open[key], r)
			d.Recipients = append(d.Recipients, r)
		}
		if ids[r] == "" {
			ids[r], r.messageID = ma.MessageID, ma.MessageID
		}
		// Each session's attempt is a delivery try of its own: the sink
		// cannot tell which sessions a sender meant as one.
		// The host is the client's address without its port: a sender's
		// every session comes from a new port, and a timeline folds
		// repeated tries only when their host is the same.
		host := a.Client
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		at := Attempt{Time: a.Time, Try: len(r.Attempts) + 1, Path: a.Listener, Host: host, Stage: a.Stage, Code: a.Code, Enhanced: a.Enhanced, Text: a.Text, By: a.By, sinkMessage: ma.Message}
		at.TLS, at.Cipher = splitTLS(a.TLS)
		if a.Code == 0 {
			at.Error = "no reply: connection dropped or left hanging at " + a.Stage
			if a.Text != "" {
				// The sink says why: the client left, or the sink
				// dropped or hung on purpose, and by which directive.
				at.Error = "no reply: " + a.Text
			}
		}
		r.Attempts = append(r.Attempts, at)
		if a.Listener != "" {
			r.Path = a.Listener
		}
		// The recipient's message is the one its last attempt left, by
		// the sink's number for it (its "Message accepted as 3", and
		// /api/v1/sink/messages/3), as a relay recipient's is the relay's
		// message: the CSV's message column, the text's and HTML's
		// labels and expectations' message key see it. A last attempt
		// that left none (refused before the data) names none, rather
		// than an earlier message its status is not about.
		r.Message = ""
		if ma.Message != 0 {
			r.Message = strconv.FormatInt(ma.Message, 10)
		}
		// Its session too, which names it when it has no message:
		// "session 12" in the text, HTML and JUnit, "session" in the
		// JSON and CSV.
		r.Session = a.Session
		switch {
		case a.Code >= 200 && a.Code < 300 && (a.Stage == "data-end" || a.Stage == "data"):
			r.Status, r.Done = "delivered", a.Time
			open[key] = slices.DeleteFunc(open[key], func(o *Recipient) bool { return o == r })
		case a.Code >= 500:
			r.Status, r.Done = "bounced", a.Time
		case a.Code >= 200 && a.Code < 300:
			// accepted at RCPT but the transaction went no further
		default:
			r.Status, r.Done = "deferred", time.Time{}
		}
	}
	d.SinkMessages, d.SinkAccepted = len(received), len(accepted)
	// Each refusal explained as the web UI's sink pages explain it, with
	// the same classifier (relay.ExplainSinkReply): a category, a reason
	// and what to do in every format, as a relay's recipient has them.
	x := sinkExplainer(src)
	for _, r := range d.Recipients {
		r.explainSink(x)
	}
	if bs, ok := src.(SinkBounceSource); ok {
		bounces, err := bs.AllBounces(ctx)
		if err != nil {
			return nil, err
		}
		// A recipient the sink accepted and then bounced: a DSN went to
		// the sender, with the status its reply carries, as expectations
		// dsn and dsn_status judge it.
		// A bounce that names its message's sender goes to that sender's
		// record; one that does not, to each record of the recipient the
		// sink accepted (a bounce follows an acceptance).
		// The records by address, found in one look-up per bounce: a
		// walk over every record for each bounce took 14 s for 12,000
		// bounced recipients (BenchmarkFromSinkBounces).
		byAddr := make(map[string][]*Recipient, len(d.Recipients))
		for _, r := range d.Recipients {
			k := strings.ToLower(r.Address)
			byAddr[k] = append(byAddr[k], r)
		}
		for _, b := range bounces {
			if relayed[b.Message] {
				continue // the relay's message: its record has the bounce
			}
			for _, r := range byAddr[strings.ToLower(b.Recipient)] {
				if b.Message != 0 && r.Message != "" && r.Message != strconv.FormatInt(b.Message, 10) {
					continue // another message's record of the address
				}
				if r.Sender != "" && !bounceFor(b, r) {
					continue
				}
				r.dsnRelay = b.Relay
				if b.NotSent != "" {
					if !r.DSN {
						r.DSNNotSent = b.NotSent
					}
					continue
				}
				r.DSN, r.DSNNotSent = true, ""
				if f := strings.Fields(b.Reply); len(f) > 1 && strings.Count(f[1], ".") == 2 {
					r.DSNStatus = f[1]
				}
				if lb := sinkLateBounce(b); lb != nil {
					r.LateBounce = lb
				}
			}
		}
	}
	if es, ok := src.(SinkEarlyRefusalSource); ok {
		if d.earlyRefusals, err = es.EarlyRefusals(ctx); err != nil {
			return nil, err
		}
	}
	if ds, ok := src.(SinkDSNSource); ok {
		// The sender's own DSNs that reached the sink: its bounce of a
		// recipient the sink refused, its give-up after deferrals.
		msgs, err := ds.NullSenderMessages(ctx)
		if err != nil {
			return nil, err
		}
		// The relay's own DSNs, and the sink's that the relay carried,
		// are the relay's mail, not a sender's MTA's.
		msgs = slices.DeleteFunc(msgs, func(m SinkMailMessage) bool { return relayed[m.Message] })
		d.addSenderDSNs(msgs)
	}
	d.noteSenders()
	sort.SliceStable(d.Recipients, func(i, j int) bool {
		a, b := d.Recipients[i], d.Recipients[j]
		if a.Address != b.Address {
			return a.Address < b.Address
		}
		return a.Sender < b.Sender
	})
	return d, nil
}

// noMessageNote says, of a sink's record left queued because its last
// attempt was accepted at RCPT TO and no message followed (the sender
// quit, reset or dropped the connection before its data), that nothing
// is queued at the sink; "" for any other record.
func (r *Recipient) noMessageNote() string {
	if !r.fromSink || r.Status != "queued" || len(r.Attempts) == 0 {
		return ""
	}
	if a := r.Attempts[len(r.Attempts)-1]; a.Stage != "rcpt" || a.Code < 200 || a.Code > 299 {
		return ""
	}
	return " (accepted at RCPT TO, and no message followed: the sender ended the transaction before sending its data, so the sink holds nothing for it and queues nothing; " +
		"a sender that meant to send the message will try again, and its record is delivered once the sink takes the data)"
}

// openRecord is the open record (of one recipient and sender) that an
// attempt whose message carries the Message-ID id continues: the one of
// that Message-ID, else the oldest that has none yet (tries refused
// before the data); for an attempt without one, the oldest. nil when
// the attempt begins a record.
func openRecord(open []*Recipient, ids map[*Recipient]string, id string) *Recipient {
	if len(open) == 0 {
		return nil
	}
	if id == "" {
		return open[0]
	}
	for _, r := range open {
		if ids[r] == id {
			return r
		}
	}
	for _, r := range open {
		if ids[r] == "" {
			return r
		}
	}
	return nil
}

// sinkLateBounce is the sink's sent DSN b as a late bounce, for the
// recipient's timeline ("DSN +10m0s (the sink) late bounce after
// delivery: 550 5.1.1 ...", as a replay's shows the relay's), the CSV's
// late_bounce column and the JSON's late_bounce; nil for a DSN that
// reports no failure (a delay's 4xx, a delivery's 2xx).
func sinkLateBounce(b SinkBounce) *LateBounce {
	f := strings.SplitN(strings.TrimSpace(b.Reply), " ", 3)
	code, err := strconv.Atoi(f[0])
	if err != nil || code < 500 || code > 599 {
		return nil
	}
	lb := &LateBounce{Time: b.Time, Code: code}
	if len(f) > 1 && strings.Count(f[1], ".") == 2 {
		lb.Enhanced, f = f[1], f[1:]
	}
	if len(f) > 1 {
		lb.Text = strings.Join(f[1:], " ")
	}
	return lb
}

// bounceFor reports whether the bounce b is about r, a recipient's
// record for one of several senders: by the sender b names, or without
// one, by r's acceptance.
func bounceFor(b SinkBounce, r *Recipient) bool {
	if b.Sender != "" {
		return strings.EqualFold(b.Sender, r.Sender)
	}
	return r.Status == "delivered"
}

// splitTLS parses the sink's "TLS 1.3 TLS_AES_128_GCM_SHA256" into the
// version and the cipher suite, as a relay attempt has them.
func splitTLS(s string) (version, cipher string) {
	f := strings.Fields(s)
	if len(f) >= 2 && f[0] == "TLS" {
		return f[0] + " " + f[1], strings.Join(f[2:], " ")
	}
	return s, ""
}

// SinkReply counts the replies a sink gave with one code at one stage
// ("connect" for the greeting, "rcpt", "data-end"), as its session
// records keep them.
type SinkReply struct {
	Stage string
	Code  int
	Count int
}

// CountSinkReplies makes d.SinkReplies the count of replies, by "stage
// code", in place of the refusals alone that the event log has: a report
// on a sink's store then shows what it accepted as well as what it
// refused.
func (d *Data) CountSinkReplies(replies []SinkReply) {
	d.SinkReplies = make(map[string]int, len(replies))
	for _, r := range replies {
		d.SinkReplies[r.Stage+" "+strconv.Itoa(r.Code)] += r.Count
	}
}

// SinkRecord is what a sink keeps beside the event log: every reply of
// its sessions, and the attempts of its recipients.
type SinkRecord interface {
	SinkAttemptSource
	// SinkReplies counts the replies of the sink's sessions by stage and
	// code, and says how many sessions it has recorded.
	SinkReplies(ctx context.Context) (replies []SinkReply, sessions int, err error)
}

// AddSinkRecord completes d, read from the event log, with what the
// sink's own record holds and the log does not: every reply of every
// session (the log has only the refusals, as sink.reply events), every
// session (the log has a sink.session event for those that ended only;
// the others are counted in SinkSessionsOpen), and, on a store that only
// a sink wrote (no relay mail), the recipients as the sink saw them,
// each session's attempt one try, as relaylab expect --db judges them.
// On a store the relay wrote too (a serve's, a replay's), each of the
// relay's attempts that the sink answered gets what the sink recorded of
// it (tieSinkAttempts), and the sink's other attempts, of mail that did
// not come from the relay, are OtherSenders. A record without sessions
// leaves d as it is.
func (d *Data) AddSinkRecord(ctx context.Context, src SinkRecord) error {
	replies, sessions, err := src.SinkReplies(ctx)
	if err != nil {
		return err
	}
	if sessions == 0 {
		return nil
	}
	d.CountSinkReplies(replies)
	// The sink writes a session's end and its one sink.session event in
	// one commit: the record's sessions beyond the log's events are
	// those with no end, cut short by a kill or still open, which the
	// report counted as no session at all.
	ended := d.SinkSessions
	d.SinkSessions = max(sessions, ended)
	d.SinkSessionsOpen = d.SinkSessions - ended
	if len(d.Recipients) > 0 {
		return d.addOtherSenders(ctx, src)
	}
	fs, err := FromSink(ctx, src)
	if err != nil {
		return err
	}
	d.Recipients, d.FromSink = fs.Recipients, len(fs.Recipients) > 0
	return nil
}
