package web

import (
	"strings"
	"testing"
)

// TestUnreadFileNameShownAsSent: a file name that cannot be decoded (RFC
// 2231 with raw tspecials or a broken %XX, a plain value that needed
// quotes) is shown as it stands in the field, with a note saying so,
// instead of no name and no note.
func TestUnreadFileNameShownAsSent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ disp, ctype, name, note string }{
		{"attachment; filename*=utf-8''a(b'c.txt", "text/plain", "utf-8''a(b'c.txt", "part 2: the file name could not be decoded (RFC 2231"},
		{"attachment; filename*=utf-8''a%zz.txt", "text/plain", "utf-8''a%zz.txt", "part 2: the file name could not be decoded (RFC 2231"},
		{"attachment; filename*0*=utf-8''a%C3; filename*1=(b).txt", "text/plain", "utf-8''a%C3(b).txt", "could not be decoded (RFC 2231"},
		{"attachment; filename=a(b).txt", "text/plain", "a(b).txt", "part 2: the file name could not be read (RFC 2045 5.1"},
		{"attachment", "application/pdf; name*=utf-8''r(1).pdf", "utf-8''r(1).pdf", "the name* parameter"},
		{"attachment; filename*=UTF-8''report(final).pdf", "application/pdf; name=\"other.pdf\"", "UTF-8''report(final).pdf", "part 2: the file name could not be decoded (RFC 2231: the filename* parameter"},
		{"inline; filename*=UTF-8''a(b).txt", "text/plain", "UTF-8''a(b).txt", "the filename* parameter"},
		{"attachment; filename=\"ok.txt\"", "text/plain", "ok.txt", ""},
		{"attachment", "application/pdf", "", ""},
	} {
		raw := "From: a@shop.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n" +
			"--b\r\nContent-Type: " + tc.ctype + "\r\nContent-Disposition: " + tc.disp + "\r\n\r\nx\r\n--b--\r\n"
		d := DecodeMessage([]byte(raw))
		if len(d.Attachments) != 1 || d.Attachments[0].Filename != tc.name {
			t.Errorf("%s / %s: attachments %s, want one named %q", tc.disp, tc.ctype, attachmentsLine(d), tc.name)
		}
		notes := strings.Join(d.Notes, "\n")
		if tc.note == "" && notes != "" || !strings.Contains(notes, tc.note) || tc.note != "" && !strings.HasSuffix(notes, ": shown as sent") {
			t.Errorf("%s / %s: notes %q, want one with %q that ends 'shown as sent'", tc.disp, tc.ctype, notes, tc.note)
		}
	}
}
