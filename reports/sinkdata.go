package reports

import (
	"context"
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
}

// SinkAttemptSource lists every attempt a sink recorded, oldest first.
type SinkAttemptSource interface {
	AllAttempts(ctx context.Context) ([]SinkAttempt, error)
}

// FromSink builds Data from what a sink saw, for judging a sender that is
// not ours (their MTA, their application): each recipient's attempts in
// order, its status from the last reply (2xx after the data: delivered; 4xx
// or a dropped connection: deferred; 5xx: bounced), and times relative to
// the first attempt.
func FromSink(ctx context.Context, src SinkAttemptSource) (*Data, error) {
	atts, err := src.AllAttempts(ctx)
	if err != nil {
		return nil, err
	}
	d := &Data{SinkReplies: map[string]int{}, FromSink: true}
	by := map[string]*Recipient{}
	for _, a := range atts {
		if d.First.IsZero() || a.Time.Before(d.First) {
			d.First = a.Time
		}
		if a.Time.After(d.Last) {
			d.Last = a.Time
		}
		d.SinkReplies[a.Stage+" "+strconv.Itoa(a.Code)]++
		key := strings.ToLower(a.Recipient)
		r := by[key]
		if r == nil {
			r = &Recipient{Address: a.Recipient, Domain: domainOf(a.Recipient), Status: "queued", Queued: a.Time}
			by[key] = r
			d.Recipients = append(d.Recipients, r)
		}
		// Each session's attempt is a delivery try of its own: the sink
		// cannot tell which sessions a sender meant as one.
		at := Attempt{Time: a.Time, Try: len(r.Attempts) + 1, Path: a.Listener, Host: a.Client, Stage: a.Stage, Code: a.Code, Enhanced: a.Enhanced, Text: a.Text}
		at.TLS, at.Cipher = splitTLS(a.TLS)
		if a.Code == 0 {
			at.Error = "no reply: connection dropped or left hanging at " + a.Stage
		}
		r.Attempts = append(r.Attempts, at)
		switch {
		case a.Code >= 200 && a.Code < 300 && (a.Stage == "data-end" || a.Stage == "data"):
			r.Status, r.Done = "delivered", a.Time
			d.SinkMessages++
		case a.Code >= 500:
			r.Status, r.Done = "bounced", a.Time
		case a.Code >= 200 && a.Code < 300:
			// accepted at RCPT but the transaction went no further
		default:
			r.Status, r.Done = "deferred", time.Time{}
		}
	}
	sort.SliceStable(d.Recipients, func(i, j int) bool { return d.Recipients[i].Address < d.Recipients[j].Address })
	return d, nil
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

// SinkReply is one reply a sink gave in a session, as its session record
// keeps it: the stage ("connect" for the greeting, "rcpt", "data-end") and
// the code.
type SinkReply struct {
	Stage string
	Code  int
}

// CountSinkReplies makes d.SinkReplies the count of replies, by "stage
// code", in place of the refusals alone that the event log has: a report
// on a sink's store then shows what it accepted as well as what it
// refused.
func (d *Data) CountSinkReplies(replies []SinkReply) {
	d.SinkReplies = make(map[string]int, len(replies))
	for _, r := range replies {
		d.SinkReplies[r.Stage+" "+strconv.Itoa(r.Code)]++
	}
}
