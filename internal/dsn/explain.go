package dsn

import (
	"fmt"
	"strings"
)

// Explain writes the plain-language first part of a DSN for r: what
// happened to each recipient, what the receiving server said (or, when no
// server said anything, the reporting MTA's own reason), what that means
// and what the sender can do about it.
func Explain(r Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "This is the mail system at %s.\n\n", r.ReportingMTA)
	var failed, delayed, ok []Recipient
	for _, rc := range r.Recipients {
		switch rc.Action {
		case ActionFailed:
			failed = append(failed, rc)
		case ActionDelayed:
			delayed = append(delayed, rc)
		default:
			ok = append(ok, rc)
		}
	}
	if len(failed) > 0 {
		b.WriteString("Your message could not be delivered to the recipients below.\n")
		b.WriteString(failedWhy(failed))
		writeRecipients(&b, failed)
	}
	if len(delayed) > 0 {
		b.WriteString("Your message has not been delivered yet to the recipients below.\n")
		b.WriteString("This is only a warning: delivery is still being retried, and\n")
		b.WriteString("you do not need to send the message again.\n\n")
		writeRecipients(&b, delayed)
	}
	if len(ok) > 0 {
		b.WriteString("Your message was delivered or handed on for the recipients below.\n\n")
		writeRecipients(&b, ok)
	}
	b.WriteString("The machine-readable report follows (RFC 3464).\n")
	return b.String()
}

func writeRecipients(b *strings.Builder, rs []Recipient) {
	for _, rc := range rs {
		fmt.Fprintf(b, "<%s>: %s (status %s)\n", rc.FinalRecipient, rc.Action, rc.Status)
		text, from := diagnosticText(rc)
		switch {
		case from == fromServer && rc.RemoteMTA != "":
			fmt.Fprintf(b, "    %s said: %s\n", rc.RemoteMTA, text)
		case text != "":
			fmt.Fprintf(b, "    reason: %s\n", text)
		}
		meaning, advice := explainRecipient(rc, from)
		if rc.Meaning != "" {
			meaning = rc.Meaning
		}
		if rc.Advice != "" {
			advice = rc.Advice
		}
		if meaning != "" {
			fmt.Fprintf(b, "    what it means: %s\n", meaning)
		}
		if !rc.WillRetryUntil.IsZero() {
			fmt.Fprintf(b, "    retrying until: %s\n", rc.WillRetryUntil.Format(dateLayout))
		}
		if advice != "" {
			fmt.Fprintf(b, "    what to do: %s\n", advice)
		}
		b.WriteString("\n")
	}
}

// Who made a recipient's diagnostic.
const (
	fromNobody   = iota // there is none
	fromServer          // a server's reply (smtp)
	fromReporter        // the reporting MTA's own (X-Postfix, X-Relaylab...)
)

// diagnosticText is the Diagnostic-Code's text without its type, and who
// made it. A person reads the text; the type says only who made it (RFC
// 3464 2.3.6): a server's reply (smtp, the default; the Remote-MTA field,
// when there is one, names which server) or the reporting MTA's own.
func diagnosticText(rc Recipient) (text string, from int) {
	typ, text := "smtp", rc.DiagnosticCode
	if t, rest, ok := strings.Cut(text, ";"); ok && typedRE.MatchString(text) {
		typ, text = strings.TrimSpace(t), strings.TrimSpace(rest)
	}
	switch {
	case text == "":
		return "", fromNobody
	case strings.EqualFold(typ, "smtp"):
		return text, fromServer
	}
	return text, fromReporter
}

// explainRecipient chooses what a recipient's outcome means, and what the
// sender can do, from its action, its status (RFC 3463) and who made its
// diagnostic: a server that replied, or the reporting MTA alone.
func explainRecipient(rc Recipient, from int) (meaning, advice string) {
	class, detail, _ := strings.Cut(rc.Status, ".")
	const retried = "nothing; delivery is retried, and you hear again only if it finally fails"
	switch rc.Action {
	case ActionDelivered:
		return "the message was delivered to the recipient's mailbox", "nothing; this is only a confirmation"
	case ActionRelayed:
		return "the message was handed on to a system that does not send delivery notices, so this is the last notice you will get about it for this recipient",
			"nothing; if the recipient says it never arrived, ask them to look in their spam folder"
	case ActionExpanded:
		return "the message was delivered to a list or alias, which passed it on to its members", "nothing; this is only a confirmation"
	case ActionDelayed:
		switch from {
		case fromServer:
			return "the receiving server turned the message away for now (a temporary refusal: " + temporaryHint(detail) + "), so it is not delivered yet; this mail system tries again", retried
		case fromReporter:
			return "the message has not reached a receiving server yet, for the reason above; this mail system tries again", retried
		}
		return "the message is not delivered yet; this mail system tries again", retried
	case ActionFailed:
	default:
		return "", ""
	}
	if class == "4" || detail == "4.7" {
		// RFC 3463 3.5: X.4.7, delivery time expired; a failure with a
		// transient status is one the reporting MTA gave up retrying.
		if from != fromServer && rc.LastAttempt.IsZero() {
			// Held back or never reachable: no server was tried.
			return "this mail system kept the message for as long as it may wait without being able to send it, and has given up: nothing was delivered",
				"check the address; if it is right, send the message again later, or reach the recipient another way"
		}
		last := ""
		switch from {
		case fromServer:
			last = " (the last attempt's answer is above)"
		case fromReporter:
			last = " (the last attempt failed for the reason above)"
		}
		return "this mail system retried for as long as the message may wait, and has given up: the message was never delivered" + last,
			"check the address; if it is right, the receiving side has been failing for a while: send the message again later, or reach the recipient another way"
	}
	switch from {
	case fromServer:
		return "the receiving server refused the message: " + permanentHint(detail), serverAdvice(detail)
	case fromReporter:
		return localFailure(detail)
	}
	return "the message could not be delivered: " + permanentHint(detail), serverAdvice(detail)
}

// permanentHint explains a receiving server's permanent refusal by the
// subject and detail of its status (RFC 3463 3), and serverAdvice says
// what to do about it; both from permanentRefusals.
func permanentHint(detail string) string {
	if r, ok := permanentRefusals[detail]; ok {
		return r.hint
	}
	return "a permanent problem; the message will not be delivered as sent"
}

func serverAdvice(detail string) string {
	if r, ok := permanentRefusals[detail]; ok {
		return r.advice
	}
	return "read the server's answer above; send again only after changing what it names"
}

// permanentRefusals are the permanent statuses whose meaning and advice
// are known, by subject and detail.
var permanentRefusals = func() map[string]struct{ hint, advice string } {
	m := map[string]struct{ hint, advice string }{}
	for _, r := range []struct {
		details      []string
		hint, advice string
	}{
		{[]string{"1.1"}, "the address does not exist at the receiving domain", "check the address for typos, and remove it from your list if it is right"},
		{[]string{"1.2"}, "the receiving domain does not exist or accepts no mail", "check the address for typos, and remove it from your list if it is right"},
		{[]string{"1.10"}, "the recipient's domain publishes that it accepts no mail (a null MX, RFC 7505)", nullMXAdvice},
		{[]string{"2.1"}, "the mailbox is disabled and not accepting messages", "reach the recipient another way; the mailbox may have been closed"},
		{[]string{"2.2"}, "the mailbox is full", "ask the recipient to make room, or send again later"},
		{[]string{"3.4", "2.3"}, "the message is larger than it accepts", "send the message again smaller, or with the attachments shared by link"},
		{[]string{"7.1"}, "by policy (the sender, the content or the sending system's reputation)", "read the server's answer above; if it names a blocklist or your content, fix that before sending again"},
		{[]string{"7.26", "7.27", "7.23", "7.25", "7.20", "7.21", "7.22"}, "the message failed its authentication checks (SPF, DKIM, DMARC)", "check the SPF, DKIM and DMARC records of your sending domain"},
		{[]string{"6.7"}, "the address is not in ASCII, and the server takes such an address only with SMTPUTF8 (RFC 6531), or not at all", "use an ASCII address for the recipient, if they have one"},
		{[]string{"5.2"}, "it could not read a command or an address (a syntax error)", "check the address for forms the server may not take (a quoted part before the @, a dot at the end); if it looks right, forward this notice to this mail system's operator"},
	} {
		for _, d := range r.details {
			m[d] = struct{ hint, advice string }{r.hint, r.advice}
		}
	}
	return m
}()

// nullMXAdvice is what to do about an address whose domain publishes a
// null MX (RFC 7505, X.1.10): no later attempt can deliver to it.
const nullMXAdvice = "the address cannot receive mail: remove it from your list, or ask the recipient for another address"

// temporaryHint explains a receiving server's temporary refusal.
func temporaryHint(detail string) string {
	switch {
	case detail == "2.2":
		return "the mailbox is full for now"
	case strings.HasPrefix(detail, "7."):
		return "by policy for now, often a rate limit, greylisting or the sending system's reputation"
	case strings.HasPrefix(detail, "3.") || detail == "4.5":
		return "the server is busy or short of resources"
	case strings.HasPrefix(detail, "4."):
		return "it could not reach a system it needed"
	}
	return "a temporary problem at the receiving server"
}

// localFailure explains a failure that no server replied to: the
// reporting MTA decided it itself, and nothing was sent to a server.
func localFailure(detail string) (meaning, advice string) {
	switch detail {
	case "1.2":
		return "the recipient's domain does not exist, so there is no server to send to; nothing was sent",
			"check the part of the address after the @ for typos"
	case "1.10":
		// RFC 7505 3: a null MX is the domain's own statement that it
		// accepts no mail; sending again cannot help.
		return "the recipient's domain publishes that it accepts no mail (a null MX, RFC 7505), so no address there can receive it; nothing was sent",
			nullMXAdvice
	case "4.4":
		return "no server receives mail for the recipient's domain (it has no MX, A or AAAA record); nothing was sent",
			"check the part of the address after the @ for typos; if it is right, the domain's owner must publish an MX record"
	case "1.1", "1.3":
		return "the address cannot be used as it is written; nothing was sent", "check the address for typos"
	case "7.1":
		return "this mail system's own policy stopped the message; no receiving server was asked",
			"check the address; if it is right and should receive mail, ask this mail system's operator why it is blocked"
	case "6.3":
		// RFC 6152 3: 8-bit data goes only to a server that offers 8BITMIME.
		return "the message has 8-bit data, which the next server does not take (it offers no 8BITMIME, RFC 6152), and this mail system does not convert it; nothing was delivered",
			"send the message again in 7-bit form (quoted-printable or base64 for text that is not ASCII)"
	case "6.0", "6.7", "6.9":
		return "the message could not be converted into a form the next system takes; nothing was delivered",
			"send the message again in plain ASCII, or to a system that takes UTF-8 mail"
	}
	if strings.HasPrefix(detail, "4.") {
		return "the receiving server could not be reached, for the reason above; nothing was delivered",
			"check the address; if it is right, send the message again later"
	}
	return "this mail system could not deliver the message, for the reason above; no receiving server accepted it",
		"check the address; if it is right, send the message again later"
}

// failedWhy says why the failed recipients will not be retried: a
// permanent error, or a temporary one (a Status of 4.x.x, as an expiry's
// 4.4.7) that outlasted the retry policy. It said "a permanent error" of
// both.
func failedWhy(failed []Recipient) string {
	temp := 0
	for _, rc := range failed {
		if strings.HasPrefix(rc.Status, "4.") {
			temp++
		}
	}
	switch temp {
	case 0:
		return "This is a permanent error: it will not be retried.\n\n"
	case len(failed):
		return "The failures were temporary, but they went on until the mail system\ngave up retrying: the message will not be retried again.\n\n"
	}
	return "They will not be retried: a Status of 5.x.x is a permanent error, one of\n4.x.x a temporary failure that went on until the mail system gave up retrying.\n\n"
}
