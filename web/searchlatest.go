package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// latest serves h for the newest message the sink holds, or the newest
// that q= matches, as if its id had been given: /api/v1/sink/messages/latest
// is that message, .../latest/raw its bytes, .../latest/body.html its
// HTML and .../latest/parts/{part} one of its parts, as Mailpit's
// "latest" id is. A CI test that sent one message asks for
// .../latest?q=to:bob@shop.test without listing first. The search reads
// at most maxInboxScan messages, as a page of the inbox does.
func (s *Server) latest(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		search, ok := querySearch(w, r)
		if !ok {
			return
		}
		wait, err := queryWait(r, maxLatestWait, "a message that matches")
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad wait", err.Error())
			return
		}
		iq := inboxQuery{limit: 1, search: search, searching: len(search.terms) > 0}
		var c *streamClient
		if wait > 0 {
			// Joined before the first read: a message stored after the
			// read has its sink.message after the hub's position.
			c = &streamClient{filter: events.Filter{Kinds: []string{events.SinkMessage}}, send: make(chan *batch, 16), quit: make(chan struct{})}
			if _, ok := s.hub.join(r.Context(), c); !ok {
				writeError(w, http.StatusServiceUnavailable, "cannot wait: the event stream is not running",
					"relaylab serve is starting or stopping; ask again without wait=, or in a moment")
				return
			}
			defer s.hub.leave(c)
		}
		// The newest id before the read: a wait reads only what is newer.
		top, err := s.maxSinkID(r)
		if err != nil {
			s.writeAPIError(w, r, "finding the latest message", err)
			return
		}
		page, err := readInbox(r.Context(), s.opts.Store.DB(), iq)
		if err != nil {
			s.writeAPIError(w, r, "finding the latest message", err)
			return
		}
		if len(page.Messages) == 0 && c != nil {
			page, err = s.waitLatest(r, c, iq, wait, top)
			if err != nil {
				s.writeAPIError(w, r, "waiting for the latest message", err)
				return
			}
		}
		if len(page.Messages) == 0 {
			msg, detail := noLatest(page, iq, r.URL.Query().Get("q"))
			if wait > 0 {
				msg += " within " + wait.String()
				detail = "waited " + wait.String() + " and no message came that matches: " + detail
			}
			writeError(w, http.StatusNotFound, msg, detail)
			return
		}
		r.SetPathValue("id", page.Messages[0].ID)
		h(w, r)
	}
}

// maxLatestWait bounds wait=: a request held longer would outlast the
// proxies and client timeouts in between.
const maxLatestWait = 60 * time.Second

// queryWait reads wait=: a duration (10s, 500ms, 1m) or a number of
// seconds, at most most; 0 when absent. what is what the request waits
// for, for the 400.
func queryWait(r *http.Request, most time.Duration, what string) (time.Duration, error) {
	v := r.URL.Query().Get("wait")
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if n, nerr := strconv.Atoi(v); nerr == nil {
		d, err = time.Duration(n)*time.Second, nil
	}
	if err != nil || d < 0 || d > most {
		return 0, fmt.Errorf("wait= takes how long to wait for %s, at most %s: 10s, 500ms, 1m or a number of seconds, not %s", what, most, quoteShort(v))
	}
	return d, nil
}

// waitLatest waits, up to wait, for a message that iq matches among those
// the sink stores from now: each sink.message the event hub sends wakes
// it to read the messages stored since (no polling). It returns the page
// of the last read, empty when none came in time.
func (s *Server) waitLatest(r *http.Request, c *streamClient, iq inboxQuery, wait time.Duration, top int64) (InboxPage, error) {
	timer := s.clock.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-r.Context().Done():
			return InboxPage{}, r.Context().Err()
		case <-timer.C():
			return readInbox(r.Context(), s.opts.Store.DB(), iq)
		case <-c.quit:
			// Dropped by the hub (stopping): answer with what is there.
			return readInbox(r.Context(), s.opts.Store.DB(), iq)
		case <-c.send:
		}
		// Newest first among those stored since top; the next read
		// starts from the newest id before this one (a message stored
		// meanwhile is read twice, never missed).
		next, err := s.maxSinkID(r)
		if err != nil {
			return InboxPage{}, err
		}
		since := iq
		since.after = top
		page, err := readInbox(r.Context(), s.opts.Store.DB(), since)
		if err != nil || len(page.Messages) > 0 {
			return page, err
		}
		top = next
	}
}

// maxSinkID is the largest id of a message the sink holds, 0 for none.
func (s *Server) maxSinkID(r *http.Request) (int64, error) {
	var top int64
	err := s.opts.Store.DB().QueryRowContext(r.Context(), `SELECT COALESCE(MAX(id), 0) FROM sink_messages`).Scan(&top)
	return top, err
}

// noLatest is the 404 of a latest that found no message: none at all,
// none that matches, or none among the messages one request reads.
func noLatest(page InboxPage, iq inboxQuery, q string) (msg, detail string) {
	again := "the sink stores a message before it answers the data (250, or its refusal), so once your client has read that reply the message is here: it was not sent, it went to another sink, or it was deleted"
	switch {
	case page.Total == 0:
		return "no message in the sink", "the sink holds no message: " + again +
			" (DELETE /api/v1/sink/messages, relaylab sink clear and the store's pruning empty it)"
	case !iq.searching:
		// Deleted between the count and the read.
		return "no message in the sink", "the sink's messages were deleted while it was asked: " + again
	case page.Next == "":
		return "no message matches q", "none of the " + strconv.Itoa(page.Total) + " messages the sink holds matches q=" +
			quoteShort(strings.TrimSpace(q)) + ": " + again
	}
	return "no message matches q among the newest " + strconv.Itoa(page.Searched),
		"latest reads the newest " + strconv.Itoa(maxInboxScan) + " messages of the " + strconv.Itoa(page.Total) +
			" the sink holds, and none of them matches; search the older ones with /api/v1/sink/messages?q=...&before=" + page.Next
}
