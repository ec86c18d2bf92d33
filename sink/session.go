package sink

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/mailaddr"
	"github.com/relaylab/relaylab/internal/saslogin"
	"github.com/relaylab/relaylab/internal/textsafe"
)

// session is the go-smtp Session of one connection, created at EHLO.
type session struct {
	c    *conn
	sc   *smtp.Conn // go-smtp's side, for the EHLO argument
	helo string     // the name of the last EHLO or HELO accepted
	// fresh: the session was created by the EHLO now being answered, whose
	// checks and rules NewSession has applied.
	fresh bool
	// authUser is the identity of the AUTH in force; authBeforeTLS the one
	// STARTTLS made the sink forget (RFC 3207 4.2), for the record.
	authUser      string
	authBeforeTLS string
	// needHelo: STARTTLS succeeded and no EHLO has followed it yet; RFC
	// 3207 4.2 has the client start over with EHLO.
	needHelo bool

	from string
	// lastFrom is the sender of the session's last transaction (the last
	// MAIL accepted), which rules at rset and quit match on: those stages
	// come after it, when go-smtp has already reset the transaction (at
	// RSET, and at the final dot), as the RSET and QUIT directives look
	// at every recipient named in the session (seen).
	lastFrom    string
	dsn         mailDSN // RET and ENVID of the open transaction (RFC 3461)
	inTxn       bool    // a MAIL was accepted and the transaction is open
	utf8        bool    // that MAIL declared SMTPUTF8 (RFC 6531)
	sizeHint    int64   // the SIZE the client declared at MAIL (RFC 1870)
	rcpts       []rcptState
	dataRefused bool
	lastAttempt int
	lastRcpt    string
	rcptCalled  bool // Rcpt ran for the RCPT now being answered
	messages    int
	attempts    []attemptRecord // for the session record
	grey        []greyUpdate
	// stored and storedGrey: attempts[:stored] and grey[:storedGrey] went
	// into the store with a message, in the commit before its 250, so
	// that a sink killed before the session ends keeps them (or in one of
	// their own: holdStored); forgetStored lets go of them.
	stored, storedGrey int
	// holdFailed counts the attempts past maxHeld kept because writing
	// them failed, so that the next write waits for as many more.
	holdFailed int
	// seen holds the RSET and QUIT directives of the session's recipients,
	// for those stages, which come after a transaction; each once, so
	// that a session of many recipients does not grow it (the first of
	// one text acts, as a later one of that text would).
	seen []Directive
	// body is the BODY= of the open transaction's MAIL (RFC 6152: 7BIT
	// or 8BITMIME), "" when it had none; utf8 says its SMTPUTF8.
	body smtp.BodyType
	// msg is the message at its final dot, for the rules on its content
	// (Sink.deliver sets it, and clears it after).
	msg contentScan
}

type rcptState struct {
	addr       string
	dsn        rcptDSN // NOTIFY and ORCPT (RFC 3461)
	attempt    int
	directives []Directive
	notes      []rcptNote // pieces of addr that look like directives but are not, directives used up
	recorded   bool
	// Of the 2xx to its RCPT, for the attempt of a recipient accepted
	// there and recorded only when its transaction ends without a message
	// (resetTransaction): when it was given, what chose it, and where the
	// attempt goes among the session's, so that they stay in wire order.
	at   time.Time
	by   string
	slot int
}

var (
	_ smtp.Session     = (*session)(nil)
	_ smtp.AuthSession = (*session)(nil)
	_ smtp.Backend     = (*listener)(nil)
)

// NewSession is go-smtp's call at the first EHLO or HELO.
func (l *listener) NewSession(sc *smtp.Conn) (smtp.Session, error) {
	c, ok := sc.Conn().(*conn)
	if !ok {
		return nil, &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "internal error: unexpected connection type"}
	}
	extra := len(c.cmds) > 0 && c.cmds[0].stage == StageEHLO && c.cmds[0].heloExtra
	if why := heloFault(sc.Hostname(), extra); why != "" {
		return nil, &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 2}, Message: "Syntax error in the EHLO argument: " + why}
	}
	// Before the session counts anything (nothing is counted before EHLO):
	// a reset by another process (relaylab sink reset) holds from the next
	// session on. Here, not in the accept loop, the look at the store runs
	// in each connection's own goroutine.
	l.sink.followReset(l.sink.hardCtx)
	l.sink.maybeSweep()
	s := &session{c: c, sc: sc, helo: sc.Hostname(), fresh: true}
	b := l.sink.decide(s.input(StageEHLO, ""), nil)
	if err := s.apply(b); err != nil {
		return nil, err
	}
	c.sess = s
	return s, nil
}

// greetAgain checks a later EHLO or HELO, naming the client name, as
// NewSession checks the first: its syntax, then the rules of stage ehlo,
// matched on the new name. It returns the behaviour to carry out and, when
// the EHLO is refused, the reply. A refused EHLO leaves the session as it
// was (RFC 5321 4.1.4): the earlier name stays, and after STARTTLS the
// client must still say EHLO. go-smtp, though, has already reset the
// transaction, as for an accepted EHLO (RFC 5321 4.1.4 asks that only of
// one the server takes).
func (s *session) greetAgain(name string, extra bool) (Behavior, *Reply) {
	if why := heloFault(name, extra); why != "" {
		return Behavior{}, &Reply{Code: 501, Enhanced: "5.5.2", Text: "Syntax error in the EHLO argument: " + why}
	}
	in := s.input(StageEHLO, "")
	in.helo = name
	b := s.c.sink.decide(in, nil)
	if b.Reply != nil && b.Reply.Code >= 300 {
		// A 2xx of a rule does not replace the extension list, as at the
		// first EHLO (session.apply).
		return b, b.Reply
	}
	return b, nil
}

func (s *session) input(stage Stage, rcpt string) *input {
	sender := s.from
	if stage == StageRset || stage == StageQuit {
		sender = s.lastFrom
	}
	return &input{stage: stage, listener: s.c.l.cfg.Name, client: s.c.client, helo: s.helo, sender: sender, rcpt: rcpt}
}

func (s *session) allDirectives() []Directive { return s.seen }

// addSeen adds to seen the directives of ds for RSET and QUIT whose text
// it does not have yet (session.seen).
func addSeen(seen, ds []Directive) []Directive {
	for _, d := range ds {
		if (d.Stage == StageRset || d.Stage == StageQuit) && !slices.ContainsFunc(seen, func(e Directive) bool { return e.Text == d.Text }) {
			seen = append(seen, d)
		}
	}
	return seen
}

// apply carries out b for a stage whose reply go-smtp writes from the
// error a Session method returns.
func (s *session) apply(b Behavior) error {
	s.c.chose(b)
	if stop, err := s.c.before(b); stop {
		if err == nil {
			err = errors.New("connection closed")
		}
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: err.Error()}
	}
	if b.Reply == nil {
		return nil
	}
	if b.Reply.Code < 300 {
		// go-smtp writes its own 2xx text: the connection swaps in the
		// rule's reply (MAIL and RCPT; EHLO keeps its extension list).
		rep := *b.Reply
		s.c.replaceNext = &rep
		return nil
	}
	s.c.closeAfter = b.Reply.Code == 421
	return b.Reply.smtpError()
}

// resetTransaction forgets the envelope, recording recipients whose
// transaction ends without a message.
func (s *session) resetTransaction() {
	s.recordOpen(StageRcpt, Reply{Code: 250, Enhanced: "2.1.5", Text: "accepted at RCPT; no message followed"})
	s.from, s.rcpts, s.dataRefused, s.inTxn, s.sizeHint, s.utf8, s.body = "", nil, false, false, 0, false, ""
	s.lastAttempt, s.lastRcpt = 0, "" // nothing of this transaction carries over
	s.dsn = mailDSN{}
}

// recordOpen records the recipients not yet recorded with rep at stage.
// At stage rcpt (no message followed) each attempt ended with the 250 to
// its RCPT: it goes where that RCPT was, before the attempts of later
// RCPTs refused at once.
func (s *session) recordOpen(stage Stage, rep Reply) {
	moved := 0
	for i := range s.rcpts {
		r := &s.rcpts[i]
		if r.recorded {
			continue
		}
		if at := r.slot + moved; stage == StageRcpt && !r.at.IsZero() && at >= s.stored && at < len(s.attempts) {
			r.recorded = true
			s.attempts = slices.Insert(s.attempts, at, s.attemptOf(r, stage, rep, 0, ""))
			moved++
			continue
		}
		r.recorded = true
		s.attempts = append(s.attempts, s.attemptOf(r, stage, rep, 0, ""))
	}
	s.holdStored()
}

func (s *session) record(r *rcptState, stage Stage, rep Reply) {
	r.recorded = true
	s.attempts = append(s.attempts, s.attemptOf(r, stage, rep, 0, ""))
	s.holdStored()
}

// maxHeld bounds the attempts and greylist changes a session holds in
// memory for its record: past it, they go into the store in a commit of
// their own (Sink.storeHeld), as with a message, and the session lets go
// of them. A client refusing to stop (RCPTs refused without end, or
// transactions of recipients without a message) cannot grow the sink
// so; each attempt is still recorded.
const maxHeld = 1000

// holdStored writes the attempts and greylist changes held, when there
// are maxHeld of them.
func (s *session) holdStored() {
	if len(s.attempts)-s.stored+len(s.grey)-s.storedGrey < maxHeld+s.holdFailed {
		return
	}
	if err := s.c.sink.storeHeld(s); err != nil {
		// Kept, and written with the session's end or the next message;
		// not tried again at every attempt while the store fails. The
		// writer logged it (writeFailures), at most once a minute.
		s.holdFailed += maxHeld
		return
	}
	s.holdFailed = 0
}

// forgetStored lets go of the attempts and greylist changes that are in
// the store. An open recipient's slot (where its attempt goes when its
// transaction ends without a message: recordOpen) moves with them, and
// one whose place was let go of goes last.
func (s *session) forgetStored() {
	n := copy(s.attempts, s.attempts[s.stored:])
	clear(s.attempts[n:]) // for the collector: the strings they hold
	s.attempts = s.attempts[:n]
	for i := range s.rcpts {
		s.rcpts[i].slot -= s.stored
	}
	n = copy(s.grey, s.grey[s.storedGrey:])
	clear(s.grey[n:])
	s.grey = s.grey[:n]
	s.stored, s.storedGrey = 0, 0
}

// attemptOf is the record of r's attempt ending at stage with rep, with
// the TLS, EHLO name and AUTH identity in force now, which are the
// transaction's: none of them changes inside one (STARTTLS ends it
// first, an EHLO resets it, and AUTH is refused in it).
func (s *session) attemptOf(r *rcptState, stage Stage, rep Reply, msg int64, msgID string) attemptRecord {
	for _, n := range r.notes {
		// In the attempt too, which timelines (relaylab expect, reports)
		// show: the reply that ended it may be long after the RCPT.
		rep.Text += "; " + n.Note()
	}
	at, by := s.c.clock.Now(), s.c.byNext // the reply being given is what ends the attempt
	if stage == StageRcpt && !r.at.IsZero() {
		at, by = r.at, r.by // the 2xx to its RCPT ended it
	}
	return attemptRecord{
		Time: at, Sender: s.from, Recipient: r.addr, Attempt: r.attempt,
		Stage: stage, Reply: rep, Message: msg, MessageID: msgID,
		Ret: s.dsn.Ret, EnvID: s.dsn.EnvID, Notify: strings.Join(r.dsn.Notify, ","), ORCPT: r.dsn.ORCPT,
		TLS: tlsDescription(s.c.tlsState), HELO: s.helo, AuthUser: s.authUser,
		By: by,
	}
}

func (s *session) Reset() { s.resetTransaction() }

func (s *session) Logout() error {
	s.resetTransaction()
	return nil
}

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	d, fromLine := s.c.currentDSN(StageMail)
	if d != nil && d.fault != nil {
		return d.fault.smtpError()
	}
	if cmd := s.c.current(StageMail); cmd != nil && cmd.mailFault != nil {
		return cmd.mailFault.smtpError()
	}
	if s.inTxn {
		// RFC 5321 4.1.4: out of order, and the state stays as it was.
		return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Nested MAIL command: finish the transaction or send RSET first"}
	}
	if why := mailaddr.Fault(from); why != "" {
		// 553, not 501: the command parsed; the mailbox name is what RFC
		// 5321 4.2.2 does not allow ("mailbox syntax incorrect"), and RFC
		// 3463 3.2 names it X.1.7, bad sender's mailbox address syntax.
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 7}, Message: "Bad sender address syntax: " + why}
	}
	if code, why := addrFault(from); why != "" {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{5, 1, 7}, Message: "Bad sender address syntax: " + why}
	}
	if why := localFault(from, s.c.current(StageMail)); why != "" {
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 7}, Message: "Bad sender address syntax: " + why}
	}
	utf8 := opts != nil && opts.UTF8
	if utf8 && s.c.l.hidden("SMTPUTF8") {
		return hiddenParam("SMTPUTF8", "SMTPUTF8")
	}
	if !utf8 && !isASCII(from) {
		return errNeedsUTF8("sender")
	}
	if opts != nil && opts.Body != "" && s.c.l.hidden("8BITMIME") {
		return hiddenParam("BODY", "8BITMIME")
	}
	if opts != nil && opts.Size != 0 && s.c.l.hidden("SIZE") {
		return hiddenParam("SIZE", "SIZE")
	}
	s.resetTransaction()
	if opts != nil {
		s.sizeHint = opts.Size
	}
	if s.needHelo {
		return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Bad sequence of commands: send EHLO again after STARTTLS (RFC 3207 4.2)"}
	}
	l := s.c.l
	if max := l.cfg.Limits.MaxMessageBytes; max > 0 && s.sizeHint > max {
		// RFC 1870 6: refused at MAIL, before any data.
		s.c.byNext = sizeLimitBy
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: fmt.Sprintf("Message size exceeds the limit of %d octets (RFC 1870 6): %s", max, l.raiseSize())}
	}
	if l.authRequired && s.authUser == "" {
		// RFC 4954 6: 530 when authentication is required.
		why := "Authentication required: use AUTH PLAIN or LOGIN first"
		if l.cfg.Auth.RequireTLS && s.c.tlsState == nil {
			why = "Authentication required: send STARTTLS, then AUTH PLAIN or LOGIN (auth.require_tls)"
		}
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: why}
	}
	if l.limiter != nil && !l.limiter.allow(s.c.client, s.c.clock.Now()) {
		s.c.byNext = "limits.rate"
		r := l.rateReply
		s.c.closeAfter = r.Code == 421
		return r.smtpError()
	}
	if err := s.c.sink.store.Room(s.sizeHint); err != nil {
		// As Postfix's queue_minfree, at MAIL: the room kept free is
		// what a prune and the store's checkpoints need to get out of a
		// full disk.
		s.c.byNext = "store.min_free_bytes"
		s.c.sink.roomLog.Failed(s.c.sink.log, s.c.clock.Now(), err)
		return roomRefused("sink", err)
	}
	s.c.sink.roomLog.Worked(s.c.sink.log, s.c.clock.Now())
	s.from = mailaddr.Quote(from)
	switch {
	case d != nil:
		s.dsn = d.mail
	case !fromLine && opts != nil:
		// Not the command line clientLine saw: go-smtp's reading will do.
		s.dsn = mailDSN{Ret: string(opts.Return), EnvID: opts.EnvelopeID}
	}
	if s.dsn != (mailDSN{}) {
		s.c.notef('*', "DSN: "+s.dsn.String())
	}
	if err := s.apply(s.c.sink.decide(s.input(StageMail, ""), nil)); err != nil {
		s.from, s.dsn = "", mailDSN{}
		return err
	}
	s.inTxn, s.utf8, s.lastFrom = true, utf8, s.from
	if opts != nil {
		s.body = opts.Body
	}
	if s.from != from && s.c.replaceNext == nil {
		// go-smtp's text would show the local part without its quotes.
		s.c.replaceNext = acceptedAddr("2.1.0", "Sender", s.from)
	}
	return nil
}

func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	d, fromLine := s.c.currentDSN(StageRcpt)
	if d != nil && d.fault != nil {
		// Before rcptCalled: the reply is about the command, not about a
		// recipient's attempt, as for go-smtp's own syntax errors.
		return d.fault.smtpError()
	}
	s.rcptCalled = true
	bare := false
	if local, ok := strings.CutSuffix(to, "@"+postmasterMark); ok && strings.EqualFold(local, "postmaster") {
		// conn.Read gave go-smtp the domain it needs to parse <Postmaster>.
		to, bare = local, true
	}
	if why := mailaddr.Fault(to); why != "" {
		// As at MAIL: 553, and RFC 3463 3.2 X.1.3, bad destination
		// mailbox address syntax.
		return s.refuseAddr(to, &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Bad recipient address syntax: " + why})
	}
	if code, why := addrFault(to); why != "" {
		return s.refuseAddr(mailaddr.Quote(to), &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Bad recipient address syntax: " + why})
	}
	if why := localFault(to, s.c.current(StageRcpt)); why != "" {
		// As the client wrote it: unquoted (quoting it would make it a
		// good address, which it was not).
		return s.refuseAddr(to, &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Bad recipient address syntax: " + why})
	}
	if !s.utf8 && !isASCII(to) {
		return s.refuseAddr(mailaddr.Quote(to), errNeedsUTF8("recipient"))
	}
	quoted := mailaddr.Quote(to)
	requoted := quoted != to
	to = quoted
	sk := s.c.sink
	r := rcptState{addr: to, attempt: sk.state.nextPair(s.from, to)}
	switch {
	case d != nil:
		r.dsn = d.rcpt
	case !fromLine && opts != nil:
		r.dsn = rcptDSNOf(opts)
	}
	if r.dsn.Notify != nil || r.dsn.ORCPT != "" {
		s.c.notef('*', "DSN for "+to+": "+r.dsn.String())
	}
	if max := s.c.l.cfg.Limits.MaxRecipients; max > 0 && len(s.rcpts) >= max {
		// Here, not in go-smtp (which would refuse before Rcpt runs):
		// the refusal is this recipient's attempt, recorded and counted
		// like any other. Before the rules: a receiver counts first.
		s.lastAttempt, s.lastRcpt = r.attempt, to
		s.c.byNext = "limits.max_recipients"
		rep := tooManyRecipients(max)
		s.record(&r, StageRcpt, rep)
		return rep.smtpError()
	}
	var not []NotDirective
	if sk.directivesOn() {
		r.directives, not = parseLocalPart(to)
		s.seen = addSeen(s.seen, r.directives)
		not = slices.CompactFunc(not, func(a, b NotDirective) bool { return a == b })
		for _, n := range not {
			// A typo (rcpt550-4.7.1) would otherwise be accepted unseen.
			s.c.notef('*', n.Note())
			r.notes = append(r.notes, n)
		}
		for _, n := range shadowedIn(r.directives) {
			// As a typo: asked for, and never done.
			s.c.notef('*', n.Note())
			r.notes = append(r.notes, n)
		}
	}
	s.lastAttempt, s.lastRcpt = r.attempt, to
	in := s.input(StageRcpt, to)
	in.attempt = r.attempt
	b := sk.decide(in, r.directives)
	if b.usedUp.note() {
		// The normal reply, which a second run of the same test does not
		// expect: the reply and the record say why.
		n := b.usedUp
		s.c.notef('*', n.Note())
		r.notes = append(r.notes, n)
		s.c.byNext = b.Rule
	}
	if b.Greylist != nil {
		ok, upd := sk.state.greylist(s.c.client, s.from, to, s.c.clock.Now(), b.Greylist)
		if upd.key != "" {
			s.grey = append(s.grey, upd)
		}
		if !ok {
			rep := b.Greylist.Reply
			s.c.byNext = b.By
			s.record(&r, StageRcpt, rep)
			return rep.smtpError()
		}
		b.Greylist = nil
	}
	if err := s.apply(b); err != nil {
		s.record(&r, StageRcpt, s.outcome(StageRcpt, err))
		return err
	}
	// The 2xx goes out now, chosen by what apply noted (conn.chose).
	r.at, r.by, r.slot = s.c.clock.Now(), s.c.byNext, len(s.attempts)
	s.rcpts = append(s.rcpts, r)
	if (bare || requoted) && s.c.replaceNext == nil {
		// go-smtp's text would show the domain conn.Read added, or the
		// local part without the quotes it needs.
		s.c.replaceNext = acceptedAddr("2.1.5", "Recipient", to)
	}
	if len(r.notes) > 0 {
		// In the 250 itself too, where the client's log, the transcript
		// and the session's replies in the UI show it; the code stays.
		s.c.appendNext = nil
		for _, n := range r.notes {
			s.c.appendNext = append(s.c.appendNext, replyNote{text: n.Note()})
		}
	}
	return nil
}

// refuseAddr refuses the RCPT of addr, whose syntax (or non-ASCII text
// without SMTPUTF8) the sink does not take, with err, and records that as
// the attempt of (sender, addr), the address as the client wrote it: a
// test asking whether its application's bad address was refused finds
// it (relaylab expect, the attempts), as any other refused recipient. An
// address that is no text to store and show (a control character, an
// octet that is not UTF-8) is refused without an attempt; the reply and
// the transcript still name it.
//
// The reply is filed under addr too (conn.recordReply), not under the
// recipient of the RCPT before.
func (s *session) refuseAddr(addr string, err *smtp.SMTPError) error {
	s.lastAttempt, s.lastRcpt = 0, addr
	if mailaddr.ControlAt(addr) >= 0 || notUTF8(addr) >= 0 {
		s.lastRcpt = textsafe.Escape(addr)
		return err
	}
	r := rcptState{addr: addr, attempt: s.c.sink.state.nextPair(s.from, addr)}
	s.lastAttempt = r.attempt
	s.record(&r, StageRcpt, replyOf(err))
	return err
}

// tooManyRecipients is the reply to a RCPT over the listener's
// limits.max_recipients: RFC 5321 4.5.3.1.10 has 452 (not 552) for it,
// and RFC 3463 3.6 X.5.3, too many recipients. The client sends the
// others in another transaction.
func tooManyRecipients(max int) Reply {
	return Reply{Code: 452, Enhanced: "4.5.3", Text: fmt.Sprintf("Too many recipients: this listener takes at most %d per message; send the others in another transaction (RFC 5321 4.5.3.1.10)", max)}
}

// errConnectionCut ends a Data whose connection ended in the message; its
// reply is never sent (conn.cutTransfer).
var errConnectionCut = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "connection ended in the message"}

// notesIn lists the notes of rcpts, each naming its address, for the reply
// after the final dot, which is about all of them; nil when none has any.
func notesIn(rcpts []rcptState) []replyNote {
	var out []replyNote
	for _, r := range rcpts {
		for _, n := range r.notes {
			out = append(out, replyNote{text: n.NoteIn(r.addr), on: r.addr})
		}
	}
	return out
}

// noteTexts is the text of each note, nil for none.
func noteTexts(notes []replyNote) []string {
	var out []string
	for _, n := range notes {
		out = append(out, n.text)
	}
	return out
}

// hiddenParam refuses a MAIL parameter of an extension the listener hides,
// as a server without the extension does (RFC 5321 4.1.1.11).
func hiddenParam(param, ext string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: 555, EnhancedCode: smtp.EnhancedCode{5, 5, 4}, Message: "MAIL FROM parameter " + param + " not recognized: this listener does not offer " + ext + " (hidden in its hide list; RFC 5321 4.1.1.11)"}
}

// errNeedsUTF8 refuses a non-ASCII address in a transaction whose MAIL
// FROM did not declare SMTPUTF8 (RFC 6531 3.4: the client must; X.6.7).
func errNeedsUTF8(who string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 6, 7}, Message: "Non-ASCII " + who + " address not permitted without SMTPUTF8: declare it on MAIL FROM (RFC 6531)"}
}

// isASCII reports whether s has no octet above 127.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// outcome is the record of the attempts that end at stage with err: its
// reply, or, when the sink closed the connection without one (a drop, a
// hang), code 0 and why. go-smtp writes err's reply either way, to no one
// in the second case.
func (s *session) outcome(stage Stage, err error) Reply {
	if b := s.c.silenced; b != nil {
		return unanswered(stage, *b)
	}
	return replyOf(err)
}

func replyOf(err error) Reply {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		r := Reply{Code: se.Code, Text: se.Message}
		if se.EnhancedCode != smtp.NoEnhancedCode && se.EnhancedCode != smtp.EnhancedCodeNotSet {
			r.Enhanced = fmt.Sprintf("%d.%d.%d", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
			if strings.IndexByte(r.Text, '\n') >= 0 {
				// Reply.smtpError put the enhanced code in the text of
				// every line but the last.
				lines := strings.Split(r.Text, "\n")
				for i := range lines[:len(lines)-1] {
					lines[i] = strings.TrimPrefix(lines[i], r.Enhanced+" ")
				}
				r.Text = strings.Join(lines, "\n")
			}
		}
		return r
	}
	return Reply{Code: 554, Enhanced: "5.0.0", Text: err.Error()}
}

// dataBehavior is what to do at the DATA command, before 354.
func (s *session) dataBehavior() Behavior {
	sk := s.c.sink
	for i, r := range s.rcpts {
		in := s.input(StageData, r.addr)
		in.attempt = r.attempt
		b := sk.decide(in, r.directives)
		s.noteUsedUp(i, b.usedUp)
		if !b.isZero() {
			switch {
			case b.Drop || b.Hang:
				// Code 0, as for a drop after the dot: no reply was given.
				s.c.byNext = b.By
				s.recordOpen(StageData, unanswered(StageData, b))
			case b.Reply != nil && b.Reply.Code >= 400:
				s.c.byNext = b.By
				s.recordOpen(StageData, *b.Reply)
			}
			return b
		}
	}
	return Behavior{}
}

// noteUsedUp notes, when it is to be noted, that a directive of the
// i-th recipient is used up at the DATA stage or the final dot, where the
// sink then gives its normal reply: in the transcript now, and with the
// recipient's other notes in the 250 after the dot and in its attempt
// (as session.Rcpt does at RCPT). Else a second run of the same test is
// accepted with no word why.
func (s *session) noteUsedUp(i int, u usedUp) {
	if !u.note() {
		return
	}
	r := &s.rcpts[i]
	s.c.notef('*', u.NoteIn(r.addr))
	r.notes = append(r.notes, u)
}

func (s *session) Data(r io.Reader) error {
	if s.dataRefused {
		io.Copy(io.Discard, r)
		return nil
	}
	// go-smtp hands BDAT chunks (RFC 3030) through a pipe, and calls Data
	// in a goroutine of its own at the first chunk; DATA gets its reader.
	_, bdat := r.(*io.PipeReader)
	msg, err := readMessage(r, s.sizeHint, s.c.l.cfg.Limits.MaxMessageBytes)
	if tl, ok := errors.AsType[errTooLarge](err); ok {
		err = tl.reply(s.c.l).smtpError() // go-smtp wants its own type
	}
	if s.c.cut {
		// The connection ended in the message: conn.cutTransfer recorded
		// it, and no reply goes out. A BDAT chunk cut short reads as a
		// whole one here (go-smtp copies what came), hence the check.
		return errConnectionCut
	}
	if bdat && err != nil {
		// The transfer was aborted (RSET, a chunk over the size limit, a
		// closed connection) and go-smtp's own goroutine is answering and
		// resetting the session right now: touch nothing. conn.serverReply
		// records the reply it gives.
		return err
	}
	if bdat {
		// BDAT has no DATA command, so the data stage answers BDAT LAST
		// (the chunks come without waiting for a reply anyway). go-smtp's
		// goroutine waits for this one now, so the connection is ours.
		b := s.dataBehavior()
		if stop, err := s.c.before(b); stop {
			s.recordOpen(StageData, unanswered(StageData, *s.c.silenced))
			return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: err.Error()}
		}
		if b.Reply != nil && b.Reply.Code >= 400 {
			s.c.closeAfter = b.Reply.Code == 421
			return b.Reply.smtpError()
		}
	}
	if err != nil {
		if errors.Is(err, smtp.ErrTooLongLine) {
			// One reply, then close: go-smtp would otherwise answer the
			// DATA with 554 and the next read with a second reply. 500:
			// RFC 5321 4.2.2 files "line too long" under 500, and a
			// permanent reply makes the client bounce a message that
			// would fail again, where the 421 of RFC 5321 3.8 would have
			// it retried for days. It is go-smtp's reply to an overlong
			// command line too, so one fault has one reply (RFC 3463
			// has no code of its own for it). Closing is forced: go-smtp
			// fails every read after its line limit is passed.
			s.c.closeAfter = true
			// The text states the limit, as the reply to an overlong
			// command line does (conn.rfcReply).
			err = &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 4, 0}, Message: fmt.Sprintf("Line too long in the message: the limit is %d octets per line (RFC 5321 4.5.3.1.6); closing the connection", s.c.guard.limit)}
		}
		if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
			// One reply, and close, as go-smtp does for an idle command
			// line (RFC 5321 4.5.3.2.6), instead of its 554 "transaction
			// failed: i/o timeout" and then its 421 to the next read.
			s.c.closeAfter = true
			err = s.c.stallReply("the message").smtpError()
		}
		if se, ok := errors.AsType[*smtp.SMTPError](err); ok && se.Code == 552 && se.EnhancedCode == (smtp.EnhancedCode{5, 3, 4}) {
			s.c.byNext = sizeLimitBy // readMessage's tooLarge
		}
		// Open recipients only: a drop or hang at DATA (or BDAT LAST)
		// recorded them, and the read that failed after it is no reply.
		s.recordOpen(StageDataEnd, s.outcome(StageDataEnd, err))
		return err
	}
	if err := s.c.sink.deliver(s, msg); err != nil {
		s.recordOpen(StageDataEnd, s.outcome(StageDataEnd, err))
		return err
	}
	return nil
}

// AuthMechanisms lists PLAIN and LOGIN when AUTH is on (RFC 4954).
func (s *session) AuthMechanisms() []string {
	if !s.c.l.authOn {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	if !s.c.l.authOn {
		return nil, &smtp.SMTPError{Code: 502, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Command not implemented: this listener does not offer AUTH (auth mode off)"}
	}
	if s.c.l.hidden("AUTH") {
		return nil, &smtp.SMTPError{Code: 502, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Command not implemented: this listener does not offer AUTH (hidden in its hide list)"}
	}
	if s.authUser != "" {
		// RFC 4954 4: after a successful AUTH, any further AUTH gets 503.
		// The sink tracks this, not go-smtp (see authServer).
		return nil, &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Bad sequence of commands: already authenticated (RFC 4954 4)"}
	}
	if s.needHelo {
		return nil, &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Bad sequence of commands: send EHLO again after STARTTLS (RFC 3207 4.2)"}
	}
	if cmd := s.c.current(StageAuth); cmd != nil && cmd.authExtra {
		// go-smtp would take the first response and drop the rest.
		return nil, &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 2}, Message: "Syntax error: AUTH takes a mechanism and at most one initial response, as in AUTH PLAIN <base64> (RFC 4954 4)"}
	}
	if s.c.l.cfg.Auth.RequireTLS && s.c.tlsState == nil {
		// RFC 4954 4: a server must be able to refuse plaintext
		// mechanisms without TLS; 538 is RFC 4954 6's reply for it.
		return nil, &smtp.SMTPError{Code: 538, EnhancedCode: smtp.EnhancedCode{5, 7, 11}, Message: "Encryption required for requested authentication mechanism: send STARTTLS first (auth.require_tls; RFC 4954 4)"}
	}
	if s.inTxn {
		// RFC 4954 4: AUTH during a mail transaction MUST get 503; so the
		// identity of a transaction's attempts is the one at its MAIL.
		return nil, &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Bad sequence of commands: AUTH is not permitted during a mail transaction; finish it or send RSET first (RFC 4954 4)"}
	}
	if err := s.apply(s.c.sink.decide(s.input(StageAuth, ""), nil)); err != nil {
		return nil, err
	}
	check := func(user, pass string) error {
		if s.c.l.cfg.Auth.AcceptAny && user != "" {
			s.authUser = user
			s.c.notef('*', "authenticated as "+quoteName(user)+" (auth.accept_any: any user and password are taken)")
			return nil
		}
		want, ok := s.c.l.cfg.Auth.Users[user]
		if !ok || want != pass || user == "" {
			// Why, for who reads the transcript (the client gets the same
			// 535 either way, which tells an attacker nothing); never the
			// password.
			why := "the password is not the one auth.users gives user " + quoteName(user)
			switch {
			case user == "":
				why = "the user name is empty"
			case !ok:
				why = "auth.users has no user " + quoteName(user)
			}
			s.c.notef('*', "authentication failed: "+why)
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		s.authUser = user
		s.c.notef('*', "authenticated as "+user)
		return nil
	}
	switch strings.ToUpper(mech) {
	case sasl.Plain:
		return plainShape{authServer{sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				s.c.notef('*', "authentication failed: the authorization identity "+quoteName(identity)+" is not the user "+quoteName(user)+" (the sink lets a user act only as itself)")
				return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authorization identity must be the user"}
			}
			return check(user, pass)
		})}}, nil
	case sasl.Login:
		return authServer{saslogin.NewServer(check)}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// plainShape refuses a PLAIN response that is not authzid NUL authcid NUL
// passwd (RFC 4616 2) as the syntax error it is (501, RFC 4954 4), where
// go-sasl's error would reach the client as go-smtp's 454 4.7.0, a
// temporary failure that asks it to try the same again.
type plainShape struct{ sasl.Server }

func (p plainShape) Next(resp []byte) ([]byte, bool, error) {
	if resp != nil && bytes.Count(resp, []byte{0}) != 2 {
		return nil, true, &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 2}, Message: "Syntax error: a PLAIN response is authorization identity, NUL, user name, NUL, password (RFC 4616 2)"}
	}
	return p.Server.Next(resp)
}

// authServer hands go-smtp a successful end of the exchange as an error
// that carries the 235 reply, which go-smtp writes as it is. go-smtp then
// does not mark the connection as authenticated: its mark (v0.25.1: used
// only to refuse a second AUTH) is cleared only by its own STARTTLS, and
// the sink does STARTTLS in conn, below go-smtp. So the session alone
// knows who is authenticated, and conn.startTLS can make it forget (RFC
// 3207 4.2) and let the client AUTH again under TLS.
type authServer struct{ sasl.Server }

func (a authServer) Next(resp []byte) ([]byte, bool, error) {
	challenge, done, err := a.Server.Next(resp)
	if done && err == nil {
		// RFC 4954 6: 235 2.7.0.
		return nil, true, &smtp.SMTPError{Code: 235, EnhancedCode: smtp.EnhancedCode{2, 7, 0}, Message: "Authentication succeeded"}
	}
	return challenge, done, err
}

// quoteName is a user name a client sent, quoted and cut for a note.
func quoteName(name string) string { return strconv.Quote(textsafe.Cut(name, 64)) }
