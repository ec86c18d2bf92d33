package main

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/mailaddr"
)

// placeholderRE finds the {word} placeholders of a --to or --from pattern.
var placeholderRE = regexp.MustCompile(`\{[^{}]*\}`)

// checkLoadPattern refuses a --to or --from pattern of load that would not
// give a mailbox: what send refuses (checkAddresses), a placeholder other
// than those allowed, which would go out as written, and, once they are
// filled in, no "@" between a local part and a domain (RFC 5321 4.1.2:
// Mailbox = Local-part "@" ( Domain / address-literal )). "postmaster"
// alone is a recipient (RFC 5321 4.5.1); an empty --from is the null
// sender.
func checkLoadPattern(flag, pattern string, allowed ...string) error {
	if err := checkAddresses(flag, pattern); err != nil {
		return err
	}
	if flag == "from" && pattern == "" {
		return nil
	}
	filled := pattern
	for _, p := range placeholderRE.FindAllString(pattern, -1) {
		ok := false
		for _, a := range allowed {
			ok = ok || p == a
		}
		if !ok {
			return usageError("--%s %q: unknown placeholder %s; %s", flag, pattern, p, placeholderWords(allowed))
		}
		filled = strings.ReplaceAll(filled, p, "1")
	}
	if flag == "to" && strings.EqualFold(filled, "postmaster") {
		return nil
	}
	at := strings.LastIndexByte(filled, '@')
	if at <= 0 || at == len(filled)-1 {
		return usageError("--%s %q: not an address: give user@domain (%s)", flag, pattern, placeholderWords(allowed))
	}
	if err := trailingDot(flag, pattern); err != nil {
		return err
	}
	if why := mailaddr.Fault(filled); why != "" {
		return usageError("--%s %q: %s", flag, pattern, why)
	}
	return nil
}

func placeholderWords(allowed []string) string {
	if len(allowed) == 1 {
		return fmt.Sprintf("%s is the only placeholder here: the message number", allowed[0])
	}
	return "the placeholders are {n}, the message number, and {r}, the recipient's index in its message"
}

// loadTargetLine says, before a load begins, where it goes: with no
// --target, load goes to the sink's default address, which the user may
// not have meant. messages 0 with a duration is no message limit.
func loadTargetLine(target string, given bool, messages, sessions int, duration time.Duration) string {
	what := countOf(messages, "message", "messages")
	switch {
	case duration > 0 && messages == 0:
		what = "messages for " + duration.String()
	case duration > 0:
		what += " (for at most " + duration.String() + ")"
	}
	if messages > 0 {
		sessions = min(sessions, messages)
	}
	line := fmt.Sprintf("load: %s to %s over %s", what, target, countOf(sessions, "session", "sessions"))
	if !given {
		line += " (no --target: the default, relaylab sink's own address)"
	}
	return line
}
