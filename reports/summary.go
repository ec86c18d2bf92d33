package reports

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Count is one row of a breakdown.
type Count struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// Percentiles of a duration distribution, in milliseconds of the clock's time.
type Percentiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// Summary is the aggregate view of a Data.
type Summary struct {
	// Recipients counts the records (see Records), under the key the
	// JSON has always had.
	Recipients int `json:"recipients"`
	// Records is Recipients under the name of what it counts: a record
	// is one message's delivery to one recipient (on a sink's record it
	// ends when the sink accepts the message after the data, so an
	// address mailed twice has two). Every count below is of records,
	// but the sink's.
	Records int `json:"records"`
	// SenderDSNMail counts, on a sink's record, the records that are a
	// DSN the sink received as mail from the sender's MTA (from the null
	// sender, Recipient.SenderDSNMail): not the application's mail, so
	// counted apart, in none of the counts of records (the sink's
	// sessions, messages and replies count them, as the sink saw them).
	SenderDSNMail int `json:"sender_dsn_mail,omitempty"`
	// SinkDSNMail counts, on a sink's record, the records that are the
	// sink's own late bounce come back to it as mail
	// (Recipient.SinkDSNMail): counted apart as SenderDSNMail is, but the
	// sink's, which dsn and dsn_status judge on the record bounced.
	SinkDSNMail int `json:"sink_dsn_mail,omitempty"`
	// RelayDSNs counts, of Recipients, the relay's own DSNs to the
	// senders of messages (a replay's relay-N): recipients as every
	// other, which the text says apart from those the messages were sent
	// to ("5 recipients (1 of them the relay's DSN to a sender)").
	RelayDSNs int `json:"relay_dsns,omitempty"`
	// Attempts counts delivery tries, as the expectations do: the MX
	// hosts or route paths one try reached count once.
	Attempts   int     `json:"attempts"`
	ByStatus   []Count `json:"by_status"`
	ByPath     []Count `json:"by_path"`
	ByDomain   []Count `json:"by_domain"`
	ByCategory []Count `json:"by_category"`
	ByCode     []Count `json:"by_code"`
	// SinkReplies counts the sink's replies by "stage code"; the sink's
	// sessions, the messages it received and those it accepted follow.
	SinkReplies  []Count `json:"sink_replies"`
	SinkSessions int     `json:"sink_sessions"`
	// SinkSessionsOpen is Data.SinkSessionsOpen: sessions with no end
	// recorded, whose replies before the data are not known.
	SinkSessionsOpen int `json:"sink_sessions_open,omitempty"`
	SinkMessages     int `json:"sink_messages"`
	SinkAccepted     int `json:"sink_accepted"`
	// sinkUnanswered is how many of SinkMessages the sink stored with no
	// reply to their final dot (sinkUnansweredNote).
	sinkUnanswered int
	// OtherSenders counts the records of Data.OtherSenders (the sink's
	// records of mail that did not come from the relay of the same
	// store), which no other count includes.
	OtherSenders int `json:"other_senders,omitempty"`
	// SinkBouncesNotSent counts the recipients (a sink's record) the
	// sink accepted and has a late bounce for that did not go out
	// (Recipient.DSNNotSent): their sender was told nothing.
	SinkBouncesNotSent int         `json:"sink_bounces_not_sent,omitempty"`
	Latency            Percentiles `json:"attempt_latency"`
	// TimeToDelivery is from queued to delivered, for delivered
	// recipients; on a sink's record, which sees no queueing, from the
	// first attempt the sink saw.
	TimeToDelivery Percentiles `json:"time_to_delivery"`
	// SinkCountsUnknown is Data.SinkCountsUnknown: the JSON then has no
	// sink_sessions and sink_replies, rather than wrong ones.
	SinkCountsUnknown bool `json:"-"`
	// FromSink is Data.FromSink: the records are a sink's, which the
	// formats call records, not recipients (see recordNoun).
	FromSink bool `json:"-"`
	// RelayMail is Data.RelayMail: the sink's records come from a store
	// that holds the relay's mail too.
	RelayMail bool `json:"-"`
}

// recordNoun is what s's records are called: "record" on a sink's
// record, where one address can have several (one per message), and
// "recipient", as always, on a relay's, where each is a message's
// recipient.
func (s Summary) recordNoun() string {
	if s.FromSink {
		return "record"
	}
	return "recipient"
}

// countedRecords is "5 recipients", and of a replay whose relay sent
// DSNs, "5 recipients (1 of them the relay's DSN to a sender)": the
// DSNs are recipients too, where a replay's progress counts the
// messages' own.
func (s Summary) countedRecords() string {
	out := counted(s.Recipients, s.recordNoun())
	if s.RelayDSNs > 0 {
		out += fmt.Sprintf(" (%d of them %s)", s.RelayDSNs, plural(s.RelayDSNs, "the relay's DSN to a sender", "the relay's DSNs to senders"))
	}
	return out
}

// senderDSNMailNote says, after "2 DSNs from the sender's MTA", what
// they are and where they are shown; "" for none.
func (s Summary) senderDSNMailNote() string {
	if s.SenderDSNMail == 0 {
		return ""
	}
	return fmt.Sprintf("%s reached the sink as mail: %s", countedDSNs(s.SenderDSNMail), senderDSNMailWhy)
}

// senderDSNMailWhy says what the DSNs from the sender's MTA among a
// sink's records are, and why they are counted apart.
const senderDSNMailWhy = "delivery reports the sender's MTA sent from the null sender to the application's sender, which routes them to the sink; " +
	dsnMailApart + "each is shown in the timeline of the record it reports on, as a DSN step"

// dsnMailApart says why the DSNs that reached a sink as mail are counted
// apart (Recipient.dsnMail).
const dsnMailApart = "they are not deliveries of the application's mail, so the records and their counts leave them out (the sink's sessions, messages and replies count them); "

// countedDSNs is "1 DSN from the sender's MTA", "2 DSNs from the
// sender's MTA".
func countedDSNs(n int) string {
	return counted(n, "DSN") + " from the sender's MTA"
}

// sinkDSNMailNote says, as senderDSNMailNote does, what the sink's own
// DSNs that came back to it are; "" for none.
func (s Summary) sinkDSNMailNote() string {
	if s.SinkDSNMail == 0 {
		return ""
	}
	return countedSinkDSNs(s.SinkDSNMail) + " came back to the sink as mail: " + sinkDSNMailWhy
}

// sinkDSNMailWhy says what the sink's own DSNs among its records are,
// and why they are counted apart.
const sinkDSNMailWhy = "the sink's own late bounces, which it sent to the application's sender through its bounce relay (relaylab serve's relay, or the sender's MTA) and which came back to it, that address being routed to the sink; " +
	dsnMailApart + "each is the late bounce of the record it reports on, which dsn and dsn_status judge"

// countedSinkDSNs is "1 DSN from the sink itself", "2 DSNs from the
// sink itself".
func countedSinkDSNs(n int) string { return counted(n, "DSN") + " from the sink itself" }

// apartNote is how a verdict's line counts the DSN mail it leaves out:
// "1 DSN from the sender's MTA, counted apart", and the sink's own
// bounces that came back, with what judges them; "" for none.
func (s Summary) apartNote() string {
	var out []string
	if s.SenderDSNMail > 0 {
		out = append(out, countedDSNs(s.SenderDSNMail)+", counted apart")
	}
	if n := s.SinkDSNMail; n > 0 {
		out = append(out, countedSinkDSNs(n)+", counted apart ("+plural(n, "its late bounce", "its late bounces")+", judged by dsn)")
	}
	return strings.Join(out, "; ")
}

// dsnMail reports whether r is a DSN that reached a sink as mail, from
// the sender's MTA or the sink's own come back (SenderDSNMail,
// SinkDSNMail): not the application's mail.
func (r *Recipient) dsnMail() bool { return r.SenderDSNMail || r.SinkDSNMail }

// records is rs without the DSNs that reached a sink as mail
// (Recipient.dsnMail), which every count of records leaves out; rs
// itself when it has none.
func records(rs []*Recipient) []*Recipient {
	if !slices.ContainsFunc(rs, (*Recipient).dsnMail) {
		return rs
	}
	return slices.DeleteFunc(slices.Clone(rs), (*Recipient).dsnMail)
}

// MarshalJSON writes s's fields, without sink_sessions and sink_replies
// when the record they would count is not at hand (SinkCountsUnknown).
func (s Summary) MarshalJSON() ([]byte, error) {
	type fields Summary // the fields without this method
	if !s.SinkCountsUnknown {
		return json.Marshal(fields(s))
	}
	// The outer fields, nil and so left out, hide the inner ones of the
	// same names (encoding/json's rule for embedded fields).
	return json.Marshal(struct {
		fields
		SinkReplies  *[]Count `json:"sink_replies,omitempty"`
		SinkSessions *int     `json:"sink_sessions,omitempty"`
	}{fields: fields(s)})
}

// Summarize aggregates d.
func Summarize(d *Data) Summary {
	var (
		s                                    Summary
		status, path, domain, category, code = map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
		latencies                            []float64
	)
	rs := records(d.Recipients)
	s.Recipients, s.Records, s.FromSink = len(rs), len(rs), d.FromSink
	for _, r := range d.Recipients {
		if r.SinkDSNMail {
			s.SinkDSNMail++
		} else if r.SenderDSNMail {
			s.SenderDSNMail++
		}
	}
	for _, r := range rs {
		if r.relayDSN {
			s.RelayDSNs++
		}
		status[r.Status]++
		if r.Path != "" {
			path[r.Path]++
		}
		domain[r.Domain]++
		if r.Category != "" && r.Status != "delivered" {
			category[r.Category]++
		}
		s.Attempts += r.Tries()
		if r.DSNNotSent != "" {
			s.SinkBouncesNotSent++
		}
		for _, a := range r.Attempts {
			if a.Code != 0 {
				code[fmt.Sprintf("%d %s", a.Code, a.Enhanced)]++
			} else {
				code["no reply"]++
			}
			if a.Latency != nil {
				latencies = append(latencies, *a.Latency)
			}
		}
	}
	s.ByStatus, s.ByPath, s.ByDomain = counts(status), counts(path), counts(domain)
	s.ByCategory, s.ByCode = counts(category), counts(code)
	s.SinkReplies = counts(d.SinkReplies)
	s.SinkSessions, s.SinkSessionsOpen, s.SinkMessages, s.SinkAccepted = d.SinkSessions, d.SinkSessionsOpen, d.SinkMessages, d.SinkAccepted
	s.sinkUnanswered = d.sinkUnanswered
	s.SinkCountsUnknown, s.RelayMail = d.SinkCountsUnknown, d.RelayMail
	s.OtherSenders = len(records(d.OtherSenders))
	s.Latency, s.TimeToDelivery = percentiles(latencies), percentiles(deliveryTimes(rs, func(*Recipient) bool { return true }))
	return s
}

// deliveryTimes are the times from queued to delivered, in milliseconds,
// of the delivered recipients of rs that keep takes.
func deliveryTimes(rs []*Recipient, keep func(*Recipient) bool) []float64 {
	var out []float64
	for _, r := range rs {
		if r.Status == "delivered" && !r.Done.IsZero() && keep(r) {
			out = append(out, float64(r.Done.Sub(r.Queued))/float64(time.Millisecond))
		}
	}
	return out
}

// counts sorts a map by count, largest first, then by key.
func counts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// percentiles uses the nearest-rank method.
func percentiles(v []float64) Percentiles {
	if len(v) == 0 {
		return Percentiles{}
	}
	sort.Float64s(v)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p/100*float64(len(v)))) - 1
		if i < 0 {
			i = 0
		}
		return round(v[i])
	}
	return Percentiles{N: len(v), P50: rank(50), P90: rank(90), P99: rank(99), Max: round(v[len(v)-1])}
}

func round(f float64) float64 { return math.Round(f*1000) / 1000 }

// Get returns the count for key in cs, or 0.
func Get(cs []Count, key string) int {
	for _, c := range cs {
		if c.Key == key {
			return c.Count
		}
	}
	return 0
}
