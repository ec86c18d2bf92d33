package main

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/mailaddr"
	"github.com/relaylab/relaylab/internal/smtpload"
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

// defaultLoadTo is --to's default; defaultLoadToEach is the default for
// messages of several recipients, which each get an address of their own.
const (
	defaultLoadTo     = "user{n}@sink.test"
	defaultLoadToEach = "user{n}.{r}@sink.test"
)

// loadRecipients is the --to pattern for messages of rcpts recipients:
// with more than one, a pattern without {r} would send each message to
// one address several times over, which a server takes as one recipient
// (or refuses as a duplicate), not as the recipients asked for. The
// default gains {r}; a --to given without it is refused.
func loadRecipients(to string, given bool, rcpts int) (string, error) {
	if rcpts < 2 || strings.Contains(to, "{r}") {
		return to, nil
	}
	if !given {
		return defaultLoadToEach, nil
	}
	example := ""
	if at := strings.LastIndexByte(to, '@'); at > 0 {
		example = fmt.Sprintf(", such as %q", to[:at]+".{r}"+to[at:])
	}
	return "", usageError("--to %q with --rcpts %d: every recipient of a message would be that one address, as --to has no {r}; put {r}, the recipient's index in its message (1 to %d), in --to%s", to, rcpts, rcpts, example)
}

// loadTargetLine says, before a load begins, where it goes: with no
// --target, load goes to the sink's default address, which the user may
// not have meant. messages 0 with a duration is no message limit.
func loadTargetLine(target string, given bool, messages, sessions int, duration time.Duration) string {
	what := countOf(messages, "message", "messages")
	switch {
	case duration > 0 && messages == 0:
		what = "messages for " + config.FormatDuration(duration)
	case duration > 0:
		what += " (for at most " + config.FormatDuration(duration) + ")"
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

// checkLoadTarget refuses a --target (or --server, flag) that load cannot
// dial, and returns its host for TLS's server name: host:port with a port
// from 1 to 65535, or unix:/path, a unix-domain socket, which takes no
// TLS (its host is "").
func checkLoadTarget(flag string, cfg smtpload.Config) (host string, err error) {
	network, path := smtpload.Network(cfg.Target)
	if network == "unix" {
		switch {
		case path == "":
			return "", usageError("--%s %q: give the socket's path after unix:, such as unix:/run/dovecot/lmtp", flag, cfg.Target)
		case cfg.StartTLS || cfg.ImplicitTLS:
			return "", usageError("--%s %q is a unix-domain socket, local to this machine: --tls and --starttls are for TCP targets; drop them", flag, cfg.Target)
		}
		return "", nil
	}
	host, _, err = net.SplitHostPort(cfg.Target)
	if err != nil {
		return "", usageError("--%s %q: %v; give host:port, or unix:/path for a unix-domain socket", flag, cfg.Target, err)
	}
	return host, checkPort(flag, cfg.Target)
}
