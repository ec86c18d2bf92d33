package dsn

import (
	"fmt"
	"strings"
)

// Explain writes the plain-language first part of a DSN for r: what
// happened to each recipient, what the receiving server said, and what the
// sender can do about it.
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
		b.WriteString("This is a permanent error: it will not be retried.\n\n")
		writeRecipients(&b, failed)
	}
	if len(delayed) > 0 {
		b.WriteString("Your message has not been delivered yet to the recipients below.\n")
		b.WriteString("This is only a warning: delivery is still being retried, and\n")
		b.WriteString("you do not need to send the message again.\n\n")
		writeRecipients(&b, delayed)
	}
	if len(ok) > 0 {
		b.WriteString("Your message was handed on for the recipients below.\n\n")
		writeRecipients(&b, ok)
	}
	b.WriteString("The machine-readable report follows (RFC 3464).\n")
	return b.String()
}

func writeRecipients(b *strings.Builder, rs []Recipient) {
	for _, rc := range rs {
		fmt.Fprintf(b, "<%s>: %s (status %s)\n", rc.FinalRecipient, rc.Action, rc.Status)
		// A person reads the text; the type says only who made it: a
		// server's reply (smtp, the default) or the reporting MTA's own.
		typ, text := "smtp", rc.DiagnosticCode
		if t, rest, ok := strings.Cut(text, ";"); ok && typedRE.MatchString(text) {
			typ, text = strings.TrimSpace(t), strings.TrimSpace(rest)
		}
		if rc.RemoteMTA != "" && text != "" && strings.EqualFold(typ, "smtp") {
			fmt.Fprintf(b, "    %s said: %s\n", rc.RemoteMTA, text)
		} else if text != "" {
			fmt.Fprintf(b, "    reason: %s\n", text)
		}
		if hint := statusHint(rc.Status); hint != "" {
			fmt.Fprintf(b, "    what it means: %s\n", hint)
		}
		if !rc.WillRetryUntil.IsZero() {
			fmt.Fprintf(b, "    retrying until: %s\n", rc.WillRetryUntil.Format(dateLayout))
		}
		b.WriteString("\n")
	}
}

// statusHint explains the common enhanced status codes (RFC 3463 3) in
// words a sender can act on.
func statusHint(status string) string {
	class, rest, _ := strings.Cut(status, ".")
	switch rest {
	case "1.1":
		return "the address does not exist at the receiving domain; check it for typos"
	case "1.2":
		return "the receiving domain does not exist or accepts no mail; check the domain"
	case "2.1":
		return "the mailbox is disabled and not accepting messages"
	case "2.2":
		return "the mailbox is full; the recipient must make room"
	case "3.4", "2.3":
		return "the message is larger than the receiving system accepts; send it smaller"
	case "4.4", "4.1", "4.2":
		return "the receiving system could not be reached or did not answer"
	case "4.7":
		return "the message stayed in the queue too long and expired"
	case "7.1":
		return "the receiving system refused the message by policy (sender, content or reputation)"
	case "7.26", "7.27", "7.23":
		return "the message failed the receiving system's authentication checks (SPF, DKIM, DMARC)"
	}
	switch class {
	case "4":
		return "a temporary problem; delivery is retried"
	case "5":
		return "a permanent problem; the message will not be delivered as sent"
	}
	return ""
}
