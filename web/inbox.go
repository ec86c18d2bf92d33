package web

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/relaylab/relaylab/internal/mailtext"
)

// InboxMessage is one message the sink received, as its inbox lists it:
// the envelope, the From and Subject fields, and the sink's reply to it.
type InboxMessage struct {
	ID       string    `json:"id"`      // for /api/v1/sink/messages/{id}
	Session  string    `json:"session"` // for /api/v1/sink/sessions/{id}
	Listener string    `json:"listener"`
	Time     time.Time `json:"time"`
	From     string    `json:"from"` // MAIL FROM; "" is the null sender
	To       []string  `json:"to"`   // RCPT TO, each accepted recipient
	// HeaderFrom and Subject are the message's From and Subject fields,
	// encoded-words decoded; absent when it has none.
	HeaderFrom string `json:"header_from,omitempty"`
	Subject    string `json:"subject,omitempty"`
	Size       int64  `json:"size"` // bytes as received
	// Code is the sink's reply after the final dot, 0 when it gave none
	// (it dropped the connection or hung, by a rule or a directive);
	// Reply is that reply, or what happened instead: the lines of a
	// reply of several lines joined by "\n", as the sink stores its text.
	Code  int    `json:"code"`
	Reply string `json:"reply"`
	// Attachments is the number of parts the message's page lists as
	// attachments and inline parts (has:attachment finds those with
	// one), read within its first maxSearchRaw bytes.
	Attachments int `json:"attachments"`
	// Copy is set when the sink holds this message more than once from
	// its sender (one Message-ID): which copy it is, of how many.
	Copy *MessageCopy `json:"copy,omitempty"`
	// Auth is the sink's own SPF, DKIM and DMARC results (sink.verify),
	// which spf:, dkim: and dmarc: search; absent when it did not check
	// the message.
	Auth *InboxAuth `json:"auth,omitempty"`
}

// InboxPage is what /api/v1/sink/messages answers: a page of the sink's
// messages, newest first, or, with after=, oldest first.
type InboxPage struct {
	Messages []InboxMessage `json:"messages"`
	// Total is the number of messages the sink holds, those a search
	// does not match too.
	Total int `json:"total"`
	// Next is the id of the last message the page read, to pass back as
	// its before= (newest first: the older messages) or its after= (with
	// after=: the newer ones), when messages are left that way; absent
	// when none is. A string, as the messages' ids are.
	Next string `json:"next,omitempty"`
	// Searched is, for a search (q=), the number of messages this page
	// read to find its own: at most maxInboxScan, so that a search over
	// a large store answers in bounded time. Next goes on from the last.
	Searched int `json:"searched,omitempty"`
}

const (
	// maxInboxScan bounds the messages one search request reads: SQLite
	// reads each whole, 15,000 to 35,000 a second on two cores
	// (BenchmarkInboxSearch, 11 KB messages), so a request takes 0.15
	// to 0.3 s however many the sink holds.
	maxInboxScan = 5000
	// inboxHead is the bytes of each message read for its From and
	// Subject fields: the header section's start, as fieldOrder reads.
	inboxHead = 64 << 10
	// A search that reads messages whole (has:attachment) reads each up
	// to maxSearchRaw bytes (the message page's parts beyond are not
	// looked for), and stops a page when it has read maxSearchBytes in
	// all: its next then goes on from the last message read.
	maxSearchRaw   = 16 << 20
	maxSearchBytes = 64 << 20
	// maxInboxQuery bounds the search text.
	maxInboxQuery = 200
)

// inboxQuery is what a request for the inbox asks for.
type inboxQuery struct {
	before, after int64 // the ids read lie between, both excluded; before 0: no bound
	// oldestFirst reads up from after (a request that gives after=), so
	// that a client that follows next, or asks again with after= the last
	// id it read, sees each message once, those stored meanwhile too.
	// Otherwise pages go down from before, and a message stored meanwhile
	// is newer than the first page: after= reads it.
	oldestFirst bool
	limit       int
	// search keeps the messages that match it (q=), searching is
	// whether q= gave any term; without, every message is read.
	search    inboxSearch
	searching bool
}

// listInbox serves the sink's received messages, newest first, or with
// after= oldest first from there: before= and after= bound their ids,
// and q= keeps those that match its search (search.go): plain words in
// the subject, From field, envelope sender or a recipient, whatever the
// case of their letters, and qualifiers such as from: and is:refused.
func (s *Server) listInbox(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r, 50, 1000)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad limit", err.Error())
		return
	}
	before, err := queryInt(r, "before", 0, 0)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad before", err.Error()+": give the id of the last message of the page before (its next)")
		return
	}
	after, err := queryInt(r, "after", 0, 0)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad after", err.Error()+": give the id of the newest message already read (the next of the page before, or its last message's id)")
		return
	}
	search, ok := querySearch(w, r)
	if !ok {
		return
	}
	iq := inboxQuery{before: before, after: after, oldestFirst: r.URL.Query().Get("after") != "", limit: int(limit),
		search: search, searching: len(search.terms) > 0}
	page, err := readInbox(r.Context(), s.opts.Store.DB(), iq)
	if err != nil {
		s.writeAPIError(w, r, "listing the sink's messages", err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// readInbox reads the messages iq asks for, newest first or oldest
// first: limit of them, or, with a search, up to limit of those that
// match among the next maxInboxScan. The ids are the table's rowid, so
// each page is a range of it, however many messages the sink holds; and
// as they only grow (AUTOINCREMENT) and one writer stores the messages
// in order, a message stored between two pages has an id above every
// one read, where no page already read lies.
func readInbox(ctx context.Context, db *sql.DB, iq inboxQuery) (InboxPage, error) {
	page := InboxPage{Messages: []InboxMessage{}}
	// A count of the rows of the session index, not of the table and
	// its message bytes.
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sink_messages`).Scan(&page.Total); err != nil {
		return page, err
	}
	before, limit := iq.before, iq.limit
	if before == 0 {
		before = 1 << 62
	}
	read := limit
	if iq.searching {
		read = maxInboxScan
	}
	order := "DESC"
	if iq.oldestFirst {
		order = "ASC"
	}
	headLen := inboxHead
	if iq.search.whole {
		headLen = maxSearchRaw
	}
	rows, err := db.QueryContext(ctx, `SELECT id, session_id, listener, time_ns, mail_from, rcpts, size, code, enhanced, text, message_id,
		COALESCE(spf, ''), COALESCE(dkim, ''), COALESCE(dmarc, ''), substr(raw, 1, ?)
		FROM sink_messages WHERE id < ? AND id > ? ORDER BY id `+order+` LIMIT ?`, headLen, before, iq.after, read)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	last, bytesRead := int64(0), 0
	// The messages of the page whose head was not the whole message: their
	// attachments are counted once the rows are read.
	var (
		cut           []int
		msgIDs, froms []string // of page.Messages, by index: froms as stored
	)
	for rows.Next() {
		var (
			m                           InboxMessage
			id, session, tns            int64
			rcpts, enhanced, txt, msgID string
			spf, dkim, dmarc            string
			head                        []byte
		)
		if err := rows.Scan(&id, &session, &m.Listener, &tns, &m.From, &rcpts, &m.Size, &m.Code, &enhanced, &txt, &msgID, &spf, &dkim, &dmarc, &head); err != nil {
			return page, err
		}
		from := m.From
		last = id
		page.Searched++
		m.ID, m.Session, m.Time = strconv.FormatInt(id, 10), strconv.FormatInt(session, 10), time.Unix(0, tns).UTC()
		if rcpts != "" {
			m.To = strings.Split(rcpts, "\n")
		}
		fields := headFields(head)
		m.HeaderFrom, m.Subject = fields["from"], fields["subject"]
		m.Reply = dotReply(id, m.Code, enhanced, txt)
		if spf != "" { // the sink checked it (sink.verify): it stores all three
			m.Auth = &InboxAuth{SPF: spf, DKIM: dkim, DMARC: dmarc}
		}
		f := fieldsOf(&m, fields).withRaw(head).withAuth(m.Auth)
		if bytesRead += len(head); iq.searching && !iq.search.match(f) {
			if iq.search.whole && bytesRead >= maxSearchBytes {
				break // next goes on from here
			}
			continue
		}
		m.From, m.Listener = textOf(m.From), textOf(m.Listener)
		m.HeaderFrom, m.Subject, m.Reply = textOf(m.HeaderFrom), textOf(m.Subject), textOf(m.Reply)
		for i := range m.To {
			m.To[i] = textOf(m.To[i])
		}
		if m.To == nil {
			m.To = []string{}
		}
		if len(head) < headLen || headLen >= maxSearchRaw {
			f.walk()
			m.Attachments = f.parts
		} else {
			cut = append(cut, len(page.Messages))
		}
		page.Messages = append(page.Messages, m)
		msgIDs, froms = append(msgIDs, msgID), append(froms, from)
		if len(page.Messages) == limit {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	rows.Close()
	for _, i := range cut {
		m := &page.Messages[i]
		var raw []byte
		if err := db.QueryRowContext(ctx, `SELECT substr(raw, 1, ?) FROM sink_messages WHERE id = ?`, maxSearchRaw, m.ID).Scan(&raw); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return page, err
		}
		f := (&searchFields{}).withRaw(raw)
		f.walk()
		m.Attachments = f.parts
	}
	if err := markCopies(ctx, db, page.Messages, msgIDs, froms); err != nil {
		return page, err
	}
	if !iq.searching {
		page.Searched = 0
	}
	if last == 0 {
		return page, nil
	}
	// Whether anything is left beyond the last read, through the rowid.
	lo, hi := iq.after, last
	if iq.oldestFirst {
		lo, hi = last, before
	}
	var more bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sink_messages WHERE id < ? AND id > ?)`, hi, lo).Scan(&more); err != nil {
		return page, err
	}
	if more {
		page.Next = strconv.FormatInt(last, 10)
	}
	return page, nil
}

// querySearch reads q=, or answers 400 saying what in it is wrong.
func querySearch(w http.ResponseWriter, r *http.Request) (inboxSearch, bool) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if utf8.RuneCountInString(q) > maxInboxQuery {
		writeError(w, http.StatusBadRequest, "bad q", "the search text is longer than "+strconv.Itoa(maxInboxQuery)+
			" characters: give a part of a subject or an address")
		return inboxSearch{}, false
	}
	search, err := parseSearch(q)
	if se, ok := err.(*searchError); ok {
		writeError(w, http.StatusBadRequest, se.what, se.detail)
		return search, false
	}
	return search, true
}

// dotReply is the sink's reply after the final dot to message id:
// "250 2.0.0 Message accepted as 13", or, without one, what the sink says
// happened. A reply of several lines keeps the line breaks between its
// texts ("550 5.7.1 first\nsecond"), as the sink and the relay record
// one, for the UI to show as lines. The sink stores a success's text as its rule gave
// it, and says "Message accepted as N" for one without (sink/record.go
// acceptedAs), as the session's transcript shows.
func dotReply(id int64, code int, enhanced, text string) string {
	if code == 0 {
		if text != "" {
			return "no reply: " + mailtext.Valid(text)
		}
		return "no reply after the data: the sink dropped the connection or hung"
	}
	if code/100 == 2 && text == "" {
		text = "Message accepted as " + strconv.FormatInt(id, 10)
	}
	parts := []string{strconv.Itoa(code)}
	if enhanced = strings.TrimSpace(enhanced); enhanced != "" {
		parts = append(parts, enhanced)
	}
	if text = strings.TrimSpace(mailtext.Valid(text)); text != "" {
		parts = append(parts, text)
	}
	return strings.Join(parts, " ")
}

// headFields are the fields of a message's header that the inbox shows
// or searches, read from its start (the first of each, unfolded,
// encoded-words decoded, display names quoted where they could pass for
// an address: showField), up to the empty line that ends the header
// section: from, subject, to, cc and message-id, by those names.
func headFields(head []byte) map[string]string {
	out := map[string]string{}
	var name string
	var value []byte
	flush := func() {
		if _, seen := out[name]; !seen && slices.Contains(inboxFields, name) {
			out[name], _ = showField(name, strings.TrimSpace(string(value)))
		}
		name, value = "", nil
	}
	for line := range mailtext.HeaderLines(head) {
		if line[0] == ' ' || line[0] == '\t' { // folded (RFC 5322 2.2.3)
			if name != "" {
				value = append(append(value, ' '), bytes.TrimSpace(line)...)
			}
			continue
		}
		flush()
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		name, value = strings.ToLower(string(bytes.TrimRight(k, " \t"))), append([]byte(nil), bytes.TrimSpace(v)...)
	}
	flush()
	return out
}

// inboxFields are the header fields headFields reads.
var inboxFields = []string{"from", "subject", "to", "cc", "message-id"}
