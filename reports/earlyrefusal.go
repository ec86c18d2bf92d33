package reports

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SinkEarlyRefusal is a session a sink refused before any RCPT TO: a
// 421 greeting, a refusal at EHLO, a rate limit's 421 to MAIL FROM. It
// names no recipient, so no recipient record has it.
type SinkEarlyRefusal struct {
	Time     time.Time
	Session  int64
	Listener string
	// Stage is the sink's name for where: connect, ehlo, mail.
	Stage    string
	Code     int
	Enhanced string
	Text     string
	// By names the rule, directive or limit that chose the reply.
	By string
	// Sender is the MAIL FROM address of a refusal at MAIL ("" for the
	// null sender, and before MAIL).
	Sender string
}

// SinkEarlyRefusalSource is offered by a SinkAttemptSource that has the
// sink's sessions (a sink's store, or a serve's API for expect --url):
// FromSink keeps the sessions it refused before any RCPT TO, which an
// expectation that finds too few records names (EarlyRefusalNote).
type SinkEarlyRefusalSource interface {
	EarlyRefusals(ctx context.Context) ([]SinkEarlyRefusal, error)
}

// EarlyRefusalNote says, on a sink's record, how many sessions the sink
// refused before any RCPT TO, by listener, stage and reply (and sender,
// at MAIL), and what that means for an expectation that finds too few
// recipients: a sender refused there never named one. "" when there are
// none. senders are the envelope senders of the recipients an
// expectation matched: a refusal at MAIL from one of them is said to be
// theirs. A verdict gives it once, as a note (earlyRefusalRunNote), and
// its expectations refer to it (earlyRefusalRef); expect --wait says it
// while it waits.
func (d *Data) EarlyRefusalNote(senders ...string) string {
	if len(d.earlyRefusals) == 0 {
		return ""
	}
	type group struct {
		listener, stage, reply, by, sender string
		n                                  int
	}
	var gs []*group
	for _, e := range d.earlyRefusals {
		reply := Attempt{Code: e.Code, Enhanced: e.Enhanced, Text: e.Text}.Reply()
		i := slices.IndexFunc(gs, func(g *group) bool {
			return g.listener == e.Listener && g.stage == e.Stage && g.reply == reply && g.by == e.By && strings.EqualFold(g.sender, e.Sender)
		})
		if i < 0 {
			gs = append(gs, &group{e.Listener, e.Stage, reply, e.By, e.Sender, 0})
			i = len(gs) - 1
		}
		gs[i].n++
	}
	slices.SortStableFunc(gs, func(a, b *group) int { return cmp.Compare(b.n, a.n) })
	var parts []string
	mail, theirs := false, false
	for _, g := range gs {
		s := fmt.Sprintf("%d at %s on listener %s (%q", g.n, earlyStageWords(g.stage), cmp.Or(g.listener, "?"), g.reply)
		if g.by != "" {
			s += ", by " + g.by
		}
		s += ")"
		if g.stage == "mail" {
			mail = true
			s += " from " + cmp.Or(g.sender, "<>")
			if slices.ContainsFunc(senders, func(a string) bool { return strings.EqualFold(a, g.sender) }) {
				s += " (the sender of the recipients this expectation matched)"
				theirs = true
			}
		}
		parts = append(parts, s)
	}
	const shown = 4
	if len(parts) > shown {
		parts = append(parts[:shown], fmt.Sprintf("and %d more", len(parts)-shown))
	}
	note := fmt.Sprintf("the sink refused %s before any RCPT TO, which therefore name no recipient and are in no record: %s",
		counted(len(d.earlyRefusals), "session"), strings.Join(parts, ", "))
	switch {
	case theirs:
		note += "; the refusals at MAIL FROM from the sender of these recipients are messages of theirs refused before their recipients were named"
	case mail:
		note += "; a refusal at MAIL FROM from the sender under test is its message refused before its recipients were named"
	}
	retry := `; a sender that retries will be seen once it is let through to RCPT TO (give --wait long enough, or lift the rule or limit); `
	if d.RefusedForGood() == len(d.earlyRefusals) {
		// A 5xx at MAIL FROM is final: no sender tries that message again.
		retry = `; a 5xx at MAIL FROM refuses the message for good (RFC 5321 4.2.1), so no sender tries it again and no wait will see it: lift the rule or limit, or give it a 4xx to test a retry; `
	}
	return note + retry +
		`to test "421 twice, then accept" on a recipient's record, give the rule stage: rcpt and attempt: (such as attempt: "1-2"), which the sink counts per sender and recipient`
}

// RefusedForGood counts the sessions the sink refused with a 5xx at MAIL
// FROM (before any RCPT TO): messages refused for good, which no sender
// sends again, so that expect --wait does not wait for the records they
// would have made.
func (d *Data) RefusedForGood() int {
	n := 0
	for _, e := range d.earlyRefusals {
		if e.Stage == "mail" && e.Code >= 500 {
			n++
		}
	}
	return n
}

// EarlyRefusalRef is a few words on the sink's early refusals that refer
// to the verdict's note on them (EarlyRefusalNote), for a message that
// appears beside it, such as expect --wait's; "" when there were none.
func (d *Data) EarlyRefusalRef() string {
	return d.earlyRefusalRef(nil)
}

// earlyStageWords names a stage before RCPT TO as a reader knows it.
func earlyStageWords(stage string) string {
	switch stage {
	case "connect":
		return "the greeting"
	case "mail":
		return "MAIL FROM"
	}
	return strings.ToUpper(stage)
}

// earlyNoteRef is how an expectation's failure refers to the run's note
// on the sink's early refusals (earlyRefusalRunNote), which a verdict
// gives once, whatever the number of expectations it explains.
const earlyNoteRef = "see the note on early refusals"

// earlyRefusalRunNote is the note a verdict gives, once, when an
// expectation of it found too few records or an any_reply only the
// sink's early refusals met (see Result.earlyRefusals): how many
// sessions the sink refused before any RCPT TO, where, with what reply,
// and what to do (EarlyRefusalNote).
func (d *Data) earlyRefusalRunNote() string {
	return earlyNotePrefix + d.EarlyRefusalNote()
}

// earlyNotePrefix begins the run's note on the sink's early refusals,
// which the failures that refer to it name, and which a JUnit file puts
// in its suite's system-out, not in each case's (WriteVerdictsJUnit).
const earlyNotePrefix = "early refusals: "

// isEarlyNote reports whether the verdict's note n is the run's note on
// the sink's early refusals.
func isEarlyNote(n string) bool { return strings.HasPrefix(n, earlyNotePrefix) }

// earlyRefusalRef says, in a few words, of an expectation that finds too
// few records, that the sink refused sessions before any RCPT TO, which
// are in no record, and how many of those at MAIL FROM were from
// senders (the envelope senders of the records it matched); the run's
// note says the rest. "" when the sink refused none so.
func (d *Data) earlyRefusalRef(senders []string) string {
	n := len(d.earlyRefusals)
	if n == 0 {
		return ""
	}
	s := fmt.Sprintf("%s the sink refused before any RCPT TO %s in no record", counted(n, "session"), plural(n, "is", "are"))
	theirs := 0
	var from []string
	for _, e := range d.earlyRefusals {
		if e.Stage != "mail" || !slices.ContainsFunc(senders, func(a string) bool { return strings.EqualFold(a, e.Sender) }) {
			continue
		}
		theirs++
		if !slices.ContainsFunc(from, func(a string) bool { return strings.EqualFold(a, e.Sender) }) {
			from = append(from, e.Sender)
		}
	}
	if theirs > 0 {
		s += fmt.Sprintf(", %d of them at MAIL FROM from %s, the %s of the records this expectation matched", theirs, strings.Join(from, ", "), plural(len(from), "sender", "senders"))
	}
	return s + ": " + earlyNoteRef
}

// earlyReplyNote says, of an expectation whose any_reply glob no
// attempt of its recipients met, that the sink gave replies it matches
// before RCPT TO, which are in no recipient's record, referring to the
// run's note on them; "" when it gave none.
func (d *Data) earlyReplyNote(glob string) string {
	for _, e := range d.earlyRefusals {
		if replyMatches(glob, Attempt{Code: e.Code, Enhanced: e.Enhanced, Text: e.Text}) {
			return "any_reply judges the replies of a recipient's attempts, and the replies it asks for came before RCPT TO, in sessions that are in no record: " + earlyNoteRef
		}
	}
	return ""
}

// earlyRefusalCovers reports whether a session the sink refused before
// any RCPT TO could have carried the mail of an expectation that found
// no record, so that its absence is better explained by the refusal
// than by a slip in its match for the near address whose records are
// rs: a refusal before MAIL FROM (at the greeting, EHLO), whose sender
// is not known, or one at MAIL FROM from a sender of rs (the sender that
// got through to the near address had other mail refused before it
// named a recipient, such as a rate limit's 421).
func (d *Data) earlyRefusalCovers(rs []*Recipient) bool {
	for _, e := range d.earlyRefusals {
		if e.Stage != "mail" || slices.ContainsFunc(rs, func(r *Recipient) bool { return strings.EqualFold(r.from, e.Sender) }) {
			return true
		}
	}
	return false
}
