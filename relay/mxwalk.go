package relay

import (
	"fmt"
	"regexp"
	"strings"
)

// Postfix's defaults for the same caps: smtp_mx_address_limit 5,
// smtp_mx_session_limit 2.
const (
	defaultMaxMXAddresses = 5
	defaultMaxMXSessions  = 2
)

// walkCaps bound how far one attempt goes down a path's hosts; 0 is no
// cap. Only mx paths have them: a smarthost path has one host.
type walkCaps struct {
	addresses int // addresses used (dialled, or a kept connection to them)
	sessions  int // sessions that reached SMTP
}

func newWalkCaps(pc PathConfig) walkCaps {
	if pc.Type != "mx" {
		return walkCaps{}
	}
	c := walkCaps{addresses: defaultMaxMXAddresses, sessions: defaultMaxMXSessions}
	if pc.MaxMXAddresses != nil {
		c.addresses = *pc.MaxMXAddresses
	}
	if pc.MaxMXSessions != nil {
		c.sessions = *pc.MaxMXSessions
	}
	return c
}

// walk is where one attempt stands on its way down a path's hosts.
type walk struct {
	caps      walkCaps
	mx        bool
	addresses int      // addresses used so far
	sessions  int      // sessions that reached SMTP
	tried     int      // hosts with a session or at least a dial
	refused   []string // "host: reply" of each host that greeted with 5xx
	last      Reply    // the last of those greetings
	noMail    int      // hosts among them that greeted with 521
	// capWhy and capFix say, for the verdict of the recipients left,
	// that a cap stopped the walk with hosts untried, and which to raise
	// (stop).
	capWhy, capFix string
}

// refuse records that host greeted with rep, a 5xx, and returns the
// deferral its recipients get unless a later host does better.
func (w *walk) refuse(host string, rep Reply) Reply {
	w.refused = append(w.refused, host+": "+rep.String())
	w.last = rep
	if rep.Code == codeNoMail {
		w.noMail++
	}
	return w.refusedReply("")
}

// addressesFull reports whether the walk may use no more addresses.
func (w *walk) addressesFull() bool {
	return w.caps.addresses > 0 && w.addresses >= w.caps.addresses
}

// stop says why the walk ends before the hosts in rest, which it has not
// tried, or "" when it goes on.
func (w *walk) stop(rest []string) string {
	untried := fmt.Sprintf("%s untried (%s)", plural(len(rest), "MX host", "MX hosts"), strings.Join(rest, ", "))
	switch {
	case w.caps.sessions > 0 && w.sessions >= w.caps.sessions:
		w.capWhy = fmt.Sprintf("then the walk down the MX hosts stopped at the path's max_mx_sessions (%d) with %s", w.caps.sessions, untried)
		w.capFix = fmt.Sprintf("raise the path's max_mx_sessions (%d) so that one attempt tries more of the domain's MX hosts", w.caps.sessions)
		return fmt.Sprintf("the walk down the MX hosts stopped at the path's max_mx_sessions (%d): %s of this attempt reached SMTP; not tried: %s",
			w.caps.sessions, plural(w.sessions, "session", "sessions"), strings.Join(rest, ", "))
	case w.addressesFull():
		w.capWhy = fmt.Sprintf("then the walk down the MX hosts stopped at the path's max_mx_addresses (%d) with %s", w.caps.addresses, untried)
		w.capFix = fmt.Sprintf("raise the path's max_mx_addresses (%d) so that one attempt tries more of the domain's MX hosts", w.caps.addresses)
		return fmt.Sprintf("the walk down the MX hosts stopped at the path's max_mx_addresses (%d): this attempt used %s; not tried: %s",
			w.caps.addresses, plural(w.addresses, "address", "addresses"), strings.Join(rest, ", "))
	}
	return ""
}

// plural says "1 address" or "2 addresses".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// reachedSMTP reports whether a session got past the greeting, EHLO and
// STARTTLS, which is what max_mx_sessions counts (as Postfix counts
// sessions that complete EHLO and the TLS handshake).
func reachedSMTP(rep Reply) bool {
	switch rep.Stage {
	case "connect", "greeting", "ehlo", "starttls", "tls":
		return false
	}
	return true
}

// greeting5xx reports whether rep is a 5xx greeting: the server will not
// talk to this client at all (RFC 5321 3.1: a 554 in place of the 220).
func greeting5xx(rep Reply) bool { return rep.Stage == "greeting" && rep.Permanent() }

// greetingRefusedText is what the classification table's rule for the
// relay's own deferral after 5xx greetings matches on.
const greetingRefusedText = "greeted with 5xx"

// refusedReply is the relay's own deferral for recipients whose last
// server greeted with 5xx (w.last). A 5xx greeting refuses the client's
// connection, not the message (RFC 5321 3.1 and 4.3.2: 554 is the
// connection-opening failure), so it is not a bounce: the hosts that
// remain are tried, as Postfix does (smtp_skip_5xx_greeting, default yes),
// and when none does better the recipients wait for the next attempt.
// The enhanced code is the server's with class 4, or 4.3.2 (RFC 3463:
// system not accepting network messages) when it gave none. stopped is
// why the walk ended early, if it did.
func (w *walk) refusedReply(stopped string) Reply {
	enh := "4.3.2"
	if isEnhanced(w.last.Enhanced) {
		enh = "4" + w.last.Enhanced[1:]
	}
	var text string
	switch {
	case !w.mx:
		text = fmt.Sprintf("the smarthost %s (%s)", greetingRefusedText, strings.Join(w.refused, "; "))
	case len(w.refused) == w.tried:
		text = fmt.Sprintf("every MX host tried (%d) %s (%s)", w.tried, greetingRefusedText, strings.Join(w.refused, "; "))
	default:
		text = fmt.Sprintf("%d of the %d MX hosts tried %s, the last one tried among them (%s)",
			len(w.refused), w.tried, greetingRefusedText, strings.Join(w.refused, "; "))
	}
	text += "; a 5xx greeting refuses the connection, not the message (RFC 5321 3.1), so the recipients are deferred, not bounced"
	if stopped != "" {
		text += "; " + stopped
	}
	return Reply{Stage: "greeting", Enhanced: enh, Text: text, Local: true}
}

// codeNoMail is the greeting of a host that does not accept mail under
// any circumstances (RFC 7504 3: "521 Host does not accept mail").
const codeNoMail = 521

// noMailText is what the classification table's rule for the relay's own
// bounce after 521 greetings matches on.
const noMailText = "does not accept mail"

// noMailReply is the relay's own permanent failure when every MX host of
// the domain (hosts of them, all tried) greeted with 521, and false when
// the walk does not allow it. RFC 7504 reserves 521 for a host that never
// accepts mail, not for one that refuses a client or an address (554 is
// for those, and stays a deferral), so that a client need not queue and
// retry mail for it for days (its section 2): when no MX host of the
// domain accepts mail, no later attempt can deliver, and the message
// bounces now. One host's 521 does not bounce: the next MX host may
// accept it. A host left untried (its address lookup failed, or a cap of
// the walk, which returns before this), unreachable, or greeting with
// another 5xx keeps the deferral. The enhanced code is the last
// greeting's when it is of class 5, else 5.3.2, which the IANA registry
// pairs with 521 (RFC 7504 6: X.3.2, system not accepting network
// messages).
func (w *walk) noMailReply(hosts int) (Reply, bool) {
	if !w.mx || hosts == 0 || w.tried != hosts || w.noMail != hosts {
		return Reply{}, false
	}
	enh := "5.3.2"
	if isEnhanced(w.last.Enhanced) && w.last.Enhanced[0] == '5' {
		enh = w.last.Enhanced
	}
	text := fmt.Sprintf("every MX host of the domain (%d) greeted with 521: the host %s (RFC 7504 3) (%s); no server of the domain takes mail, so it is bounced, not deferred",
		hosts, noMailText, strings.Join(w.refused, "; "))
	return Reply{Stage: "greeting", Code: codeNoMail, Enhanced: enh, Text: text, Local: true}, true
}

// isRefusedReply reports whether rep is the relay's own deferral after a
// 5xx greeting.
func isRefusedReply(rep Reply) bool {
	return rep.Local && rep.Stage == "greeting" && rep.Code == 0 && strings.Contains(rep.Text, greetingRefusedText)
}

// appendNote adds a note line to a finished transcript, stamped with the
// time of its last timed line; an empty transcript (recording off, no
// connection) stays empty.
func appendNote(script, text string) string {
	if script == "" {
		return ""
	}
	stamp := "+0ms"
	for rest := script; rest != ""; {
		i := strings.LastIndexByte(rest, '\n')
		line := rest[i+1:]
		if s, _, ok := strings.Cut(line, " "); ok && strings.HasPrefix(s, "+") && strings.HasSuffix(s, "ms") {
			stamp = s
			break
		}
		if i < 0 {
			break
		}
		rest = rest[:i]
	}
	return script + "\n" + stamp + " -- " + text
}

// stopped ends the walk for the recipients pending, for the reason why:
// the last attempt each had says so, in its event and at the end of its
// transcript, and a deferral after 5xx greetings names it too (reset
// sets a recipient's result anew). It returns log.
func (w *walk) stopped(why string, pending []int, results []result, log []attempt, reset func(int, Reply)) []attempt {
	for _, i := range pending {
		if isRefusedReply(results[i].reply) {
			reset(i, w.refusedReply(why))
		}
		if v := &results[i].verdict; w.capWhy != "" && v.Reason != "" {
			// The last host's verdict ("check the host and port") is
			// not all: the hosts the cap left out may have taken it.
			v.Reason += "; " + w.capWhy
			v.Advice = withCapFix(w.capFix, v.Advice)
		}
		for k := len(log) - 1; k >= 0; k-- {
			if log[k].rcpt == i {
				log[k].walkStopped = why
				log[k].transcript = appendNote(log[k].transcript, why)
				break
			}
		}
	}
	return log
}

// withCapFix is advice, the last host's verdict's, with fix first: what
// lets one attempt try the hosts a cap left out. An advice that says
// there is nothing to do ("nothing; it is retried") loses its "nothing",
// since there is something: the two read as one sentence, not as "raise
// the cap; nothing; it is retried".
func withCapFix(fix, advice string) string {
	rest := nothingToDo.ReplaceAllString(advice, "")
	switch {
	case rest == advice:
		return fix + "; " + advice
	case rest == "":
		return fix
	}
	return fix + "; meanwhile " + rest
}

// nothingToDo is the start of an advice that says there is nothing to do
// ("nothing; ", "nothing for this message, ", "nothing now; ").
var nothingToDo = regexp.MustCompile(`^(?i)nothing( for this message| for now| now)?\s*([;,:.]\s*|$)`)
