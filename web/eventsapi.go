package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// eventPage is a page of the event log.
type eventPage struct {
	Events []events.Event `json:"events"`
	// Next is the after= that continues this page (the last id in it, or
	// the request's after when it is empty).
	Next int64 `json:"next"`
}

// maxEventsWait is the longest wait= of /api/v1/events: longer than a CI
// job waits for one outcome, short enough that a forgotten request ends.
const maxEventsWait = 10 * time.Minute

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	if websocketRequested(r) {
		if r.URL.Query().Has("wait") {
			writeError(w, http.StatusBadRequest, "wait does not apply to the event stream",
				"a stream sends each matching event as it comes; wait= is for a page of /api/v1/events without Upgrade")
			return
		}
		s.streamEvents(w, r)
		return
	}
	f, err := parseFilter(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad event filter", err.Error())
		return
	}
	wait, err := queryWait(r, maxEventsWait, "an event that matches")
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad wait", err.Error())
		return
	}
	// tail=N reads only the last N events of the log (before filtering):
	// where a live view starts.
	tail, err := queryInt(r, "tail", 0, 100000)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad event filter", err.Error())
		return
	}
	if r.URL.Query().Has("tail") { // tail=0 too: an empty page whose next is the log's end
		last, _ := s.opts.Store.Changes()
		f.AfterID = max(f.AfterID, last-tail)
	}
	evs, err := s.waitEvents(r, f, wait)
	if errors.Is(err, errWaitCut) {
		// Not the empty page of a wait that ran out: a script must not
		// read "no bounce came" where nothing could be seen.
		writeError(w, http.StatusServiceUnavailable, "the wait for events was cut short",
			"the server stopped (or the request ended) before an event matched, so nothing is known of what came after; ask again once the server is back")
		return
	}
	if err != nil {
		s.writeAPIError(w, r, "reading events", err)
		return
	}
	page := eventPage{Events: evs, Next: f.AfterID}
	if page.Events == nil {
		page.Events = []events.Event{}
	}
	if n := len(evs); n > 0 {
		page.Next = evs[n-1].ID
	}
	writeJSON(w, http.StatusOK, page)
}

// errWaitCut is waitEvents' error when its request ended before an event
// matched or the wait ran out.
var errWaitCut = errors.New("the wait for events was cut short")

// waitEvents reads the events of f; while there are none, it waits up to
// wait for a commit that adds some and reads again (a long poll: a CI
// script asks once for the bounce it expects, rather than in a loop with
// a sleep). A wait that runs out gives no events; one that the request's
// end cuts short (the client went away, or the server shuts down) gives
// errWaitCut.
func (s *Server) waitEvents(r *http.Request, f events.Filter, wait time.Duration) ([]events.Event, error) {
	var deadline <-chan time.Time
	if wait > 0 {
		t := s.clock.NewTimer(wait)
		defer t.Stop()
		deadline = t.C()
	}
	for {
		// Asked before reading, so that a commit between the read and the
		// wait is not missed.
		_, changed := s.opts.Store.Changes()
		evs, err := s.readEvents(r.Context(), f)
		if err != nil && deadline != nil && r.Context().Err() != nil {
			return nil, errWaitCut // the end of the request stopped the read
		}
		if err != nil || len(evs) > 0 || deadline == nil {
			return evs, err
		}
		select {
		case <-changed:
		case <-deadline:
			return evs, nil
		case <-r.Context().Done():
			return nil, errWaitCut
		}
	}
}

func websocketRequested(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "bad event id "+strconv.Quote(r.PathValue("id")), "an event id is a positive integer")
		return
	}
	evs, err := s.opts.Store.Events(r.Context(), events.Filter{AfterID: id - 1, Limit: 1})
	if err != nil {
		s.writeAPIError(w, r, "reading events", err)
		return
	}
	if len(evs) == 0 || evs[0].ID != id {
		last, _ := s.opts.Store.Changes()
		why := fmt.Sprintf("the log's last event is %d, and this one is not in it", last)
		if id > last {
			why = fmt.Sprintf("the log holds events up to %d so far", last)
		}
		writeError(w, http.StatusNotFound, "no event "+strconv.FormatInt(id, 10),
			why+"; list the events there are with /api/v1/events (after=N for those after N)")
		return
	}
	writeJSON(w, http.StatusOK, s.explain.event(evs[0]))
}

// Timeline is what happened to one message, from the event log.
type Timeline struct {
	Message    string              `json:"message"`
	Events     []events.Event      `json:"events"` // all of the message's events, in order
	Recipients []RecipientTimeline `json:"recipients"`
	// Truncated says the message has more events than one answer holds;
	// Next is then the after= that reads the following ones.
	Truncated bool  `json:"truncated"`
	Next      int64 `json:"next,omitempty"`
}

// RecipientTimeline is one recipient's events and the state they leave it in.
type RecipientTimeline struct {
	Recipient string `json:"recipient"`
	Message   string `json:"message,omitempty"`
	// Side is whose events these are: "relay" (its queueing, attempts and
	// outcome of one message) or "sink" (the sink's replies to the
	// recipient and the message they led to, as the sink saw them).
	Side string `json:"side"`
	// State is, for the relay, queued, deferred, delivered, bounced,
	// expired or suppressed; for the sink, how it answered last:
	// deferred (a 4xx), refused (a 5xx), accepted, or bounced (it took
	// the message and sent a bounce later).
	State  string         `json:"state"`
	Events []events.Event `json:"events"`
}

// sinkStateOf is the state a sink event leaves a recipient in, as the
// sink answered, or "" when it says nothing about one.
func sinkStateOf(e events.Event) string {
	switch e.Kind {
	case events.SinkBounce:
		return "bounced"
	case events.SinkReply, events.SinkMessage:
		// A message is stored before its reply, so one refused after
		// its final dot has a sink.message with that code (and then the
		// refusal's sink.reply).
		var p struct {
			Code int `json:"code"`
		}
		if json.Unmarshal(e.Payload, &p) != nil {
			p.Code = 0 // a payload that is not JSON says no reply
		}
		switch {
		case p.Code >= 500:
			return "refused"
		case p.Code >= 400:
			return "deferred"
		case e.Kind == events.SinkMessage:
			// Its 250, or no reply (a drop after the dot: stored all
			// the same).
			return "accepted"
		}
	}
	return ""
}

// settle sets rt's Side and State from its events: the relay's state
// (nextState, "queued" until an event says more) when any event is the
// relay's, else the sink's latest answer.
func (rt *RecipientTimeline) settle() {
	relay, sink, relaySide := "queued", "", false
	for _, e := range rt.Events {
		if strings.HasPrefix(e.Kind, "sink.") {
			if st := sinkStateOf(e); st != "" {
				sink = st
			}
			continue
		}
		relaySide = true
		relay = nextState(relay, e.Kind)
	}
	rt.Side, rt.State = "relay", relay
	if !relaySide && sink != "" {
		rt.Side, rt.State = "sink", sink
	}
}

// stateOf is the recipient state an event leaves, or "" when it changes
// nothing.
func stateOf(kind string) string {
	switch kind {
	case events.RelayQueued:
		return "queued"
	case events.RelayDeferred:
		return "deferred"
	case events.RelayDelivered:
		return "delivered"
	case events.RelayBounced:
		return "bounced"
	case events.RelayExpired:
		return "expired"
	case events.RelaySuppressed:
		return "suppressed"
	}
	return ""
}

// nextState is the state a recipient in state cur is left in by an event
// of kind. The latest terminal event wins, as in reports: an asynchronous
// bounce (a DSN that came back after the upstream took the message) turns
// delivered into bounced. A non-terminal event (a deferral, a queueing)
// does not undo a terminal state.
func nextState(cur, kind string) string {
	st := stateOf(kind)
	switch {
	case st == "":
		return cur
	case events.Terminal(kind):
		return st
	case cur != "" && events.Terminal(stateKind(cur)):
		return cur
	}
	return st
}

// maxTimeline caps the events read for one timeline.
const maxTimeline = 5000

// timelineEvents reads up to maxTimeline events of f (its recipient in
// any case, as readEvents) from after=, and says whether more follow and
// the after= that reads them.
func (s *Server) timelineEvents(r *http.Request, f events.Filter) (evs []events.Event, truncated bool, next int64, err error) {
	if f.AfterID, err = queryInt(r, "after", 0, 0); err != nil {
		return nil, false, 0, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	f.Limit = maxTimeline + 1 // one more says whether there are more
	evs, err = s.readEvents(r.Context(), f)
	if err != nil || len(evs) <= maxTimeline {
		return evs, false, 0, err
	}
	evs = evs[:maxTimeline]
	return evs, true, evs[maxTimeline-1].ID, nil
}

func (s *Server) messageTimeline(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	evs, truncated, next, err := s.timelineEvents(r, events.Filter{Message: id})
	if err != nil {
		s.writeAPIError(w, r, "reading the timeline", err)
		return
	}
	if len(evs) == 0 && r.URL.Query().Get("after") == "" { // a page after the last is empty, not missing
		writeError(w, http.StatusNotFound, "no events for message "+strconv.Quote(id), "the message id is the one relay.queued reported")
		return
	}
	t := Timeline{Message: id, Events: evs, Truncated: truncated, Next: next}
	byRcpt := map[string]int{}
	for _, e := range evs {
		rcpts := []string{e.Recipient}
		if e.Recipient == "" {
			rcpts = payloadRecipients(e)
		}
		for _, rc := range rcpts {
			if rc == "" {
				continue
			}
			i, ok := byRcpt[rc]
			if !ok {
				i = len(t.Recipients)
				byRcpt[rc] = i
				t.Recipients = append(t.Recipients, RecipientTimeline{Recipient: rc})
			}
			t.Recipients[i].Events = append(t.Recipients[i].Events, e)
		}
	}
	for i := range t.Recipients {
		t.Recipients[i].settle()
	}
	writeJSON(w, http.StatusOK, t)
}

// stateKind maps a state back to its event kind.
func stateKind(state string) string {
	if state == "queued" {
		return events.RelayQueued
	}
	return "relay." + state
}

// payloadRecipients reads "to" or "recipients" from an event without a
// recipient key (relay.queued lists them, an attempt may carry several).
func payloadRecipients(e events.Event) []string {
	var p struct {
		To         []string `json:"to"`
		Recipients []string `json:"recipients"`
	}
	if len(e.Payload) == 0 || json.Unmarshal(e.Payload, &p) != nil {
		return nil
	}
	return append(p.To, p.Recipients...)
}

func (s *Server) recipientTimeline(w http.ResponseWriter, r *http.Request) {
	addr := r.PathValue("address")
	if addr == "" || !strings.Contains(addr, "@") && addr != "postmaster" {
		writeError(w, http.StatusBadRequest, "bad recipient "+strconv.Quote(addr), "give an address like user@example.com")
		return
	}
	evs, truncated, next, err := s.timelineEvents(r, events.Filter{Recipient: addr})
	if err != nil {
		s.writeAPIError(w, r, "reading the timeline", err)
		return
	}
	// One recipient may appear in several messages: one timeline each,
	// and one for each way a message spelled it. The sink's events go
	// apart from the relay's (sinkTimelines).
	var out []RecipientTimeline
	idx := map[[2]string]int{}
	sink := sinkTimelines{}
	for _, e := range evs {
		if strings.HasPrefix(e.Kind, "sink.") {
			// An event about several recipients (a refusal of a
			// transaction's data, a message to several) goes with the
			// address's other sink events, as its payload spells it.
			sink.add(&out, e, cmp.Or(listedSpelling(e, addr), addr))
			continue
		}
		key := [2]string{e.Message, e.Recipient}
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			out = append(out, RecipientTimeline{Recipient: e.Recipient, Message: e.Message})
		}
		out[i].Events = append(out[i].Events, e)
	}
	for i := range out {
		out[i].settle()
	}
	// The address as asked for first, then the other spellings.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Recipient == addr && out[j].Recipient != addr })
	if out == nil {
		out = []RecipientTimeline{}
	}
	resp := map[string]any{"recipient": addr, "timelines": out, "truncated": truncated}
	if truncated {
		resp["next"] = next
	}
	writeJSON(w, http.StatusOK, resp)
}

// sinkTimelines groups the sink's events about a recipient as the sink
// saw them: the replies it gave (a 451, another 451), then the message
// they led to, filed under its Message-ID, and a bounce the sink sent
// for it, are one timeline; a reply after the message starts the next.
// The sink's replies name no message, so the message they led to is the
// next one the sink accepted for the same recipient (spelled the same);
// a message the sink stored and then refused (after its final dot) is
// one of those replies.
type sinkTimelines map[string]*sinkGroup

// sinkGroup is the latest sink timeline of one spelling of a recipient.
type sinkGroup struct {
	i        int  // its index among the timelines
	accepted bool // it holds a message the sink accepted (not one it refused after the dot)
}

// add puts the sink event e about rcpt (its recipient, or one it lists)
// into rcpt's timeline among out, starting one when e belongs to none.
func (st sinkTimelines) add(out *[]RecipientTimeline, e events.Event, rcpt string) {
	g := st[rcpt]
	var joins bool
	switch e.Kind {
	case events.SinkReply:
		joins = g != nil && !g.accepted
	case events.SinkMessage:
		// The message the replies before it led to, or a copy under
		// the same Message-ID (a retry) joins its first; another
		// message, after one the sink refused after its dot, starts
		// its own.
		joins = g != nil && ((*out)[g.i].Message == e.Message || !g.accepted && (*out)[g.i].Message == "")
	default: // a bounce, after the message it is for
		joins = g != nil
	}
	if !joins {
		g = &sinkGroup{i: len(*out)}
		st[rcpt] = g
		*out = append(*out, RecipientTimeline{Recipient: rcpt})
	}
	rt := &(*out)[g.i]
	if e.Kind == events.SinkMessage && !g.accepted {
		// One refused after its dot is not accepted: its refusal, and
		// a retry, join it.
		g.accepted = sinkStateOf(e) == "accepted"
		rt.Message = e.Message
	}
	rt.Events = append(rt.Events, e)
}
