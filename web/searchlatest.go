package web

import (
	"net/http"
	"strconv"
	"strings"
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
		iq := inboxQuery{limit: 1, search: search, searching: len(search.terms) > 0}
		page, err := readInbox(r.Context(), s.opts.Store.DB(), iq)
		if err != nil {
			s.writeAPIError(w, r, "finding the latest message", err)
			return
		}
		if len(page.Messages) == 0 {
			msg, detail := noLatest(page, iq, r.URL.Query().Get("q"))
			writeError(w, http.StatusNotFound, msg, detail)
			return
		}
		r.SetPathValue("id", page.Messages[0].ID)
		h(w, r)
	}
}

// noLatest is the 404 of a latest that found no message: none at all,
// none that matches, or none among the messages one request reads.
func noLatest(page InboxPage, iq inboxQuery, q string) (msg, detail string) {
	again := "a message is stored when the sink answers its data, so one sent a moment ago may not be in yet: ask again until it is"
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
