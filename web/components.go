package web

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/relaylab/relaylab/internal/mailtext"
)

// The handlers below pass requests to the sink, the relay and the probes
// through their interfaces (api.go).

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) {
	m, err := s.opts.Relay.Message(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeAPIError(w, r, "reading the message", err)
		return
	}
	writeJSON(w, http.StatusOK, withLinks(validDetail(m)))
}

func (s *Server) enqueue(w http.ResponseWriter, r *http.Request) {
	if s.stopping.Load() != nil {
		// As the relay's submission answers 421 4.3.2 once the stop
		// begins: a message queued now would wait for the next start.
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusServiceUnavailable, "the message was not queued: relaylab is stopping",
			"this relaylab got a signal to stop and takes no new mail while its deliveries drain, as its SMTP submission answers 421 4.3.2; send the message again once it runs again, or to another instance")
		return
	}
	var m EnqueueRequest
	if !readJSON(w, r, &m) {
		return
	}
	if err := checkEnqueue(m); err != nil {
		writeError(w, http.StatusBadRequest, "the message cannot be queued", err.Error())
		return
	}
	m.Client = r.RemoteAddr
	id, err := s.opts.Relay.Enqueue(r.Context(), m)
	if err != nil {
		s.writeAPIError(w, r, "queueing the message", err)
		return
	}
	w.Header().Set("Location", "/api/v1/messages/"+id)
	writeJSON(w, http.StatusAccepted, map[string]string{"id": id})
}

type inputError string

func (e inputError) Error() string { return string(e) }

// checkEnqueue rejects what no relay could send.
func checkEnqueue(m EnqueueRequest) error {
	if m.From != "" { // "" is the null reverse-path (RFC 5321 4.5.5)
		if why := addressFault(m.From); why != "" {
			return inputError("from " + strconv.Quote(m.From) + ": " + why)
		}
	}
	if len(m.To) == 0 {
		return inputError("to: at least one recipient is needed")
	}
	if len(m.To) > 1000 {
		return inputError("to: at most 1000 recipients per message")
	}
	for i, t := range m.To {
		if why := addressFault(t); why != "" {
			return inputError("to[" + strconv.Itoa(i) + "] " + strconv.Quote(t) + ": " + why)
		}
	}
	if m.Raw != "" && (m.Subject != "" || m.Text != "" || m.HTML != "" || len(m.Headers) > 0) {
		return inputError("give either raw (a whole message) or subject/text/html/headers, not both")
	}
	if m.Raw != "" {
		if why := rawFault(m.Raw); why != "" {
			return inputError("raw: " + why)
		}
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return inputError("subject: a subject is one line, and this one holds a line break (CR or LF): " +
			"remove it (relaylab folds a long subject itself, RFC 5322 2.2.3), or send the whole message as raw")
	}
	for i, h := range m.Headers {
		if h.Name == "" || !fieldName(h.Name) || strings.ContainsAny(h.Value, "\r\n") {
			return inputError("headers[" + strconv.Itoa(i) + "]: a name without spaces or colons and a value on one line are needed")
		}
		if from, ok := builtField(h.Name); ok {
			return inputError("headers[" + strconv.Itoa(i) + "]: " + h.Name + " is written " + from +
				", and a message has it once (RFC 5322 3.6); to set it yourself, send the whole message as raw")
		}
	}
	return nil
}

// builtField says which field of the request a header field of the
// message built from it is written from, for the fields that are built.
func builtField(name string) (from string, ok bool) {
	switch strings.ToLower(name) {
	case "from":
		return "from the from field", true
	case "to":
		return "from the to field", true
	case "subject":
		return "from the subject field", true
	case "date", "message-id", "mime-version", "content-type", "content-transfer-encoding":
		return "by relaylab", true
	}
	return "", false
}

func (s *Server) relayBody(w http.ResponseWriter, r *http.Request) {
	m, err := s.opts.Relay.Message(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeAPIError(w, r, "reading the message", err)
		return
	}
	writeBody(w, m)
}

// writeBody serves a message's HTML alone; secure has set its sandboxing
// CSP. A text-only message is served as text.
func writeBody(w http.ResponseWriter, m MessageDetail) {
	m = validDetail(m)
	w.Header().Set("Cache-Control", "no-store")
	if m.HTML == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte(markBidiText(m.Text)))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(baseTarget(inertHTML(m.HTML))))
}

// inertHTML is a message's HTML with what the CSP and the sandbox do not
// stop taken out. Chromium opens a connection for <link rel=preconnect>
// (and looks a name up for dns-prefetch) whatever the CSP says, so a
// message could learn that it was opened, when and from where: every
// <link is renamed <x-link, an unknown element that does nothing (no link
// of a message's could load under the CSP anyway). The HTML is made valid
// UTF-8 first (mailtext.Valid), as the Content-Type says it is: a byte-order
// mark would otherwise switch the browser to UTF-16, where "<link" is other
// bytes. Its direction controls are shown, not applied (markBidiHTML).
func inertHTML(s string) string {
	s = markBidiHTML(mailtext.Valid(s))
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := indexLinkTag(s)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString("<x-")
		s = s[i+1:] // "link..." stays, after the new prefix
	}
}

// indexLinkTag finds "<link" in s with the tag name in any ASCII case, as
// the HTML tokenizer reads tag names; -1 if there is none.
func indexLinkTag(s string) int {
	for i := 0; i+5 <= len(s); i++ {
		if s[i] == '<' && strings.EqualFold(s[i+1:i+5], "link") {
			return i
		}
	}
	return -1
}

func (s *Server) listQueue(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r, 100, 10000)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad limit", err.Error())
		return
	}
	f, paged, title, why := queueFilterOf(r, int(limit))
	if title != "" {
		writeError(w, http.StatusBadRequest, title, why)
		return
	}
	var (
		q   []QueueEntry
		out QueueList
	)
	if pa, ok := s.opts.Relay.(QueuePageAPI); ok {
		if q, out, ok = s.listQueuePage(w, r, pa, f); !ok {
			return
		}
	} else if paged {
		writeError(w, http.StatusBadRequest, "this relay cannot page or filter its queue",
			"it lists the newest waiting messages alone: leave out state, recipient, domain, order, after and before, or use relaylab queue list, which has them")
		return
	} else {
		// One more than shown says whether the list is cut.
		if q, err = s.opts.Relay.Queue(r.Context(), QueueFilter{Limit: int(limit) + 1}); err != nil {
			s.writeAPIError(w, r, "reading the queue", err)
			return
		}
		if q == nil {
			q = []QueueEntry{}
		}
		out = QueueList{Truncated: len(q) > int(limit)}
		if out.Truncated {
			q = q[:limit]
		}
		out.More = out.Truncated
	}
	if out.RecipientsWaiting, err = s.opts.Relay.QueueDepth(r.Context()); err != nil {
		s.writeAPIError(w, r, "counting the queue's recipients", err)
		return
	}
	c, counts := s.opts.Relay.(QueueCountAPI)
	switch {
	case out.Total != nil:
	case !out.Truncated:
		n := len(q)
		out.Total = &n
	case counts:
		n, err := c.QueueMessages(r.Context())
		if err != nil {
			s.writeAPIError(w, r, "counting the queue's messages", err)
			return
		}
		// Counted after the list was read: never fewer than it found.
		n = max(n, len(q)+1)
		out.Total = &n
	}
	if err := addLastTries(r.Context(), s.opts.Store.DB(), q); err != nil {
		s.writeAPIError(w, r, "reading the queue's attempts", err)
		return
	}
	if err := addServerVerdicts(r.Context(), s.opts.Store.DB(), q); err != nil {
		s.writeAPIError(w, r, "reading the queue's deferrals", err)
		return
	}
	out.Queue = q
	writeJSON(w, http.StatusOK, out)
}

// retryAnswer is what /api/v1/queue/{id}/retry answers.
type retryAnswer struct {
	ID string `json:"id"`
	// Status is "retry scheduled" when every waiting recipient is due
	// now, "partly held" when the relay's shaping holds some of them,
	// and "held" when it holds them all: a retry does not lift a hold.
	Status string `json:"status"`
	// Due is the recipients due now, Held those still held, with the
	// hold's end; both absent from a relay that does not say.
	Due    *int        `json:"due,omitempty"`
	Held   []RetryHeld `json:"held,omitempty"`
	Detail string      `json:"detail,omitempty"` // the same in a sentence
}

func (s *Server) retryNow(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	rh, ok := s.opts.Relay.(RetryHoldsAPI)
	if !ok {
		if err := s.opts.Relay.RetryNow(r.Context(), id); err != nil {
			s.writeAPIError(w, r, "retrying the message", err)
			return
		}
		writeJSON(w, http.StatusAccepted, retryAnswer{ID: id, Status: "retry scheduled"})
		return
	}
	res, err := rh.RetryNowHeld(r.Context(), id)
	if err != nil {
		s.writeAPIError(w, r, "retrying the message", err)
		return
	}
	writeJSON(w, http.StatusAccepted, retryAnswerOf(id, res))
}

// retryAnswerOf says what a retry did: which recipients are due now, and
// which the relay's shaping still holds and until when, as relaylab queue
// retry says it.
func retryAnswerOf(id string, res Retry) retryAnswer {
	due := max(res.Waiting-len(res.Held), 0)
	a := retryAnswer{ID: id, Status: "retry scheduled", Due: &due, Held: res.Held}
	if len(res.Held) == 0 {
		return a
	}
	a.Status = "partly held"
	if due == 0 {
		a.Status = "held"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the relay's own shaping holds %d of the %d waiting recipient(s), which a retry cannot lift (a destination's rest, a sending window or the warm-up cap): their next attempt stays at the hold's end: ",
		len(res.Held), res.Waiting)
	for i, h := range res.Held {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s held until %s (%s)", h.Address, h.Until.UTC().Format(time.RFC3339), h.Hold)
		if h.Expires != nil {
			fmt.Fprintf(&b, ", after the message expires at %s: it expires unsent then, and its sender gets a DSN, unless the shaping changes or the retry policy's max_age is longer",
				h.Expires.UTC().Format(time.RFC3339))
		}
	}
	if due > 0 {
		fmt.Fprintf(&b, "; the other %d are due now", due)
	}
	a.Detail = b.String()
	return a
}

func (s *Server) deleteQueued(w http.ResponseWriter, r *http.Request) {
	if err := s.opts.Relay.Delete(r.Context(), r.PathValue("id")); err != nil {
		s.writeAPIError(w, r, "deleting the message", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listSuppressions(w http.ResponseWriter, r *http.Request) {
	l, err := s.opts.Relay.Suppressions(r.Context())
	if err != nil {
		s.writeAPIError(w, r, "reading suppressions", err)
		return
	}
	if l == nil {
		l = []Suppression{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"suppressions": l})
}

func (s *Server) unsuppress(w http.ResponseWriter, r *http.Request) {
	addr := r.PathValue("address")
	if why := addressFault(addr); why != "" {
		writeError(w, http.StatusBadRequest, "bad address "+strconv.Quote(addr), why)
		return
	}
	if err := s.opts.Relay.Unsuppress(r.Context(), addr); err != nil {
		s.writeAPIError(w, r, "removing the suppression", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// clearSuppressions empties the suppression list (a test run's clean
// slate, as DELETE /api/v1/sink/messages is the sink's).
func (s *Server) clearSuppressions(w http.ResponseWriter, r *http.Request) {
	c, ok := s.opts.Relay.(SuppressionsClearAPI)
	if !ok {
		writeError(w, http.StatusNotImplemented, "the relay cannot clear its suppression list",
			"take the addresses off one at a time: DELETE /api/v1/suppressions/{address}")
		return
	}
	n, err := c.ClearSuppressions(r.Context())
	if err != nil {
		s.writeAPIError(w, r, "clearing the suppression list", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"removed": n})
}

// sessionPage is what /api/v1/sink/sessions answers.
type sessionPage struct {
	Sessions []SinkSession `json:"sessions"`
	// Next is the before= of the next page, older sessions, when this one
	// is full (limit sessions): the last session's id.
	Next string `json:"next,omitempty"`
	// Total is the number of sessions the sink recorded (of listener=,
	// when given); absent from a sink that cannot count them.
	Total *int `json:"total,omitempty"`
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r, 100, 10000)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad limit", err.Error())
		return
	}
	q := r.URL.Query()
	f := SessionFilter{Listener: q.Get("listener"), Before: q.Get("before"), Limit: int(limit),
		Client: q.Get("client"), HELO: q.Get("helo"), Sender: q.Get("from"), Recipient: q.Get("to"), Text: q.Get("text")}
	l, err := s.opts.Sink.Sessions(r.Context(), f)
	if err != nil {
		s.writeAPIError(w, r, "reading sessions", err)
		return
	}
	if l == nil {
		l = []SinkSession{}
	}
	for i := range l {
		l[i] = validSession(l[i])
	}
	page := sessionPage{Sessions: l}
	if len(l) == int(limit) {
		page.Next = l[len(l)-1].ID
	}
	// The total is of a listener's sessions: a search's would be a count
	// of every match, a read of the whole record, so it has none.
	if c, ok := s.opts.Sink.(SessionCountAPI); ok && !f.searched() {
		n, err := c.SessionCount(r.Context(), q.Get("listener"))
		if err != nil {
			s.writeAPIError(w, r, "counting sessions", err)
			return
		}
		page.Total = &n
	}
	writeJSON(w, http.StatusOK, page)
}

// getSession serves one session with its transcript and a page of its
// attempts and message ids (limit=, attempts_after=, messages_after=),
// as the sink can page them: the transcript is bounded by the sink
// (sink/conn.go maxTranscript), its attempts and messages are not.
func (s *Server) getSession(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r, DefaultSessionPage, 5000)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad limit", err.Error()+": the most attempts, and the most message ids, of the page")
		return
	}
	q := SessionPageQuery{Limit: int(limit)}
	for _, p := range []struct {
		name, next string
		to         *int64
	}{{"attempts_after", "attempts_next", &q.AttemptsAfter}, {"messages_after", "messages_next", &q.MessagesAfter}} {
		if *p.to, err = queryInt(r, p.name, 0, 0); err != nil {
			writeError(w, http.StatusBadRequest, "bad "+p.name, err.Error()+": give the "+p.next+" of the page before, or 0 to read from the first")
			return
		}
	}
	var ss SinkSession
	if sp, ok := s.opts.Sink.(SessionPageAPI); ok {
		ss, err = sp.SessionPage(r.Context(), r.PathValue("id"), q)
	} else if v := r.URL.Query(); v.Has("limit") || v.Has("attempts_after") || v.Has("messages_after") {
		writeError(w, http.StatusNotImplemented, "the sink cannot give a session's attempts a page at a time",
			"this sink gives a session's attempts and messages all at once: leave out limit, attempts_after and messages_after")
		return
	} else {
		ss, err = s.opts.Sink.Session(r.Context(), r.PathValue("id"))
	}
	if err != nil {
		s.writeAPIError(w, r, "reading the session", err)
		return
	}
	writeJSON(w, http.StatusOK, validSession(ss))
}

// validSession is ss with what the client sent (its HELO, its commands in
// the transcript) and the replies as textOf shows text from mail: a NUL
// in an EHLO is U+FFFD, as one in a message is.
func validSession(ss SinkSession) SinkSession {
	ss.HELO, ss.Client, ss.Auth, ss.LastReply = textOf(ss.HELO), textOf(ss.Client), textOf(ss.Auth), textOf(ss.LastReply)
	if len(ss.Transcript) > 0 {
		tr := make([]Line, len(ss.Transcript))
		for i, l := range ss.Transcript {
			l.Text = textOf(l.Text)
			tr[i] = l
		}
		ss.Transcript = tr
	}
	if len(ss.Attempts) > 0 {
		as := make([]SessionAttempt, len(ss.Attempts))
		for i, a := range ss.Attempts {
			a.Recipient, a.Reply = textOf(a.Recipient), textOf(a.Reply)
			as[i] = a
		}
		ss.Attempts = as
	}
	return ss
}

func (s *Server) getSinkMessage(w http.ResponseWriter, r *http.Request) {
	m, err := s.opts.Sink.Message(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeAPIError(w, r, "reading the message", err)
		return
	}
	// The store knows the session of each message the sink stored: the
	// page links to it, however many sessions came since.
	if n, err := strconv.ParseInt(m.ID, 10, 64); err == nil && m.Session == "" {
		sid, ok, err := s.opts.Store.SinkMessageSession(r.Context(), n)
		if err != nil {
			s.writeAPIError(w, r, "reading the message's session", err)
			return
		}
		if ok {
			m.Session = strconv.FormatInt(sid, 10)
		}
		if err := s.sinkAuth(r.Context(), n, &m); err != nil {
			s.writeAPIError(w, r, "reading the message's authentication results", err)
			return
		}
	}
	d := sinkMessageDetail{MessageDetail: withLinks(validDetail(m)), Time: m.Received}
	if err := s.sinkReply(r.Context(), &d); err != nil {
		s.writeAPIError(w, r, "reading the sink's reply to the message", err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// sinkMessageDetail is what /api/v1/sink/messages/{id} (and .../latest)
// answers: the message, and, as the inbox lists it (InboxMessage), the
// listener that took it, its From field and the sink's reply after the
// final dot. The sink stores a message it refused after the data (a
// 550 or 451 by a rule or a directive) too: Code tells one from a
// message it accepted.
type sinkMessageDetail struct {
	MessageDetail
	Listener string `json:"listener,omitempty"`
	// Time is Received, under the name the inbox gives it (InboxMessage).
	Time       time.Time `json:"time,omitzero"`
	HeaderFrom string    `json:"header_from,omitempty"`
	// Code is the sink's reply code after the final dot, 0 when it gave
	// none; absent, with Reply, when the store does not hold the message.
	Code  *int   `json:"code,omitempty"`
	Reply string `json:"reply,omitempty"`
	// Copy is set when the sink holds the message more than once from
	// its sender: which copy this is, of how many (InboxMessage.Copy).
	Copy *MessageCopy `json:"copy,omitempty"`
}

// sinkReply fills d's listener, From field and the sink's reply from the
// store, as the inbox reads them (dotReply), when it holds the message.
func (s *Server) sinkReply(ctx context.Context, d *sinkMessageDetail) error {
	for _, h := range d.Headers {
		if strings.EqualFold(h.Name, "From") {
			d.HeaderFrom = h.Value // shown as the inbox shows it (showField)
			break
		}
	}
	n, err := strconv.ParseInt(d.ID, 10, 64)
	if err != nil || s.opts.Store == nil {
		return nil
	}
	var (
		code                              int
		enhanced, text, msgID, senderFrom string
	)
	err = s.opts.Store.DB().QueryRowContext(ctx, `SELECT listener, code, enhanced, text, message_id, mail_from FROM sink_messages WHERE id = ?`, n).
		Scan(&d.Listener, &code, &enhanced, &text, &msgID, &senderFrom)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	d.Listener, d.Code, d.Reply = textOf(d.Listener), &code, textOf(dotReply(n, code, enhanced, text))
	if msgID != "" {
		copies, err := sinkCopies(ctx, s.opts.Store.DB(), []string{msgID})
		if err != nil {
			return err
		}
		d.Copy = copyOf(copies, msgID, senderFrom, n)
	}
	return nil
}

func (s *Server) sinkBody(w http.ResponseWriter, r *http.Request) {
	m, err := s.opts.Sink.Message(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeAPIError(w, r, "reading the message", err)
		return
	}
	if ra, ok := s.opts.Sink.(RawAPI); ok && hasCID(m.HTML) {
		raw, err := ra.Raw(r.Context(), r.PathValue("id"))
		if err != nil {
			s.writeAPIError(w, r, "reading the message", err)
			return
		}
		m.HTML = inlineCIDs(m.HTML, raw, m.Attachments)
	}
	writeBody(w, m)
}

// rulesAnswer is what GET and PUT /api/v1/sink/rules answer: the rules
// the sink runs, and their version, which the ETag field carries too.
type rulesAnswer struct {
	YAML string `json:"yaml"`
	// Version names the text: a PUT with If-Match (or version) of it
	// replaces the rules only while they are still these.
	Version string `json:"version"`
	// Warnings are the rules that run but never apply, at their lines
	// (SinkRulesWarningsAPI): a GET's in yaml, a PUT's in the text sent.
	Warnings []string `json:"warnings,omitempty"`
}

// rulesRequest is the body of PUT /api/v1/sink/rules. YAML is required,
// "" for no rules: a body without it (a script's typo, {}) must not pass
// for "no rules". Version, as If-Match, is the version the text was
// edited from.
type rulesRequest struct {
	YAML    *string `json:"yaml"`
	Version string  `json:"version,omitempty"`
}

// rulesConflict is the answer to a PUT whose version is not the rules'
// any more: the error, and the rules the sink runs now.
type rulesConflict struct {
	apiError
	rulesAnswer
}

// rulesVersion is the version of the rules' text: a hash of it, the same
// for the same text, whoever installed it.
func rulesVersion(yaml string) string {
	sum := sha256.Sum256([]byte(yaml))
	return hex.EncodeToString(sum[:12])
}

func (s *Server) getRules(w http.ResponseWriter, r *http.Request) {
	rules, err := s.opts.Sink.Rules(r.Context())
	if err != nil {
		s.writeAPIError(w, r, "reading the rules", err)
		return
	}
	writeRules(w, http.StatusOK, rules, rulesWarnings(r.Context(), s.opts.Sink, rules.YAML))
}

// writeRules answers with rules and their version, in the body and as the
// ETag (RFC 9110 8.8.3) that If-Match names, and the warnings of the
// rules.
func writeRules(w http.ResponseWriter, code int, rules SinkRules, warnings []string) {
	v := rulesVersion(rules.YAML)
	w.Header().Set("ETag", `"`+v+`"`)
	writeJSON(w, code, rulesAnswer{YAML: rules.YAML, Version: v, Warnings: warnings})
}

// rulesWarnings are the warnings of the rules text from sk, when it says
// them (SinkRulesWarningsAPI); nil otherwise.
func rulesWarnings(ctx context.Context, sk SinkAPI, text string) []string {
	if wa, ok := sk.(SinkRulesWarningsAPI); ok {
		return wa.RulesWarnings(ctx, text)
	}
	return nil
}

// rulesPut serves PUT /api/v1/sink/rules, one at a time: the version a
// PUT names is compared with the rules' and the new rules installed
// under one lock, so that of two editors who read the same rules only
// the first replaces them.
func (s *Server) rulesPut() http.HandlerFunc {
	var mu sync.Mutex
	return func(w http.ResponseWriter, r *http.Request) { s.putRules(w, r, &mu) }
}

func (s *Server) putRules(w http.ResponseWriter, r *http.Request, mu *sync.Mutex) {
	var req rulesRequest
	if !readJSON(w, r, &req) {
		return
	}
	if req.YAML == nil {
		writeError(w, http.StatusBadRequest, `"yaml" is required: nothing was changed`,
			`the body is {"yaml": "<the rules as YAML>"}, and this one has no yaml (or yaml is null), which would have removed every rule; `+
				`to run with no rules, send {"yaml": ""} (or "[]"); GET /api/v1/sink/rules reads the rules running now`)
		return
	}
	cond, header, err := rulesCondition(r, req.Version)
	if err != nil {
		writeError(w, http.StatusBadRequest, "If-Match and version disagree: nothing was changed", err.Error())
		return
	}
	mu.Lock()
	defer mu.Unlock()
	if ok := s.installRules(w, r, SinkRules{YAML: *req.YAML}, cond, header); !ok {
		return
	}
	// The answer is what the sink installed, as GET reads it back, not
	// the text sent: what the sink did not take (a document after the
	// first, say) must not pass for installed.
	installed, err := s.opts.Sink.Rules(r.Context())
	if err != nil {
		s.writeAPIError(w, r, "reading the rules installed", err)
		return
	}
	// The warnings, though, are at their lines in the text sent, which
	// the editor keeps.
	writeRules(w, http.StatusOK, installed, rulesWarnings(r.Context(), s.opts.Sink, *req.YAML))
}

// installRules installs rules if cond (nil: always) accepts the version
// running; else it answers the 409 or 412 (header: If-Match said it).
// From a sink that offers SinkRulesIfAPI the version is checked and the
// rules installed in one step of the sink's, so that a SIGHUP cannot come
// between them; from another, the mutex of rulesPut orders the PUTs
// alone.
func (s *Server) installRules(w http.ResponseWriter, r *http.Request, rules SinkRules, cond func(string) bool, header bool) bool {
	var (
		cur SinkRules
		ok  = true
		err error
	)
	ci, atomic := s.opts.Sink.(SinkRulesIfAPI)
	switch {
	case cond == nil:
		err = s.opts.Sink.SetRules(r.Context(), rules)
	case atomic:
		cur, ok, err = ci.SetRulesIf(r.Context(), rules, func(c SinkRules) bool { return cond(rulesVersion(c.YAML)) })
	default:
		if cur, err = s.opts.Sink.Rules(r.Context()); err != nil {
			s.writeAPIError(w, r, "reading the rules", err)
			return false
		}
		if ok = cond(rulesVersion(cur.YAML)); ok {
			err = s.opts.Sink.SetRules(r.Context(), rules)
		}
	}
	if err != nil {
		s.writeAPIError(w, r, "replacing the rules", err)
		return false
	}
	if !ok {
		rulesStale(w, cur, header)
	}
	return ok
}

// rulesStale answers a PUT of the rules whose If-Match (header) or
// version names rules the sink no longer runs, with those it runs (cur).
func rulesStale(w http.ResponseWriter, cur SinkRules, header bool) {
	v := rulesVersion(cur.YAML)
	// RFC 9110 13.1.1: a false If-Match is a 412; a stale version in the
	// body, a conflict with the resource's state, a 409.
	code, by := http.StatusConflict, "version"
	if header {
		code, by = http.StatusPreconditionFailed, "If-Match"
	}
	w.Header().Set("ETag", `"`+v+`"`)
	writeJSON(w, code, rulesConflict{
		apiError: apiError{Error: "the rules were replaced since you read them: nothing was saved",
			Detail: "your " + by + " names rules that the sink no longer runs: since you read them, a SIGHUP, another editor or a script replaced them with version " + v +
				", whose text is in yaml here. Merge your change into that text and PUT it again with If-Match: \"" + v + "\" (or version: \"" + v +
				"\"), or leave both out to replace the rules whatever they are now"},
		rulesAnswer: rulesAnswer{YAML: cur.YAML, Version: v},
	})
}

// rulesCondition reads what a PUT of the rules is conditional on: the
// If-Match field (RFC 9110 13.1.1), or the version in its body; cond is
// nil when it names neither, and header says whether If-Match did.
func rulesCondition(r *http.Request, version string) (cond func(current string) bool, header bool, err error) {
	field := strings.TrimSpace(strings.Join(r.Header.Values("If-Match"), ","))
	if field == "" {
		if version == "" {
			return nil, false, nil
		}
		return func(cur string) bool { return cur == version }, false, nil
	}
	var tags []string
	for t := range strings.SplitSeq(field, ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	if version != "" && !slices.ContainsFunc(tags, func(t string) bool { return t == "*" || t == `"`+version+`"` || t == version }) {
		return nil, false, fmt.Errorf("If-Match: %s names other rules than version %q of the body: send one of them", field, version)
	}
	return func(cur string) bool {
		for _, t := range tags {
			// "*" matches the rules whatever they are; a weak tag (W/"...")
			// never matches, as If-Match compares strongly (RFC 9110
			// 8.8.3.2). The version without its quotes, as the body has
			// it, is taken too.
			if t == "*" || t == `"`+cur+`"` || t == cur {
				return true
			}
		}
		return false
	}, true, nil
}

func (s *Server) probeResults(w http.ResponseWriter, r *http.Request) {
	l, err := s.opts.Probe.Results(r.Context())
	if err != nil {
		s.writeAPIError(w, r, "reading probe results", err)
		return
	}
	if l == nil {
		l = []ProbeResult{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": l})
}

func (s *Server) probeHistory(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r, 100, 10000)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad limit", err.Error())
		return
	}
	q := r.URL.Query()
	l, err := s.opts.Probe.History(r.Context(), ProbeFilter{Target: q.Get("target"), Check: q.Get("check"), Limit: int(limit)})
	if err != nil {
		s.writeAPIError(w, r, "reading probe history", err)
		return
	}
	if l == nil {
		l = []ProbeResult{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"history": l})
}

// probeChanges serves the changes the probe runs confirmed, newest first.
func (s *Server) probeChanges(w http.ResponseWriter, r *http.Request) {
	pc, ok := s.opts.Probe.(ProbeChangesAPI)
	if !ok {
		writeError(w, http.StatusNotImplemented, "no change history",
			"the probes of this relaylab process keep no change history; read the probe.changed events (/api/v1/events?kind=probe.changed)")
		return
	}
	limit, err := queryLimit(r, 100, 10000)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad limit", err.Error())
		return
	}
	l, err := pc.Changes(r.Context(), ProbeFilter{Target: r.URL.Query().Get("target"), Limit: int(limit)})
	if err != nil {
		s.writeAPIError(w, r, "reading probe changes", err)
		return
	}
	if l == nil {
		l = []ProbeChange{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"changes": l})
}
