package reports

import (
	"bytes"
	"io"

	"github.com/relaylab/relaylab/internal/textsafe"
)

// writeShown runs write into a buffer and writes its output to w made
// safe to show a person (textsafe.Escape): control characters, bytes that
// are not UTF-8 and the Unicode bidirectional controls from mail
// (addresses, replies, reasons) written out as escapes, so that an
// address cannot show its domain backwards, "moc.elgoog" reading as
// "google.com", in a browser or a terminal.
func writeShown(w io.Writer, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	_, err := io.WriteString(w, textsafe.Escape(b.String()))
	return err
}
