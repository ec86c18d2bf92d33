package web

import (
	"context"
	"errors"
	"net/http"
)

// A CI job that runs relaylab as a service, one sink for all its tests,
// starts each test from a clean slate: POST /api/v1/sink/reset makes the
// sink forget how often each sender tried each recipient (so "defer2+x@"
// defers twice again) and its greylist; DELETE /api/v1/sink/messages
// deletes, besides, everything the sink recorded (with a body, only the
// messages it names: clearscoped.go); DELETE /api/v1/sink/messages/{id}
// deletes one message.

// ErrConflict marks a request the current state of an object does not
// allow, such as deleting a message a bounce still due quotes (409).
var ErrConflict = errors.New("conflict")

// SinkClearAPI is offered by a SinkAPI whose record the API may reset and
// delete.
type SinkClearAPI interface {
	// Reset makes the sink forget its attempt counters and greylist,
	// as relaylab sink reset does; its record stays.
	Reset(ctx context.Context) (SinkForgotten, error)
	// Clear deletes the sink's record (SinkCleared says what) and makes
	// it forget its attempt counters and greylist.
	Clear(ctx context.Context) (SinkCleared, error)
	// DeleteMessage deletes one message the sink stored, and its
	// sink.message event. An id no message has is an ErrNotFound; a
	// message a bounce still due quotes, an ErrConflict.
	DeleteMessage(ctx context.Context, id string) (SinkDeleted, error)
}

// SinkBatchDeleteAPI is offered by a SinkClearAPI that deletes many
// messages in a few transactions: a scoped DELETE /api/v1/sink/messages
// deletes through it when the sink offers it, and one message at a time
// (DeleteMessage) otherwise.
type SinkBatchDeleteAPI interface {
	// DeleteMessages deletes the messages ids (distinct), as
	// DeleteMessage does each: it keeps a message a bounce still due
	// quotes, and one no message has is kept too, with why.
	DeleteMessages(ctx context.Context, ids []int64) (SinkBatchDeleted, error)
}

// SinkBatchDeleted is what DeleteMessages did: the rows deleted, the
// messages deleted, and why each one kept was, in DeleteMessage's
// errors (an ErrConflict for a bounce due, an ErrNotFound).
type SinkBatchDeleted struct {
	Deleted SinkDeleted
	IDs     []int64
	Kept    map[int64]error
}

// SinkForgotten is what a reset forgot (sink.Forgotten): what POST
// /api/v1/sink/reset answers, as relaylab sink reset --json prints it.
type SinkForgotten struct {
	// Pairs is how many (sender, recipient) attempt counters went back
	// to zero; Messages, how many per-Message-ID counters did.
	Pairs    int `json:"pairs"`
	Messages int `json:"messages"`
	// Greylist is how many greylist entries were forgotten.
	Greylist int `json:"greylist"`
	// BeforeSession is the last session whose attempts no longer count:
	// /api/v1/sink/attempts marks them before_reset.
	BeforeSession int64 `json:"before_session"`
}

// SinkDeleted counts the rows a deletion took.
type SinkDeleted struct {
	Messages int64 `json:"messages"`
	Sessions int64 `json:"sessions"`
	Attempts int64 `json:"attempts"`
	Bounces  int64 `json:"bounces"` // bounces sent, skipped or given up on
	Events   int64 `json:"events"`  // sink.session, sink.reply, sink.message and sink.bounce
}

// SinkCleared is what DELETE /api/v1/sink/messages answers.
type SinkCleared struct {
	Deleted SinkDeleted `json:"deleted"`
	// KeptMessages are the messages kept because a bounce still due
	// quotes them: the sink reads each when it sends its bounce.
	KeptMessages int64 `json:"kept_messages"`
	// Forgotten is what the sink forgot, as a reset's answer says.
	Forgotten SinkForgotten `json:"forgotten"`
	// Note says why messages were kept, when some were.
	Note string `json:"note,omitempty"`
}

// sinkDeletion is what DELETE /api/v1/sink/messages/{id} answers.
type sinkDeletion struct {
	Deleted SinkDeleted `json:"deleted"`
}

// sinkClearer is the sink as SinkClearAPI, or false after answering
// 503 when it cannot be cleared.
func (s *Server) sinkClearer(w http.ResponseWriter) (SinkClearAPI, bool) {
	c, ok := s.opts.Sink.(SinkClearAPI)
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "the sink's record cannot be reset or deleted here",
			"this relaylab process's sink does not offer it; run `relaylab sink reset` or `relaylab sink clear` on its store")
	}
	return c, ok
}

func (s *Server) resetSink(w http.ResponseWriter, r *http.Request) {
	c, ok := s.sinkClearer(w)
	if !ok || !noBody(w, r, "POST /api/v1/sink/reset") {
		return
	}
	f, err := c.Reset(r.Context())
	if err != nil {
		s.writeAPIError(w, r, "resetting the sink's attempt counters and greylist", err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) clearSink(w http.ResponseWriter, r *http.Request) {
	c, ok := s.sinkClearer(w)
	if !ok {
		return
	}
	data, ok := readBody(w, r)
	if !ok {
		return
	}
	if len(data) > 0 {
		s.clearSinkScoped(w, r, c, data)
		return
	}
	res, err := c.Clear(r.Context())
	if err != nil {
		s.writeAPIError(w, r, "deleting the sink's record", err)
		return
	}
	if res.KeptMessages > 0 {
		res.Note = "the messages kept are quoted by bounces still due: the sink reads each when it sends its bounce; a clear after that deletes them"
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) deleteSinkMessage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.sinkClearer(w)
	if !ok || !noBody(w, r, "DELETE /api/v1/sink/messages/{id}") {
		return
	}
	d, err := c.DeleteMessage(r.Context(), r.PathValue("id"))
	if errors.Is(err, ErrConflict) {
		writeError(w, http.StatusConflict, "deleting the message: not now", detail(err, ErrConflict))
		return
	}
	if err != nil {
		s.writeAPIError(w, r, "deleting the message", err)
		return
	}
	writeJSON(w, http.StatusOK, sinkDeletion{Deleted: d})
}
