package web

import (
	"context"
	"errors"
	"time"
)

// The web package reads the sink, the relay and the probes through the narrow
// interfaces below, with its own small JSON types, so that it depends on none
// of them: cmd/relaylab writes the adapters. Each may be nil in Options; the
// endpoints that need a missing one answer 503.
//
// Implementations report bad input by wrapping ErrInvalid (the API answers
// 400 with the error's text as detail) and a missing object by wrapping
// ErrNotFound (404), and a request the configuration does not allow by
// wrapping ErrForbidden (403). Any other error is a 500.

// ErrInvalid marks an error caused by the caller's input.
var ErrInvalid = errors.New("invalid input")

// ErrNotFound marks an error about an object that does not exist.
var ErrNotFound = errors.New("not found")

// ErrForbidden marks a request that the configuration does not allow
// whoever makes it, such as a submission the relay's policy refuses
// (403).
var ErrForbidden = errors.New("forbidden")

// ErrUnavailable marks a request the server cannot serve for now (the
// store refuses writes): 503, for the client to try again.
var ErrUnavailable = errors.New("unavailable")

// SinkAPI is what the web needs from the sink.
type SinkAPI interface {
	// Rules returns the sink's current rules as the YAML the sink reads.
	Rules(ctx context.Context) (SinkRules, error)
	// SetRules validates and installs new rules at runtime. A rule that
	// does not parse or validate is an ErrInvalid.
	SetRules(ctx context.Context, r SinkRules) error
	// Sessions lists recorded sessions, newest first.
	Sessions(ctx context.Context, f SessionFilter) ([]SinkSession, error)
	// Session returns one session with its transcript.
	Session(ctx context.Context, id string) (SinkSession, error)
	// Message returns one message the sink accepted.
	Message(ctx context.Context, id string) (MessageDetail, error)
}

// SinkAttemptsAPI is offered by a SinkAPI that can list every delivery
// attempt it saw, in order; /api/v1/sink/attempts serves it to `relaylab
// expect --url`.
type SinkAttemptsAPI interface {
	Attempts(ctx context.Context) ([]SinkAttempt, error)
}

// SinkAttempt is one attempt to deliver to one recipient, as the sink saw it.
type SinkAttempt struct {
	Time      time.Time `json:"time"`
	Listener  string    `json:"listener"`
	Client    string    `json:"client"`
	Sender    string    `json:"sender"`
	Recipient string    `json:"recipient"`
	Stage     string    `json:"stage"`
	Code      int       `json:"code"`
	Enhanced  string    `json:"enhanced,omitempty"`
	Text      string    `json:"text,omitempty"`
	// TLS is the session's TLS ("TLS 1.3 TLS_AES_128_GCM_SHA256"),
	// absent in plaintext.
	TLS string `json:"tls,omitempty"`
	// Message is the sink's id of the message the attempt left, absent
	// when it left none.
	Message int64 `json:"message,omitempty"`
	// MessageID is the Message-ID header of that message as the sink
	// stored it, absent when it left none or the message had none: a
	// sender's retries of one message keep it, by which relaylab expect
	// --url tells a retry from another message to the same address, as
	// expect --db does.
	MessageID string `json:"message_id,omitempty"`
	// By names what chose the reply: a rule (`rule "name"`,
	// `sink.rules[1]`), a profile's rule, a directive or a limit; absent
	// for the sink's normal replies.
	By string `json:"by,omitempty"`
	// Session is the sink's number for the session of the attempt.
	Session int64 `json:"session,omitempty"`
	// Attempt is the attempt's number for its (sender, recipient) pair,
	// counted across sessions and listeners: what attempt: rules and xN
	// directives match.
	Attempt int `json:"attempt,omitempty"`
	// BeforeReset is set on an attempt whose session the last reset
	// (POST /api/v1/sink/reset, relaylab sink reset) made uncounted: the
	// sink's counters, which Attempt numbers, start again after it.
	BeforeReset bool `json:"before_reset,omitempty"`
}

// RelayAPI is what the web needs from the relay.
type RelayAPI interface {
	// Enqueue accepts a message for delivery and returns its id.
	Enqueue(ctx context.Context, m EnqueueRequest) (string, error)
	// Queue lists the messages waiting in the queue, newest first.
	Queue(ctx context.Context, f QueueFilter) ([]QueueEntry, error)
	// QueueDepth is the number of recipients waiting in the queue.
	QueueDepth(ctx context.Context) (int, error)
	// Message returns one message the relay holds or has handled.
	Message(ctx context.Context, id string) (MessageDetail, error)
	// RetryNow makes every waiting recipient of the message due now.
	RetryNow(ctx context.Context, id string) error
	// Delete removes the message from the queue; its waiting recipients end
	// as bounced or expired, as the relay decides.
	Delete(ctx context.Context, id string) error
	// Suppressions lists suppressed recipients.
	Suppressions(ctx context.Context) ([]Suppression, error)
	// Unsuppress removes an address from the suppression list.
	Unsuppress(ctx context.Context, address string) error
}

// SuppressionsClearAPI is offered by a RelayAPI that can empty its
// suppression list at once (DELETE /api/v1/suppressions), for a test
// run's clean slate: it returns how many addresses were on it.
type SuppressionsClearAPI interface {
	ClearSuppressions(ctx context.Context) (int, error)
}

// RetryHoldsAPI is offered by a RelayAPI that can say, of a retry, which
// recipients its own shaping still holds (a destination resting after a
// 421, a sending window, a warm-up cap): a retry makes them due, but the
// relay holds them again until the hold ends. /api/v1/queue/{id}/retry
// names them and the hold's end.
type RetryHoldsAPI interface {
	// RetryNowHeld is RetryNow, with what it did.
	RetryNowHeld(ctx context.Context, id string) (Retry, error)
}

// Retry is what a retry did to a message's waiting recipients.
type Retry struct {
	Waiting int // the recipients waiting, held ones too
	// Held are the recipients the relay's shaping still holds, each
	// until its hold ends: their next attempt is then, not now.
	Held []RetryHeld
}

// RetryHeld is one recipient a retry could not make due now.
type RetryHeld struct {
	Address string    `json:"address"`
	Until   time.Time `json:"until"`
	Hold    string    `json:"hold"` // what holds it, as the queue's hold says
	// Expires is the message's expiry when it comes before Until: it
	// expires unsent then, unless the shaping changes.
	Expires *time.Time `json:"expires,omitempty"`
}

// ProbeAPI is what the web needs from the probes.
type ProbeAPI interface {
	// Results returns the latest result of each check of each target.
	Results(ctx context.Context) ([]ProbeResult, error)
	// History returns past results, newest first.
	History(ctx context.Context, f ProbeFilter) ([]ProbeResult, error)
}

// ProbeChangesAPI is offered by a ProbeAPI that keeps the changes its runs
// confirmed, for /api/v1/probe/changes.
type ProbeChangesAPI interface {
	// Changes returns the changes of f.Target (of every target when ""),
	// newest first. f.Check is not used.
	Changes(ctx context.Context, f ProbeFilter) ([]ProbeChange, error)
}

// SessionCountAPI is offered by a SinkAPI that can count the sessions it
// recorded (of one listener, or of all when listener is ""), so that a
// page of them says how many there are in all.
type SessionCountAPI interface {
	SessionCount(ctx context.Context, listener string) (int, error)
}

// SinkRules is the sink's rule set in its YAML form.
type SinkRules struct {
	YAML string `json:"yaml"`
}

// SinkRulesWarningsAPI is offered by a SinkAPI that can say what it
// runs as written all the same in a rules text it takes: each rule that
// an earlier rule always answers for, so that it never applies, at its
// line in that text ("rules:4:3: rules[1]: never applies: ..."); nil
// when there is none. GET and PUT /api/v1/sink/rules answer them as
// warnings: a GET's in the text it answers, a PUT's in the text it was
// sent, which the editor keeps, not in the text the sink reads back.
type SinkRulesWarningsAPI interface {
	RulesWarnings(ctx context.Context, yaml string) []string
}

// SessionFilter selects sink sessions.
type SessionFilter struct {
	Listener string
	Limit    int
	// Before is an opaque cursor: sessions older than the one with this id.
	Before string
	// Client is the client's IP address (any port) or address and port;
	// HELO a part of its EHLO name; Sender and Recipient an address of
	// the session's MAIL FROM or RCPT TO; Text a part of the transcript
	// (the sink's SessionFilter says how each compares). "" matches all.
	Client, HELO, Sender, Recipient, Text string
}

// searched says whether f asks for more than a listener's sessions.
func (f SessionFilter) searched() bool {
	return f.Client != "" || f.HELO != "" || f.Sender != "" || f.Recipient != "" || f.Text != ""
}

// SinkSession is one SMTP session the sink served.
type SinkSession struct {
	ID        string    `json:"id"`
	Listener  string    `json:"listener"`
	Client    string    `json:"client"` // remote address
	HELO      string    `json:"helo,omitempty"`
	TLS       bool      `json:"tls"`
	Auth      string    `json:"auth,omitempty"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end,omitzero"`
	Messages  []string  `json:"messages,omitempty"` // ids of messages accepted
	LastReply string    `json:"last_reply,omitempty"`
	// Envelope is, in the list of sessions, what the session's client
	// asked for (its sender and recipients), so that a refused session
	// is not anonymous until opened; nil when it gave no MAIL FROM (or
	// the sink cannot say).
	Envelope *SessionEnvelope `json:"envelope,omitempty"`
	// Category, Reason and Advice explain a LastReply that is a 4xx or a
	// 5xx as the relay's classifier would to the sender under test: what
	// kind of refusal it is, why, and what to do. Absent otherwise.
	Category   string           `json:"category,omitempty"`
	Reason     string           `json:"reason,omitempty"`
	Advice     string           `json:"advice,omitempty"`
	Attempts   []SessionAttempt `json:"attempts,omitempty"`   // only from Session
	Transcript []Line           `json:"transcript,omitempty"` // only from Session
	// From SessionPage, Attempts and Messages are a page of the
	// session's, oldest first, which AttemptsTotal and MessagesTotal
	// count in all; AttemptsNext and MessagesNext are the cursors of the
	// next pages (SessionPageQuery's AttemptsAfter and MessagesAfter),
	// "" when none is left. In the list of sessions, Messages holds the
	// first 100 ids of a session's messages, and MessagesTotal is there
	// when it has more.
	AttemptsTotal *int   `json:"attempts_total,omitempty"`
	AttemptsNext  string `json:"attempts_next,omitempty"`
	MessagesTotal *int   `json:"messages_total,omitempty"`
	MessagesNext  string `json:"messages_next,omitempty"`
}

// SessionEnvelope is the envelope a session of the list gave: the
// sender of its first recipient's attempt ("" the null sender), or of its
// first MAIL FROM when no RCPT TO followed; that first recipient; and how
// many recipients' attempts (RCPT TO, accepted or refused) the session
// made, counted up to SessionEnvelopeCount, RecipientsMore saying that
// it made more.
type SessionEnvelope struct {
	Sender         string `json:"sender"`
	Recipient      string `json:"recipient,omitempty"`
	Recipients     int    `json:"recipients"`
	RecipientsMore bool   `json:"recipients_more,omitempty"`
}

// SessionEnvelopeCount is how many of a session's recipients' attempts
// the list of sessions counts: one that looped RCPT 100,000 times says
// "100 and more" rather than reading them all at each page.
const SessionEnvelopeCount = 100

// SessionPageAPI is offered by a SinkAPI that can give a session's
// attempts and message ids a page at a time: a client looping RCPT, or
// MAIL, RCPT and DATA, leaves tens of thousands in one session, which
// /api/v1/sink/sessions/{id} would otherwise answer in one body.
type SessionPageAPI interface {
	// SessionPage is Session with a page of its attempts and of its
	// messages' ids, their totals and the cursors of the next pages.
	SessionPage(ctx context.Context, id string, q SessionPageQuery) (SinkSession, error)
}

// DefaultSessionPage is the attempts, and the message ids, of a session's
// page when the query gives no limit: what the UI's session page shows
// at first.
const DefaultSessionPage = 500

// SessionPageQuery is a page of one session's attempts and message ids.
type SessionPageQuery struct {
	// Limit is the most attempts, and the most message ids, of the page;
	// 0 is DefaultSessionPage.
	Limit int
	// AttemptsAfter and MessagesAfter are the ids of the last attempt
	// and the last message already read (the page before's AttemptsNext
	// and MessagesNext); 0 reads from the first.
	AttemptsAfter, MessagesAfter int64
}

// SessionAttempt is how one recipient's attempt in a sink session ended,
// with the explanation of a 4xx or 5xx reply (as SinkSession's).
type SessionAttempt struct {
	Recipient string `json:"recipient"`
	Reply     string `json:"reply"` // as LastReply: "550 5.1.1 text (at rcpt)"
	Category  string `json:"category,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Advice    string `json:"advice,omitempty"`
	By        string `json:"by,omitempty"`      // as SinkAttempt.By
	Attempt   int    `json:"attempt,omitempty"` // as SinkAttempt.Attempt
}

// Line is one line of an SMTP transcript.
type Line struct {
	Time time.Time `json:"time,omitzero"`
	Dir  string    `json:"dir"` // "c" client to server, "s" server to client, "*" a note
	Text string    `json:"text"`
}

// MessageDetail is one message with its envelope and content.
type MessageDetail struct {
	ID       string    `json:"id"`
	From     string    `json:"from"`
	To       []string  `json:"to"`
	Subject  string    `json:"subject,omitempty"`
	Received time.Time `json:"received,omitzero"`
	Size     int64     `json:"size"`
	Headers  []Header  `json:"headers,omitempty"`
	Text     string    `json:"text,omitempty"`
	// TextDerived says that Text is not a part of the message but the
	// text of its HTML body (htmlText): a message with HTML only.
	TextDerived bool `json:"text_derived,omitempty"`
	// Fields are the From, To, Cc and Reply-To fields as addresses, the
	// Message-ID and the Date (messagefields.go).
	Fields *MessageFields `json:"fields,omitempty"`
	// HTML is never put in the UI's own page: it is served alone from
	// .../body.html under a CSP that forbids scripts and remote loads, in a
	// sandboxed iframe.
	HTML string `json:"html,omitempty"`
	// Links are the HTML body's links, each href once, in order, which
	// the body's frame does not follow: the page lists them as text. The
	// web fills them; LinksMore says there were more than the first 100.
	Links     []BodyLink `json:"links,omitempty"`
	LinksMore bool       `json:"links_more,omitempty"`
	// DSNFor is, for a DSN the relay wrote, the id of the message it
	// reports on.
	DSNFor string `json:"dsn_for,omitempty"`
	// Session is, for a message the sink stored, the id of the session
	// that brought it (for /api/v1/sink/sessions/{id}); the web fills it
	// from the store. The sink records the session itself when it ends.
	Session string `json:"session,omitempty"`
	// Attachments are the message's MIME parts that are not the text or
	// HTML body shown: attachments and inline parts, in message order.
	// A sink message's part is served at .../parts/{part} by its number (parts.go); the .eml download holds them all.
	Attachments []Attachment `json:"attachments,omitempty"`
	// Notes say, in a sentence each, what relaylab could not read of the
	// message (a charset it does not know, a broken MIME structure, a
	// limit reached) and how it is shown instead.
	Notes []string `json:"notes,omitempty"`
	// Auth is, for a message the sink stored with sink.verify on, its
	// SPF, DKIM and DMARC verdict (web/mailtext.go authVerdict).
	Auth *AuthVerdict `json:"auth,omitempty"`
	// StoredSize is the bytes as stored, the .eml download: more than Size
	// when the sink put its Authentication-Results field in front.
	StoredSize int64 `json:"stored_size,omitempty"`
	// Mail is, for a message the sink stored, what its MAIL command
	// declared about the content.
	Mail *MailDeclared `json:"mail,omitempty"`
	// SinkNotes are the sink's notes on a message it stored, such as
	// 8-bit data its MAIL did not declare (apart from Notes, which say
	// what relaylab could not read).
	SinkNotes []string `json:"sink_notes,omitempty"`
}

// MailDeclared is what a client's MAIL command declared about the
// message: BODY= (RFC 6152: "7BIT" or "8BITMIME"; "" when not given,
// which declares 7-bit data) and SMTPUTF8 (RFC 6531). Both are always in
// the JSON, "" and false saying "not declared", so that a consumer reads
// the same keys of every message. Unknown: the message was stored by a
// build that did not keep them, and Body and SMTPUTF8 say nothing.
type MailDeclared struct {
	Body     string `json:"body"`
	SMTPUTF8 bool   `json:"smtputf8"`
	Unknown  bool   `json:"unknown,omitempty"`
}

// Attachment is one MIME part of a message that is not a body shown.
type Attachment struct {
	// Part is its number as IMAP gives it (RFC 3501 6.4.5): "2", "1.2".
	Part string `json:"part"`
	// Filename is Content-Disposition's filename or else Content-Type's
	// name, RFC 2231 and RFC 2047 decoded.
	Filename    string `json:"filename,omitempty"`
	ContentType string `json:"content_type"`
	// Size is in bytes once its transfer encoding is undone.
	Size int64 `json:"size"`
	// Disposition is "attachment", "inline", or empty when the part
	// gives none.
	Disposition string `json:"disposition,omitempty"`
	// ContentID is the part's Content-ID without its angle brackets: an
	// HTML body shows it as an inline image with src="cid:..." (RFC 2392).
	ContentID string `json:"content_id,omitempty"`
	// Message is the header summary of a message attached whole
	// (message/rfc822 or message/global); nil for any other part.
	Message *AttachedMessage `json:"message,omitempty"`
}

// AttachedMessage is what a message attached whole says of itself, its
// encoded-words decoded.
type AttachedMessage struct {
	From    string `json:"from,omitempty"`
	Subject string `json:"subject,omitempty"`
	Date    string `json:"date,omitempty"` // as written
}

// Header is one header field, in message order.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// EnqueueRequest is a message submitted over HTTP. Either Raw (a whole RFC
// 5322 message) or Subject/Text/HTML is given.
type EnqueueRequest struct {
	From    string   `json:"from"`
	To      []string `json:"to"`
	Subject string   `json:"subject,omitempty"`
	Text    string   `json:"text,omitempty"`
	HTML    string   `json:"html,omitempty"`
	Headers []Header `json:"headers,omitempty"`
	Raw     string   `json:"raw,omitempty"`
	// Client is the caller's address (host:port), set by the server from
	// the connection, never from the request's JSON: the relay's
	// submission policy is judged by it.
	Client string `json:"-"`
}

// QueueCountAPI is offered by a RelayAPI that can count the messages
// waiting in its queue: those with a recipient queued, deferred or in
// flight, as Queue lists them without a limit. /api/v1/queue gives the
// count as its total when the list is cut at its limit; from a relay
// without it, the total is left out and the answer says only that more
// messages wait, and how many recipients (QueueDepth).
type QueueCountAPI interface {
	QueueMessages(ctx context.Context) (int, error)
}

// QueueFilter selects queue entries. Queue reads Limit alone; the rest
// is for a relay that pages and filters its queue (QueuePageAPI).
type QueueFilter struct {
	Limit int
	// State keeps messages with a recipient in this state: "waiting"
	// (queued, deferred, in flight or held by hand; "" means it too), one
	// of the relay's states (queuedStates), or "all".
	State string
	// Recipient keeps messages with a recipient whose address contains
	// it (any case); Domain, those with a recipient at that domain.
	Recipient string
	Domain    string
	// Oldest lists the oldest first (the mail stuck longest).
	Oldest bool
	// After is the last id of the page before (the next page, in the
	// listing's order); Before, the first id of the page after (the
	// page before it). At most one of them.
	After  string
	Before string
}

// QueueList is what /api/v1/queue answers: the first messages waiting,
// and how many wait in all, so that a page cut at its limit does not
// pass for the whole queue (500 shown, "500 waiting", where 900 were).
type QueueList struct {
	Queue []QueueEntry `json:"queue"`
	// Total is the number of messages waiting: len(Queue) when the list
	// holds them all; else the relay's count (QueueCountAPI), absent
	// from a relay that cannot count them.
	Total *int `json:"total,omitempty"`
	// Truncated is true when more messages wait than Queue lists.
	Truncated bool `json:"truncated"`
	// RecipientsWaiting is the number of recipients waiting, those of
	// the messages not listed too (RelayAPI.QueueDepth).
	RecipientsWaiting int `json:"recipients_waiting"`
	// More says that messages follow this page (after= its last id
	// lists them), Earlier that messages come before it (before= its
	// first id); More is Truncated for a relay that cannot page.
	More    bool `json:"more"`
	Earlier bool `json:"earlier"`
}

// QueueEntry is one message of the relay's queue: one waiting, or, in a
// listing of a finished state or all, one the relay keeps.
type QueueEntry struct {
	ID          string    `json:"id"`
	From        string    `json:"from"`
	Recipients  []string  `json:"recipients"` // those still waiting
	Subject     string    `json:"subject,omitempty"`
	Queued      time.Time `json:"queued"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	Attempts    int       `json:"attempts"`
	LastReply   string    `json:"last_reply,omitempty"`
	// Waiting is each recipient still waiting (queued, deferred, in
	// flight or held by hand), with its own last reply and what it
	// means: the message's LastReply is one recipient's, and a message
	// to a full mailbox (452) and a greylisting server (451) needs both.
	// Absent when the relay does not say.
	Waiting []QueueRecipient `json:"waiting,omitempty"`
	// Finished is each recipient the listing's state names that is
	// finished (delivered, bounced, expired or suppressed), in the shape
	// of Waiting: the recipients in that state for state= one of them,
	// every finished one for all; absent otherwise. The API moves them
	// here from Waiting (splitFinished), whatever the relay put there.
	Finished []QueueRecipient `json:"finished,omitempty"`
}

// QueueRecipient is one recipient of a queued message: what the last
// attempt got, what it means and what to do, as relaylab queue show says
// it.
type QueueRecipient struct {
	Address string `json:"address"`
	// State is queued, deferred, inflight or held in Waiting; delivered,
	// bounced, expired or suppressed in Finished.
	State       string    `json:"state"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// Path and Host are where the last attempt went: the route path and
	// the host (Host is empty when no attempt was made, when shaping held
	// the recipient, or when the relay made the last reply up itself).
	Path      string     `json:"path,omitempty"`
	Host      string     `json:"host,omitempty"`
	LastReply QueueReply `json:"last_reply,omitzero"`
	Category  string     `json:"category,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	Advice    string     `json:"advice,omitempty"`
	// Hold is what of the relay's own shaping holds the recipient back
	// now (a destination resting after a 421, naming that 421; a sending
	// window; a warm-up cap), apart from LastReply, the last reply a
	// server gave; "" when nothing holds it.
	Hold string `json:"hold,omitempty"`
	// OperatorHold is, for a recipient held by hand (state held), who
	// held it, since when and their note; nil otherwise.
	OperatorHold *OperatorHold `json:"operator_hold,omitempty"`
	// NotBegun says, of a recipient in flight, that its attempt has not
	// begun: the relay claimed it and it waits for its turn at the
	// relay's shaping (a rate's next slot, a connection under
	// max_connections), Hold saying for what and until when, with no
	// connection made for it yet; as relaylab queue show says "in
	// flight, not begun" (relay.WaitsForTurn).
	NotBegun bool `json:"not_begun,omitempty"`
	// Tried is every host of every path the last attempt tried, in
	// order, with each one's reply, when it tried more than one: the
	// web fills it from the event log. LastReply is the last of them.
	Tried []QueueTry `json:"tried,omitempty"`
}

// QueueReply is the last reply a recipient got, with the SMTP stage it
// came at; a reply the relay made up itself has no code, only text.
type QueueReply struct {
	Stage    string `json:"stage,omitempty"`
	Code     int    `json:"code,omitempty"`
	Enhanced string `json:"enhanced,omitempty"`
	Text     string `json:"text,omitempty"`
}

// Suppression is one suppressed recipient.
type Suppression struct {
	Address string    `json:"address"`
	Reason  string    `json:"reason"`
	Since   time.Time `json:"since"`
	Until   time.Time `json:"until,omitzero"`
}

// ProbeFilter selects probe history.
type ProbeFilter struct {
	Target string
	// Check keeps the runs that made this check ("spf", "blocklist"),
	// "" all of them. A name no run can make is an ErrInvalid.
	Check string
	Limit int
}

// ProbeResult is one run of the checks of one target at one time.
type ProbeResult struct {
	Target string `json:"target"`
	// Check names the checks the run made, in the report's order, comma
	// separated: "blocklist, ptr" for an IP, "spf, dkim, dmarc, mx, ..."
	// for a domain's records.
	Check  string    `json:"check"`
	Status string    `json:"status"` // "ok", "warning", "error", "unknown"
	Detail string    `json:"detail,omitempty"`
	Time   time.Time `json:"time"`
	// Changed says the run confirmed a change (Changes lists them): a
	// new value seen on two runs in a row.
	Changed bool          `json:"changed,omitempty"`
	Changes []ProbeChange `json:"changes,omitempty"`
	// Findings say what the check found, errors first: what is wrong,
	// why, and what to do. Absent when it found nothing to report.
	Findings []ProbeFinding `json:"findings,omitempty"`
	// Blocklists are the run's blocklist answers, one per subject and
	// list, the clean ones too. Absent when the run checked none.
	Blocklists []ProbeListing `json:"blocklists,omitempty"`
}

// ProbeChange is one change a probe run confirmed (probe.Change).
type ProbeChange struct {
	ID     int64     `json:"id"`
	Time   time.Time `json:"time"`
	Target string    `json:"target"`
	Kind   string    `json:"kind"` // listed, delisted, record-added, record-removed, record-changed, key-rotated, key-revoked, dns-failing, dns-answering, result-changed
	Key    string    `json:"key"`  // what changed: "domain shop.test spf"
	Old    string    `json:"old"`
	New    string    `json:"new"`
	First  bool      `json:"first,omitempty"` // a listing at the target's first checks: Old means nothing
	// For a listing, when known: what its codes mean, the list's TXT
	// record and where to ask for delisting; for a DMARC record that is
	// now the organisational domain's, that domain; and a note in words.
	// As the webhook's change has them.
	Meaning       []string `json:"meaning,omitempty"`
	Reason        string   `json:"reason,omitempty"`
	DelistURL     string   `json:"delist_url,omitempty"`
	InheritedFrom string   `json:"inherited_from,omitempty"`
	Note          string   `json:"note,omitempty"`
}

// ProbeListing is the answer of one blocklist about one subject.
type ProbeListing struct {
	Zone    string `json:"zone"`
	Subject string `json:"subject"` // the IP or domain looked up
	Status  string `json:"status"`  // listed, not-listed or unknown
	Detail  string `json:"detail,omitempty"`
}

// ProbeFinding is one finding of a probe (probe.Finding, SCHEMA.md).
type ProbeFinding struct {
	Check    string `json:"check"`            // "spf", "dmarc", "blocklist", ...
	Severity string `json:"severity"`         // error, warning or info
	Code     string `json:"code"`             // stable, such as "spf.lookup-limit"
	Message  string `json:"message"`          // what, why and what to do
	Name     string `json:"name,omitempty"`   // the DNS name (or URL) looked at
	Record   string `json:"record,omitempty"` // the record itself
	RFC      string `json:"rfc,omitempty"`    // the section that says so
}

// SinkReceivedAPI is offered by a SinkAPI that can say what it received of
// one relayed message, so that the relay's message page shows the
// receiving side of each attempt too.
type SinkReceivedAPI interface {
	Received(ctx context.Context, q ReceivedQuery) (Received, error)
}

// ReceivedQuery names a relayed message as the sink can know it.
type ReceivedQuery struct {
	// MessageID is the message's Message-ID without angle brackets: the
	// sink files what it accepts under it. "" when the message has none.
	MessageID string
	// Sender and Recipients with Since and Until find the attempts that
	// left no copy (a 451 at RCPT): those of the sender to one of the
	// recipients within the relay's attempts.
	Sender     string
	Recipients []string
	Since      time.Time
	Until      time.Time
	// Accepted are the relay's attempts a server accepted with the sink's
	// own words for a stored copy ("Message accepted as 13"): the sink
	// holds that copy when the attempt went to one of its listeners, with
	// or without a Message-ID.
	Accepted []AcceptedAs
}

// AcceptedAs is one relay attempt that a server accepted "as" a number.
type AcceptedAs struct {
	Address   string // the address the relay connected to, host:port
	Recipient string
	Copy      int64 // the number in the reply
	Reply     string
}

// Received is what the sink holds of one message.
type Received struct {
	Copies   []SinkCopy        `json:"copies"`
	Attempts []ReceivedAttempt `json:"attempts"`
	// Gone are the relay's attempts that one of the sink's listeners
	// accepted as a copy the sink no longer holds (deleted, or the store
	// reset since).
	Gone []GoneCopy `json:"gone"`
}

// GoneCopy is a copy the sink accepted from the relay and no longer holds.
type GoneCopy struct {
	ID        string `json:"id"`
	Recipient string `json:"recipient"`
	Reply     string `json:"reply"`
}

// SinkCopy is one copy of a message the sink stored. A drop after the
// final dot leaves a copy the sender never heard about, so its retry makes
// a second one: a duplicate.
type SinkCopy struct {
	ID       string    `json:"id"`      // for /api/v1/sink/messages/{id}
	Session  string    `json:"session"` // for /api/v1/sink/sessions/{id}
	Listener string    `json:"listener"`
	Time     time.Time `json:"time"`
	From     string    `json:"from"`
	To       []string  `json:"to"`
	Code     int       `json:"code"`  // the reply after the dot; 0 when the sink gave none (dropped or hung)
	Reply    string    `json:"reply"` // that reply (a reply of several lines: their texts joined by "\n"), or what happened instead
	// Copy is its place among the copies (1 for the first); Duplicate is
	// set on a copy the relay left for a recipient that an earlier copy
	// the relay left held already.
	Copy      int  `json:"copy"`
	Duplicate bool `json:"duplicate"`
	// Unpaired is set on a copy that no attempt of the relay's left (no
	// sink attempt that left it pairs with a relay attempt): the same
	// Message-ID reached the sink another way, sent to it directly, say.
	Unpaired bool `json:"unpaired,omitempty"`
}

// ReceivedAttempt is one recipient's attempt as the sink saw it, with the
// session whose transcript shows it.
type ReceivedAttempt struct {
	SinkAttempt
	Session string `json:"session"`
	Copy    string `json:"copy,omitempty"` // the copy its DATA left, if any
	// RelayAttempt is the id of the relay.attempt event that made it, when
	// the web could pair them: the relay attempt the sink accepted as this
	// attempt's copy ("Message accepted as N"), or else, for the same
	// recipient, the first relay attempt recorded at or after it and not
	// accepted as another copy; 0 when none.
	RelayAttempt int64 `json:"relay_attempt,omitempty"`
}

// SinkRulesIfAPI is offered by a SinkAPI that can replace its rules only
// while cond accepts those running, tested and installed in one step
// under the sink's own lock, which its reloads (a SIGHUP) take too: a
// PUT with If-Match or a version installs over exactly the rules it
// names, or gets its 409 or 412. current is the rules cond was shown;
// ok is false, and nothing changed, when it refused them. cond must not
// call back into the sink.
type SinkRulesIfAPI interface {
	SetRulesIf(ctx context.Context, r SinkRules, cond func(current SinkRules) bool) (current SinkRules, ok bool, err error)
}
