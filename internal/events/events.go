// Package events defines the entries of relaylab's event log: the one table
// that sink, relay and probe append to and that the web stream, reports and
// scenario assertions read.
package events

import (
	"encoding/json"
	"time"
)

// Kinds of event. A message recipient gets exactly one terminal event:
// RelayDelivered, RelayBounced, RelayExpired or RelaySuppressed.
const (
	SinkSession = "sink.session" // a session ended: client, HELO, TLS, AUTH, transcript id
	SinkReply   = "sink.reply"   // a reply the sink gave: stage, code, enhanced code, text, attempt
	SinkMessage = "sink.message" // a message the sink accepted
	SinkBounce  = "sink.bounce"  // an asynchronous bounce the sink sent
	SinkRules   = "sink.rules"   // the sink's rules were replaced
	// SinkReloadFailed: a reload of the sink's rules (SIGHUP) was refused
	// and the old rules stay; its payload has "by" and "error", the
	// configuration's mistake at its file and line.
	SinkReloadFailed = "sink.reload_failed"
	// SinkDeleted: messages the sink stored were deleted (the Inbox's or
	// the API's delete, or a prune), with their sink.message events;
	// payload: ids, and by "prune" for a prune. A page listing messages
	// drops them when it reads it, as no other event says so.
	SinkDeleted  = "sink.deleted"
	RelayQueued  = "relay.queued"  // a message was accepted into the queue
	RelayAttempt = "relay.attempt" // one delivery attempt to one host
	// Terminal and intermediate per-recipient states.
	RelayDelivered  = "relay.delivered"
	RelayDeferred   = "relay.deferred"
	RelayBounced    = "relay.bounced"
	RelayExpired    = "relay.expired"
	RelaySuppressed = "relay.suppressed"
	RelayDSN        = "relay.dsn"
	// RelayDSNReceived: a DSN from the receiving side after it took the
	// message that reports no failure (delayed, delivered, relayed,
	// expanded); the recipient keeps its state (payload relay.DSNReport).
	RelayDSNReceived = "relay.dsn_received"
	// RelayRecovered: a recipient in flight when the relay last stopped
	// (a crash, or a stop past --shutdown-grace), queued again at its
	// start; the attempt cut off may have delivered it already.
	RelayRecovered = "relay.recovered"
	// RelayHeld and RelayReleased: an operator put a waiting recipient on
	// hold (relaylab queue hold; state held, not tried until released),
	// or released it (due at once). Payload: by, reason, advice; held:
	// note, previous_state, attempts, next_attempt; released: state,
	// held_by, held_since.
	RelayHeld     = "relay.held"
	RelayReleased = "relay.released"
	// RelayRestEnded: an operator ended a destination's rest (relaylab
	// queue unrest, the Queue page): its held mail is due at once.
	// Payload: destination, until (the end the rest had), cause, by,
	// released (how many waiting recipients it made due), reason, advice.
	RelayRestEnded = "relay.rest_ended"
	ProbeResult    = "probe.result"
	ProbeChanged   = "probe.changed"
	// ProbeWebhookDelivered and ProbeWebhookFailed: how the webhook's
	// POSTs of a probe.changed ended, one event a change (payload
	// probe.WebhookEvent); a failed change is not posted again.
	ProbeWebhookDelivered = "probe.webhook_delivered"
	ProbeWebhookFailed    = "probe.webhook_failed"
)

// Event is one observable fact. Keys that do not apply are empty.
type Event struct {
	ID        int64           `json:"id"`
	Time      time.Time       `json:"time"` // the clock's time (virtual when replaying)
	Wall      time.Time       `json:"wall"` // the machine's time
	Kind      string          `json:"kind"`
	Message   string          `json:"message,omitempty"`
	Recipient string          `json:"recipient,omitempty"`
	Path      string          `json:"path,omitempty"`
	Listener  string          `json:"listener,omitempty"`
	Target    string          `json:"target,omitempty"`
	Payload   json.RawMessage `json:"payload,omitempty"`
}

// WithPayload returns e with v encoded as its payload. It panics only if v
// cannot be encoded as JSON, which is a programming error.
func (e Event) WithPayload(v any) Event {
	b, err := json.Marshal(v)
	if err != nil {
		panic("events: payload: " + err.Error())
	}
	e.Payload = b
	return e
}

// Terminal reports whether kind ends a recipient's life in the relay.
func Terminal(kind string) bool {
	switch kind {
	case RelayDelivered, RelayBounced, RelayExpired, RelaySuppressed:
		return true
	}
	return false
}

// Filter selects events for a reader. Empty fields match everything.
type Filter struct {
	AfterID int64
	Kinds   []string // exact kinds, or a prefix ending in "." ("relay.")
	Message string
	// Recipient matches events about this recipient address.
	Recipient string
	Limit     int
}

// Match reports whether e passes f (AfterID and Limit are not checked).
func (f Filter) Match(e Event) bool {
	if len(f.Kinds) > 0 {
		ok := false
		for _, k := range f.Kinds {
			if k == e.Kind || (len(k) > 0 && k[len(k)-1] == '.' && len(e.Kind) > len(k) && e.Kind[:len(k)] == k) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if f.Message != "" && f.Message != e.Message {
		return false
	}
	if f.Recipient != "" && f.Recipient != e.Recipient {
		return false
	}
	return true
}
