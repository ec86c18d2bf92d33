package sink

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/textsafe"
)

// Directive is one behaviour asked for in a recipient's local part, such as
// "rcpt550" in rcpt550+alice@example.com. See DIRECTIVES.md.
type Directive struct {
	Text     string // the segment as written, lower-cased
	Stage    Stage
	Behavior Behavior
	Times    int     // apply on attempts 1..Times, then accept; 0: always
	Prob     float64 // 0: always
}

// directiveRE is one '+'-separated segment of a local part:
// [stage] verb [xTIMES] [pPERCENT]. A stage may be followed by '-' or '_'
// (rcpt-550, dot_552), and data-end is written as the rules write it too
// (data-end552, data_end552, dataend552).
var directiveRE = regexp.MustCompile(`^(?:(rcpt|data[-_]?end|dot|data|rset|quit)[-_]?)?` +
	`(?:(\d{3})(?:[-_]([245]\.\d{1,3}\.\d{1,3}))?` + // 2: code, 3: enhanced
	`|(defer)(\d{1,4})?` + // 4, 5
	`|(delay|tarpit|greylist|bounce)(\d{1,6}(?:ms|s|m|h|d))?` + // 6, 7
	`|(hang|drop|accept|ok|unknown|full))` + // 8
	`(?:x(\d{1,4}))?(?:p(\d{1,3}))?$`) // 9: times, 10: percent

// NotDirective is a piece of a local part that reads like a directive
// but is out of range (a code of 999, an enhanced code of the other
// class, a delay over 30 days) or misspelled (greylist5min, defer2x,
// rcpt55O: nearMiss): it is taken as a plain name, and Note says why, so
// that a typo does not pass unseen.
type NotDirective struct {
	Text string // the segment as written
	Why  string
}

// Note is the line the sink puts in the transcript and in the RCPT reply.
// Why has no "; " in it, so that a reader can find the whole note in a
// reply that has others after it (reports does, for verdicts).
func (n NotDirective) Note() string {
	return fmt.Sprintf("%q is not a directive: %s; taken as a plain name", n.Text, n.Why)
}

// NoteIn is Note naming the address the piece is in, for a reply about
// several recipients (the one after the final dot).
func (n NotDirective) NoteIn(addr string) string {
	return fmt.Sprintf("%q in <%s> is not a directive: %s; taken as a plain name", n.Text, addr, n.Why)
}

// rcptNote is a note about a recipient, for its 2xx replies, its
// attempt's record and the transcript.
type rcptNote interface {
	// Note is the note for a reply about this recipient alone.
	Note() string
	// NoteIn names the address, for a reply about several (the one
	// after the final dot).
	NoteIn(addr string) string
}

var (
	_ rcptNote = NotDirective{}
	_ rcptNote = usedUp{}
	_ rcptNote = shadowed{}
)

// shadowed is a directive that never acts: one before it in the address,
// for the same stage, acts on every attempt (it has neither xN nor pP),
// and of several directives for one stage the first that acts applies
// (Sink.choose). A directive used up (xN) or drawn out (pP) lets the next
// one act, so "defer+rcpt550" is 451, then 550; "rcpt550+defer" is 550
// for ever, and the defer is shadowed.
type shadowed struct {
	text, by string // the directive, and the one before it that always acts
	stage    Stage
}

// Note has no "; " in it, as NotDirective's.
func (n shadowed) Note() string {
	return fmt.Sprintf("directive %q never acts: %s", n.text, n.why())
}

// NoteIn is Note naming the address the directive is in.
func (n shadowed) NoteIn(addr string) string {
	return fmt.Sprintf("directive %q in <%s> never acts: %s", n.text, addr, n.why())
}

func (n shadowed) why() string {
	return fmt.Sprintf("%q comes before it for stage %s and acts on every attempt (of several directives for one stage, the first that acts applies: give the first an xN or a pP to let the next act after it or instead)", n.by, n.stage)
}

// shadowedIn lists the directives of ds that never act (shadowed), each
// once. A repeat of a directive (rcpt550+rcpt550) is no other behaviour,
// and is not listed.
func shadowedIn(ds []Directive) []shadowed {
	var out []shadowed
	for i, d := range ds {
		for _, e := range ds[:i] {
			if e.Stage == d.Stage && e.Text != d.Text && e.Times == 0 && (e.Prob <= 0 || e.Prob >= 1) {
				out = append(out, shadowed{text: d.Text, by: e.Text, stage: d.Stage})
				break
			}
		}
	}
	return out
}

// usedUp is a directive with xN (or deferN) met on an attempt past N: it
// no longer acts, and the sink gives its normal reply. That is what
// "defer2" is for on attempt 3; on a later one it is a surprise to whoever
// runs the same test again (the count goes on across sessions and
// restarts), so the reply then says why (note).
type usedUp struct {
	text           string // the directive as written
	times, attempt int
}

// note reports whether the reply on this attempt carries u's note: past
// the first attempt the directive let through.
func (u usedUp) note() bool { return u.times > 0 && u.attempt > u.times+1 }

// Note has no "; " in it, as NotDirective's.
func (u usedUp) Note() string { return fmt.Sprintf("directive %q %s", u.text, u.why()) }

// NoteIn is Note naming the address the directive is in.
func (u usedUp) NoteIn(addr string) string {
	return fmt.Sprintf("directive %q in <%s> %s", u.text, addr, u.why())
}

func (u usedUp) why() string {
	return fmt.Sprintf("is used up: it acts on %s of this sender and recipient, and this is attempt %d (the count goes on across sessions and restarts: relaylab sink reset starts it over)", attemptsUpTo(u.times), u.attempt)
}

// attemptsUpTo names the attempts of a directive with xN: "attempt 1",
// "attempts 1 to 3".
func attemptsUpTo(n int) string {
	if n == 1 {
		return "attempt 1"
	}
	return fmt.Sprintf("attempts 1 to %d", n)
}

// ParseDirectives reads the directives in the local part of addr. Segments
// (split on '+') that are not directives are names and are ignored, so
// "alice+rcpt550" and "rcpt550+alice" ask for the same thing. It never
// fails: an address without directives gets the sink's normal behaviour.
func ParseDirectives(addr string) []Directive {
	ds, _ := parseLocalPart(addr)
	return ds
}

// maxDirectiveLocal is the longest local part whose directives are read;
// RFC 5321 4.5.3.1.1 has 64 octets for a local part, so it is ample.
const maxDirectiveLocal = 256

// parseLocalPart is ParseDirectives, also returning the segments that look
// like directives but are not, or, for a local part too long to read,
// why none were read.
func parseLocalPart(addr string) ([]Directive, []NotDirective) {
	local := addr
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		local = addr[:i]
	}
	local = unquoteLocal(local)
	if len(local) > maxDirectiveLocal {
		// Not read (a bound on the work per RCPT), but not unseen either.
		return nil, []NotDirective{{Text: textsafe.Cut(local, 24), Why: fmt.Sprintf("the local part is %d octets, over the %d in which the sink reads directives", len(local), maxDirectiveLocal)}}
	}
	var out []Directive
	var not []NotDirective
	for _, piece := range strings.Split(local, "+") {
		seg := strings.ToLower(piece) // a copy only when piece has upper case
		d, why := parseDirective(seg)
		if d.Text == "" && why == "" {
			why = nearMiss(seg)
		}
		switch {
		case why != "":
			// The note quotes the piece as written: lower-cased, the O
			// of rcpt55O would hide the letter typed for a digit.
			not = append(not, NotDirective{Text: piece, Why: why})
		case d.Text != "":
			out = append(out, d)
		}
	}
	return out, not
}

// unquoteLocal is the value of a quoted local part ("a+b\\"c" is
// a+b"c, RFC 5321 4.1.2), the local part as it is otherwise: directives
// are read from the value, so that the quotes the sink puts back for the
// record do not stick to the first and last segments.
func unquoteLocal(local string) string {
	if len(local) < 2 || local[0] != '"' || local[len(local)-1] != '"' {
		return local
	}
	var b strings.Builder
	for i := 1; i < len(local)-1; i++ {
		if local[i] == '\\' && i+1 < len(local)-1 {
			i++
		}
		b.WriteByte(local[i])
	}
	return b.String()
}

// parseDirective reads one segment. A segment that is not shaped like a
// directive gives a zero Directive and no reason; one shaped like a
// directive but out of range gives the reason it is not one.
func parseDirective(seg string) (Directive, string) {
	switch seg {
	case "dropafterdot":
		seg = "dotdrop"
	case "hangafterdot":
		seg = "dothang"
	}
	m := directiveRE.FindStringSubmatch(seg)
	if m == nil {
		return Directive{}, ""
	}
	d := Directive{Text: seg, Stage: StageRcpt}
	if m[1] != "" {
		d.Stage, _ = parseStage(m[1])
	}
	b := &d.Behavior
	b.Rule = "directive " + seg
	switch {
	case m[2] != "":
		code, _ := strconv.Atoi(m[2])
		if code < 200 || code > 599 {
			return Directive{}, "reply code " + m[2] + " is not between 200 and 599"
		}
		if why := directiveMisfit(code, d.Stage); why != "" {
			return Directive{}, why
		}
		enh := m[3]
		if enh == "" {
			enh = defaultEnhanced(code, d.Stage)
		} else if enh[0] != m[2][0] {
			// RFC 3463 3: the class of the enhanced code is that of the reply.
			return Directive{}, fmt.Sprintf("enhanced code class %c does not match reply %s", enh[0], m[2])
		}
		b.Reply = &Reply{Code: code, Enhanced: enh, Text: directiveText(code, enh)}
	case m[4] != "":
		d.Times = 1
		if m[5] != "" {
			// defer0 would defer for ever; x0 is refused the same way.
			if d.Times, _ = strconv.Atoi(m[5]); d.Times == 0 {
				return Directive{}, "defer0 would defer for ever (write defer1 or more)"
			}
		}
		b.Reply = &Reply{Code: 451, Enhanced: "4.7.1", Text: "Deferred on request: try again later"}
	case m[6] != "":
		// A duration written out is taken as it is; without one, each
		// action has its default. A delay or tarpit of 0 would do nothing,
		// so delay0s is not a directive (rather than the default 30 s).
		dur := func(def time.Duration) time.Duration { return def }
		if m[7] != "" {
			v, ok := parseShortDuration(m[7])
			if !ok {
				return Directive{}, "duration " + m[7] + " is over the 30-day limit"
			}
			if v == 0 && (m[6] == "delay" || m[6] == "tarpit") {
				return Directive{}, "a " + m[6] + " of 0 does nothing"
			}
			dur = func(time.Duration) time.Duration { return v }
		}
		switch m[6] {
		case "delay":
			b.Delay = dur(30 * time.Second)
		case "tarpit":
			b.Tarpit = dur(time.Second)
		case "greylist":
			if d.Stage != StageRcpt {
				return Directive{}, "greylisting is done at rcpt only, not at " + m[1]
			}
			b.Greylist = &Greylist{MinDelay: dur(5 * time.Minute), Reply: defaultGreyReply()}
			b.Greylist.Expiry = max(4*time.Hour, 2*b.Greylist.MinDelay)
			b.Greylist.KeepPassed = defaultKeepPassed
		case "bounce":
			if m[1] != "" && d.Stage != StageDataEnd {
				return Directive{}, "a bounce follows the final dot, not " + m[1]
			}
			d.Stage = StageDataEnd
			b.Bounce = &Bounce{After: dur(time.Minute), Reply: defaultBounceReply()}
		}
	case m[8] != "":
		switch m[8] {
		case "hang":
			b.Hang = true
		case "drop":
			b.Drop = true
		case "accept", "ok":
			b.Reply = &Reply{Code: 250, Enhanced: defaultEnhanced(250, d.Stage), Text: "Accepted on request"}
			if d.Stage == StageData {
				b.Reply.Code, b.Reply.Enhanced, b.Reply.Text = 354, "", "Go ahead (asked for by a directive): send the message, then end it with a line of a single dot: <CR><LF>.<CR><LF> (RFC 5321 4.1.1.4)"
			}
		case "unknown":
			b.Reply = &Reply{Code: 550, Enhanced: "5.1.1", Text: "No such user here"}
		case "full":
			// RFC 3463 3.3 X.2.2, mailbox full; 452 as Gmail's over quota.
			b.Reply = &Reply{Code: 452, Enhanced: "4.2.2", Text: "Mailbox full (asked for by a directive): this recipient is not accepted now; try again later"}
		}
	}
	if m[9] != "" {
		d.Times, _ = strconv.Atoi(m[9])
		if d.Times == 0 {
			return Directive{}, "x0 would apply on no attempt (write x1 or more)"
		}
	}
	if m[10] != "" {
		p, _ := strconv.Atoi(m[10])
		if p < 1 || p > 100 {
			return Directive{}, "probability p" + m[10] + " is not between 1 and 100 percent"
		}
		d.Prob = float64(p) / 100
	}
	return d, ""
}

// directiveMisfit says why a directive's code cannot be sent at stage,
// or "". A directive sends an odd code on purpose where the session can go
// on after it, to see how a client takes a reply no server should give
// (rcpt354, rcpt221, data250, rset354, quit250, dot299): the sink then
// waits for the next command, as the client may send one. Not where the
// client and the sink would disagree on what comes next: after the final
// dot the message is whole, and a 3xx asks for more (the sink would give
// 250, silently); a 3xx to DATA but 354 is taken as the go-ahead by some
// clients (RFC 5321 4.2.1: a 3yz asks for more, and a client may look at
// the class alone), whose message the sink would read as commands. Rules refuse these too (replyMisfit). The reason has no
// "; " (NotDirective.Note).
func directiveMisfit(code int, stage Stage) string {
	if code/100 != 3 {
		return ""
	}
	switch {
	case stage == StageDataEnd:
		return "a 3xx cannot answer the final dot (RFC 5321 4.3.2: the message is whole, and gets 250 or a 4xx or 5xx): write a 2xx, 4xx or 5xx, such as dot451"
	case stage == StageData && code != 354:
		return "the go-ahead to DATA is 354 (RFC 5321 4.3.2): a client that took " + strconv.Itoa(code) + " for one would send the message, which the sink would read as commands: write data354 for the go-ahead, a 4xx or 5xx to refuse"
	}
	return ""
}

// maxDirectiveDuration caps a directive's delay, tarpit, greylist or
// bounce: longer than any client waits or retries (RFC 5321 4.5.4.1 gives
// up after 4-5 days), and short of overflowing a time.Duration.
const maxDirectiveDuration = 30 * 24 * time.Hour

// parseShortDuration reads 500ms, 30s, 5m, 2h, 1d, up to 30 days.
func parseShortDuration(s string) (time.Duration, bool) {
	unit := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i <= 0 {
		return 0, false
	}
	n, err := strconv.Atoi(s[:i])
	u, ok := unit[s[i:]]
	if err != nil || !ok {
		return 0, false
	}
	const most = maxDirectiveDuration
	if n > int(most/u) { // before multiplying, which could overflow
		return 0, false
	}
	return time.Duration(n) * u, true
}

// defaultEnhanced picks the enhanced status code a real server would most
// likely send with code at stage (RFC 3463 3).
func defaultEnhanced(code int, stage Stage) string {
	if code/100 == 3 {
		return "" // RFC 3463 2: the classes are 2, 4 and 5
	}
	switch code {
	case 250:
		if stage == StageRcpt {
			return "2.1.5" // RFC 3463 3.2: destination address valid
		}
	case 421:
		return "4.7.0"
	case 450:
		return "4.2.1"
	case 451:
		return "4.7.1"
	case 452:
		if stage == StageRcpt {
			return "4.5.3"
		}
		return "4.3.1"
	case 550:
		if stage == StageRcpt {
			return "5.1.1"
		}
		return "5.7.1"
	case 552:
		return "5.3.4"
	case 553:
		return "5.1.3"
	case 554:
		return "5.7.1"
	}
	return strconv.Itoa(code/100) + ".0.0"
}

func directiveText(code int, enh string) string {
	switch enh {
	case "5.1.1":
		return "No such user here (asked for by a directive)"
	case "4.7.0", "4.7.1":
		return "Deferred on request: try again later"
	}
	return defaultText(code) + " (asked for by a directive)"
}
