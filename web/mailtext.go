package web

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/relaylab/relaylab/internal/dsn"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// Message text reaches the UI one way: DecodeMessage turns a message's
// bytes into the MessageDetail that the sink's and the relay's adapters
// return, and every handler that answers with message text passes it
// through validText. Text is decoded from the charset it declares (RFC
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
		d.Text = validText(string(raw))
		return d
	}
	for name, values := range msg.Header {
		for _, v := range values {
			d.Headers = append(d.Headers, Header{Name: validText(name), Value: validText(v)})
		}
	}
	sortHeaders(raw, d.Headers)
	d.Subject = decodeHeader(msg.Header.Get("Subject"))
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
		d.HTML = decodeText(dsn.DecodeTransfer(cte, b), params["charset"])
	case mt == "text/plain" && d.Text == "":
		d.Text = decodeText(dsn.DecodeTransfer(cte, b), params["charset"])
	}
}

// decodeText decodes b from charset into valid UTF-8. An unknown or
// missing charset leaves b as it is, read as UTF-8 (US-ASCII is a subset).
func decodeText(b []byte, charset string) string {
	if dec, err := charsetDecoder(charset); err == nil {
		if out, err := io.ReadAll(dec(bytes.NewReader(b))); err == nil {
			b = out
		}
	}
	return validText(string(b))
}

// decodeHeader decodes the RFC 2047 encoded-words of a header field's
// value in whatever charset they name; an encoded-word in a charset we do
// not know stays as written, readable as such.
func decodeHeader(v string) string {
	dec := mime.WordDecoder{CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
		d, err := charsetDecoder(charset)
		if err != nil {
			return nil, err
		}
		return d(r), nil
	}}
	if s, err := dec.DecodeHeader(v); err == nil {
		v = s
	}
	return validText(strings.Map(c1AsWindows1252, v))
}

// c1AsWindows1252 reads a C1 control character (U+0080 to U+009F) as the
// windows-1252 character of that byte. mime.WordDecoder decodes
// iso-8859-1 itself, byte for byte, where the bytes 0x80 to 0x9F are
// controls; charsetDecoder, like browsers, reads that label as
// windows-1252, whose quotes, dashes and euro sign those bytes are. A
// subject has no use for the controls.
func c1AsWindows1252(r rune) rune {
	if r >= 0x80 && r <= 0x9f {
		return charmap.Windows1252.DecodeByte(byte(r))
	}
	return r
}

// charsetDecoder returns what reads text in charset as UTF-8, by the
// charset's name or any of its labels, as browsers know them (the WHATWG
// Encoding Standard: iso-8859-1 reads as its superset windows-1252, as
// mail that says iso-8859-1 often holds windows-1252's quotes and
// dashes). UTF-8, US-ASCII and no charset at all need no decoder.
func charsetDecoder(charset string) (func(io.Reader) io.Reader, error) {
	charset = strings.ToLower(strings.TrimSpace(charset))
	switch charset {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return nil, fmt.Errorf("charset %q: no decoding needed", charset)
	}
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, fmt.Errorf("charset %q: %w", charset, err)
	}
	return func(r io.Reader) io.Reader { return enc.NewDecoder().Reader(r) }, nil
}

// validText is s with each byte that is not part of a UTF-8 character
// replaced by U+FFFD, as encoding/json writes such bytes: the JSON
// answers, the body.html and a text body read the same.
func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s { // an invalid byte ranges as utf8.RuneError, one byte long
		b.WriteRune(r)
	}
	return b.String()
}

// validDetail is m with every text of the message valid UTF-8 (validText),
// whatever the adapter that read it did.
func validDetail(m MessageDetail) MessageDetail {
	m.Subject, m.Text, m.HTML = validText(m.Subject), validText(m.Text), validText(m.HTML)
	if len(m.Headers) > 0 {
		hs := make([]Header, len(m.Headers))
		for i, h := range m.Headers {
			hs[i] = Header{Name: validText(h.Name), Value: validText(h.Value)}
		}
		m.Headers = hs
	}
	return m
}
