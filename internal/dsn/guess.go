package dsn

import (
	"regexp"
	"strings"
)

// Bounces that are not multipart/report (qmail's, old Exim's, hand-made
// ones) still name the recipient and usually quote the remote reply. guess
// reads what it can from such a text: each <address> or "address:" line
// with the first reply code after it, and the copy of the original message
// after a "copy of the message" line.

var (
	guessAddrRE = regexp.MustCompile(`^\s*<?([^\s<>@:]+@[^\s<>@:]+?)>?:?\s*$|<([^\s<>@]+@[^\s<>@]+)>`)
	// Tried in order: "550 5.1.1" or "550-5.1.1", qmail's "(#5.1.1)", and
	// a bare "550 " at the start of a line.
	guessReplyREs = []*regexp.Regexp{
		regexp.MustCompile(`\b[245][0-9][0-9][ -]([245]\.[0-9]{1,3}\.[0-9]{1,3})\b`),
		regexp.MustCompile(`\(#([245]\.[0-9]{1,3}\.[0-9]{1,3})\)`),
		regexp.MustCompile(`^\s*([45])[0-9][0-9]\s`),
	}
	guessCopyRE = regexp.MustCompile(`(?i)^[-\s]*(below this line is a copy of the message|this is a copy of the message)`)
)

// guess fills p.Report.Recipients and p.Original from a plain-text bounce
// and reports whether it found a recipient.
func (p *Parsed) guess(text string) bool {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i, l := range lines {
		if guessCopyRE.MatchString(l) {
			rest := strings.TrimLeft(strings.Join(lines[i+1:], "\n"), "\n")
			if rest != "" {
				p.readOriginal([]byte(rest), false)
			}
			lines = lines[:i]
			break
		}
	}
	var cur *Recipient
	seen := map[string]bool{}
	for _, l := range lines {
		if m := guessAddrRE.FindStringSubmatch(l); m != nil {
			addr := m[1] + m[2]
			if !seen[strings.ToLower(addr)] && !strings.Contains(strings.ToLower(addr), "mailer-daemon") {
				seen[strings.ToLower(addr)] = true
				p.Report.Recipients = append(p.Report.Recipients, Recipient{FinalRecipient: addr, Action: ActionFailed})
				cur = &p.Report.Recipients[len(p.Report.Recipients)-1]
			}
		}
		if cur == nil || cur.Status != "" {
			continue
		}
		for i, re := range guessReplyREs {
			if m := re.FindStringSubmatch(l); m != nil {
				cur.Status = m[1]
				if i == len(guessReplyREs)-1 {
					cur.Status += ".0.0" // a class only
				}
				break
			}
		}
		if cur.Status == "" {
			continue
		}
		cur.DiagnosticCode = strings.Join(strings.Fields(l), " ")
		if cur.Status[0] == '4' {
			cur.Action = ActionDelayed
		}
	}
	// An address with no reply code near it is more likely the sender or a
	// postmaster than a failed recipient.
	kept := p.Report.Recipients[:0]
	for _, rc := range p.Report.Recipients {
		if rc.Status != "" {
			kept = append(kept, rc)
		}
	}
	p.Report.Recipients = kept
	return len(kept) > 0
}
