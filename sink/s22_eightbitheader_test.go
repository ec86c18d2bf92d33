package sink

import (
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// TestEightBitHeaderUnderBodyEightBitMIME: BODY=8BITMIME declares the
// body; UTF-8 in the header fields wants SMTPUTF8 (RFC 6532 3), so a
// UTF-8 From field under BODY=8BITMIME alone is noted, and one under
// both is not, nor an 8-bit body with a 7-bit header.
func TestEightBitHeaderUnderBodyEightBitMIME(t *testing.T) {
	hdr := "From: J\xc3\xbcrgen <j@s.test>\r\nSubject: hi\r\n\r\nplain\r\n"
	body := "From: j@s.test\r\nSubject: hi\r\n\r\ncaf\xc3\xa9\r\n"
	got := eightBitNote([]byte(hdr), smtp.Body8BitMIME, false)
	for _, w := range []string{"in the header without SMTPUTF8", "line 1", "BODY=8BITMIME", "RFC 6532"} {
		if !strings.Contains(got, w) {
			t.Errorf("UTF-8 header under BODY=8BITMIME alone: note %q, want it to say %q", got, w)
		}
	}
	if got := eightBitNote([]byte(hdr), smtp.Body8BitMIME, true); got != "" {
		t.Errorf("UTF-8 header under BODY=8BITMIME and SMTPUTF8: note %q, want none", got)
	}
	if got := eightBitNote([]byte(body), smtp.Body8BitMIME, false); got != "" {
		t.Errorf("8-bit body under BODY=8BITMIME: note %q, want none", got)
	}
}
