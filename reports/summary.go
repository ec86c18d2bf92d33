package reports

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
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
	"they are not deliveries of the application's mail, so the records and their counts leave them out (the sink's sessions, messages and replies count them); " +
	"each is shown in the timeline of the record it reports on, as a DSN step"

// countedDSNs is "1 DSN from the sender's MTA", "2 DSNs from the
// sender's MTA".
func countedDSNs(n int) string {
	return counted(n, "DSN") + " from the sender's MTA"
}

// records is rs without the DSNs from the sender's MTA that reached a
// sink as mail (Recipient.SenderDSNMail), which every count of records
// leaves out; rs itself when it has none.
func records(rs []*Recipient) []*Recipient {
	if !slices.ContainsFunc(rs, func(r *Recipient) bool { return r.SenderDSNMail }) {
		return rs
	}
	return slices.DeleteFunc(slices.Clone(rs), func(r *Recipient) bool { return r.SenderDSNMail })
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
	s.Recipients, s.Records, s.SenderDSNMail, s.FromSink = len(rs), len(rs), len(d.Recipients)-len(rs), d.FromSink
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
