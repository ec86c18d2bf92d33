package dsn

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime/quotedprintable"
	"strings"
)

// DecodeTransfer undoes a body's Content-Transfer-Encoding (RFC 2045 6),
// named as in its header field (any case, spaces around): base64 or
// quoted-printable. Other encodings (7bit, 8bit, binary, none) are the
// bytes themselves, and a body that does not decode is returned as it
// came. Parse uses it for a DSN's parts; the web UI for a message's body.
func DecodeTransfer(cte string, body []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		// RFC 2045 6.8: characters outside the alphabet (line breaks,
		// spaces, the padding) are ignored.
		clean := bytes.Map(func(r rune) rune {
			if r == '+' || r == '/' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, body)
		if out, err := base64.RawStdEncoding.DecodeString(string(clean)); err == nil {
			return out
		}
	case "quoted-printable":
		if out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body))); err == nil {
			return out
		}
	}
	return body
}
