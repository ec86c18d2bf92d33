package web

import (
	"bytes"
	"fmt"
	"net/mail"
	"net/textproto"
	"slices"

	"github.com/relaylab/relaylab/internal/mailtext"
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
	var d MessageDetail
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		d.Text = mailtext.Valid(string(raw))
		return d
	}
	for _, h := range fieldOrder(raw, msg.Header) {
		// Shown decoded (RFC 2047), as a mail client shows them, so
		// that a direction control inside an encoded-word is seen and
		// warned about like one written as it is.
		d.Headers = append(d.Headers, Header{Name: mailtext.Valid(h.Name), Value: mailtext.Valid(mailtext.Header(h.Value))})
	}
	d.Subject = mailtext.Header(msg.Header.Get("Subject"))
	noted := map[string]bool{}
	for _, h := range d.Headers {
		if noted[h.Name] { // a name's fields need not stand together
			continue
		}
		noted[h.Name] = true
		for _, v := range msg.Header[h.Name] {
			for _, cs := range mailtext.UnreadCharsets(v) {
				d.Notes = append(d.Notes, mailtext.Valid(fmt.Sprintf("the %s field has an encoded-word in charset %s, which relaylab cannot read: the word is shown as written", h.Name, cs)))
			}
		}
	}
	w := walker{d: &d}
	if err := w.part(msg.Header, msg.Body, "", 0); err != nil {
		w.note("the message cannot be read to its end: its body is not shown")
	}
	if w.capped {
		w.note("the message has more than %d parts: relaylab reads the first %d and lists no more", maxParts, maxParts)
	}
	return d
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
	head := raw[:min(len(raw), 64<<10)]
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break // the end of the header section (RFC 5322 2.1)
		}
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

// validDetail is m with every text of the message valid UTF-8 (validText),
// whatever the adapter that read it did.
func validDetail(m MessageDetail) MessageDetail {
	m.Subject, m.Text, m.HTML = mailtext.Valid(m.Subject), mailtext.Valid(m.Text), mailtext.Valid(m.HTML)
	if len(m.Headers) > 0 {
		hs := make([]Header, len(m.Headers))
		for i, h := range m.Headers {
			hs[i] = Header{Name: mailtext.Valid(h.Name), Value: mailtext.Valid(h.Value)}
		}
		m.Headers = hs
	}
	if len(m.Attachments) > 0 {
		as := make([]Attachment, len(m.Attachments))
		for i, a := range m.Attachments {
			a.Part, a.Filename, a.ContentType, a.Disposition = mailtext.Valid(a.Part), mailtext.Valid(a.Filename), mailtext.Valid(a.ContentType), mailtext.Valid(a.Disposition)
			as[i] = a
		}
		m.Attachments = as
	}
	if len(m.Notes) > 0 {
		ns := make([]string, len(m.Notes))
		for i, n := range m.Notes {
			ns[i] = mailtext.Valid(n)
		}
		m.Notes = ns
	}
	return m
}
