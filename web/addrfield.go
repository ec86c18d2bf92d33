package web

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"

	"github.com/relaylab/relaylab/internal/mailaddr"
	"github.com/relaylab/relaylab/internal/mailtext"
)

// addressFields are the fields whose value is an address list (RFC 5322
// 3.6.2, 3.6.3, 3.6.6; RFC 8098 2.1 for Disposition-Notification-To), by
// lower-case name.
var addressFields = map[string]bool{
	"from": true, "sender": true, "reply-to": true, "to": true, "cc": true, "bcc": true,
	"resent-from": true, "resent-sender": true, "resent-to": true, "resent-cc": true, "resent-bcc": true,
	"disposition-notification-to": true,
}

// isAddressField says whether the field name holds an address list.
func isAddressField(name string) bool { return addressFields[strings.ToLower(strings.TrimSpace(name))] }

// encodedWord is the shape of an RFC 2047 encoded-word (=?charset?e?text?=).
var encodedWord = regexp.MustCompile(`=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=`)

// Private-use characters that stand for an encoded-word while the list
// is parsed: net/mail takes them in an atom (RFC 6532 UTF-8), and a
// value that holds them itself is shown as written.
const (
	wordOpen  = "\ue000"
	wordClose = "\ue001"
)

// showAddresses is an address field's value as the page shows it: each
// address after its display name, the name with its encoded-words decoded
// (mailtext.Header) and quoted (RFC 5322 3.2.4) when it holds a character
// that means something in an address (RFC 5322 3.2.3 specials: @ < > , ;
// : " and the rest), so that a name such as "ceo@bank.test
// <ceo@bank.test>", encoded so that it needs no quotes, is not read as
// the address: `"ceo@bank.test <ceo@bank.test>" <attacker@evil.test>`.
// A local part that is no dot-atom keeps its quotes (mailaddr.Quote), for
// the same reason: `"ceo@bank.test <ceo@bank.test>, x"@evil.test`.
//
// ok is false when the value is not an address list (RFC 5322 3.4): it
// is then shown as written, its encoded-words not decoded, since what
// they decode to cannot be told apart from the addresses around them.
// A group of no addresses ("undisclosed-recipients:;") is shown as
// written too, and ok.
func showAddresses(v string) (shown string, ok bool) {
	v = strings.TrimSpace(v)
	if strings.Contains(v, wordOpen) || strings.Contains(v, wordClose) {
		return mailtext.Valid(v), false
	}
	// The encoded-words become placeholders that net/mail leaves alone,
	// so that each is decoded once, by mailtext.Header, as everywhere
	// else (unknown charsets as written, RFC 2047 6.2).
	var words []string
	masked := encodedWord.ReplaceAllStringFunc(v, func(w string) string {
		words = append(words, w)
		return wordOpen + strconv.Itoa(len(words)-1) + wordClose
	})
	list, err := mail.ParseAddressList(masked)
	if err != nil {
		return mailtext.Valid(v), false
	}
	if len(list) == 0 {
		return mailtext.Valid(v), true
	}
	unmask := func(s string) string {
		for i, w := range words {
			s = strings.ReplaceAll(s, wordOpen+strconv.Itoa(i)+wordClose, w)
		}
		return s
	}
	parts := make([]string, 0, len(list))
	for _, a := range list {
		// net/mail gives the local part's value, its quotes taken off:
		// quoted again when it is no dot-atom, or "a b, x"@evil.test
		// would show as a b, x@evil.test (RFC 5322 3.4.1).
		address := mailtext.Valid(mailaddr.Quote(unmask(a.Address)))
		name := strings.TrimSpace(mailtext.Header(unmask(a.Name)))
		if name == "" {
			parts = append(parts, address)
			continue
		}
		parts = append(parts, quotedName(name)+" <"+address+">")
	}
	return strings.Join(parts, ", "), true
}

// quotedName is a display name as a quoted-string (RFC 5322 3.2.4) when
// it holds a special, a quote or a backslash (escaped), or white space at
// either end; as it is otherwise.
func quotedName(name string) string {
	if !strings.ContainsAny(name, `()<>[]:;@\,."`) {
		return name
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(name) + `"`
}

// showField is a header field's value as the page shows it: an address
// field's by showAddresses, any other's with its encoded-words decoded.
// note is, for an address field that is not an address list and holds
// an encoded-word, what the page says of it.
func showField(name, value string) (shown, note string) {
	if !isAddressField(name) {
		return mailtext.Valid(mailtext.Header(value)), ""
	}
	shown, ok := showAddresses(value)
	if !ok && encodedWord.MatchString(value) {
		note = "the " + name + " field is not a list of addresses (RFC 5322 3.4): it is shown as written, its encoded-words not decoded, " +
			"since the text they hold could pass for an address; the .eml download has it as sent"
	}
	return shown, note
}
