package relay

import (
	"fmt"
	"strings"
)

// walk is where one attempt stands on its way down a path's hosts.
type walk struct {
	mx      bool
	tried   int      // hosts with a session or at least a dial
	refused []string // "host: reply" of each host that greeted with 5xx
	last    Reply    // the last of those greetings
}

// refuse records that host greeted with rep, a 5xx, and returns the
// deferral its recipients get unless a later host does better.
func (w *walk) refuse(host string, rep Reply) Reply {
	w.refused = append(w.refused, host+": "+rep.String())
	w.last = rep
	return w.refusedReply()
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
// system not accepting network messages) when it gave none.
func (w *walk) refusedReply() Reply {
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
	return Reply{Stage: "greeting", Enhanced: enh, Text: text, Local: true}
}
