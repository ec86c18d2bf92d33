// Package acceptreply words the 250 replies to MAIL and RCPT that the sink
// and the relay's submission give in place of go-smtp's stock ones ("Roger,
// accepting mail from <a>", "I'll make sure <b> gets this"): with the
// enhanced code RFC 3463 3.2 gives each, X.1.0 (other address status: the
// sender is fine) and X.1.5 (destination address valid), in plain words.
package acceptreply

import (
	"strings"

	"github.com/relaylab/relaylab/internal/textsafe"
)

// The enhanced codes of the 250 to MAIL and to RCPT.
const (
	SenderCode    = "2.1.0"
	RecipientCode = "2.1.5"
)

// MaxAddr is how many octets of an address a reply echoes at most: RFC
// 5321 4.5.3.1.5 bounds a reply line at 512 octets with its CRLF, and a
// path may be longer (4.5.3.1.3 asks servers to take longer ones); the
// room left is for notes a server adds.
const MaxAddr = 256

// go-smtp's own words for a 250 to MAIL and to RCPT (v0.25.1), before and
// after the path.
const (
	stockMailPrefix = "250 2.0.0 Roger, accepting mail from <"
	stockMailSuffix = ">"
	stockRcptPrefix = "250 2.0.0 I'll make sure <"
	stockRcptSuffix = "> gets this"
)

// Stock reports whether line (with its CRLF or without) is go-smtp's stock
// 250 to MAIL (rcpt false) or RCPT (rcpt true), and the path it echoes.
func Stock(line string) (addr string, rcpt, ok bool) {
	line = strings.TrimRight(line, "\r\n")
	if a, found := cut(line, stockRcptPrefix, stockRcptSuffix); found {
		return a, true, true
	}
	if a, found := cut(line, stockMailPrefix, stockMailSuffix); found {
		return a, false, true
	}
	return "", false, false
}

func cut(line, prefix, suffix string) (string, bool) {
	if rest, ok := strings.CutPrefix(line, prefix); ok {
		return strings.CutSuffix(rest, suffix)
	}
	return "", false
}

// Text is the words of the 250 to MAIL (who "Sender") or RCPT (who
// "Recipient") for addr as written, cut to MaxAddr octets.
func Text(who, addr string) string {
	return who + " <" + textsafe.Cut(addr, MaxAddr) + "> OK"
}

// Line is the whole reply line, without its CRLF: "250 2.1.0 Sender
// <a@x.test> OK" to MAIL, "250 2.1.5 Recipient <b@y.test> OK" to RCPT.
func Line(rcpt bool, addr string) string {
	if rcpt {
		return "250 " + RecipientCode + " " + Text("Recipient", addr)
	}
	return "250 " + SenderCode + " " + Text("Sender", addr)
}
