package web

import (
	"bytes"
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/relaylab/relaylab/internal/mailaddr"
)

// The inbox's search (q= of /api/v1/sink/messages and of .../latest, the
// Inbox page's search box) is a list of terms separated by spaces, each of
// which a message must match. A plain word is looked for, in any case, in
// the subject, the From field, the envelope sender and the recipients, as
// q= always did, and then in the body's text (its text/plain part and the
// text of its HTML part, decoded), as Mailpit's plain words are; name:value asks one thing of the message (from:alice,
// is:refused, code:4xx); "a phrase" or subject:"two words" keeps its
// spaces; a leading - keeps the messages a term does not match. A
// qualifier the search does not know is an error that lists those it does,
// not a word searched for: from:x misspelt frm:x would otherwise find
// nothing and pass for no mail.

// inboxSearch is a parsed q=: the terms, all of which a message matches;
// whole says a term reads the message's MIME structure (has:attachment,
// body:, a plain word), so that the inbox reads each message whole
// rather than its head.
type inboxSearch struct {
	terms []searchTerm
	whole bool
}

// searchTerm is one term: a test of a message, or its opposite.
type searchTerm struct {
	neg   bool
	is    func(f *searchFields) bool
	whole bool // the term reads the message whole (has:, body:, a plain word)
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// searchFields are what a search reads of a message: the inbox row, and
// from its header the To, Cc and Message-ID fields; text in lower case.
type searchFields struct {
	m                             *InboxMessage
	from, headerFrom, subject     string
	to                            []string
	toFields, messageID, listener string
	reply                         string
	head                          map[string]string
	// The addresses of the From, To and Cc fields, in lower case, read
	// when a search asks for a whole address (fieldAddrs).
	fromAddrs, toAddrs []string
	addrsRead          bool
	// raw is the message as stored, read when the search is whole
	// (withRaw); attached is whether it has an attachment, 0 while not
	// yet read, 1 yes, 2 no; body is the text of its body, in lower
	// case, once read (walked).
	raw        []byte
	attached   int8
	walked     bool
	text, html string // the bodies the walk read
	body       *string
	parts      int // the parts the message page lists as attachments
	// auth is the sink's own SPF, DKIM and DMARC results (withAuth), nil
	// when it did not check the message (sink.verify off).
	auth *InboxAuth
}

// InboxAuth is the sink's own SPF, DKIM and DMARC results of a message
// (sink.verify), as it stored them: the RFC 8601 result words.
type InboxAuth struct {
	SPF   string `json:"spf"`
	DKIM  string `json:"dkim"` // pass when a signature passed, else the first signature's
	DMARC string `json:"dmarc"`
}

// withAuth gives f the sink's results of the message, for spf:, dkim:
// and dmarc: (nil: the sink did not check it, and none of them
// matches).
func (f *searchFields) withAuth(a *InboxAuth) *searchFields {
	f.auth = a
	return f
}

// authResults are the results RFC 8601 defines for each method the sink
// checks, in the order errors list them: SPF's (2.7.2), DKIM's (2.7.1)
// and DMARC's (RFC 7489 11.2).
var authResults = map[string][]string{
	"spf":   {"pass", "fail", "softfail", "neutral", "none", "policy", "temperror", "permerror"},
	"dkim":  {"pass", "fail", "neutral", "none", "policy", "temperror", "permerror"},
	"dmarc": {"pass", "fail", "none", "temperror", "permerror"},
}

// authQualifier reads the value of spf:, dkim: or dmarc: (method): one
// of the method's results, which the sink's stored result must be.
func authQualifier(method string, result func(*InboxAuth) string) func(v string) (func(*searchFields) bool, error) {
	return func(v string) (func(*searchFields) bool, error) {
		words := authResults[method]
		if !slices.Contains(words, v) {
			return nil, fmt.Errorf("%s: takes a result RFC 8601 defines for %s, as the sink's checks (sink.verify) give it: %s, not %q",
				method, strings.ToUpper(method), strings.Join(words, ", "), v)
		}
		return func(f *searchFields) bool { return f.auth != nil && result(f.auth) == v }, nil
	}
}

// withRaw gives f the message's bytes, for has:attachment.
func (f *searchFields) withRaw(raw []byte) *searchFields {
	f.raw = raw
	return f
}

// hasAttachment says whether the message has a part the message page
// lists under attachments: a MIME part that is not the text or HTML body
// shown (an attachment, an inline image, an attached message), read by
// the same walk as that page, once.
func (f *searchFields) hasAttachment() bool {
	f.walk()
	return f.attached == 1
}

// bodyText is the text of the message's body, in lower case: its
// text/plain part and the text of its HTML part (htmlText), each decoded
// as the message page shows it, read by the same walk as that page, once.
func (f *searchFields) bodyText() string {
	if f.body == nil {
		f.walk()
		body := strings.ToLower(f.text)
		if f.html != "" {
			body += "\n" + strings.ToLower(htmlText(f.html))
		}
		f.body = &body
	}
	return *f.body
}

// walk reads the message's MIME structure once, for hasAttachment and
// bodyText.
func (f *searchFields) walk() {
	if f.walked {
		return
	}
	f.walked, f.attached = true, 2
	msg, err := mail.ReadMessage(bytes.NewReader(f.raw))
	if err != nil {
		return
	}
	w := walker{d: &MessageDetail{}}
	w.part(msg.Header, msg.Body, "", 0)
	if f.parts = len(w.d.Attachments); f.parts > 0 {
		f.attached = 1
	}
	f.text, f.html = w.d.Text, w.d.HTML
}

// textTerm is a plain word's test: the subject, the From field, the
// envelope sender and the recipients, then the body's text.
func textTerm(v string) func(f *searchFields) bool {
	return func(f *searchFields) bool {
		return strings.Contains(f.subject, v) || strings.Contains(f.headerFrom, v) || strings.Contains(f.from, v) || anyContains(f.to, v) ||
			strings.Contains(f.bodyText(), v)
	}
}

// fieldsOf is m's fields for a search, with its To, Cc and Message-ID
// fields as read from its header (headFields).
func fieldsOf(m *InboxMessage, head map[string]string) *searchFields {
	f := &searchFields{m: m, from: strings.ToLower(m.From), headerFrom: strings.ToLower(m.HeaderFrom),
		subject: strings.ToLower(m.Subject), listener: strings.ToLower(m.Listener), reply: strings.ToLower(m.Reply),
		toFields: strings.ToLower(head["to"] + "\n" + head["cc"]), messageID: strings.ToLower(head["message-id"]), head: head}
	for _, r := range m.To {
		f.to = append(f.to, strings.ToLower(r))
	}
	return f
}

// match says whether f matches every term of s.
func (s inboxSearch) match(f *searchFields) bool {
	for _, t := range s.terms {
		if t.is(f) == t.neg {
			return false
		}
	}
	return true
}

// qualifier is one of the search's names, with what it matches (for
// the error of one given without a value) and how it reads its value.
type qualifier struct {
	name, about string
	parse       func(v string) (func(f *searchFields) bool, error)
}

// qualifiers are the search's names, in the order the error lists them.
var qualifiers = []qualifier{
	{"from", "the envelope sender or the From field (from:<> the null sender, a bounce's); a whole address (from:app@shop.test) or a part of one (from:shop.test)", func(v string) (func(*searchFields) bool, error) {
		if v == "<>" {
			return func(f *searchFields) bool { return f.m.From == "" }, nil
		}
		if wholeAddress(v) {
			return func(f *searchFields) bool { f.fieldAddrs(); return f.from == v || slices.Contains(f.fromAddrs, v) }, nil
		}
		return func(f *searchFields) bool { return strings.Contains(f.from, v) || strings.Contains(f.headerFrom, v) }, nil
	}},
	{"to", "a recipient (RCPT TO), or the To or Cc field; a whole address (to:bob@shop.test) or a part of one (to:bob, to:@shop.test)", func(v string) (func(*searchFields) bool, error) {
		if wholeAddress(v) {
			return func(f *searchFields) bool {
				f.fieldAddrs()
				return slices.Contains(f.to, v) || slices.Contains(f.toAddrs, v)
			}, nil
		}
		return func(f *searchFields) bool { return anyContains(f.to, v) || strings.Contains(f.toFields, v) }, nil
	}},
	{"addressed", "what from: or to: matches", func(v string) (func(*searchFields) bool, error) {
		if wholeAddress(v) {
			return func(f *searchFields) bool {
				f.fieldAddrs()
				return f.from == v || slices.Contains(f.fromAddrs, v) || slices.Contains(f.to, v) || slices.Contains(f.toAddrs, v)
			}, nil
		}
		return func(f *searchFields) bool {
			return strings.Contains(f.from, v) || strings.Contains(f.headerFrom, v) || anyContains(f.to, v) || strings.Contains(f.toFields, v)
		}, nil
	}},
	{"subject", "the subject", func(v string) (func(*searchFields) bool, error) {
		return func(f *searchFields) bool { return strings.Contains(f.subject, v) }, nil
	}},
	{"body", "the text of the body: its text/plain part and the text of its HTML part, decoded", func(v string) (func(*searchFields) bool, error) {
		return func(f *searchFields) bool { return strings.Contains(f.bodyText(), v) }, nil
	}},
	{"message-id", "the Message-ID field", func(v string) (func(*searchFields) bool, error) {
		return func(f *searchFields) bool { return strings.Contains(f.messageID, v) }, nil
	}},
	{"reply", "the text of the sink's reply after the data (reply:4.7.1)", func(v string) (func(*searchFields) bool, error) {
		return func(f *searchFields) bool { return strings.Contains(f.reply, v) }, nil
	}},
	{"code", "the code of that reply: code:451, code:4xx, code:45x", parseCode},
	{"is", "is:accepted (2xx), is:deferred (4xx), is:refused (5xx), is:noreply (the sink dropped the connection or hung)", parseIs},
	{"listener", "the name of the sink's listener that took it, whole", func(v string) (func(*searchFields) bool, error) {
		return func(f *searchFields) bool { return f.listener == v }, nil
	}},
	{"session", "the id of the session that brought it", func(v string) (func(*searchFields) bool, error) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("session: takes a session's id, a positive integer, not %q", v)
		}
		id := strconv.FormatInt(n, 10)
		return func(f *searchFields) bool { return f.m.Session == id }, nil
	}},
	{"spf", "the sink's SPF result (sink.verify): spf:pass, spf:fail, spf:softfail, spf:neutral, spf:none, spf:policy, spf:temperror, spf:permerror",
		authQualifier("spf", func(a *InboxAuth) string { return a.SPF })},
	{"dkim", "the sink's DKIM result (sink.verify), pass when a signature passed, else the first signature's: dkim:pass, dkim:fail, dkim:neutral, dkim:none, dkim:policy, dkim:temperror, dkim:permerror",
		authQualifier("dkim", func(a *InboxAuth) string { return a.DKIM })},
	{"dmarc", "the sink's DMARC result (sink.verify): dmarc:pass, dmarc:fail, dmarc:none, dmarc:temperror, dmarc:permerror",
		authQualifier("dmarc", func(a *InboxAuth) string { return a.DMARC })},
	{"has", "has:attachment, a message with a part other than its text and HTML bodies (an attachment, an inline image): the parts its page lists", func(v string) (func(*searchFields) bool, error) {
		if v != "attachment" && v != "attachments" {
			return nil, fmt.Errorf("has: takes attachment (a message with a part other than its text and HTML bodies), not %q", v)
		}
		return (*searchFields).hasAttachment, nil
	}},
	{"after", "received at or after a date (after:2026-01-02, UTC) or time (after:2026-01-02T15:04:05Z)", func(v string) (func(*searchFields) bool, error) {
		t, err := parseSearchTime("after", v)
		return func(f *searchFields) bool { return !f.m.Time.Before(t) }, err
	}},
	{"before", "received before a date or time, as after:", func(v string) (func(*searchFields) bool, error) {
		t, err := parseSearchTime("before", v)
		return func(f *searchFields) bool { return f.m.Time.Before(t) }, err
	}},
	{"larger", "more bytes than that: larger:10k, larger:2m (KiB, MiB)", func(v string) (func(*searchFields) bool, error) {
		n, err := parseSearchSize("larger", v)
		return func(f *searchFields) bool { return f.m.Size > n }, err
	}},
	{"smaller", "fewer bytes than that, as larger:", func(v string) (func(*searchFields) bool, error) {
		n, err := parseSearchSize("smaller", v)
		return func(f *searchFields) bool { return f.m.Size < n }, err
	}},
}

// wholeAddress says whether a from:, to: or addressed: value is a whole
// address, text on both sides of an @ (bob@shop.test), which matches an
// address that is all of it, in any case: a CI check for to:bob@shop.test
// must not pass on jimbob@shop.test. Any other value (bob, @shop.test,
// bob@) matches a part of an address.
func wholeAddress(v string) bool {
	at := strings.LastIndexByte(v, '@')
	return at > 0 && at < len(v)-1
}

// fieldAddrs reads the addresses of f's From, To and Cc fields, once: as
// the fields are shown (showField), each address's local part quoted
// when it is no dot-atom, and also as its value, quotes taken off. A
// field that is not an address list gives none.
func (f *searchFields) fieldAddrs() {
	if f.addrsRead {
		return
	}
	f.addrsRead = true
	f.fromAddrs = fieldAddresses(f.head["from"])
	f.toAddrs = append(fieldAddresses(f.head["to"]), fieldAddresses(f.head["cc"])...)
}

// fieldAddresses are the addresses of an address field's value, in lower
// case, each as written quoted and as its value.
func fieldAddresses(v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	list, err := mail.ParseAddressList(v)
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range list {
		addr := strings.ToLower(a.Address)
		out = append(out, addr)
		if q := mailaddr.Quote(addr); q != addr {
			out = append(out, q)
		}
	}
	return out
}

// qualifierNames lists the qualifiers as typed: "from:, to:, ...".
func qualifierNames() string {
	names := make([]string, len(qualifiers))
	for i, q := range qualifiers {
		names[i] = q.name + ":"
	}
	return strings.Join(names, ", ")
}

func anyContains(vs []string, v string) bool {
	return slices.ContainsFunc(vs, func(s string) bool { return strings.Contains(s, v) })
}

// parseCode reads code:'s value: a reply code, each digit but the first
// possibly x (any).
func parseCode(v string) (func(*searchFields) bool, error) {
	ok := len(v) == 3 && v[0] >= '2' && v[0] <= '5'
	for i := 1; ok && i < 3; i++ {
		ok = v[i] >= '0' && v[i] <= '9' || v[i] == 'x'
	}
	if !ok {
		return nil, fmt.Errorf("code: takes a reply code of three digits, the last two of which may be x for any: code:451, code:4xx, code:55x, not %q (is:noreply finds the messages the sink gave no reply)", v)
	}
	return func(f *searchFields) bool {
		c := strconv.Itoa(f.m.Code)
		if len(c) != 3 {
			return false
		}
		for i := range 3 {
			if v[i] != 'x' && v[i] != c[i] {
				return false
			}
		}
		return true
	}, nil
}

// parseIs reads is:'s value: the kind of the sink's reply after the data.
func parseIs(v string) (func(*searchFields) bool, error) {
	switch v {
	case "accepted":
		return func(f *searchFields) bool { return f.m.Code/100 == 2 }, nil
	case "deferred":
		return func(f *searchFields) bool { return f.m.Code/100 == 4 }, nil
	case "refused":
		return func(f *searchFields) bool { return f.m.Code/100 == 5 }, nil
	case "noreply":
		return func(f *searchFields) bool { return f.m.Code == 0 }, nil
	case "unread", "read", "seen", "unseen", "new":
		return nil, fmt.Errorf("is: takes accepted (a 2xx reply after the data), deferred (4xx), refused (5xx) or noreply, not %q: the sink keeps no read state "+
			"(Mailpit's is:read and is:unread), no message is read or unread and opening one changes nothing; to find the messages that came since you last looked, "+
			"give after= the largest id you read (GET /api/v1/sink/messages?after=42) or q=after:2026-01-02T15:04:05Z", v)
	}
	return nil, fmt.Errorf("is: takes accepted (a 2xx reply after the data), deferred (4xx), refused (5xx) or noreply (none: the sink dropped the connection or hung), not %q", v)
}

// parseSearchTime reads a date (UTC midnight) or an RFC 3339 time.
func parseSearchTime(name, v string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, strings.ToUpper(v)); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s: takes a date, 2026-01-02 (midnight UTC), or a time, 2026-01-02T15:04:05Z or with an offset such as +02:00 (written %%2B02:00 in a URL), not %q; the %s= parameter, not q=, takes a message id", name, v, name)
}

// parseSearchSize reads a size in bytes, with k (KiB) or m (MiB) after it.
func parseSearchSize(name, v string) (int64, error) {
	mult := int64(1)
	num := v
	switch {
	case strings.HasSuffix(v, "k"):
		mult, num = 1<<10, v[:len(v)-1]
	case strings.HasSuffix(v, "m"):
		mult, num = 1<<20, v[:len(v)-1]
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<40) {
		return 0, fmt.Errorf("%s: takes a size in bytes, with k for KiB or m for MiB after it: %s:500, %s:10k, %s:2m, not %q", name, name, name, name, v)
	}
	return n * mult, nil
}

// searchError is a q= that cannot be read: what is wrong (the 400's
// error) and how to write it instead (its detail).
type searchError struct{ what, detail string }

func (e *searchError) Error() string { return e.what + ": " + e.detail }

// parseSearch reads q=. Letters' case does not matter, in names or
// values. A term is taken as name:value when it starts with a name (a
// letter, then letters, digits or -) and a colon outside quotes; any
// other term is text. A term that ends at the colon of a name the search
// does not know ("Re:", "AW:") is text too, so that a subject's prefix
// can be searched for.
func parseSearch(q string) (inboxSearch, error) {
	var s inboxSearch
	raws, err := splitSearch(q)
	if err != nil {
		return s, err
	}
	for k, rt := range raws {
		if rt.name == "" {
			if rt.value == "" {
				continue // "" or a lone -: nothing to look for
			}
			if rt.neg && strings.HasPrefix(rt.text, "-") && !rt.quoted {
				if name, _, ok := strings.Cut(rt.text[1:], ":"); ok && slices.ContainsFunc(qualifiers, func(ql qualifier) bool { return strings.EqualFold(ql.name, name) }) {
					return s, &searchError{"two dashes before " + strconv.Quote(name+":") + " in q",
						"one - leaves out the messages a term matches; two are not read as \"not not\": write " + rt.text[1:] + " or -" + rt.text[1:] +
							` (to look for the text --` + rt.text[1:] + ` itself, write it in double quotes: "--` + rt.text[1:] + `")`}
				}
			}
			s.terms = append(s.terms, searchTerm{neg: rt.neg, is: textTerm(rt.value), whole: true})
			s.whole = true
			continue
		}
		i := slices.IndexFunc(qualifiers, func(ql qualifier) bool { return ql.name == rt.name })
		if i < 0 {
			if rt.value == "" && !rt.quoted {
				if k+1 < len(raws) && spacedValue(raws[k+1]) && !subjectPrefixes[rt.name] {
					// "foo: bar": a qualifier's value after a space, which
					// as two words would find nothing and pass for no mail.
					return s, &searchError{"unknown qualifier " + strconv.Quote(rt.name+":") + " in q",
						"a qualifier's value follows its colon without a space (from:alice, not from: alice), and " + unknownDetail(rt.name, rt.text)}
				}
				// "Re:" alone, or "Re: invoice": the text it is.
				s.terms = append(s.terms, searchTerm{neg: rt.neg, is: textTerm(rt.name + ":"), whole: true})
				s.whole = true
				continue
			}
			return s, &searchError{"unknown qualifier " + strconv.Quote(rt.name+":") + " in q", unknownDetail(rt.name, rt.text)}
		}
		if rt.value == "" {
			return s, &searchError{"qualifier " + strconv.Quote(rt.name+":") + " without a value in q",
				rt.name + ": " + qualifiers[i].about + "; give it a value after the colon, without a space (in double quotes when it has spaces: " +
					rt.name + `:"two words")`}
		}
		is, err := qualifiers[i].parse(rt.value)
		if err != nil {
			// The value as typed, not as the search reads it (lower case).
			detail := strings.Replace(err.Error(), strconv.Quote(rt.value), strconv.Quote(rt.typed), 1)
			return s, &searchError{"bad " + strconv.Quote(rt.name+":") + " in q", detail}
		}
		whole := rt.name == "has" || rt.name == "body"
		s.terms = append(s.terms, searchTerm{neg: rt.neg, is: is, whole: whole})
		s.whole = s.whole || whole
	}
	// The terms that read the message whole go last: a message that
	// fails a cheaper one is not parsed.
	slices.SortStableFunc(s.terms, func(a, b searchTerm) int { return cmpBool(a.whole, b.whole) })
	return s, nil
}

// unknownDetail is the detail of the error of a qualifier name the
// search does not know, in a term written text: the qualifier meant,
// those it knows, and how to look for the text itself.
func unknownDetail(name, text string) string {
	hint := ""
	if alt, ok := qualifierHints[name]; ok {
		hint = alt + "; "
	}
	return hint + "the search knows " + qualifierNames() + " (what each matches: the q= of /api/v1/sink/messages in /openapi.yaml, or the Inbox page's search help); to look for the text " + text +
		" itself, write it in double quotes: \"" + text + "\""
}

// spacedValue says whether a term may be the value of the name before
// it, written after a space ("foo: bar"): a plain word or phrase, not a
// qualifier of its own or a term left out ("dropped: is:noreply" is the
// text dropped: and is:noreply).
func spacedValue(next rawTerm) bool {
	return next.name == "" && !next.neg && next.value != ""
}

// subjectPrefixes are the words, lower case, that mail programs put with
// a colon before a subject they answer or forward, in the languages
// written in Latin letters: "Re: invoice" is the text it is, while
// "foo: bar", a name the search does not know with its value after a
// space, is an error rather than two words that find nothing.
var subjectPrefixes = map[string]bool{
	"re": true, "fw": true, "fwd": true, "aw": true, "wg": true, "sv": true, "vs": true, "vb": true, "tr": true, "rv": true,
	"enc": true, "r": true, "rif": true, "i": true, "antw": true, "doorst": true, "odp": true, "pd": true, "ynt": true, "ilt": true,
	"vl": true, "atb": true, "bls": true, "fs": true, "trs": true, "ref": true,
}

// rawTerm is one term of q= as written: a qualifier's name (lower case,
// "" for text), its value or the text (lower case, quotes taken off),
// whether any of it was quoted, and its text as written, for errors.
type rawTerm struct {
	neg         bool
	name, value string
	typed       string // the value in its case as written
	quoted      bool
	text        string
}

// qualifierHints say, for a name the search does not know that one
// would try, which qualifier to use instead.
var qualifierHints = map[string]string{
	"cc":  "to: matches the Cc field (and the To field, and the recipients)",
	"bcc": "a Bcc recipient is in no field the sink receives: to: matches the recipients (RCPT TO), those of Bcc too",
}

// splitSearch splits q at the spaces outside double quotes. In quotes, \"
// is a quote and \\ a backslash; a quote opened and not closed is an
// error, as the rest of the search would otherwise be one phrase.
func splitSearch(q string) ([]rawTerm, error) {
	var out []rawTerm
	rs := []rune(q)
	for i := 0; i < len(rs); {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		start := i
		var t rawTerm
		if rs[i] == '-' && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
			t.neg = true
			i++
		}
		var b strings.Builder
		nameDone := false // a name's colon was seen, or can no longer be
		inQuote := false
		for ; i < len(rs) && (inQuote || !unicode.IsSpace(rs[i])); i++ {
			c := rs[i]
			switch {
			case c == '"':
				inQuote, t.quoted, nameDone = !inQuote, true, true
			case inQuote && c == '\\' && i+1 < len(rs) && (rs[i+1] == '"' || rs[i+1] == '\\'):
				i++
				b.WriteRune(rs[i])
			case !nameDone && !inQuote && c == ':' && b.Len() > 0:
				t.name, nameDone = strings.ToLower(b.String()), true
				b.Reset()
			default:
				if !nameDone && !isNameRune(c, b.Len() == 0) {
					nameDone = true
				}
				b.WriteRune(c)
			}
		}
		if inQuote {
			return nil, &searchError{"unclosed quote in q", "the quote before " + strconv.Quote(string(rs[start:min(len(rs), start+40)])) +
				" is not closed: end the phrase with a double quote, or write \\\" for a quote inside it"}
		}
		t.text = string(rs[start:i])
		if t.neg {
			t.text = t.text[1:]
		}
		t.typed = b.String()
		t.value = strings.ToLower(t.typed)
		out = append(out, t)
	}
	return out, nil
}

// isNameRune says whether c may stand in a qualifier's name, first
// (a letter) or after (letters, digits, -).
func isNameRune(c rune, first bool) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
		return true
	}
	return !first && (c >= '0' && c <= '9' || c == '-')
}
