package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// A test suite that shares one sink between tests running side by side
// deletes its own messages only: DELETE /api/v1/sink/messages with a body
// {"ids": [...]} deletes those messages, and {"query": "..."} those the
// inbox's search (search.go) matches. Without a body the same request
// clears the whole record. A body is never ignored: one that is neither is
// a 400 and nothing is deleted, since a client that sent a scope and got
// everything deleted loses the other tests' mail.

// sinkDeleteScope is the body of a scoped DELETE /api/v1/sink/messages.
// Mailpit's {"IDs": [...]} reads as ids (JSON keys match in any case).
type sinkDeleteScope struct {
	IDs   *[]string `json:"ids"`
	Query *string   `json:"query"`
}

// SinkMessagesDeleted is what a scoped DELETE /api/v1/sink/messages
// answers: the rows deleted, the ids of the messages deleted, and those
// kept because a bounce still due quotes them. Error and Detail are set
// when the answer is a 409 (ids that a bounce quotes).
type SinkMessagesDeleted struct {
	Error   string        `json:"error,omitempty"`
	Detail  string        `json:"detail,omitempty"`
	Deleted SinkDeleted   `json:"deleted"`
	IDs     []string      `json:"ids"`
	Kept    []SinkKeptMsg `json:"kept,omitempty"`
	// Matched is how many messages the scope named: the distinct ids
	// of ids (each one a message the sink holds, or nothing is deleted),
	// or the messages the query matched; 0 included, so that a client
	// tells a scope that matched nothing from one whose messages were
	// all kept.
	Matched int    `json:"matched"`
	Note    string `json:"note,omitempty"`
}

// SinkKeptMsg is a message a scoped delete kept, and why.
type SinkKeptMsg struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// readBody reads r's body whole (up to maxBody); ok is false after an
// answer (413, 400).
func readBody(w http.ResponseWriter, r *http.Request) (data []byte, ok bool) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		if !tooLarge(w, r, err) {
			writeError(w, http.StatusBadRequest, "the body cannot be read", err.Error())
		}
		return nil, false
	}
	return data, true
}

// noBody answers 400 and is false when a request that takes no body
// came with one: a body the server ignored would pass for one it obeyed.
func noBody(w http.ResponseWriter, r *http.Request, what string) bool {
	data, ok := readBody(w, r)
	if !ok {
		return false
	}
	if len(data) > 0 {
		writeError(w, http.StatusBadRequest, what+" takes no body",
			"this request came with "+strconv.Itoa(len(data))+" bytes of body, which it would ignore; nothing was done: send it without a body")
		return false
	}
	return true
}

// clearSinkScoped serves a DELETE /api/v1/sink/messages that came with
// a body (data): the messages of its ids or of its query.
func (s *Server) clearSinkScoped(w http.ResponseWriter, r *http.Request, c SinkClearAPI, data []byte) {
	const how = `send {"ids": ["12", "13"]} to delete those messages, {"query": "to:bob@shop.test"} to delete those the search matches, or no body to delete every message`
	var keys map[string]json.RawMessage
	if json.Unmarshal(data, &keys) == nil {
		for k := range keys {
			if !strings.EqualFold(k, "ids") && !strings.EqualFold(k, "query") {
				writeError(w, http.StatusBadRequest, "unknown field "+strconv.Quote(k)+" in the body",
					"the body takes ids or query; nothing was deleted: "+how)
				return
			}
		}
	}
	if a, b := caseTwins(data); a != "" {
		writeError(w, http.StatusBadRequest, "the body gives "+strconv.Quote(a)+" and "+strconv.Quote(b),
			"those are one key in two cases (Mailpit's IDs is relaylab's ids): the API does not pick one of the two values for you; nothing was deleted: give it once")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	var scope sinkDeleteScope
	if !readJSON(w, r, &scope) {
		return
	}
	switch {
	case scope.IDs == nil && scope.Query == nil:
		writeError(w, http.StatusBadRequest, "the body gives neither ids nor query", "nothing was deleted: "+how)
		return
	case scope.IDs != nil && scope.Query != nil:
		writeError(w, http.StatusBadRequest, "the body gives both ids and query",
			"nothing was deleted: give one of them, as it is not said whether a message must be in both or in either; "+how)
		return
	case scope.IDs != nil:
		s.deleteSinkIDs(w, r, c, *scope.IDs)
		return
	}
	q := strings.TrimSpace(*scope.Query)
	if q == "" {
		writeError(w, http.StatusBadRequest, "query is empty",
			"an empty search matches every message; nothing was deleted: to delete every message send the request without a body")
		return
	}
	s.deleteSinkQuery(w, r, c, q)
}

// caseTwins is the first two keys of the object data opens that differ
// only in case ("ids" and "IDs"), in the order given; "", "" when there
// are none. A key given twice alike is readJSON's to refuse.
func caseTwins(data []byte) (first, second string) {
	seen := map[string]string{} // lower case: as given
	walkJSON(data, func(v jsonItem) bool {
		if !v.key || v.object != 1 {
			return true
		}
		k := v.tok.(string)
		if prev, ok := seen[strings.ToLower(k)]; ok && prev != k {
			first, second = prev, k
			return false
		}
		seen[strings.ToLower(k)] = k
		return true
	})
	return first, second
}

// deleteSinkIDs deletes the messages ids, all of which must be ids of
// messages the sink holds: an id that is not one is a 400, one no message
// has a 404, and then none is deleted. A message a bounce still due
// quotes is kept, and the answer is a 409 that says which (the others
// are deleted).
func (s *Server) deleteSinkIDs(w http.ResponseWriter, r *http.Request, c SinkClearAPI, ids []string) {
	res := SinkMessagesDeleted{IDs: []string{}}
	if len(ids) == 0 {
		res.Note = `ids is empty: nothing was deleted; to delete every message send the request without a body`
		writeJSON(w, http.StatusOK, res)
		return
	}
	nums := make([]int64, 0, len(ids))
	seen := map[int64]bool{}
	for i, id := range ids {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			writeError(w, http.StatusBadRequest, "ids["+strconv.Itoa(i)+"] is not a sink message id",
				strconv.Quote(id)+" is not a sink message id: one is a positive integer in a string, as the inbox's id gives it (\"42\"); nothing was deleted")
			return
		}
		if !seen[n] {
			seen[n] = true
			nums = append(nums, n)
		}
	}
	missing, err := s.missingSinkMessages(r, nums)
	if err != nil {
		s.writeAPIError(w, r, "deleting the messages", err)
		return
	}
	if len(missing) > 0 {
		writeError(w, http.StatusNotFound, "no sink message "+strings.Join(missing, ", "),
			"the sink holds no message with id "+strings.Join(missing, ", ")+" (never stored, or deleted, cleared or pruned already); nothing was deleted: leave those ids out")
		return
	}
	res.Matched = len(nums)
	s.deleteEach(r, c, nums, &res)
	if len(res.Kept) > 0 {
		res.Error = "deleting the messages: not all now"
		res.Detail = keptDetail(res)
		writeJSON(w, http.StatusConflict, res)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// deleteSinkQuery deletes the messages the search q matches, every one
// the sink holds read (not only the 5,000 newest one inbox page reads).
// A message a bounce still due quotes is kept and listed, as a clear
// keeps it.
func (s *Server) deleteSinkQuery(w http.ResponseWriter, r *http.Request, c SinkClearAPI, q string) {
	if len([]rune(q)) > maxInboxQuery {
		writeError(w, http.StatusBadRequest, "bad query", "the search text is longer than "+strconv.Itoa(maxInboxQuery)+
			" characters: give a part of a subject or an address; nothing was deleted")
		return
	}
	search, err := parseSearch(q)
	var se *searchError
	if errors.As(err, &se) {
		writeError(w, http.StatusBadRequest, "query: "+se.what, se.detail+"; nothing was deleted")
		return
	}
	var nums []int64
	iq := inboxQuery{limit: maxInboxScan, search: search, searching: true}
	for {
		page, err := readInbox(r.Context(), s.opts.Store.DB(), iq)
		if err != nil {
			s.writeAPIError(w, r, "finding the messages query matches", err)
			return
		}
		for _, m := range page.Messages {
			n, _ := strconv.ParseInt(m.ID, 10, 64)
			nums = append(nums, n)
		}
		if page.Next == "" {
			break
		}
		iq.before, _ = strconv.ParseInt(page.Next, 10, 64)
	}
	res := SinkMessagesDeleted{IDs: []string{}, Matched: len(nums)}
	s.deleteEach(r, c, nums, &res)
	if len(res.Kept) > 0 {
		res.Note = keptDetail(res)
	}
	writeJSON(w, http.StatusOK, res)
}

// deleteEach deletes the messages nums, adding what each took to res:
// in batches when the sink offers it (a transaction each message made
// deleting a search's thousand messages take half a minute), else one
// by one. A message deleted meanwhile (by another request) is left out;
// one a bounce quotes is kept.
func (s *Server) deleteEach(r *http.Request, c SinkClearAPI, nums []int64, res *SinkMessagesDeleted) {
	if b, ok := c.(SinkBatchDeleteAPI); ok {
		d, err := b.DeleteMessages(r.Context(), nums)
		res.Deleted.add(d.Deleted)
		done := make(map[int64]bool, len(d.IDs))
		for _, n := range d.IDs {
			done[n] = true
			res.IDs = append(res.IDs, strconv.FormatInt(n, 10))
		}
		for _, n := range nums {
			why := d.Kept[n]
			if why == nil && !done[n] {
				// The store failed part way: what went stays gone.
				why = err
			}
			if why != nil {
				res.Kept = append(res.Kept, keptMsg(n, why))
			}
		}
		return
	}
	for _, n := range nums {
		id := strconv.FormatInt(n, 10)
		d, err := c.DeleteMessage(r.Context(), id)
		if err != nil {
			// Quoted, gone meanwhile, or the store failed: keep going,
			// say so.
			res.Kept = append(res.Kept, keptMsg(n, err))
			continue
		}
		res.IDs = append(res.IDs, id)
		res.Deleted.add(d)
	}
}

// keptMsg is message n kept for err: a conflict's detail (a bounce due
// quotes it), or the whole error.
func keptMsg(n int64, err error) SinkKeptMsg {
	why := err.Error()
	if errors.Is(err, ErrConflict) {
		why = detail(err, ErrConflict)
	}
	return SinkKeptMsg{ID: strconv.FormatInt(n, 10), Reason: why}
}

// add counts the rows of o with those of d.
func (d *SinkDeleted) add(o SinkDeleted) {
	d.Messages += o.Messages
	d.Sessions += o.Sessions
	d.Attempts += o.Attempts
	d.Bounces += o.Bounces
	d.Events += o.Events
}

// keptDetail says which messages a scoped delete kept and that the
// others were deleted.
func keptDetail(res SinkMessagesDeleted) string {
	kept := make([]string, len(res.Kept))
	for i, k := range res.Kept {
		kept[i] = k.ID
	}
	return "kept message " + strings.Join(kept, ", ") + " (each one's reason is in kept: a bounce still due quotes it, and the sink reads it when it sends the bounce; delete it after that) and deleted the other " +
		strconv.Itoa(len(res.IDs)) + " (ids)"
}

// missingSinkMessages are the ids of nums that no message of the sink's
// store has, as strings.
func (s *Server) missingSinkMessages(r *http.Request, nums []int64) ([]string, error) {
	var missing []string
	for _, n := range nums {
		var held bool
		if err := s.opts.Store.DB().QueryRowContext(r.Context(), `SELECT EXISTS (SELECT 1 FROM sink_messages WHERE id = ?)`, n).Scan(&held); err != nil {
			return nil, err
		}
		if !held {
			missing = append(missing, strconv.FormatInt(n, 10))
		}
	}
	return missing, nil
}
