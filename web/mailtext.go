package web

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/mailtext"
	"golang.org/x/net/html/charset"
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
// into valid UTF-8. A message that does not parse is shown whole, as text.
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
	walkBody(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &d, 0)
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

// walkBody keeps the first text/plain and text/html parts it finds, with
// their transfer encoding (cte) undone and their charset decoded.
func walkBody(ctype, cte string, body io.Reader, d *MessageDetail, depth int) {
	if depth > 8 {
		return
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil || ctype == "" {
		mt, params = "text/plain", nil // RFC 2045 5.2: the default
	}
	b, _ := io.ReadAll(io.LimitReader(body, maxPart))
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		mr := multipart.NewReader(bytes.NewReader(b), params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				return
			}
			// The reader undoes quoted-printable itself and then drops
			// the header; base64 is left to dsn.DecodeTransfer.
			walkBody(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, d, depth+1)
		}
	case mt == "text/html" && d.HTML == "":
		body, cs := dsn.DecodeTransfer(cte, b), params["charset"]
		if cs == "" && !utf8.Valid(body) {
			// An HTML part that declares its charset only inside, in a
			// <meta> element, read as a browser reads it (the HTML
			// standard's prescan; windows-1252 when nothing says).
			_, cs, _ = charset.DetermineEncoding(body, "text/html")
		}
		d.HTML = mailtext.Text(body, cs)
	case mt == "text/plain" && d.Text == "":
		d.Text = mailtext.Text(dsn.DecodeTransfer(cte, b), params["charset"])
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
	return m
}
