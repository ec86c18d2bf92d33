package web

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/relaylab/relaylab/internal/events"
)

// SinkExplainAPI is offered by a SinkAPI that explains a reply the sink
// gave as the relay's classifier reads it, as SinkSession's Category,
// Reason and Advice do. The event API, the timelines and the stream add
// the explanation to each sink.reply event's payload (category, reason,
// advice, as the relay's events carry them), so that the feed explains
// the sink's refusals as it does the relay's.
type SinkExplainAPI interface {
	// ExplainReply explains a 4xx or 5xx reply the sink gave at stage
	// (its own names: rcpt, data-end...); ok is false for a reply it does
	// not explain.
	ExplainReply(stage string, code int, enhanced, text string) (x Explanation, ok bool)
}

// Explanation is what a reply means: its category, a plain reason and
// what to do.
type Explanation struct {
	Category, Reason, Advice string
}

// maxExplained bounds the explanations kept: a sink gives the same few
// replies over and over, and the hub explains each event it streams.
const maxExplained = 4096

// replyExplainer adds the sink's explanation of its reply to sink.reply
// events as they are served, remembering each reply's.
type replyExplainer struct {
	api   SinkExplainAPI
	mu    sync.Mutex
	known map[replyKey][]byte // the JSON members to add; nil: none
}

type replyKey struct {
	stage, enhanced, text string
	code                  int
}

func newReplyExplainer(sink SinkAPI) *replyExplainer {
	api, ok := sink.(SinkExplainAPI)
	if !ok {
		return nil
	}
	return &replyExplainer{api: api, known: map[replyKey][]byte{}}
}

// events explains each sink.reply of evs in place; a nil explainer (the
// sink explains nothing) leaves them as they are.
func (x *replyExplainer) events(evs []events.Event) {
	if x == nil {
		return
	}
	for i := range evs {
		evs[i] = x.event(evs[i])
	}
}

// event is e with category, reason and advice in its payload when e is a
// sink.reply the sink explains and its payload does not say them yet.
func (x *replyExplainer) event(e events.Event) events.Event {
	if x == nil || e.Kind != events.SinkReply {
		return e
	}
	var p struct {
		Stage    string  `json:"stage"`
		Code     int     `json:"code"`
		Enhanced string  `json:"enhanced"`
		Text     string  `json:"text"`
		Category *string `json:"category"`
	}
	body := bytes.TrimSpace(e.Payload)
	if len(body) < 2 || body[0] != '{' || body[len(body)-1] != '}' || json.Unmarshal(body, &p) != nil || p.Category != nil {
		return e
	}
	members := x.members(replyKey{stage: p.Stage, code: p.Code, enhanced: p.Enhanced, text: p.Text})
	if members == nil {
		return e
	}
	// The members go after the payload's own, which stay as written.
	out := make([]byte, 0, len(body)+len(members)+1)
	out = append(out, body[:len(body)-1]...)
	if len(bytes.TrimSpace(body[1:len(body)-1])) > 0 {
		out = append(out, ',')
	}
	out = append(out, members...)
	e.Payload = append(out, '}')
	return e
}

// members is the JSON members ("category":...,"reason":...) that explain
// the reply of k, nil when the sink does not explain it.
func (x *replyExplainer) members(k replyKey) []byte {
	x.mu.Lock()
	m, ok := x.known[k]
	x.mu.Unlock()
	if ok {
		return m
	}
	if ex, ok := x.api.ExplainReply(k.stage, k.code, k.enhanced, k.text); ok && ex.Category != "" {
		var b bytes.Buffer
		for _, f := range []struct{ name, value string }{{"category", ex.Category}, {"reason", ex.Reason}, {"advice", ex.Advice}} {
			if f.value == "" {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			name, _ := marshalJSON(f.name)
			value, _ := marshalJSON(f.value)
			b.Write(name)
			b.WriteByte(':')
			b.Write(value)
		}
		m = b.Bytes()
	}
	x.mu.Lock()
	if len(x.known) >= maxExplained {
		clear(x.known)
	}
	x.known[k] = m
	x.mu.Unlock()
	return m
}
