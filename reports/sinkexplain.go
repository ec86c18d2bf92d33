package reports

import "github.com/relaylab/relaylab/relay"

// Explanation is what a reply means as a classifier reads it: its
// category, a plain reason and what to do.
type Explanation struct {
	Category, Reason, Advice string
}

// SinkExplainer is offered by a SinkAttemptSource that explains the
// sink's refusals with a classifier of its own, as serve's web pages do
// with its relay's (the relay.classify rules before the built-in table).
// ExplainSinkReply explains a 4xx or 5xx reply the sink gave at stage
// (its own names: rcpt, data-end); ok is false for a reply it does not
// explain. Without it, FromSink explains them with the relay's built-in
// table.
type SinkExplainer interface {
	ExplainSinkReply(stage string, code int, enhanced, text string) (x Explanation, ok bool)
}

// builtinExplainer reads a sink's replies with the relay's built-in
// table, through relay.ExplainSinkReply: the reading the web UI's sink
// pages give them where no relay of serve has rules of its own.
type builtinExplainer struct{}

var _ SinkExplainer = builtinExplainer{}

func (builtinExplainer) ExplainSinkReply(stage string, code int, enhanced, text string) (Explanation, bool) {
	v, ok := relay.ExplainSinkReply(nil, stage, code, enhanced, text)
	return Explanation{Category: v.Category, Reason: v.Reason, Advice: v.Advice}, ok
}

// sinkExplainer is src's explainer when it offers one, else the
// built-in table's.
func sinkExplainer(src SinkAttemptSource) SinkExplainer {
	if x, ok := src.(SinkExplainer); ok {
		return consequences{x}
	}
	return consequences{builtinExplainer{}}
}

// consequences explains first the sink's replies that follow from its
// earlier ones (SinkConsequence), which a classifier would read as
// refusals of their own ("read the reply text"), then asks x.
type consequences struct{ x SinkExplainer }

func (c consequences) ExplainSinkReply(stage string, code int, enhanced, text string) (Explanation, bool) {
	if e, ok := SinkConsequence(stage, code, enhanced, text); ok {
		return e, true
	}
	return c.x.ExplainSinkReply(stage, code, enhanced, text)
}

// explainSink gives r, a recipient of a sink's record, the category,
// reason and advice of the reply its status comes from, as the relay's
// classifier reads it, as a relay's recipient has its own from the
// relay's log: a recipient not delivered has its last reply's (none
// when that is no refusal: a dropped connection, a 250 to RCPT TO with
// no data after it, which why then reads from the reply); a delivered one
// has the last refusal before its delivery, which every format marks as
// an earlier deferral (DeferredBeforeDelivery), as a relay's recipient
// delivered after a 4xx is.
func (r *Recipient) explainSink(x SinkExplainer) {
	if len(r.Attempts) == 0 {
		return
	}
	at := r.Attempts[len(r.Attempts)-1]
	if r.Status == "delivered" {
		found := false
		for i := len(r.Attempts) - 2; i >= 0 && !found; i-- {
			if c := r.Attempts[i].Code; c >= 400 && c < 600 {
				at, found = r.Attempts[i], true
			}
		}
		if !found {
			return
		}
	}
	if e, ok := x.ExplainSinkReply(at.Stage, at.Code, at.Enhanced, at.Text); ok {
		r.Category, r.Reason, r.Advice = e.Category, e.Reason, e.Advice
	}
}
