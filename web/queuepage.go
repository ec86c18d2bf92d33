package web

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"
)

// QueuePageAPI is offered by a RelayAPI that can page and filter its
// queue: /api/v1/queue's state, recipient, domain, order, after and
// before, with a total of every message the filter matches. Without it
// the API lists the newest waiting messages alone, and refuses those
// parameters. A cursor (After, Before) that names no message the relay
// knows is an ErrInvalid.
type QueuePageAPI interface {
	QueuePage(ctx context.Context, f QueueFilter) (QueuePage, error)
}

// QueuePage is one page of the queue, in the listing's order.
type QueuePage struct {
	Entries []QueueEntry
	// Total is the number of messages the filter matches, on all pages.
	Total int
	// More says that messages follow the page, Earlier that some come
	// before it.
	More, Earlier bool
}

// OperatorHold says who held a recipient by hand, since when, and why.
type OperatorHold struct {
	By    string    `json:"by"`
	Since time.Time `json:"since,omitzero"`
	Note  string    `json:"note,omitempty"`
}

// queueStates are the values of /api/v1/queue's state: the relay's
// states of a recipient, "waiting" (the default: queued, deferred, in
// flight or held) and "all".
var queueStates = []string{"waiting", "all", "queued", "deferred", "inflight", "held", "delivered", "bounced", "expired", "suppressed"}

// queueFilterOf reads /api/v1/queue's filter and paging; a message
// for the 400 when one is wrong. paged says whether it asks for more
// than the newest waiting messages, which a relay without QueuePageAPI
// cannot give.
func queueFilterOf(r *http.Request, limit int) (f QueueFilter, paged bool, title, why string) {
	q := r.URL.Query()
	f = QueueFilter{Limit: limit, State: q.Get("state"), Recipient: strings.TrimSpace(q.Get("recipient")),
		Domain: strings.TrimSpace(q.Get("domain")), After: q.Get("after"), Before: q.Get("before")}
	if f.State == "" {
		f.State = "waiting"
	}
	if !slices.Contains(queueStates, f.State) {
		return f, false, "bad state " + quoteShort(f.State), "state is one of " + strings.Join(queueStates, ", ") +
			" (waiting, the default, is queued, deferred, inflight and held together)"
	}
	switch o := q.Get("order"); o {
	case "", "newest":
	case "oldest":
		f.Oldest = true
	default:
		return f, false, "bad order " + quoteShort(o), "order is newest (the default: the latest queued first) or oldest (the mail stuck longest first)"
	}
	if f.After != "" && f.Before != "" {
		return f, false, "after and before together", "a page follows one message (after=, the last id of the page before) or precedes one (before=, the first id of the page after): give one of them"
	}
	paged = f.State != "waiting" || f.Recipient != "" || f.Domain != "" || f.Oldest || f.After != "" || f.Before != ""
	return f, paged, "", ""
}

// listQueuePage is /api/v1/queue from a relay that pages its queue.
func (s *Server) listQueuePage(w http.ResponseWriter, r *http.Request, pa QueuePageAPI, f QueueFilter) ([]QueueEntry, QueueList, bool) {
	p, err := pa.QueuePage(r.Context(), f)
	if err != nil {
		s.writeAPIError(w, r, "reading the queue", err)
		return nil, QueueList{}, false
	}
	total := p.Total
	out := QueueList{Total: &total, More: p.More, Earlier: p.Earlier, Truncated: p.More || p.Earlier}
	q := p.Entries
	if q == nil {
		q = []QueueEntry{}
	}
	splitFinished(q)
	return q, out, true
}

// finishedStates are the states of a recipient the relay is done with.
var finishedStates = []string{"delivered", "bounced", "expired", "suppressed"}

// splitFinished moves each finished recipient of q's entries (a listing
// of state= delivered, bounced, expired, suppressed or all) from Waiting,
// where the relay lists every recipient its filter keeps, to Finished,
// and out of Recipients: both say "still waiting". A recipient in a state
// the API does not know stays where it is.
func splitFinished(q []QueueEntry) {
	for i := range q {
		e := &q[i]
		var waiting []QueueRecipient
		done := map[string]int{} // finished addresses, each as often as listed
		for _, rc := range e.Waiting {
			if slices.Contains(finishedStates, rc.State) {
				e.Finished = append(e.Finished, rc)
				done[rc.Address]++
			} else {
				waiting = append(waiting, rc)
			}
		}
		if len(done) == 0 {
			continue
		}
		// New slices: the relay's may be shared with what it keeps.
		e.Waiting = waiting
		rcpts := []string{} // an empty list, as for any entry, not null
		for _, a := range e.Recipients {
			if done[a] > 0 {
				done[a]--
				continue
			}
			rcpts = append(rcpts, a)
		}
		e.Recipients = rcpts
	}
}
