package web

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/relaylab/relaylab/internal/mailtext"
	"github.com/relaylab/relaylab/probe"
)

// Message text reaches the UI one way: DecodeMessage turns a message's
// bytes into the MessageDetail that the sink's and the relay's adapters
// return, and every handler that answers with message text passes it
// through mailtext.Valid. Text is decoded from the charset it declares (RFC
// 2047 encoded-words in the header, RFC 2045 charset= on a text part);
// bytes that are not text in their charset, or not UTF-8 where none is
// declared, become U+FFFD, one per byte, as encoding/json writes them.

// maxPart caps the bytes of one part that are read and decoded.
const maxPart = 4 << 20

// DecodeMessage parses raw, an RFC 5322 message, into its header fields,
// its subject and its first text/plain and text/html parts, each decoded
// into valid UTF-8, its other parts (Attachments) and notes on what it
// could not read. A message that does not parse is shown whole, as text.
// Envelope fields (ID, From, To, Received, Size) are the caller's to set.
func DecodeMessage(raw []byte) MessageDetail {
	d := MessageDetail{StoredSize: int64(len(raw))}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		d.Text = mailtext.Valid(string(raw))
		return d
	}
	for _, h := range fieldOrder(raw, msg.Header) {
		// Shown decoded (RFC 2047), as a mail client shows them, so
		// that a direction control inside an encoded-word is seen and
		// warned about like one written as it is; an address field's
		// display names quoted where they could pass for an address
		// (showAddresses).
		v, note := showField(h.Name, h.Value)
		d.Headers = append(d.Headers, Header{Name: mailtext.Valid(h.Name), Value: v})
		notes := fieldNotes(h.Name, h.Value, note != "")
		if note != "" {
			notes = append([]string{note}, notes...)
		}
		for _, n := range notes {
			if n = mailtext.Valid(n); !slices.Contains(d.Notes, n) { // a name's fields say it once
				d.Notes = append(d.Notes, n)
			}
		}
	}
	d.Subject = mailtext.Header(msg.Header.Get("Subject"))
	w := walker{d: &d}
	if err := w.part(msg.Header, msg.Body, "", 0); err != nil {
		w.note("the message cannot be read to its end: its body is not shown")
	}
	if w.capped {
		w.note("the message has more than %d parts: relaylab reads the first %d and lists no more", maxParts, maxParts)
	}
	if d.Text == "" && d.HTML != "" {
		// What a client that reads text only shows of it, marked as
		// not the sender's.
		if t := mailtext.Valid(htmlText(d.HTML)); t != "" {
			d.Text, d.TextDerived = t, true
		}
	}
	d.Fields = messageFields(msg.Header)
	return d
}

// fieldNotes say what of the header field name: v the page cannot show
// as sent, each once: an encoded-word in a charset relaylab cannot read,
// or that does not decode (either shown as written, RFC 2047 6.3), or
// whose text is not in the charset it names; and bytes that are not
// UTF-8, shown as U+FFFD. asWritten says the field is shown as written
// already, with a note that says so, which its words need not repeat.
func fieldNotes(name, v string, asWritten bool) []string {
	var notes []string
	for _, cs := range mailtext.UnreadCharsets(v) {
		notes = append(notes, fmt.Sprintf("the %s field has an encoded-word in charset %s, which relaylab cannot read: the word is shown as written", name, cs))
	}
	for _, word := range mailtext.Words(v) {
		if asWritten {
			break
		}
		charset, enc, text := wordParts(word)
		if !mailtext.Known(charset) {
			continue // said above
		}
		raw, err := wordBytes(enc, text)
		switch {
		case err != nil:
			notes = append(notes, fmt.Sprintf("the %s field has an encoded-word that cannot be decoded, %s (%s): the word is shown as written", name, quoteShort(word), wordFault(enc)))
		case mailtext.Header(word) == word:
			notes = append(notes, fmt.Sprintf("the %s field has an encoded-word in charset %s, which relaylab cannot decode: the word is shown as written", name, charset))
		case isUTF8(charset) && !utf8.Valid(raw):
			notes = append(notes, fmt.Sprintf("the %s field has an encoded-word, %s, whose text is not UTF-8 though its charset says so: shown with \uFFFD for bytes that are not", name, quoteShort(word)))
		case isASCII(charset) && !isASCIIBytes(raw):
			notes = append(notes, fmt.Sprintf("the %s field has an encoded-word, %s, whose text is not US-ASCII though its charset says so: shown with \uFFFD for bytes that are not", name, quoteShort(word)))
		}
	}
	if !utf8.ValidString(v) {
		// RFC 6532 3.2 lets a field hold UTF-8; any other 8-bit text
		// (Latin-1, windows-1252) belongs in an encoded-word that names
		// its charset (RFC 2047), and is not read as a guess.
		notes = append(notes, fmt.Sprintf("the %s field holds bytes that are not UTF-8, such as Latin-1 written raw: shown with \uFFFD for each; "+
			"a header field may hold UTF-8 (RFC 6532 3.2) but text in another charset only as an RFC 2047 encoded-word that names it, so the sender should write it so", name))
	}
	return notes
}

// wordParts splits an encoded-word that mailtext.Words found.
func wordParts(word string) (charset, enc, text string) {
	inner := word[2 : len(word)-2]
	charset, rest, _ := strings.Cut(inner, "?")
	enc, text, _ = strings.Cut(rest, "?")
	return charset, enc, text
}

// wordBytes are the octets an encoded-word's text stands for, in its
// charset, undecoded; err when the encoding is not B or Q or the text is
// not in it. mime.WordDecoder decodes them, given a charset whose reader
// passes them through.
func wordBytes(enc, text string) ([]byte, error) {
	var raw []byte
	dec := mime.WordDecoder{CharsetReader: func(_ string, r io.Reader) (io.Reader, error) {
		b, err := io.ReadAll(r)
		raw = b
		return bytes.NewReader(b), err
	}}
	if _, err := dec.Decode("=?x-octets?" + enc + "?" + text + "?="); err != nil {
		return nil, err
	}
	return raw, nil
}

// wordFault says why an encoded-word of encoding enc does not decode.
func wordFault(enc string) string {
	switch enc {
	case "b", "B":
		return "RFC 2047 4.1: the text of a B word is base64, and this is not"
	case "q", "Q":
		return "RFC 2047 4.2: the text of a Q word is printable ASCII with =XX for other octets, and this is not"
	}
	return fmt.Sprintf("RFC 2047 4: the encoding is B or Q, and this one is %q", enc)
}

// isUTF8 and isASCII say whether charset names UTF-8 or US-ASCII, which
// need no decoding.
func isUTF8(charset string) bool {
	cs := strings.ToLower(strings.TrimSpace(charset))
	return cs == "utf-8" || cs == "utf8"
}

func isASCII(charset string) bool {
	cs := strings.ToLower(strings.TrimSpace(charset))
	return cs == "us-ascii" || cs == "ascii"
}

// isASCIIBytes says whether b is 7-bit.
func isASCIIBytes(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// fieldOrder lists the fields of header (net/mail keeps them in a map, a
// name's values in order) in the order they stand in raw's header
// section: each where its line starts a field, read line by line up to
// the empty line that ends the section, so that a name written inside
// another field (From:To: in a DKIM-Signature's h= tag, mailto: in a
// List-Unsubscribe) places nothing. Fields raw does not show so (none,
// unless raw passes the 64 KiB read here) follow, by name.
func fieldOrder(raw []byte, header mail.Header) []Header {
	var out []Header
	used := map[string]int{}
	for line := range mailtext.HeaderLines(raw[:min(len(raw), 64<<10)]) {
		if line[0] == ' ' || line[0] == '\t' {
			continue // a folded line goes on with the field before
		}
		name, _, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		key := textproto.CanonicalMIMEHeaderKey(string(bytes.TrimRight(name, " \t")))
		if vs := header[key]; used[key] < len(vs) {
			out = append(out, Header{Name: key, Value: vs[used[key]]})
			used[key]++
		}
	}
	var rest []string
	for key, vs := range header {
		if used[key] < len(vs) {
			rest = append(rest, key)
		}
	}
	slices.Sort(rest)
	for _, key := range rest {
		for _, v := range header[key][used[key]:] {
			out = append(out, Header{Name: key, Value: v})
		}
	}
	return out
}

// textOf is s as the API and the page show text from mail: valid UTF-8
// (mailtext.Valid), and each control character that is no text, as a
// byte that is not text in its charset is, U+FFFD: a NUL, the other C0
// controls but tab, line feed and carriage return, and DEL. A NUL was
// "\u0000" in the API and a box on the page, where the relay's list
// drops it.
func textOf(s string) string {
	s = mailtext.Valid(s)
	if strings.IndexFunc(s, notText) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if notText(r) {
			return utf8.RuneError
		}
		return r
	}, s)
}

// notText says whether r is a control character that textOf replaces.
func notText(r rune) bool {
	return r < ' ' && r != '\t' && r != '\n' && r != '\r' || r == 0x7f
}

// validDetail is m with every text of the message valid UTF-8, its
// controls that are no text U+FFFD (textOf), whatever the adapter that
// read it did.
func validDetail(m MessageDetail) MessageDetail {
	m.Subject, m.Text, m.HTML = textOf(m.Subject), textOf(m.Text), textOf(m.HTML)
	m.From = textOf(m.From)
	if len(m.To) > 0 {
		to := make([]string, len(m.To))
		for i, t := range m.To {
			to[i] = textOf(t)
		}
		m.To = to
	}
	if len(m.Headers) > 0 {
		hs := make([]Header, len(m.Headers))
		for i, h := range m.Headers {
			hs[i] = Header{Name: textOf(h.Name), Value: textOf(h.Value)}
		}
		m.Headers = hs
	}
	if len(m.Attachments) > 0 {
		as := make([]Attachment, len(m.Attachments))
		for i, a := range m.Attachments {
			a.Part, a.Filename, a.ContentType, a.Disposition = textOf(a.Part), textOf(a.Filename), textOf(a.ContentType), textOf(a.Disposition)
			if a.Message != nil {
				am := AttachedMessage{From: textOf(a.Message.From), Subject: textOf(a.Message.Subject), Date: textOf(a.Message.Date)}
				a.Message = &am
			}
			as[i] = a
		}
		m.Attachments = as
	}
	if len(m.Notes) > 0 {
		ns := make([]string, len(m.Notes))
		for i, n := range m.Notes {
			ns[i] = textOf(n)
		}
		m.Notes = ns
	}
	return m
}

// sinkAuthservID is the authserv-id of the Authentication-Results field
// the sink puts first on a message it checked (sink/authcheck): the sink
// drops any field the message brought that claims it (RFC 8601 5).
const sinkAuthservID = "relaylab"

// AuthVerdict is what the sink's own SPF, DKIM and DMARC checks
// (sink.verify) found of a message it stored, each result with what it
// means.
type AuthVerdict struct {
	SPF   AuthCheck   `json:"spf"`
	DKIM  []AuthCheck `json:"dkim"` // one per signature checked, or one "none"
	DMARC AuthCheck   `json:"dmarc"`
}

// AuthCheck is one result: an RFC 8601 value and its meaning, and what
// it was about.
type AuthCheck struct {
	Result  string `json:"result"` // pass, fail, softfail, neutral, none, temperror, permerror
	Meaning string `json:"meaning"`
	// Domain is the identity checked: SPF's MAIL FROM (or HELO) domain,
	// a DKIM signature's d=, DMARC's From domain.
	Domain    string `json:"domain,omitempty"`
	Selector  string `json:"selector,omitempty"`  // a DKIM signature's s=
	Algorithm string `json:"algorithm,omitempty"` // a DKIM signature's a=: rsa-sha256, ed25519-sha256
	Policy    string `json:"policy,omitempty"`    // DMARC's p=: none, quarantine, reject
	Reason    string `json:"reason,omitempty"`    // the checker's words on a result other than pass, when it gave some
	// Cause is which part of a DKIM signature failed, when the checker
	// said: body-hash, signature or expired (probe.DKIMCause); the
	// meaning follows it.
	Cause string `json:"cause,omitempty"`
	// Note is a caution on a pass (the checker's reason= on it): a From
	// field the signature does not cover above the signed one, a DMARC
	// pass that rests on an ed25519 signature alone.
	Note string `json:"note,omitempty"`
}

// authVerdict reads the sink's verdict on a message: spf, dkim and dmarc
// as the sink recorded them (empty spf: the sink did not check it), the
// details from the Authentication-Results field it put first in headers
// (parseAuthResults: its reasons are quoted-strings), which is used only
// when it is first, is the sink's (authserv-id) and
// agrees with the record, since otherwise it may be the sender's.
func authVerdict(headers []Header, spf, dkim, dmarc, policy string) *AuthVerdict {
	if spf == "" {
		return nil
	}
	v := &AuthVerdict{SPF: AuthCheck{Result: spf}, DMARC: AuthCheck{Result: dmarc, Policy: strings.ToLower(policy)}}
	var res []arResult
	if len(headers) > 0 && strings.EqualFold(headers[0].Name, "Authentication-Results") {
		if id, rs := parseAuthResults(headers[0].Value); strings.EqualFold(id, sinkAuthservID) {
			res = rs
		}
	}
	var dkims []AuthCheck
	for _, r := range res {
		p := r.params
		switch r.method {
		case "spf":
			if r.result == spf {
				v.SPF.Domain, v.SPF.Reason = domainPart(cmp.Or(p["smtp.mailfrom"], p["smtp.helo"])), p["reason"]
			}
		case "dkim":
			d := AuthCheck{Result: r.result, Domain: p["header.d"], Selector: p["header.s"], Algorithm: p["header.a"]}
			d.reasonOrNote(p["reason"])
			if d.Result != "pass" {
				d.Cause = probe.DKIMCause(d.Reason)
			}
			dkims = append(dkims, d)
		case "dmarc":
			if r.result == dmarc {
				v.DMARC.Domain = p["header.from"]
				v.DMARC.reasonOrNote(p["reason"])
			}
		}
	}
	if !agrees(dkims, dkim) {
		dkims = []AuthCheck{{Result: dkim}}
	}
	sigs := withSelectors(dkims, headers)
	v.DKIM = dkims
	v.SPF.Meaning = meaning("spf", v.SPF.Result)
	v.DMARC.Meaning = meaning("dmarc", v.DMARC.Result)
	for i := range v.DKIM {
		var tags map[string]string
		if sigs != nil {
			tags = sigs[i]
		}
		v.DKIM[i].Meaning = dkimMeaning(v.DKIM[i], tags)
	}
	return v
}

// reasonOrNote keeps the checker's reason= of c: a note when c passed,
// as a reason says why a result is not pass.
func (c *AuthCheck) reasonOrNote(reason string) {
	if c.Result == "pass" {
		c.Note = reason
		return
	}
	c.Reason = reason
}

// dkimMeaning is what the DKIM result c means, following its cause when
// it failed, with the tags of its signature (nil when unknown): a
// changed body, naming the body canonicalization of c=, is told from a
// changed header field or a key that is not the signer's, which the
// body hash's match shows.
func dkimMeaning(c AuthCheck, tags map[string]string) string {
	switch {
	case c.Result == "fail" && c.Cause == probe.DKIMCauseBodyHash:
		m := "the body changed after signing (a footer added, long lines rewrapped"
		if tags == nil { // the signature is not known: nor is its c=
			return m + "; under c=simple also trailing whitespace or line endings: sign with c=relaxed/relaxed)"
		}
		canon := strings.ToLower(tags["c"])
		if !strings.Contains(canon, "/") {
			canon = cmp.Or(canon, "simple") + "/simple" // RFC 6376 3.5: simple when absent or alone
		}
		if strings.HasSuffix(canon, "/simple") {
			return m + "; under the signature's c=" + canon + " also trailing whitespace or line endings: sign with c=relaxed/relaxed)"
		}
		return m + ", under the signature's c=" + canon + ")"
	case c.Result == "fail" && c.Cause == probe.DKIMCauseSignature:
		key := "the key in DNS"
		if c.Selector != "" && c.Domain != "" {
			key = "the key at " + c.Selector + "._domainkey." + c.Domain
		}
		return "the body is intact; a signed header field changed on the way, or " + key + " is not the one that signed (relaylab dkim check --config compares them)"
	case c.Cause == probe.DKIMCauseExpired:
		return "the signature's expiry time (x=) had passed when the sink checked it: mail held longer than x= allows fails so, and the signer should set a later x= or none; some verifiers allow a few minutes of clock skew"
	}
	return meaning("dkim", c.Result)
}

// agrees reports whether the signatures' results give the one the sink
// recorded: pass when one passes, else the first's (sink/authcheck).
func agrees(dkims []AuthCheck, dkim string) bool {
	if len(dkims) == 0 {
		return false
	}
	got := dkims[0].Result
	for _, d := range dkims {
		if d.Result == "pass" {
			got = "pass"
		}
	}
	return got == dkim
}

// withSelectors gives each DKIM result the s= of its signature, and its
// a= when the result had no header.a: the sink checks the
// DKIM-Signature fields in order and writes a result for each, so the
// n-th result is the n-th signature's when their number and domains
// agree; otherwise none is guessed. It returns the tags of each
// result's signature, or nil when they are not known.
func withSelectors(dkims []AuthCheck, headers []Header) []map[string]string {
	var sigs []map[string]string
	for _, h := range headers {
		if strings.EqualFold(h.Name, "DKIM-Signature") {
			tags := map[string]string{}
			for _, t := range strings.Split(h.Value, ";") {
				if k, val, ok := strings.Cut(t, "="); ok {
					tags[strings.TrimSpace(k)] = strings.Join(strings.Fields(val), "")
				}
			}
			sigs = append(sigs, tags)
		}
	}
	if len(sigs) != len(dkims) {
		return nil
	}
	for i, s := range sigs {
		if !strings.EqualFold(s["d"], dkims[i].Domain) {
			return nil
		}
	}
	for i, s := range sigs {
		dkims[i].Selector = s["s"]
		dkims[i].Algorithm = cmp.Or(dkims[i].Algorithm, s["a"])
	}
	return sigs
}

// domainPart is the domain of an address, or s when it has no @.
func domainPart(s string) string {
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// meanings are the results of RFC 7208 2.6, RFC 6376 with RFC 8601 2.7.1
// and RFC 7489 11.2 said for a person.
var meanings = map[string]string{
	"spf pass":        "the sending IP address is one the domain's SPF record allows",
	"spf fail":        "the domain's SPF record says this IP address may not send for it (-all): receivers may refuse the message",
	"spf softfail":    "the domain's SPF record says this IP address is probably not allowed (~all): most receivers accept the message but count it against it",
	"spf neutral":     "the domain's SPF record makes no claim about this IP address (?all): as if there were no record",
	"spf none":        "the domain publishes no SPF record, or there was no domain to check",
	"spf temperror":   "a DNS error stopped the check: a receiver would usually defer (4xx) and let the sender try again",
	"spf permerror":   "the domain's SPF record cannot be used (a syntax error, or more than 10 DNS lookups): fix the record",
	"dkim pass":       "the signature verifies: the signing domain vouches for the message, and the signed parts were not changed on the way",
	"dkim fail":       "the signature does not verify: the message was changed after it was signed (a footer, a rewritten header field) or the key in DNS is not the one that signed",
	"dkim neutral":    "the signature could not be shown valid or invalid",
	"dkim none":       "the message has no DKIM signature",
	"dkim policy":     "the domain signed, but in a way that is not accepted, whether or not the signature verifies: a body length tag (l=), which lets anyone append content below the signed part, a weak key, an unsigned From; the sender should sign without it",
	"dkim temperror":  "the signing key could not be fetched (a DNS error): a receiver would try again later",
	"dkim permerror":  "the signature or its key cannot be used (a tag missing, no key at selector._domainkey.domain, a key that does not parse): fix the signature or the record",
	"dmarc pass":      "SPF or DKIM passed for a domain aligned with the From domain",
	"dmarc fail":      "neither SPF nor DKIM passed for a domain aligned with the From domain: the domain's policy says what receivers do with the message",
	"dmarc none":      "the From domain publishes no DMARC record",
	"dmarc temperror": "a DNS error stopped the lookup of the DMARC record: a receiver would try again later",
	"dmarc permerror": "the DMARC record cannot be used, or the From field does not hold exactly one address",
}

// meaning is a result of method said for a person.
func meaning(method, result string) string {
	if m, ok := meanings[method+" "+result]; ok {
		return m
	}
	return "a result RFC 8601 does not define for " + method
}
