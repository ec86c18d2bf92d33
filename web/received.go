package web

import (
	"cmp"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// ReceivedPage is the receiving side of one relayed message: what the sink
// stored under its Message-ID, and each attempt as the sink saw it, paired
// with the relay's attempt that made it.
type ReceivedPage struct {
	Message   string `json:"message"`
	MessageID string `json:"message_id"` // "" when the message has no Message-ID header
	Received
	// Duplicates counts the copies that repeat a recipient of an earlier
	// copy: the recipient holds the message more than once.
	Duplicates int `json:"duplicates"`
}

// messageReceived serves /api/v1/messages/{id}/received from the relay's
// message, its attempts in the event log, and the sink.
func (s *Server) messageReceived(w http.ResponseWriter, r *http.Request) {
	sr, ok := s.opts.Sink.(SinkReceivedAPI)
	if !ok {
		notRunning(w, "sink")
		return
	}
	id := r.PathValue("id")
	m, err := s.opts.Relay.Message(r.Context(), id)
	if err != nil {
		s.writeAPIError(w, r, "reading the message", err)
		return
	}
	attempts, err := s.opts.Store.Events(r.Context(), events.Filter{Message: id,
		Kinds: []string{events.RelayQueued, events.RelayAttempt}, Limit: maxTimeline})
	if err != nil {
		s.writeAPIError(w, r, "reading the message's attempts", err)
		return
	}
	q := ReceivedQuery{MessageID: headerMessageID(m.Headers), Sender: m.From, Recipients: m.To, Since: m.Received}
	for _, e := range attempts {
		if q.Since.IsZero() || e.Time.Before(q.Since) {
			q.Since = e.Time
		}
		if e.Kind == events.RelayAttempt && e.Time.After(q.Until) {
			q.Until = e.Time
		}
		if e.Kind == events.RelayAttempt {
			if a, ok := acceptedAs(e); ok {
				q.Accepted = append(q.Accepted, a)
			}
		}
	}
	got, err := sr.Received(r.Context(), q)
	if err != nil {
		s.writeAPIError(w, r, "reading what the sink received", err)
		return
	}
	page := ReceivedPage{Message: id, MessageID: q.MessageID, Received: got}
	page.Duplicates = numberCopies(page.Copies, pairAttempts(page.Attempts, attempts, q.Since))
	if page.Copies == nil {
		page.Copies = []SinkCopy{}
	}
	if page.Attempts == nil {
		page.Attempts = []ReceivedAttempt{}
	}
	if page.Gone == nil {
		page.Gone = []GoneCopy{}
	}
	writeJSON(w, http.StatusOK, page)
}

// acceptedNumber is the sink's own reply to a message it stored: the
// number is its id in the sink (sink_messages.id).
var acceptedNumber = regexp.MustCompile(`^Message accepted as ([0-9]{1,18})(?:;.*)?$`)

// acceptedAs reads a relay.attempt whose server took the message after the
// dot with the sink's words for a stored copy.
func acceptedAs(e events.Event) (AcceptedAs, bool) {
	var p struct {
		Address string `json:"address"`
		Reply   struct {
			Code     int    `json:"code"`
			Enhanced string `json:"enhanced"`
			Text     string `json:"text"`
			Stage    string `json:"stage"`
		} `json:"reply"`
	}
	if json.Unmarshal(e.Payload, &p) != nil || p.Reply.Code/100 != 2 || p.Address == "" {
		return AcceptedAs{}, false
	}
	m := acceptedNumber.FindStringSubmatch(strings.TrimSpace(p.Reply.Text))
	if m == nil {
		return AcceptedAs{}, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n <= 0 {
		return AcceptedAs{}, false
	}
	reply := strings.TrimSpace(strconv.Itoa(p.Reply.Code) + " " + strings.TrimSpace(p.Reply.Enhanced+" "+p.Reply.Text))
	return AcceptedAs{Address: p.Address, Recipient: e.Recipient, Copy: n, Reply: reply}, true
}

// headerMessageID is the Message-ID header's value without its angle
// brackets, as the sink files it.
func headerMessageID(hs []Header) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, "Message-ID") {
			v := strings.TrimSpace(h.Value)
			return strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
		}
	}
	return ""
}

// numberCopies numbers the copies in the order the sink stored them, and
// marks as a duplicate each one the relay left (relayed: a sink attempt
// that left it is paired with a relay attempt) that holds a recipient an
// earlier copy the relay left held already (copies to different
// recipients, one per destination, are not duplicates). A copy no relay
// attempt left (the same Message-ID sent to the sink directly, before or
// beside the relay) is marked Unpaired and counts for none. It returns
// the number of duplicates.
func numberCopies(cs []SinkCopy, relayed map[string]bool) int {
	slices.SortStableFunc(cs, func(a, b SinkCopy) int { return a.Time.Compare(b.Time) })
	seen := map[string]bool{}
	n := 0
	for i := range cs {
		c := &cs[i]
		c.Copy = i + 1
		if !relayed[c.ID] {
			c.Unpaired = true
			continue
		}
		for _, to := range c.To {
			k := strings.ToLower(to)
			if seen[k] {
				c.Duplicate = true
			}
			seen[k] = true
		}
		if c.Duplicate {
			n++
		}
	}
	return n
}

// pairAttempts sets each sink attempt's RelayAttempt, and returns the
// copies that the paired ones left. A relay attempt that the sink accepted
// with its own words for a stored copy ("Message accepted as 13") is the
// one whose DATA left copy 13 for that recipient, whenever it was. Any
// other is paired by time: the relay records an attempt when its exchange
// is over, so the sink's side of it is the recipient's next relay.attempt
// at or after the sink's time, among the sink's attempts made since the
// relay queued the message (queued; zero when not known). Each relay
// attempt takes at most one sink attempt per recipient.
func pairAttempts(sinkSide []ReceivedAttempt, log []events.Event, queued time.Time) map[string]bool {
	byRcpt := map[string][]events.Event{}
	byCopy := map[string]int64{} // copy and recipient: the relay attempt accepted as it
	for _, e := range log {
		if e.Kind != events.RelayAttempt || e.Recipient == "" {
			continue
		}
		k := strings.ToLower(e.Recipient)
		if a, ok := acceptedAs(e); ok {
			byCopy[strconv.FormatInt(a.Copy, 10)+"\x00"+k] = e.ID
			continue
		}
		byRcpt[k] = append(byRcpt[k], e)
	}
	taken := map[int64]bool{}
	for i := range sinkSide {
		a := &sinkSide[i]
		if id, ok := byCopy[a.Copy+"\x00"+strings.ToLower(a.Recipient)]; ok && a.Copy != "" && !taken[id] {
			a.RelayAttempt = id
			taken[id] = true
		}
	}
	order := make([]int, 0, len(sinkSide))
	for i, a := range sinkSide {
		if a.RelayAttempt == 0 && !a.Time.Before(queued) {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(sinkSide[a].Time.UnixNano(), sinkSide[b].Time.UnixNano())
	})
	for _, i := range order {
		a := &sinkSide[i]
		for _, e := range byRcpt[strings.ToLower(a.Recipient)] {
			if taken[e.ID] || e.Time.Before(a.Time) {
				continue
			}
			a.RelayAttempt = e.ID
			taken[e.ID] = true
			break
		}
	}
	relayed := map[string]bool{}
	for _, a := range sinkSide {
		if a.RelayAttempt != 0 && a.Copy != "" {
			relayed[a.Copy] = true
		}
	}
	return relayed
}
