package sink

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/mailtext"
	"github.com/relaylab/relaylab/internal/repeatlog"
	"github.com/relaylab/relaylab/internal/store"
)

// attemptRecord is one recipient's attempt in one transaction.
type attemptRecord struct {
	Time      time.Time
	Sender    string
	Recipient string
	Attempt   int
	Stage     Stage
	Reply     Reply
	Message   int64
	MessageID string
	// DSN parameters (RFC 3461): of the transaction's MAIL, and of this
	// recipient's RCPT.
	Ret, EnvID, Notify, ORCPT string
	// What was in force for this attempt, not at the session's end: a
	// session may send in the clear, then STARTTLS, EHLO and AUTH again.
	TLS, HELO, AuthUser string
	// By names what chose the reply that ended the attempt (conn.byNext):
	// "" for the sink's normal replies.
	By string
}

// deliver handles a complete message at the final dot: decide, record
// (durably, before any reply), then answer.
func (s *Sink) deliver(sess *session, raw []byte) error {
	c := sess.c
	msgID := messageID(raw)
	msgAttempt := 0
	if msgID != "" {
		msgAttempt = s.state.nextMsg(msgID)
	}
	size := len(raw) // as received, before any header of ours
	// For the rules on the message's content, which see it as received;
	// read only when one is tried (contentScan).
	sess.msg = contentScan{raw: raw, size: int64(size), note: eightBitNote(raw, sess.body, sess.utf8)}
	defer func() { sess.msg = contentScan{} }()
	if sess.msg.note != "" {
		// Noted, not refused: the receivers the sink stands in for take
		// such mail, and a tester wants to see that the client sent it.
		c.notef('*', sess.msg.note)
	}
	var auth *AuthResult
	if vf := s.verify.Load(); vf != nil {
		// At the end of data, before the reply, so that rules can answer
		// on the result.
		a := s.check(vf, sess, raw)
		auth = &a
		raw = withHeader(a.Header, raw)
	}
	var b Behavior
	decideFor := func(r rcptState) Behavior {
		in := sess.input(StageDataEnd, r.addr)
		in.attempt, in.msgAttempt, in.auth, in.msg = r.attempt, msgAttempt, auth, &sess.msg
		return s.decide(in, r.directives)
	}
	first := 0
	for i, r := range sess.rcpts {
		if b = decideFor(r); !b.isZero() {
			first = i
			break
		}
		sess.noteUsedUp(i, b.usedUp)
	}
	if msgID == "" {
		s.notePerMessage(sess)
	}
	ruleNote := b.Rule // for the notes of a delay, drop or hang
	if b.Matched != "" {
		ruleNote += ", which matched " + b.Matched
	}
	if b.Delay > 0 {
		if stop, err := c.before(Behavior{Delay: b.Delay, Rule: ruleNote}); stop {
			return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: err.Error()}
		}
	}
	outcome := Reply{Code: 250, Enhanced: "2.0.0"}
	switch {
	case b.Drop || b.Hang:
		outcome = unanswered(StageDataEnd, b)
		c.byNext = b.By
	case b.Reply != nil && b.Reply.Code/100 != 3:
		outcome = *b.Reply // a rule's 2xx keeps its own text
		c.byNext, c.byWhy = b.By, b.Matched
	}
	id, err := s.storeMessage(sess, raw, size, auth, msgID, msgAttempt, outcome)
	if err != nil {
		// Logged by the writer (writeFailures), at most once a minute.
		c.byNext, c.byWhy = "", "" // the reply is the sink's, not the rule's
		return storeFailed(err)
	}
	outcome = acceptedAs(outcome, id)
	if outcome.Code/100 == 2 {
		rep := outcome
		c.replaceNext = &rep
	}
	if outcome.Code/100 == 2 {
		// In the 250 after the dot too: a client (a relay) logs that
		// one as the attempt's outcome, and a replay's report shows it,
		// where the 250 to RCPT is forgotten.
		c.appendNext = notesIn(sess.rcpts)
	}
	for i := range sess.rcpts {
		sess.rcpts[i].recorded = true // storeMessage wrote their attempts
	}
	// It wrote the attempts and greylist changes held before too.
	sess.stored, sess.storedGrey = len(sess.attempts), len(sess.grey)
	sess.forgetStored()
	sess.messages++
	if outcome.Code/100 == 2 {
		// A message got through: the client's refused recipients count
		// from here (limits.max_refused_recipients).
		c.rcptRefused = 0
	}
	switch {
	case b.Bounce != nil && outcome.Code == 250:
		// Each recipient whose own directive or rule asks for a bounce
		// gets its own, as a receiver bounces one mailbox and delivers to
		// the others; the message's reply is the 250 all the same.
		groups := bounceGroups(sess.rcpts[first:], b, decideFor)
		bounced := map[string]bool{}
		for _, g := range groups {
			// Named as the other lines name what decided (a delay's, a
			// "reply by" line): the rule, with what of the message it
			// matched, or the directive.
			by := g.by
			if g.matched != "" {
				by += ", which matched " + g.matched
			}
			if err := s.bouncer.schedule(sess, g.rcpts, id, g.bounce.After, g.bounce.Reply); err != nil {
				s.log.Error("sink: scheduling a bounce failed", "message", id, "err", err)
			} else if sess.from == "" {
				// bouncer.send records it and sends nothing.
				c.notef('*', fmt.Sprintf("accepted; no bounce for %s: the sender is null (MAIL FROM:<>), and no DSN is sent to a null reverse-path (RFC 5321 4.5.5), though %s asks for one", rcptNames(g.rcpts), by))
			} else {
				c.notef('*', fmt.Sprintf("accepted; a bounce for %s follows in %s (%s)", rcptNames(g.rcpts), g.bounce.After, by))
			}
			for _, r := range g.rcpts {
				bounced[r.addr] = true
			}
		}
		// The others are delivered, and NOTIFY=SUCCESS holds for them.
		var delivered []rcptState
		for _, r := range sess.rcpts {
			if !bounced[r.addr] {
				delivered = append(delivered, r)
			}
		}
		s.deliveredDSNs(sess, delivered, id, outcome)
	case outcome.Code/100 == 2:
		s.deliveredDSNs(sess, sess.rcpts, id, outcome)
	}
	if b.Drop || b.Hang {
		c.before(Behavior{Drop: b.Drop, Hang: b.Hang, Rule: ruleNote})
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "connection closed"}
	}
	if b.Tarpit > 0 {
		c.tarpit = b.Tarpit
	}
	if outcome.Code >= 400 {
		c.closeAfter = outcome.Code == 421
		return outcome.smtpError()
	}
	return nil
}

// bounceGroup is the recipients of one message that get the same
// asynchronous bounce (one DSN), asked for by one or more rules or
// directives.
type bounceGroup struct {
	bounce *Bounce
	rcpts  []rcptState
	// by names the rules or directives (Behavior.By, joined by "and"),
	// and matched what of the message the content condition met
	// (Behavior.Matched) when one rule asked.
	by, matched string
}

// bounceGroups sorts rcpts, from the one whose decision at the end of
// data (b) asks for a bounce: that one's, then each later one whose own
// decision asks for one too, grouped by when and with what reply (each
// group naming the rules or directives that asked). The recipients
// before it had no decision, and those after it with none, or another,
// get no bounce.
func bounceGroups(rcpts []rcptState, b Behavior, decideFor func(rcptState) Behavior) []bounceGroup {
	groups := []bounceGroup{{bounce: b.Bounce, rcpts: []rcptState{rcpts[0]}, by: b.By, matched: b.Matched}}
	for _, r := range rcpts[1:] {
		d := decideFor(r)
		if d.Bounce == nil {
			continue
		}
		i := slices.IndexFunc(groups, func(g bounceGroup) bool { return *g.bounce == *d.Bounce })
		switch {
		case i < 0:
			groups = append(groups, bounceGroup{bounce: d.Bounce, by: d.By, matched: d.Matched})
			i = len(groups) - 1
		case d.By != "" && !slices.Contains(strings.Split(groups[i].by, " and "), d.By):
			// One DSN reports all of a message's recipients that fail
			// alike, as an MTA's does; its line names every rule or
			// directive that asked for it.
			groups[i].by += " and " + d.By
			groups[i].matched = ""
		}
		groups[i].rcpts = append(groups[i].rcpts, r)
	}
	return groups
}

// rcptNames lists the recipients' addresses for a note: <a>, <b>.
func rcptNames(rcpts []rcptState) string {
	names := make([]string, len(rcpts))
	for i, r := range rcpts {
		names[i] = "<" + r.addr + ">"
	}
	return strings.Join(names, ", ")
}

// deliveredDSNs answers NOTIFY=SUCCESS (RFC 3461 4.1) for rcpts, the
// recipients an accepted message was delivered to: a "delivered" DSN to the sender when
// sink.bounce.delivered is on, otherwise a line in the transcript that
// says none is sent.
func (s *Sink) deliveredDSNs(sess *session, rcpts []rcptState, id int64, outcome Reply) {
	var want []rcptState
	for _, r := range rcpts {
		if containsFold(r.dsn.Notify, "SUCCESS") {
			want = append(want, r)
		}
	}
	if len(want) == 0 {
		return
	}
	if !s.cfg.Bounce.Delivered {
		for _, r := range want {
			sess.c.notef('*', "NOTIFY=SUCCESS for "+r.addr+": no delivered DSN is sent (sink.bounce.delivered is off)")
		}
		return
	}
	if err := s.bouncer.schedule(sess, want, id, 0, outcome); err != nil {
		s.log.Error("sink: scheduling a delivered DSN failed", "message", id, "err", err)
		return
	}
	for _, r := range want {
		sess.c.notef('*', "NOTIFY=SUCCESS for "+r.addr+": a delivered DSN follows")
	}
}

// messageID returns the Message-ID header's value without angle
// brackets, cut to 250 octets, read as mailtext.Field reads a field: also
// when it is folded onto the next line ("Message-ID:" then " <id>"), as
// some senders write a long one.
func messageID(raw []byte) string {
	v := mailtext.Field(raw, "message-id")
	v = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">"))
	if len(v) > 250 {
		v = v[:250]
	}
	return v
}

// acceptedAs gives a success without text of its own the message's number.
func acceptedAs(outcome Reply, id int64) Reply {
	if outcome.Code/100 == 2 && outcome.Text == "" {
		outcome.Text = "Message accepted as " + strconv.FormatInt(id, 10)
	}
	return outcome
}

// openTranscript stands for the transcript of a session that has not ended
// in the row its messages (and attempts: storeHeld) write; the whole one
// replaces it at the end.
const openTranscript = "0.000 * this session had not ended when its last message or attempts were stored (it was still open, or the sink stopped before it ended): a transcript is written when its session ends\n"

// storeFailed is the reply to a message the store did not take: on a
// full disk RFC 5321's 452, insufficient system storage, with RFC 3463's
// X.3.1, mail system full, as Postfix answers; otherwise a 451 that says
// the store failed. Either way nothing was stored.
func storeFailed(err error) *smtp.SMTPError {
	if store.DiskFull(err) {
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1},
			Message: "Insufficient system storage: the sink's store is on a full disk, so nothing was stored; send again once there is room on that disk (the sink's log names the store)"}
	}
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
		Message: "The sink could not store the message (its store failed; the sink's log says why), so nothing was stored; try again later"}
}

// roomRefused is the reply at MAIL while the store's disk has less room
// than store.min_free_bytes (store.Room): RFC 5321's 452 with RFC 3463's
// X.3.1, as Postfix answers below its queue_minfree. who is "sink" or
// "relay".
func roomRefused(who string, err error) *smtp.SMTPError {
	msg := "Insufficient system storage: the disk of the " + who + "'s store has less room than it keeps free (store.min_free_bytes), so no new mail is taken; send again later (the " + who + "'s log names the store)"
	var le *store.LowSpaceError
	if errors.As(err, &le) && le.ForSize() {
		msg = "Insufficient system storage: the disk of the " + who + "'s store has too little room for a message of the SIZE declared, beside what it keeps free (store.min_free_bytes); send again later, or a smaller message"
	}
	return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: msg}
}

// storeMessage writes the message, in one commit with what the session has
// recorded so far (its attempts, this message's included, and greylist
// changes) and a row for the session, so that a message acknowledged with
// 250 is in the attempts (relaylab expect, the API) even when the sink is
// killed before the session ends. deliver marks them stored.
func (s *Sink) storeMessage(sess *session, raw []byte, size int, auth *AuthResult, msgID string, msgAttempt int, outcome Reply) (int64, error) {
	c := sess.c
	row := sess.openRow(sess.messages + 1)
	rcpts := make([]string, len(sess.rcpts))
	for i, r := range sess.rcpts {
		rcpts[i] = r.addr
	}
	attempt := 0
	if len(sess.rcpts) > 0 {
		attempt = sess.rcpts[0].attempt
	}
	rdsn := recipientDSNs(sess.rcpts)
	rdsnJSON, err := listColumn(rdsn)
	if err != nil {
		return 0, err
	}
	now := s.clock.Now()
	var a AuthResult // empty results: not verified
	if auth != nil {
		a = *auth
	}
	subject := subjectOf(raw)
	notes := noteTexts(notesIn(sess.rcpts))
	if n := sess.msg.note; n != "" {
		notes = append([]string{n}, notes...) // the message's, then its recipients'
	}
	notesJSON, err := listColumn(notes)
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.writeAs(writeMessage, c.id, func(tx *store.Tx) error {
		res, err := tx.Exec(`INSERT INTO sink_messages (session_id, listener, time_ns, mail_from, rcpts, size, attempt, message_id, msg_attempt, code, enhanced, text, raw, spf, dkim, dmarc, ret, envid, rcpt_dsn,
				mail_body, smtputf8, notes)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.id, c.l.cfg.Name, now.UnixNano(), sess.from, strings.Join(rcpts, "\n"), size, attempt, msgID, msgAttempt,
			outcome.Code, outcome.Enhanced, outcome.Text, raw, a.SPF, a.DKIM, a.DMARC, sess.dsn.Ret, sess.dsn.EnvID, rdsnJSON,
			string(sess.body), sess.utf8, notesJSON)
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := writeHeld(tx, sess, row); err != nil {
			return err
		}
		for i := range sess.rcpts {
			a := sess.attemptOf(&sess.rcpts[i], StageDataEnd, acceptedAs(outcome, id), id, msgID)
			if err := insertAttempt(tx, c.id, &a); err != nil {
				return err
			}
		}
		e := events.Event{Time: now, Kind: events.SinkMessage, Message: msgID, Listener: c.l.cfg.Name}
		if len(rcpts) == 1 {
			e.Recipient = rcpts[0]
		}
		_, err = tx.Append(e.WithPayload(messagePayload{ID: id, Session: c.id, From: sess.from, To: rcpts, Size: size,
			Attempt: attempt, MessageID: msgID, Subject: subject, MsgAttempt: msgAttempt, Code: outcome.Code, Enhanced: outcome.Enhanced,
			SPF: a.SPF, DKIM: a.DKIM, DMARC: a.DMARC, DMARCPolicy: a.DMARCPolicy,
			Ret: sess.dsn.Ret, EnvID: sess.dsn.EnvID, DSN: rdsn, MailBody: string(sess.body), SMTPUTF8: sess.utf8, Notes: notes}))
		return err
	})
	return id, err
}

// listColumn is list as a JSON column of sink_messages: "" for none (nil).
func listColumn[T any](list []T) (string, error) {
	if list == nil {
		return "", nil
	}
	b, err := json.Marshal(list)
	return string(b), err
}

// openRow is the row of sess before its end, with messages stored.
func (sess *session) openRow(messages int) sessionRow {
	c := sess.c
	return sessionRow{id: c.id, listener: c.l.cfg.Name, client: c.RemoteAddr().String(), helo: sess.helo,
		tls: tlsDescription(c.tlsState), auth: sess.authUser, start: c.start,
		messages: messages, transcript: openTranscript, replies: "[]"} // no end yet
}

// writeHeld writes row, and the attempts and greylist changes sess holds
// that are not in the store yet.
func writeHeld(tx *store.Tx, sess *session, row sessionRow) error {
	if err := row.write(tx, false); err != nil {
		return err
	}
	for i := sess.stored; i < len(sess.attempts); i++ {
		if err := insertAttempt(tx, row.id, &sess.attempts[i]); err != nil {
			return err
		}
	}
	for _, g := range sess.grey[sess.storedGrey:] {
		if err := upsertGrey(tx, g); err != nil {
			return err
		}
	}
	return nil
}

// storeHeld writes the attempts and greylist changes sess holds in a
// commit of their own, as storeMessage does with a message's, and lets
// go of them (session.holdStored).
func (s *Sink) storeHeld(sess *session) error {
	row := sess.openRow(sess.messages)
	if err := s.writeAs(writeAttempts, sess.c.id, func(tx *store.Tx) error { return writeHeld(tx, sess, row) }); err != nil {
		return err
	}
	sess.stored, sess.storedGrey = len(sess.attempts), len(sess.grey)
	sess.forgetStored()
	return nil
}

type messagePayload struct {
	ID        int64    `json:"id"`
	Session   int64    `json:"session"`
	From      string   `json:"from"`
	To        []string `json:"to"`
	Size      int      `json:"size"`
	Attempt   int      `json:"attempt"`
	MessageID string   `json:"message_id,omitempty"` // the event's message too
	// Subject is the message's, decoded and cut (subjectOf), for who
	// waits on the events for a message by its subject.
	Subject    string `json:"subject,omitempty"`
	MsgAttempt int    `json:"msg_attempt,omitempty"`
	Code       int    `json:"code"`
	Enhanced   string `json:"enhanced,omitempty"`
	// Authentication results, when sink.verify is on.
	SPF         string `json:"spf,omitempty"`
	DKIM        string `json:"dkim,omitempty"`
	DMARC       string `json:"dmarc,omitempty"`
	DMARCPolicy string `json:"dmarc_policy,omitempty"`
	// DSN parameters (RFC 3461), when the client gave any.
	Ret   string         `json:"ret,omitempty"`
	EnvID string         `json:"envid,omitempty"`
	DSN   []RecipientDSN `json:"dsn,omitempty"`
	// What the MAIL declared about the content (Message.MailBody).
	MailBody string `json:"mail_body,omitempty"`
	SMTPUTF8 bool   `json:"smtputf8,omitempty"`
	// Notes: the message's (8-bit data its MAIL did not declare:
	// eightBitNote), then pieces of the recipients' addresses that look
	// like directives but are not, each naming its address
	// (NotDirective.NoteIn).
	Notes []string `json:"notes,omitempty"`
}

// RecipientDSN is the NOTIFY and ORCPT one recipient of a message was
// given (RFC 3461 4.1, 4.2).
type RecipientDSN struct {
	Recipient string   `json:"recipient"`
	Notify    []string `json:"notify,omitempty"` // NEVER, or some of SUCCESS, FAILURE, DELAY; none when not given
	ORCPT     string   `json:"orcpt,omitempty"`  // "rfc822;alice@example.com", the address decoded
}

// recipientDSNs lists every recipient's NOTIFY and ORCPT, or nil when no
// recipient had either.
func recipientDSNs(rcpts []rcptState) []RecipientDSN {
	given := false
	out := make([]RecipientDSN, len(rcpts))
	for i, r := range rcpts {
		out[i] = RecipientDSN{Recipient: r.addr, Notify: r.dsn.Notify, ORCPT: r.dsn.ORCPT}
		given = given || r.dsn.Notify != nil || r.dsn.ORCPT != ""
	}
	if !given {
		return nil
	}
	return out
}

type sessionPayload struct {
	ID       int64  `json:"id"`
	Client   string `json:"client"`
	HELO     string `json:"helo,omitempty"`
	TLS      string `json:"tls,omitempty"`
	AuthUser string `json:"auth_user,omitempty"` // the AUTH in force at the end
	// AuthBeforeTLS is the identity of an AUTH before STARTTLS, which the
	// sink forgot then (RFC 3207 4.2); the transcript says so too.
	AuthBeforeTLS string        `json:"auth_before_tls,omitempty"`
	Messages      int           `json:"messages"`
	Seconds       float64       `json:"seconds"`
	Replies       []replyRecord `json:"replies,omitempty"` // in sink_sessions.replies
	// Codes is every reply code in order: "220 250 250 354 250 221"; past
	// maxReplies, "451x998" for 998 replies 451 folded into one record.
	Codes      string `json:"codes"`
	Transcript string `json:"transcript,omitempty"` // in sink_sessions; SessionByID reads it
}

// sessionRecord is a finished session on its way to the store.
type sessionRecord struct {
	id       int64
	listener string
	start    time.Time
	end      time.Time
	payload  sessionPayload
	attempts []attemptRecord
	grey     []greyUpdate
}

// sessionRecordOf takes what the store needs from a finished connection.
func (s *Sink) sessionRecordOf(c *conn) sessionRecord {
	end := s.clock.Now()
	p := sessionPayload{ID: c.id, Client: c.RemoteAddr().String(), TLS: tlsDescription(c.tlsState),
		Seconds: end.Sub(c.start).Seconds(), Replies: c.replies}
	if more := c.more.records(); more != nil {
		p.Replies = append(c.replies[:len(c.replies):len(c.replies)], more...)
	}
	r := sessionRecord{id: c.id, listener: c.l.cfg.Name, start: c.start, end: end}
	if c.sess != nil {
		p.HELO, p.AuthUser, p.AuthBeforeTLS, p.Messages = c.sess.helo, c.sess.authUser, c.sess.authBeforeTLS, c.sess.messages
		// What went into the store with a message is there already.
		r.attempts, r.grey = c.sess.attempts[c.sess.stored:], c.sess.grey[c.sess.storedGrey:]
	}
	if p.Replies == nil {
		p.Replies = []replyRecord{}
	}
	p.Transcript = c.tr.String()
	r.payload = p
	return r
}

// writeItem is one piece of work for the sink's writer; err is nil when
// nobody waits for it (a finished session). The writer logs the failures
// of the kinds it limits (writeFailures), session naming the session.
type writeItem struct {
	fn      func(*store.Tx) error
	err     chan error
	kind    writeKind
	session int64
}

// writeKind is what a writeItem writes, for the log of its failures.
type writeKind int

const (
	writeOther    writeKind = iota // logged by the caller, if at all
	writeEnded                     // a finished session's record: an item nobody waits for
	writeMessage                   // a message, at its final dot
	writeAttempts                  // a long session's attempts, while it goes on (Sink.storeHeld)
)

// writeFailures keeps the log of failed writes of each kind to a line at
// the first and then at most one a minute with a count, and one when they
// work again: a full disk under load failed a write per session, per
// message and per maxHeld attempts of a long session, thousands of lines
// in seconds. Only the writer's goroutine
// uses it.
type writeFailures [writeAttempts + 1]repeatlog.Limiter

// checkStore ends the first line of each kind of failed write: what to
// look at, and how often it is logged.
const checkStore = "check the disk the store is on (full? read-only? gone?) and the store's own log lines; while it keeps failing this is logged at most once a minute, with a count"

func newWriteFailures() *writeFailures {
	var f writeFailures
	f[writeEnded] = repeatlog.Limiter{What: "sink: recording a session",
		Advice: "its transcript and attempts are not in the store (its client was not told: it had ended); " + checkStore,
		Quiet:  recoveredAfter}
	f[writeMessage] = repeatlog.Limiter{What: "sink: storing a message",
		Advice: "its client was answered 452 4.3.1 (a full disk) or 451 4.3.0, so nothing was accepted and it may send again; " + checkStore,
		Quiet:  recoveredAfter}
	f[writeAttempts] = repeatlog.Limiter{What: "sink: storing a session's attempts",
		Advice: "the session keeps them and they go with its record at its end, or with its next message, if the store takes them then; " + checkStore,
		Quiet:  recoveredAfter}
	return &f
}

// recoveredAfter is how long after the last failure of a kind a write that
// works ends its run of failures (repeatlog.Limiter.Quiet): on a disk that
// is nearly full, small writes go through between failing ones.
const recoveredAfter = 10 * time.Second

// note logs the outcome of it when its kind is limited.
func (f *writeFailures) note(log *slog.Logger, now time.Time, it writeItem, err error) {
	kind := it.kind
	if it.err == nil {
		kind = writeEnded
	}
	if kind == writeOther {
		return
	}
	l := &f[kind]
	if err == nil {
		l.Worked(log, now)
		return
	}
	var attrs []any
	if it.session != 0 {
		attrs = []any{"session", it.session}
	}
	l.Failed(log, now, err, attrs...)
}

// writer is the one goroutine that takes the sink's writes to the store: it
// runs every item queued at that moment in one store write (one request,
// one commit), so that 20 sessions' messages cost one commit, not 20. When
// that fails, it runs the items one by one so that only the bad one fails.
func (s *Sink) writer(done chan<- struct{}) {
	defer close(done)
	fails := newWriteFailures()
	batch := make([]writeItem, 0, 256)
	for first := range s.writes {
		batch = append(batch[:0], first)
		// A commit costs the pages it writes, however few rows they hold:
		// let the sessions that are about to write join this one.
		for yield := 0; yield < 3; yield++ {
			batch = s.drain(batch)
			if len(batch) >= 16 {
				break
			}
			runtime.Gosched()
		}
		err := s.store.Write(context.Background(), func(tx *store.Tx) error {
			for _, it := range batch {
				if err := it.fn(tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil || len(batch) == 1 {
			for _, it := range batch {
				s.written(fails, it, err)
			}
			continue
		}
		for _, it := range batch {
			s.written(fails, it, s.store.Write(context.Background(), it.fn))
		}
	}
}

// drain appends the items queued now to batch.
func (s *Sink) drain(batch []writeItem) []writeItem {
	for len(batch) < cap(batch) {
		select {
		case it, ok := <-s.writes:
			if !ok {
				return batch
			}
			batch = append(batch, it)
		default:
			return batch
		}
	}
	return batch
}

func (s *Sink) written(fails *writeFailures, it writeItem, err error) {
	fails.note(s.log, s.clock.Now(), it, err)
	if it.err != nil {
		it.err <- err
	}
}

// Flush returns once every session that had ended when it was called is in
// the store (sessions are recorded in the background after they end). It
// also waits for sessions still closing, so a client that has seen its
// QUIT reply finds its session after Flush.
func (s *Sink) Flush(ctx context.Context) error {
	s.mu.Lock()
	var closing []*conn
	for c := range s.conns {
		if c.quit.Load() {
			closing = append(closing, c)
		}
	}
	s.mu.Unlock()
	for _, c := range closing {
		select {
		case <-c.finished:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	it := writeItem{fn: func(*store.Tx) error { return nil }, err: make(chan error, 1)}
	s.wmu.Lock()
	if s.writesClosed {
		s.wmu.Unlock()
		return nil // Shutdown has written everything
	}
	select {
	case s.writes <- it:
	case <-ctx.Done():
		s.wmu.Unlock()
		return ctx.Err()
	}
	s.wmu.Unlock()
	select {
	case err := <-it.err:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// write runs fn in the writer's next commit and waits for that commit.
func (s *Sink) write(fn func(*store.Tx) error) error {
	return s.writeAs(writeOther, 0, fn)
}

// writeAs is write for a kind of write whose failures the writer logs.
func (s *Sink) writeAs(kind writeKind, session int64, fn func(*store.Tx) error) error {
	it := writeItem{fn: fn, err: make(chan error, 1), kind: kind, session: session}
	s.writes <- it
	return <-it.err
}

// sessionRow is a sink_sessions row; end is zero (end_ns 0) while the
// session has not ended.
type sessionRow struct {
	id                                int64
	listener, client, helo, tls, auth string
	start, end                        time.Time
	messages                          int
	transcript, replies               string
}

// write inserts the row, or updates the one a message of the session wrote
// before: all of it when final (the session has ended), its summary only
// otherwise.
func (r *sessionRow) write(tx *store.Tx, final bool) error {
	query := upsertSessionSummary
	if final {
		query = upsertSessionWhole
	}
	_, err := tx.Exec(query,
		r.id, r.listener, r.client, r.helo, r.tls, r.auth, r.start.UnixNano(), unixNanoOr0(r.end), r.messages, r.transcript, r.replies)
	return err
}

// The two statements of sessionRow.write, each one constant string: the
// store's cache of prepared statements is keyed by the text, which was
// built anew (and hashed whole) twice a message.
const (
	upsertSessionSummary = `INSERT INTO sink_sessions (id, listener, client, helo, tls, auth_user, start_ns, end_ns, messages, transcript, replies)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET helo = excluded.helo, tls = excluded.tls, auth_user = excluded.auth_user, end_ns = excluded.end_ns, messages = excluded.messages`
	upsertSessionWhole = upsertSessionSummary + `, transcript = excluded.transcript, replies = excluded.replies`
)

func unixNanoOr0(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// timeOr0 reads unixNanoOr0's numbers back.
func timeOr0(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

func insertAttempt(tx *store.Tx, session int64, a *attemptRecord) error {
	var by any // NULL, which costs no octet of the row, for most attempts
	if a.By != "" {
		by = a.By
	}
	_, err := tx.Exec(`INSERT INTO sink_attempts (session_id, time_ns, sender, recipient, attempt, stage, code, enhanced, text, message, ret, envid, notify, orcpt,
			tls, helo, auth_user, reply_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		session, a.Time.UnixNano(), a.Sender, a.Recipient, a.Attempt, string(a.Stage), a.Reply.Code, a.Reply.Enhanced, a.Reply.Text, a.Message,
		a.Ret, a.EnvID, a.Notify, a.ORCPT, a.TLS, a.HELO, a.AuthUser, by)
	return err
}

func upsertGrey(tx *store.Tx, g greyUpdate) error {
	_, err := tx.Exec(`INSERT INTO sink_greylist (key, first_ns, passed_ns) VALUES (?, ?, ?)
		ON CONFLICT(key) DO UPDATE SET first_ns = excluded.first_ns, passed_ns = excluded.passed_ns
		WHERE max(excluded.first_ns, excluded.passed_ns) >= max(sink_greylist.first_ns, sink_greylist.passed_ns)`,
		g.key, g.first, g.passed)
	return err
}

// writeSession writes one session, its attempts and greylist changes not
// written with its messages, and its one sink.session event (the
// transcript stays in the table).
func writeSession(tx *store.Tx, r *sessionRecord) error {
	p := &r.payload
	replies, err := json.Marshal(p.Replies)
	if err != nil {
		return err
	}
	row := sessionRow{id: r.id, listener: r.listener, client: p.Client, helo: p.HELO, tls: p.TLS, auth: p.AuthUser,
		start: r.start, end: r.end, messages: p.Messages, transcript: p.Transcript, replies: string(replies)}
	if err := row.write(tx, true); err != nil {
		return err
	}
	for _, a := range r.attempts {
		if err := insertAttempt(tx, r.id, &a); err != nil {
			return err
		}
	}
	for _, g := range r.grey {
		if err := upsertGrey(tx, g); err != nil {
			return err
		}
	}
	// One sink.reply event for each reply that was not a success (a
	// deferral, a rejection, a 421), for those who count them; the
	// successes are in the session's replies. A record of replies folded
	// past maxReplies is one event, whose count says how many replies it
	// stands for.
	for _, rep := range p.Replies {
		if rep.Code < 400 {
			continue
		}
		at := r.start.Add(time.Duration(rep.At * float64(time.Second)))
		if _, err := tx.Append(events.Event{Time: at, Kind: events.SinkReply, Recipient: rep.Rcpt, Listener: r.listener}.WithPayload(replyPayload{
			Session: r.id, replyRecord: rep})); err != nil {
			return err
		}
	}
	ev := *p
	ev.Transcript, ev.Replies = "", nil
	codes := make([]byte, 0, 4*len(p.Replies))
	for i, rep := range p.Replies {
		if i > 0 {
			codes = append(codes, ' ')
		}
		codes = strconv.AppendInt(codes, int64(rep.Code), 10)
		if rep.Count > 0 {
			codes = append(codes, 'x')
			codes = strconv.AppendInt(codes, int64(rep.Count), 10)
		}
	}
	ev.Codes = string(codes)
	_, err = tx.Append(events.Event{Time: r.end, Kind: events.SinkSession, Listener: r.listener}.WithPayload(ev))
	return err
}

type replyPayload struct {
	Session int64 `json:"session"`
	replyRecord
}

// restore rebuilds the attempt counters and greylist from the store (those
// since the last reset: ResetState), and the next session id.
func (s *Sink) restore(ctx context.Context) error {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	last, resetID, err := readState(ctxQuerier{ctx, s.store.DB()}, st)
	if err != nil {
		return err
	}
	if err := s.rekeyGrey(ctx, st); err != nil {
		return err
	}
	if s.mark, err = storeMark(ctx, s.store); err != nil {
		return err
	}
	s.nextID.Store(last)
	s.resetSeen.Store(resetID)
	return nil
}

// rekeyGrey stores the greylist rows that readGrey found under an older
// key again under today's, and deletes the old ones: the sweep deletes an
// expired entry by its key, and would leave them for ever. st is held.
func (s *Sink) rekeyGrey(ctx context.Context, st *state) error {
	if len(st.staleGrey) == 0 {
		return nil
	}
	err := s.store.Write(ctx, func(tx *store.Tx) error {
		for _, old := range st.staleGrey {
			k := greyKey(old)
			if err := upsertGrey(tx, greyUpdate{k, st.grey[k]}); err != nil {
				return err
			}
			if _, err := tx.Exec(`DELETE FROM sink_greylist WHERE key = ?`, old); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sink: storing %d greylist entries of an older sink under today's key (addresses in lower case, domains as A-labels): %w", len(st.staleGrey), err)
	}
	st.staleGrey = nil
	return nil
}

// Attempt is one attempt to deliver to a recipient, as the sink saw it.
type Attempt struct {
	Session  int64  `json:"session"`
	Listener string `json:"listener"`
	Client   string `json:"client"`
	// The EHLO name, TLS and AUTH identity in force when the attempt was
	// made; for an attempt recorded before the sink kept them per attempt,
	// its session's at the session's end.
	HELO      string    `json:"helo,omitempty"`
	TLS       string    `json:"tls,omitempty"`
	AuthUser  string    `json:"auth_user,omitempty"`
	Time      time.Time `json:"time"`
	Sender    string    `json:"sender"`
	Recipient string    `json:"recipient"`
	Number    int       `json:"number"` // per (sender, recipient), counted across sessions
	Stage     Stage     `json:"stage"`  // where the attempt ended
	Reply     Reply     `json:"reply"`  // the reply that ended it; code 0 for a drop or hang
	// By names what chose that reply (or the drop or hang): a rule (`rule
	// "name"`, or "rule 2" by its position), a profile's rule, a
	// directive, or a limit of the listener ("limits.max_recipients");
	// "" for the sink's normal replies.
	By      string `json:"by,omitempty"`
	Message int64  `json:"message,omitempty"`
	// DSN parameters (RFC 3461) as the sender gave them: RET and ENVID at
	// the transaction's MAIL, NOTIFY and ORCPT at this recipient's RCPT.
	Ret    string   `json:"ret,omitempty"`    // FULL or HDRS
	EnvID  string   `json:"envid,omitempty"`  // decoded from xtext
	Notify []string `json:"notify,omitempty"` // NEVER, or some of SUCCESS, FAILURE, DELAY
	ORCPT  string   `json:"orcpt,omitempty"`  // "rfc822;alice@example.com", the address decoded
}

// Attempts returns the attempts for recipient (case-insensitive), oldest
// first. An attempt appears when its message is stored (before its reply),
// or, for one that ended without a message, when its session has ended.
func Attempts(ctx context.Context, db *sql.DB, recipient string) ([]Attempt, error) {
	atts, _, err := queryAttempts(ctx, db, `WHERE a.recipient = ?`, `a.time_ns, a.id`, recipient)
	if err != nil {
		return nil, fmt.Errorf("sink: attempts for %s: %w", recipient, err)
	}
	return atts, nil
}

// AllAttempts returns every recipient's attempts in one query, oldest
// first: what `relaylab expect` judges, without a query per recipient.
func AllAttempts(ctx context.Context, db *sql.DB) ([]Attempt, error) {
	atts, _, err := queryAttempts(ctx, db, ``, `a.time_ns, a.id`)
	if err != nil {
		return nil, fmt.Errorf("sink: listing attempts: %w", err)
	}
	return atts, nil
}

// AttemptPage returns up to limit attempts whose ids lie between after
// and before (both excluded; before 0 is no bound), in the order the sink
// recorded them: newest first, or with oldestFirst oldest first. ids[i]
// is atts[i]'s id. Ids only grow (AUTOINCREMENT), and an attempt is
// recorded when its message is stored or its session ends, so one
// recorded after a page was read has an id above all of that page's.
func AttemptPage(ctx context.Context, db *sql.DB, after, before int64, limit int, oldestFirst bool) (atts []Attempt, ids []int64, err error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	order := `a.id DESC`
	if oldestFirst {
		order = `a.id`
	}
	atts, ids, err = queryAttempts(ctx, db, `WHERE a.id > ? AND a.id < ?`, order+` LIMIT ?`, after, before, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("sink: listing a page of attempts: %w", err)
	}
	return atts, ids, nil
}

func queryAttempts(ctx context.Context, db *sql.DB, where, order string, args ...any) ([]Attempt, []int64, error) {
	// An attempt's own TLS, HELO and AUTH; NULL in rows written before
	// migration 0104, which had only the session's (at its end).
	rows, err := db.QueryContext(ctx, `SELECT a.session_id, s.listener, s.client,
			COALESCE(a.helo, s.helo), COALESCE(a.tls, s.tls), COALESCE(a.auth_user, s.auth_user),
			a.time_ns, a.sender, a.recipient, a.attempt, a.stage, a.code, a.enhanced, a.text, a.message,
			a.ret, a.envid, a.notify, a.orcpt, COALESCE(a.reply_by, ''), a.id
		FROM sink_attempts a JOIN sink_sessions s ON s.id = a.session_id
		`+where+` ORDER BY `+order, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []Attempt
	var ids []int64
	for rows.Next() {
		var a Attempt
		var ns, id int64
		var notify string
		if err := rows.Scan(&a.Session, &a.Listener, &a.Client, &a.HELO, &a.TLS, &a.AuthUser, &ns, &a.Sender, &a.Recipient,
			&a.Number, &a.Stage, &a.Reply.Code, &a.Reply.Enhanced, &a.Reply.Text, &a.Message,
			&a.Ret, &a.EnvID, &notify, &a.ORCPT, &a.By, &id); err != nil {
			return nil, nil, err
		}
		if notify != "" {
			a.Notify = strings.Split(notify, ",")
		}
		a.Time = time.Unix(0, ns).UTC()
		out = append(out, a)
		ids = append(ids, id)
	}
	return out, ids, rows.Err()
}

// Session is one recorded SMTP session.
type Session struct {
	ID         int64     `json:"id"`
	Listener   string    `json:"listener"`
	Client     string    `json:"client"`
	HELO       string    `json:"helo,omitempty"`
	TLS        string    `json:"tls,omitempty"`
	AuthUser   string    `json:"auth_user,omitempty"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end,omitzero"` // zero while the session has not ended
	Messages   int       `json:"messages"`
	Transcript string    `json:"transcript,omitempty"` // only from SessionByID
}

// ListSessions returns sessions newest first, without their transcripts.
func ListSessions(ctx context.Context, db *sql.DB, f SessionFilter) ([]Session, error) {
	where, args, err := f.where()
	if err != nil {
		return nil, err
	}
	q := `SELECT id, listener, client, helo, tls, auth_user, start_ns, end_ns, messages FROM sink_sessions WHERE 1=1` + where
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sink: listing sessions: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var ss Session
		var a, b int64
		if err := rows.Scan(&ss.ID, &ss.Listener, &ss.Client, &ss.HELO, &ss.TLS, &ss.AuthUser, &a, &b, &ss.Messages); err != nil {
			return nil, err
		}
		ss.Start, ss.End = time.Unix(0, a).UTC(), timeOr0(b)
		out = append(out, ss)
	}
	return out, rows.Err()
}

// SessionByID returns one session with its transcript.
func SessionByID(ctx context.Context, db *sql.DB, id int64) (Session, error) {
	var ss Session
	var a, b int64
	err := db.QueryRowContext(ctx, `SELECT id, listener, client, helo, tls, auth_user, start_ns, end_ns, messages, transcript
		FROM sink_sessions WHERE id = ?`, id).Scan(&ss.ID, &ss.Listener, &ss.Client, &ss.HELO, &ss.TLS, &ss.AuthUser, &a, &b, &ss.Messages, &ss.Transcript)
	if err != nil {
		return ss, fmt.Errorf("sink: session %d: %w", id, err)
	}
	ss.Start, ss.End = time.Unix(0, a).UTC(), timeOr0(b)
	return ss, nil
}

// Message is one message the sink received.
type Message struct {
	ID         int64     `json:"id"`
	Session    int64     `json:"session"`
	Listener   string    `json:"listener"`
	Time       time.Time `json:"time"`
	From       string    `json:"from"`
	To         []string  `json:"to"`
	Size       int       `json:"size"`
	Attempt    int       `json:"attempt"`
	MessageID  string    `json:"message_id,omitempty"`
	MsgAttempt int       `json:"msg_attempt,omitempty"`
	Reply      Reply     `json:"reply"`
	// SPF, DKIM and DMARC results; empty when the sink did not verify.
	SPF   string `json:"spf,omitempty"`
	DKIM  string `json:"dkim,omitempty"`
	DMARC string `json:"dmarc,omitempty"`
	// DSN parameters (RFC 3461), when the client gave any: RET and ENVID
	// of the MAIL, and every recipient's NOTIFY and ORCPT (in the order of
	// To) when some recipient had one.
	Ret   string         `json:"ret,omitempty"`
	EnvID string         `json:"envid,omitempty"`
	DSN   []RecipientDSN `json:"dsn,omitempty"`
	// What the MAIL declared about the content: MailBody its BODY=
	// (RFC 6152: 7BIT or 8BITMIME; "" when not given), SMTPUTF8 whether
	// it said SMTPUTF8 (RFC 6531). MailParamsUnknown: the message was
	// stored before the sink kept them (store migration 0109), and the
	// two say nothing.
	MailBody          string `json:"mail_body,omitempty"`
	SMTPUTF8          bool   `json:"smtputf8,omitempty"`
	MailParamsUnknown bool   `json:"mail_params_unknown,omitempty"`
	// Notes are the sink's notes on the message, as its sink.message
	// event has them: 8-bit data its MAIL did not declare, then pieces of
	// its recipients' addresses that look like directives but are not.
	Notes []string `json:"notes,omitempty"`
	Raw   []byte   `json:"-"` // as stored: with our Authentication-Results first when verified
}

// MessageByID returns one message with its raw bytes.
func MessageByID(ctx context.Context, db *sql.DB, id int64) (Message, error) {
	var m Message
	var ns int64
	var to, rdsn, notes string
	var body sql.NullString // NULL before migration 0109
	var utf8 sql.NullBool
	err := db.QueryRowContext(ctx, `SELECT id, session_id, listener, time_ns, mail_from, rcpts, size, attempt, message_id, msg_attempt, code, enhanced, text, raw, spf, dkim, dmarc,
			ret, envid, rcpt_dsn, mail_body, smtputf8, notes
		FROM sink_messages WHERE id = ?`, id).Scan(&m.ID, &m.Session, &m.Listener, &ns, &m.From, &to, &m.Size, &m.Attempt, &m.MessageID, &m.MsgAttempt,
		&m.Reply.Code, &m.Reply.Enhanced, &m.Reply.Text, &m.Raw, &m.SPF, &m.DKIM, &m.DMARC, &m.Ret, &m.EnvID, &rdsn, &body, &utf8, &notes)
	if err != nil {
		return m, fmt.Errorf("sink: message %d: %w", id, err)
	}
	if rdsn != "" {
		if err := json.Unmarshal([]byte(rdsn), &m.DSN); err != nil {
			return m, fmt.Errorf("sink: message %d: reading its recipients' DSN parameters: %w", id, err)
		}
	}
	if notes != "" {
		if err := json.Unmarshal([]byte(notes), &m.Notes); err != nil {
			return m, fmt.Errorf("sink: message %d: reading its notes (sink_messages.notes, a JSON list of strings): %w", id, err)
		}
	}
	m.MailBody, m.SMTPUTF8, m.MailParamsUnknown = body.String, utf8.Bool, !body.Valid || !utf8.Valid
	m.Time = time.Unix(0, ns).UTC()
	m.To = strings.Split(to, "\n")
	return m, nil
}
