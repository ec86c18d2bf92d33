package web

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
)

// SinkAttemptPagesAPI is offered by a SinkAttemptsAPI that can read its
// attempts a page at a time, by the store's id of each, so that
// /api/v1/sink/attempts pages as the inbox does (limit=, before=,
// after=, next) instead of answering every attempt at once (megabytes
// after a load run).
type SinkAttemptPagesAPI interface {
	// AttemptPage returns up to q.Limit attempts whose ids lie between
	// q.After and q.Before (both excluded; Before 0 is no bound), by id,
	// newest first or, with q.OldestFirst, oldest first.
	AttemptPage(ctx context.Context, q AttemptPageQuery) ([]PagedAttempt, error)
}

// AttemptPageQuery is a page of attempts.
type AttemptPageQuery struct {
	Before, After int64
	OldestFirst   bool
	Limit         int
}

// PagedAttempt is an attempt with its id: the order the sink recorded
// attempts in, and a page's cursor. The ids only grow, and an attempt is
// recorded when its message is stored or its session ends, so one
// recorded between two pages has an id above all those read. The JSON
// gives the id as a string, as next and the ids of messages and
// sessions are.
type PagedAttempt struct {
	ID int64 `json:"id,string"`
	SinkAttempt
}

// attemptPage is what /api/v1/sink/attempts answers when asked for a
// page.
type attemptPage struct {
	Attempts []PagedAttempt `json:"attempts"`
	// Next is the id of the page's last attempt, for before= (newest
	// first) or after= (with after=), when more are left that way.
	Next string `json:"next,omitempty"`
}

// attemptPaging is the page a request for /api/v1/sink/attempts asks for,
// and whether it asks for one: without limit=, before= and after= it
// gets every attempt, oldest first by time, as the endpoint answered
// before it paged (what relaylab expect --url reads).
func attemptPaging(w http.ResponseWriter, r *http.Request) (q AttemptPageQuery, paged, ok bool) {
	v := r.URL.Query()
	if !v.Has("limit") && !v.Has("before") && !v.Has("after") {
		return q, false, true
	}
	limit, err := queryLimit(r, 1000, 10000)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad limit", err.Error())
		return q, true, false
	}
	before, err := queryInt(r, "before", 0, 0)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad before", err.Error()+": give the id of the last attempt of the page before (its next)")
		return q, true, false
	}
	after, err := queryInt(r, "after", 0, 0)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad after", err.Error()+": give the id of the newest attempt already read (the next of the page before, or its last attempt's id)")
		return q, true, false
	}
	return AttemptPageQuery{Before: before, After: after, OldestFirst: v.Has("after"), Limit: int(limit)}, true, true
}

// sinkAttempts serves the sink's attempts: every one, oldest first by
// time, or a page of them (attemptPaging); recipient= keeps those to one
// address (attemptRecipient), on a page too.
func (s *Server) sinkAttempts(w http.ResponseWriter, r *http.Request) {
	sa, ok := s.opts.Sink.(SinkAttemptsAPI)
	if s.opts.Sink == nil || !ok {
		notRunning(w, "sink")
		return
	}
	rcpt, ok := attemptRecipient(w, r)
	if !ok {
		return
	}
	pq, paged, ok := attemptPaging(w, r)
	if !ok {
		return
	}
	sp, pages := s.opts.Sink.(SinkAttemptPagesAPI)
	if paged && !pages {
		writeError(w, http.StatusNotImplemented, "the sink cannot give its attempts a page at a time",
			"this sink gives every attempt at once: leave out limit, before and after")
		return
	}
	if paged {
		page, err := pageAttemptsTo(r.Context(), sp, pq, rcpt)
		if err != nil {
			s.writeAPIError(w, r, "reading attempts", err)
			return
		}
		writeJSON(w, http.StatusOK, page)
		return
	}
	if pages {
		// Each with its id, for a client to go on with after= the last.
		l, err := everyAttempt(r.Context(), sp)
		if err != nil {
			s.writeAPIError(w, r, "reading attempts", err)
			return
		}
		l = slices.DeleteFunc(l, func(a PagedAttempt) bool { return !attemptTo(rcpt, a.SinkAttempt) })
		writeJSON(w, http.StatusOK, map[string]any{"attempts": l})
		return
	}
	l, err := sa.Attempts(r.Context())
	if err != nil {
		s.writeAPIError(w, r, "reading attempts", err)
		return
	}
	l = slices.DeleteFunc(l, func(a SinkAttempt) bool { return !attemptTo(rcpt, a) })
	if l == nil {
		l = []SinkAttempt{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"attempts": l})
}

// attemptRecipient reads /api/v1/sink/attempts's recipient=, "" when it
// is absent (knownParams refuses an empty one), as the events'
// recipient= is read (parseFilter): a value that can be no address the
// sink saw (recipientFault) is a 400 saying why, which has been written
// when ok is false.
func attemptRecipient(w http.ResponseWriter, r *http.Request) (rcpt string, ok bool) {
	rcpt = r.URL.Query().Get("recipient")
	if why := recipientFault(rcpt); rcpt != "" && why != "" {
		writeError(w, http.StatusBadRequest, "bad recipient", fmt.Sprintf("recipient=%q: %s", rcpt, why))
		return "", false
	}
	return rcpt, true
}

// attemptTo reports whether a is an attempt to rcpt ("" is any
// recipient), its ASCII letters compared in any case, as the events'
// recipient= compares them (listedSpelling): DEFER2+you@EXAMPLE.test
// finds the attempts to defer2+you@example.test.
func attemptTo(rcpt string, a SinkAttempt) bool {
	return rcpt == "" || asciiEqualFold(rcpt, a.Recipient)
}

// attemptScan is how many attempts a page with recipient= reads from the
// sink at a time, looking for those of its recipient.
const attemptScan = 1000

// pageAttemptsTo reads the page q of sa's attempts to rcpt ("" any
// recipient, attemptTo): one more than asked, to know whether any is
// left. With a recipient it reads the sink's attempts attemptScan at a
// time, from q's cursor the way the page goes, until it has found as
// many or the sink has no more; next is the last of those kept, so the
// next page goes on from there.
func pageAttemptsTo(ctx context.Context, sa SinkAttemptPagesAPI, q AttemptPageQuery, rcpt string) (attemptPage, error) {
	want := q.Limit
	q.Limit++
	if rcpt != "" {
		q.Limit = max(q.Limit, attemptScan)
	}
	var l []PagedAttempt
	for {
		got, err := sa.AttemptPage(ctx, q)
		if err != nil {
			return attemptPage{}, err
		}
		for _, a := range got {
			if attemptTo(rcpt, a.SinkAttempt) {
				l = append(l, a)
			}
		}
		if len(l) > want || len(got) < q.Limit {
			break
		}
		if last := got[len(got)-1].ID; q.OldestFirst {
			q.After = last
		} else {
			q.Before = last
		}
	}
	page := attemptPage{Attempts: l}
	if len(l) > want {
		page.Attempts = l[:want]
		page.Next = strconv.FormatInt(l[want-1].ID, 10)
	}
	if page.Attempts == nil {
		page.Attempts = []PagedAttempt{}
	}
	// As every attempt (Attempts) is given: what expect --url compares
	// with its addresses, not made text for a page.
	return page, nil
}

// everyAttempt reads every attempt of sa with its id, oldest first by
// time (then id), as SinkAttemptsAPI.Attempts gives them: what
// /api/v1/sink/attempts answers without limit=, before= and after=,
// each attempt's id there too, for a client to go on with after= the
// last id read.
func everyAttempt(ctx context.Context, sa SinkAttemptPagesAPI) ([]PagedAttempt, error) {
	l, err := sa.AttemptPage(ctx, AttemptPageQuery{OldestFirst: true, Limit: math.MaxInt})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(l, func(a, b PagedAttempt) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.ID, b.ID))
	})
	if l == nil {
		l = []PagedAttempt{}
	}
	return l, nil
}
