package web

import (
	"bytes"
	"fmt"
	"net/mail"
	"strings"

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
	for name, values := range msg.Header {
		for _, v := range values {
			// Shown decoded (RFC 2047), as a mail client shows them, so
			// that a direction control inside an encoded-word is seen and
			// warned about like one written as it is.
			d.Headers = append(d.Headers, Header{Name: mailtext.Valid(name), Value: mailtext.Valid(mailtext.Header(v))})
		}
	}
	sortHeaders(raw, d.Headers)
	d.Subject = mailtext.Header(msg.Header.Get("Subject"))
	for i, h := range d.Headers {
		if i > 0 && h.Name == d.Headers[i-1].Name {
			continue
		}
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

// sortHeaders puts hs in the order their names first appear in raw
// (net/mail keeps them in a map).
func sortHeaders(raw []byte, hs []Header) {
	head := strings.ToLower(string(raw[:min(len(raw), 64<<10)]))
	pos := func(name string) int {
		if i := strings.Index(head, strings.ToLower(name)+":"); i >= 0 {
			return i
		}
		return len(head)
	}
	for i := 1; i < len(hs); i++ {
		for j := i; j > 0 && pos(hs[j].Name) < pos(hs[j-1].Name); j-- {
			hs[j], hs[j-1] = hs[j-1], hs[j]
		}
	}
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
