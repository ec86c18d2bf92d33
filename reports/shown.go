package reports

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/relaylab/relaylab/internal/textsafe"
)

// shown is text from mail (addresses, replies, reasons) made safe to
// show a person: control characters and bytes that are not UTF-8 written
// out as escapes (textsafe.Escape), and so are the Unicode bidirectional
// controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C),
// with which an address can show its domain backwards, "moc.elgoog"
// reading as "google.com", in a browser or a terminal.
func shown(s string) string {
	s = textsafe.Escape(s)
	if !strings.ContainsFunc(s, isBidiControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isBidiControl(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isBidiControl(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}

// writeShown runs write into a buffer and writes its output to w as
// shown makes it.
func writeShown(w io.Writer, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	_, err := io.WriteString(w, shown(b.String()))
	return err
}
