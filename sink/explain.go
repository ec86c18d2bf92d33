package sink

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/mailaddr"
)

// Envelope is a session for Explain to imagine: who connects where, and
// what it sends.
type Envelope struct {
	Listener string     // a listener's name; "" for the first
	Client   netip.Addr // the client's address; the zero value is 127.0.0.1
	HELO     string     // the EHLO name; "" is client.test
	From     string     // the sender; "" (or "<>", as swaks and relaylab send write it) is the null sender
	To       []string   // the recipients, in RCPT order
	Attempt  int        // each (sender, recipient) pair's attempt number; 0 is 1
}

// Answer is what the sink does at one stage: a reply, or none.
type Answer struct {
	Reply *Reply   `json:"reply,omitempty"` // nil: no reply (a hang, a drop)
	Wire  []string `json:"wire,omitempty"`  // the reply's lines as they go out, without CRLF
	// By is what chose the reply, in the words of the transcript's
	// "* reply by" line; "" for the sink's normal reply.
	By string `json:"by,omitempty"`
	// Rule is what chose what the sink does here (a directive, a rule,
	// a profile's rule), also when the reply is the normal one (a delay,
	// a bounce); "" when nothing did.
	Rule   string `json:"rule,omitempty"`
	Delay  string `json:"delay,omitempty"`  // waits this long first
	Tarpit string `json:"tarpit,omitempty"` // sends the reply one byte per this long
	Hang   bool   `json:"hang,omitempty"`   // never replies
	Drop   bool   `json:"drop,omitempty"`   // closes the connection without a reply
	Closes bool   `json:"closes,omitempty"` // a 421: closes the connection after the reply
	// Bounces are the DSNs sent later to the sender (bounce directives
	// and rules), after the 250.
	Bounces []ExplainedBounce `json:"bounces,omitempty"`
}

// ExplainedBounce is an asynchronous bounce an Answer leads to.
type ExplainedBounce struct {
	After string   `json:"after"`
	Reply Reply    `json:"reply"`         // the failure the DSN reports
	For   []string `json:"for,omitempty"` // the recipients it is about
	By    string   `json:"by,omitempty"`
}

// Chance is an Answer given with a probability, drawn for each attempt
// from the sink's seed; Explain does not draw.
type Chance struct {
	Probability float64 `json:"probability"`
	Answer
}

// Step is the sink's answer at one stage of an Envelope: the chances met
// first, in the order the sink tries them, then the answer otherwise.
type Step struct {
	Stage     Stage  `json:"stage"`
	Command   string `json:"command"`
	Recipient string `json:"recipient,omitempty"`
	// Profile says which provider profile answers for the recipient's
	// domain, and why (its rules may not match this recipient).
	Profile string   `json:"profile,omitempty"`
	Chances []Chance `json:"chances,omitempty"`
	Answer
	// Notes are the transcript's other "*" lines at this stage (a piece
	// that is no directive, a directive used up or that never acts, a
	// delay).
	Notes []string `json:"notes,omitempty"`
	// History says what the answer depends on that Explain cannot know:
	// the attempt number counted across sessions, the greylist, the
	// message's content.
	History []string `json:"history,omitempty"`
	// Ends says why the session, or the transaction, goes no further.
	Ends string `json:"ends,omitempty"`
}

// Explain says what a sink with cfg would answer to env at each stage
// (connect, ehlo, mail, each rcpt, data, data-end; rset and quit when a
// rule or directive answers there), and what chose each reply. It asks the
// sink's own decision (Sink.decide), with an input made from env, and
// draws for no probability: a rule or directive "with probability p" is a
// Chance, and the answer after it is what the sink gives otherwise. Its
// errors are cfg's (config.FieldError) and env's.
func Explain(cfg Config, env Envelope) ([]Step, error) {
	if err := cfg.Validate("sink"); err != nil {
		return nil, err
	}
	s := &Sink{cfg: cfg}
	if err := s.load(cfg); err != nil {
		return nil, err
	}
	l, err := explainListener(cfg, env.Listener)
	if err != nil {
		return nil, err
	}
	if !env.Client.IsValid() {
		env.Client = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	env.Client = env.Client.Unmap()
	if env.HELO == "" {
		env.HELO = "client.test"
	}
	if env.Attempt == 0 {
		env.Attempt = 1
	}
	if env.Attempt < 0 {
		return nil, fmt.Errorf("attempt %d: attempts count from 1", env.Attempt)
	}
	if why := heloFault(env.HELO, false); why != "" {
		return nil, fmt.Errorf("EHLO name %q: the sink would answer 501: %s", env.HELO, why)
	}
	from, err := explainAddr("sender", env.From)
	if err != nil {
		return nil, err
	}
	e := &explainer{s: s, l: l, env: env, from: from}
	return e.run()
}

// explainListener is the listener named name, or the first.
func explainListener(cfg Config, name string) (ListenerConfig, error) {
	if name == "" && len(cfg.Listeners) > 0 {
		return cfg.Listeners[0], nil
	}
	for _, l := range cfg.Listeners {
		if l.Name == name {
			return l, nil
		}
	}
	return ListenerConfig{}, errors.New(unknownListener(name, cfg.Listeners, ""))
}

// explainAddr refuses an address the sink would refuse at MAIL or RCPT
// (session.Mail, session.Rcpt, and go-smtp's parse before them), read as
// a client writes it between the angle brackets, and quotes it as the
// sink records it.
func explainAddr(who, addr string) (string, error) {
	if who == "sender" && (addr == "" || addr == "<>") {
		// "<>" is the null reverse-path as MAIL FROM:<> writes it
		// (RFC 5321 4.1.1.2), brackets and all.
		return "", nil
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		if who == "recipient" && strings.EqualFold(addr, "postmaster") {
			return addr, nil // RFC 5321 4.1.1.3
		}
		return "", fmt.Errorf("%s %q: the sink would answer 501 5.5.2: an address is local-part@domain (only RCPT TO:<Postmaster> may go without a domain)", who, addr)
	}
	enhanced := "5.1.7"
	if who == "recipient" {
		enhanced = "5.1.3"
	}
	if local := addr[:at]; len(local) >= 2 && local[0] == '"' && local[len(local)-1] == '"' {
		// Quoted: go-smtp takes the quotes and escapes off (localFault).
		inner := unescapeQuoted(local[1 : len(local)-1])
		if inner == "" {
			return "", fmt.Errorf("%s %q: the sink would answer 553 %s: the local part is empty (\"\" before the @)", who, addr, enhanced)
		}
		addr = inner + addr[at:]
	} else if fault := mailaddr.DotStringFault(local); fault != "" {
		return "", fmt.Errorf("%s %q: the sink would answer 553 %s: the local part %q %s: RFC 5321 4.1.2 allows that only within double quotes, as in %s",
			who, addr, enhanced, local, fault, mailaddr.Quote(addr))
	}
	if why := mailaddr.Fault(addr); why != "" {
		return "", fmt.Errorf("%s %q: the sink would answer 553: %s", who, addr, why)
	}
	if code, why := addrFault(addr); why != "" {
		return "", fmt.Errorf("%s %q: the sink would answer %d: %s", who, addr, code, why)
	}
	return mailaddr.Quote(addr), nil
}

// unescapeQuoted is the value of a quoted string's content: each
// backslash quotes the character after it (RFC 5321 4.1.2 quoted-pairSMTP).
func unescapeQuoted(q string) string {
	if !strings.Contains(q, `\`) {
		return q
	}
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		if q[i] == '\\' && i+1 < len(q) {
			i++
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// explainer walks one Envelope through the stages.
type explainer struct {
	s    *Sink
	l    ListenerConfig
	env  Envelope
	from string
}

func (e *explainer) input(stage Stage, rcpt string) *input {
	return &input{stage: stage, listener: e.l.Name, client: e.env.Client, helo: e.env.HELO, sender: e.from, rcpt: rcpt,
		attempt: e.env.Attempt, msgAttempt: e.env.Attempt}
}

// decide is Sink.decide at in, noting each chance it meets.
func (e *explainer) decide(in *input, ds []Directive, normal Reply, st *Step) Behavior {
	in.maybe = func(p float64, b Behavior) {
		st.Chances = append(st.Chances, Chance{Probability: p, Answer: answerOf(b, normal)})
	}
	return e.s.decide(in, ds)
}

func (e *explainer) run() ([]Step, error) {
	var out []Step
	add := func(st Step) bool {
		out = append(out, st)
		return st.Ends == "" && !st.Hang && !st.Drop && !st.Closes
	}
	host := e.l.Hostname
	greeting := e.l.Greeting
	if greeting == "" {
		greeting = "relaylab sink ready"
	}
	if !add(e.connect(host, greeting)) {
		return out, nil
	}
	if !add(e.ehlo(host)) {
		return out, nil
	}
	if !add(e.mail()) {
		return out, nil
	}
	var accepted []rcptState
	var seen []Directive
	for _, to := range e.env.To {
		st, r, ok, err := e.rcpt(to)
		if err != nil {
			return nil, err
		}
		seen = append(seen, r.directives...)
		if ok {
			accepted = append(accepted, r)
		}
		if !add(st) {
			return out, nil
		}
	}
	if len(accepted) == 0 {
		if len(out) > 0 {
			out[len(out)-1].Ends = "no recipient is accepted, so no message follows"
		}
		return append(out, e.extra(StageQuit, "QUIT", seen)...), nil
	}
	if !add(e.data(accepted)) {
		return out, nil
	}
	if !add(e.dataEnd(accepted)) {
		return out, nil
	}
	out = append(out, e.extra(StageRset, "RSET", seen)...)
	return append(out, e.extra(StageQuit, "QUIT", seen)...), nil
}

func (e *explainer) connect(host, greeting string) Step {
	st := Step{Stage: StageConnect, Command: "(connect from " + e.env.Client.String() + " to listener " + e.l.Name + ")"}
	normal := Reply{Code: 220, Text: host + " ESMTP " + greeting}
	in := e.input(StageConnect, "")
	in.helo, in.sender = "", "" // nothing said yet
	b := e.decide(in, nil, normal, &st)
	st.Answer = answerOf(b, normal)
	if p := e.l.Pregreet; p != nil {
		st.History = append(st.History, "pregreet: the greeting waits "+cmp.Or(p.Wait.D(), defaultPregreetWait).String()+", and a client that speaks before it gets the pregreet reply instead")
	}
	switch r := st.Reply; {
	case r == nil || r.Code == 220:
	case r.Code == 521 || r.Code/100 == 4:
		st.Closes = true // RFC 7504, RFC 5321 3.8: closed after the greeting
	default:
		st.Ends = "the greeting refuses the connection: every command but QUIT gets 503 5.5.1 (RFC 5321 3.1)"
	}
	return st
}

func (e *explainer) ehlo(host string) Step {
	st := Step{Stage: StageEHLO, Command: "EHLO " + e.env.HELO}
	normal := Reply{Code: 250, Text: host + " Hello " + e.env.HELO}
	in := e.input(StageEHLO, "")
	in.sender = "" // no MAIL yet
	b := e.decide(in, nil, normal, &st)
	if b.Reply != nil && b.Reply.Code < 300 {
		b.Reply, b.By = nil, "" // the 250 to EHLO is the sink's own (greetAgain)
	}
	st.Answer = answerOf(b, normal)
	if st.Reply != nil && st.Reply.Code >= 400 && !st.Closes {
		st.Ends = "EHLO is refused: MAIL needs an accepted EHLO or HELO first"
	}
	return st
}

func (e *explainer) mail() Step {
	st := Step{Stage: StageMail, Command: "MAIL FROM:<" + e.from + ">"}
	normal := *acceptedAddr("2.1.0", "Sender", e.from)
	b := e.decide(e.input(StageMail, ""), nil, normal, &st)
	st.Answer = answerOf(b, normal)
	if e.l.Auth.Mode == "required" {
		st.History = append(st.History, "auth.mode is required on listener "+e.l.Name+": a MAIL before a successful AUTH gets 530 5.7.0 instead")
	}
	if e.l.Limits.Rate.PerSecond > 0 {
		st.History = append(st.History, "limits.rate: a MAIL over the listener's rate from this client gets the rate reply instead")
	}
	e.history(&st, StageMail, "")
	if st.Reply != nil && st.Reply.Code >= 400 && !st.Closes {
		st.Ends = "MAIL is refused: no transaction"
	}
	return st
}

// rcpt is session.Rcpt's decision for to; ok says the recipient is
// accepted (in the transaction).
func (e *explainer) rcpt(to string) (Step, rcptState, bool, error) {
	addr, err := explainAddr("recipient", to)
	if err != nil {
		return Step{}, rcptState{}, false, err
	}
	r := rcptState{addr: addr, attempt: e.env.Attempt}
	st := Step{Stage: StageRcpt, Command: "RCPT TO:<" + addr + ">", Recipient: addr}
	if e.s.directivesOn() {
		var not []NotDirective
		r.directives, not = parseLocalPart(addr)
		for _, n := range not {
			st.Notes = append(st.Notes, n.Note())
			r.notes = append(r.notes, n)
		}
		for _, n := range shadowedIn(r.directives) {
			st.Notes = append(st.Notes, n.Note())
			r.notes = append(r.notes, n)
		}
	}
	st.Profile = e.profileOf(addr)
	normal := *acceptedAddr("2.1.5", "Recipient", addr)
	b := e.decide(e.input(StageRcpt, addr), r.directives, normal, &st)
	usedUp := b.usedUp.note()
	if usedUp {
		st.Notes = append(st.Notes, b.usedUp.Note())
		r.notes = append(r.notes, b.usedUp)
	}
	if g := b.Greylist; g != nil {
		st.History = append(st.History, fmt.Sprintf("greylisting (%s): the (client, sender, recipient) triple gets \"%s\" on its first attempt and on a retry within %s of it; "+
			"a retry %s to %s after the first is let through, and so is the triple for %s after each delivery (the sink's greylist, kept in its store)",
			b.Rule, g.Reply.String(), config.FormatDuration(g.MinDelay), config.FormatDuration(g.MinDelay), config.FormatDuration(g.Expiry), config.FormatDuration(g.KeepPassed)))
		if e.env.Attempt <= 1 {
			st.Answer = answerOf(Behavior{Reply: &g.Reply, By: b.By}, normal)
			e.history(&st, StageRcpt, addr)
			return st, r, false, nil
		}
		st.History = append(st.History, "attempt "+strconv.Itoa(e.env.Attempt)+" (--attempt) is shown as a retry that passes")
		b.Greylist = nil
	}
	st.Answer = answerOf(b, normal)
	if usedUp {
		st.By = b.Rule // as session.Rcpt names it
	}
	if st.Reply != nil && st.Reply.Code/100 == 2 && len(r.notes) > 0 {
		// session.Rcpt: the notes go in the 2xx too.
		var notes []replyNote
		for _, n := range r.notes {
			notes = append(notes, replyNote{text: n.Note()})
		}
		st.Wire = splitWire(withNotes(st.Reply.wire(), notes))
	}
	e.history(&st, StageRcpt, addr)
	return st, r, st.Reply != nil && st.Reply.Code/100 == 2, nil
}

// profileOf says which profile answers for rcpt's domain, and why: the
// order of profileSet.lookup.
func (e *explainer) profileOf(rcpt string) string {
	dom := domainOf(rcpt)
	p, m := e.s.profiles.Load().lookup(dom)
	switch {
	case p == nil:
		return ""
	case m.mapped:
		return fmt.Sprintf("profile %s answers for %s: sink.profiles maps %q to it", p.name, dom, m.pattern)
	}
	where := "built in"
	if p.in != "" {
		where = strings.TrimSuffix(strings.TrimPrefix(p.in, "in "), ", ")
	}
	return fmt.Sprintf("profile %s (%s) answers for %s: its domains: list %q", p.name, where, dom, m.pattern)
}

// first is what session.dataBehavior and Sink.deliver do: the first
// recipient for which something applies decides.
func (e *explainer) first(stage Stage, rcpts []rcptState, normal Reply, st *Step) (Behavior, int) {
	for i, r := range rcpts {
		b := e.decide(e.input(stage, r.addr), r.directives, normal, st)
		if !b.isZero() {
			return b, i
		}
		if b.usedUp.note() {
			// session.noteUsedUp: noted, and in the 250 after the dot.
			st.Notes = addOnce(st.Notes, b.usedUp.NoteIn(r.addr))
			rcpts[i].notes = append(rcpts[i].notes, b.usedUp)
		}
	}
	return Behavior{}, 0
}

func (e *explainer) data(rcpts []rcptState) Step {
	st := Step{Stage: StageData, Command: "DATA"}
	normal := goAhead(len(rcpts))
	b, _ := e.first(StageData, rcpts, normal, &st)
	st.Answer = answerOf(b, normal)
	for _, r := range rcpts {
		e.history(&st, StageData, r.addr)
	}
	if st.Reply != nil && st.Reply.Code != 354 && !st.Closes {
		st.Ends = "DATA gets no go-ahead: no message follows"
	}
	return st
}

func (e *explainer) dataEnd(rcpts []rcptState) Step {
	st := Step{Stage: StageDataEnd, Command: "(the message and its final dot)"}
	normal := Reply{Code: 250, Enhanced: "2.0.0", Text: "Message accepted as N"}
	b, first := e.first(StageDataEnd, rcpts, normal, &st)
	st.Answer = answerOf(b, normal)
	if st.Bounces != nil {
		// Sink.deliver: each recipient whose own decision asks for a
		// bounce gets one; the others are delivered.
		st.Bounces = nil
		decideFor := func(r rcptState) Behavior { return e.s.decide(e.input(StageDataEnd, r.addr), r.directives) }
		for _, g := range bounceGroups(rcpts[first:], b, decideFor) {
			var to []string
			for _, r := range g.rcpts {
				to = append(to, r.addr)
			}
			st.Bounces = append(st.Bounces, ExplainedBounce{After: config.FormatDuration(g.bounce.After), Reply: g.bounce.Reply, For: to, By: decideFor(g.rcpts[0]).By})
		}
	}
	if st.Reply != nil && st.Reply.Code/100 == 2 {
		// Sink.deliver: each recipient's notes, naming its address.
		var notes []replyNote
		for _, r := range rcpts {
			for _, n := range r.notes {
				notes = append(notes, replyNote{text: n.NoteIn(r.addr), on: r.addr})
			}
		}
		if notes != nil {
			st.Wire = splitWire(withNotes(st.Reply.wire(), notes))
		}
	}
	for _, r := range rcpts {
		e.history(&st, StageDataEnd, r.addr)
	}
	if e.from == "" {
		noBounces(&st)
	}
	return st
}

// noBounces turns the bounces of st, for a message with the null sender,
// into notes saying that none is sent: the bouncer sends no DSN to a null
// reverse-path (bouncer.send; RFC 5321 4.5.5), so promising one would
// have a test wait for a DSN that never comes.
func noBounces(st *Step) {
	note := func(b ExplainedBounce, chance string) string {
		about := ""
		if len(b.For) > 0 {
			about = " for <" + strings.Join(b.For, ">, <") + ">"
		}
		by := ""
		if b.By != "" {
			by = " (" + b.By + ")"
		}
		return fmt.Sprintf("%sno bounce%s%s: the sender is null (MAIL FROM:<>), and no DSN goes to a null reverse-path (RFC 5321 4.5.5), so the DSN that would report %q after %s is not sent; give a sender (--from) to see it",
			chance, about, by, b.Reply.String(), b.After)
	}
	for i := range st.Chances {
		c := &st.Chances[i]
		for _, b := range c.Bounces {
			st.Notes = addOnce(st.Notes, note(b, fmt.Sprintf("with probability %g: ", c.Probability)))
		}
		c.Bounces = nil
	}
	for _, b := range st.Bounces {
		st.Notes = addOnce(st.Notes, note(b, ""))
	}
	st.Bounces = nil
}

// extra is the step of stage (rset, quit) when a rule or a directive of
// the session's recipients answers there; none otherwise.
func (e *explainer) extra(stage Stage, cmd string, seen []Directive) []Step {
	st := Step{Stage: stage, Command: cmd + " (if the client sends it)"}
	normal := Reply{Code: 221, Enhanced: "2.0.0", Text: "Bye"}
	if stage == StageRset {
		normal = replyRset
	}
	b := e.decide(e.input(stage, ""), seen, normal, &st)
	if b.isZero() && st.Chances == nil {
		return nil
	}
	st.Answer = answerOf(b, normal)
	return []Step{st}
}

// history adds to st what its answer for rcpt depends on beyond the
// Envelope: directives and rules that count attempts, and rules that look
// at the message or its authentication, which Explain has not.
func (e *explainer) history(st *Step, stage Stage, rcpt string) {
	if rcpt != "" && e.s.directivesOn() {
		ds, _ := parseLocalPart(rcpt)
		for _, d := range ds {
			if d.Stage == stage && d.Times > 0 {
				st.History = addOnce(st.History, fmt.Sprintf("directive %q acts on %s of this sender and recipient, counted across sessions and restarts (relaylab sink reset starts it over); this is attempt %d (--attempt)", d.Text, attemptsUpTo(d.Times), e.env.Attempt))
			}
		}
	}
	try := func(key string, i int, r *rule, owner string) {
		if r.stage != stage && !(owner != "" && stage == StageRcpt && r.stage == StageMail) {
			return
		}
		name := ruleOrigin(key, i, r.src.Name)
		if owner != "" {
			name = owner + ", " + name
		}
		if r.content != nil || r.dmarc != "" || r.spf != nil || r.dkim != nil {
			st.History = addOnce(st.History, name+" was not tried: it looks at the message or at its SPF, DKIM or DMARC result, which explain does not have")
			return
		}
		if r.attLo == 0 {
			return
		}
		in := e.input(r.stage, rcpt)
		in.attempt, in.msgAttempt = r.attLo, r.attLo
		if !r.matches(in) {
			return
		}
		per := "of each sender and recipient"
		if r.perMessage {
			per = "of each Message-ID"
		}
		st.History = addOnce(st.History, fmt.Sprintf("%s answers on attempts %s %s, counted across sessions and restarts; this is attempt %d (--attempt)", name, r.src.Attempt, per, e.env.Attempt))
	}
	for i, r := range *e.s.rules.Load() {
		try("sink.rules", i, r, "")
	}
	if rcpt == "" {
		return
	}
	dom := domainOf(rcpt)
	if p := e.s.profiles.Load().forDomain(dom); p != nil {
		for i, r := range p.rules {
			try("rules", i, r, "profile "+p.name+" ("+p.in+"domain "+dom+")")
		}
	}
}

// answerOf is what b does at a stage whose normal reply is normal, as
// session.apply and conn carry it out.
func answerOf(b Behavior, normal Reply) Answer {
	a := Answer{Rule: b.By}
	if b.Delay > 0 {
		a.Delay = config.FormatDuration(b.Delay)
	}
	if b.Hang || b.Drop {
		a.Hang, a.Drop = b.Hang, b.Drop
		return a
	}
	if b.Tarpit > 0 {
		a.Tarpit = config.FormatDuration(b.Tarpit)
	}
	rep := normal
	if b.Reply != nil {
		rep, a.By = *b.Reply, b.By
		if b.Matched != "" {
			a.By += " (matched " + b.Matched + ")"
		}
		if rep.Code/100 == 2 && rep.Text == "" {
			rep.Text = normal.Text
		}
	}
	if b.Bounce != nil && rep.Code == 250 {
		a.Bounces = []ExplainedBounce{{After: config.FormatDuration(b.Bounce.After), Reply: b.Bounce.Reply, By: b.By}}
	}
	a.Reply = &rep
	a.Wire = splitWire(rep.wire())
	a.Closes = rep.Code == 421
	return a
}

func splitWire(w []byte) []string {
	return strings.Split(strings.TrimRight(string(w), "\r\n"), "\r\n")
}

// addOnce adds line to list unless it is there already (a rule noted for
// each recipient of the transaction).
func addOnce(list []string, line string) []string {
	if slices.Contains(list, line) {
		return list
	}
	return append(list, line)
}
