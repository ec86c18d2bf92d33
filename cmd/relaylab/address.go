package main

import (
	"strings"

	"github.com/relaylab/relaylab/internal/mailaddr"
)

// checkAddresses refuses an envelope address given by flag (--to, --from)
// that SMTP cannot carry as given: angle brackets, spaces or line breaks
// outside a quoted local part, or a local part that is neither a
// dot-atom nor a quoted string (RFC 5321 4.1.2), such as two addresses
// joined by a comma. A quoted local part may hold spaces and brackets
// ("a b"@x.test: qtextSMTP is %d32-33 / %d35-91 / %d93-126). send and
// load share it, so that load does not send what send refuses; load's
// placeholders ({n}, {r}) are atext and pass.
func checkAddresses(flag string, addrs ...string) error {
	for _, a := range addrs {
		q := quotedLen(a)
		if strings.ContainsAny(a, "\r\n\t") || strings.ContainsAny(a[q:], "<> ") {
			if strings.Contains(a[q:], ",") {
				// "b@x, c@x": a list, whose space is not the trouble.
				if flag == "from" {
					return usageError("--from %q: not one address but a list: a message has one sender; give one address", a)
				}
				return usageError("--%s %q: not one address but a list: one address per flag: give --%s once per recipient", flag, a, flag)
			}
			if at := strings.LastIndexByte(a, '@'); q == 0 && at > 0 && !strings.ContainsAny(a, "<>\r\n\t") && !strings.Contains(a[at:], " ") {
				// "a b@x.test": the space is in the local part, which
				// may hold one in quotes (RFC 5321 4.1.2).
				give := mailaddr.Quote(a)
				if !strings.Contains(give, "'") {
					give = "'" + give + "'" // the shell's quotes around SMTP's
				}
				return usageError("--%s %q: a local part with a space must be in double quotes (RFC 5321 4.1.2): give --%s %s", flag, a, flag, give)
			}
			return usageError("--%s %q: give the bare address (user@example.com) without brackets or spaces, nor a line break or tab (a local part with spaces goes in double quotes: \"a b\"@example.com)", flag, a)
		}
		at := strings.LastIndexByte(a[q:], '@')
		if at < 0 || q+at == 0 {
			continue // no local part: not an address, which the callers say
		}
		if local := a[:q+at]; !mailaddr.IsDotString(local) && !mailaddr.IsQuotedString(local) {
			hint := "a local part is letters, digits and !#$%&'*+-/=?^_`{|}~ with single dots between, or a quoted string (RFC 5321 4.1.2)"
			if strings.Contains(a, ",") {
				hint = "one address per flag: give --" + flag + " once per recipient"
			}
			return usageError("--%s %q: not one address: the local part %q is not valid; %s", flag, a, local, hint)
		}
	}
	return nil
}

// quotedLen is the length of the quoted string a starts with, up to its
// closing double quote and with its backslash pairs, or 0 when a does not
// start with one (or never closes it): what lies inside may hold spaces
// and brackets (RFC 5321 4.1.2, qtextSMTP), what follows may not.
func quotedLen(a string) int {
	if !strings.HasPrefix(a, `"`) {
		return 0
	}
	for i := 1; i < len(a); i++ {
		switch a[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return 0
}

// checkMailboxes is checkAddresses for addresses that go out as given
// (send's): each must also be local@domain, with a domain of letters,
// digits, hyphens and dots (or UTF-8, RFC 6531) or an address literal;
// "postmaster" alone is a recipient (RFC 5321 4.5.1) and an empty --from
// the null sender.
func checkMailboxes(flag string, addrs ...string) error {
	if err := checkAddresses(flag, addrs...); err != nil {
		return err
	}
	for _, a := range addrs {
		switch {
		case a == "" && flag == "from":
			continue
		case flag == "to" && strings.EqualFold(a, "postmaster"):
			continue
		case a == "":
			return usageError("--%s \"\": an empty address; give user@domain", flag)
		}
		at := strings.LastIndexByte(a, '@')
		if at <= 0 || at == len(a)-1 {
			return usageError("--%s %q: not an address: give user@domain", flag, a)
		}
		dom := a[at+1:]
		if err := trailingDot(flag, a); err != nil {
			return err
		}
		if why := mailaddr.Fault(a); why != "" {
			return usageError("--%s %q: %s", flag, a, why)
		}
		if strings.HasPrefix(dom, "[") || !isASCII(dom) {
			continue // a literal (Fault checked it), or a UTF-8 name (RFC 6531) the server judges
		}
		if err := dnsName(dom, false); err != nil {
			return usageError("--%s %q: the domain %q is not a domain name: %v", flag, a, dom, err)
		}
	}
	return nil
}

// trailingDot refuses an address whose domain ends in a dot (a@x.test.),
// which DNS's absolute names have and an address does not (RFC 5321
// 4.1.2: a Domain is labels joined by single dots), saying so, where the
// check of the labels called it "two dots in a row, or a dot at the
// start".
func trailingDot(flag, a string) error {
	at := strings.LastIndexByte(a, '@')
	if dom := a[at+1:]; at >= 0 && strings.HasSuffix(dom, ".") && strings.Trim(dom, ".") != "" && !strings.HasSuffix(dom, "..") {
		return usageError("--%s %q: the domain %q has a trailing dot, which an address does not have (RFC 5321 4.1.2; DNS names it an absolute name); give it without: %s",
			flag, a, dom, strings.TrimSuffix(a, "."))
	}
	return nil
}
