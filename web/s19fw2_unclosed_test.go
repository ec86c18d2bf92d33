package web

import (
	"strings"
	"testing"
)

// TestDecodeMessageUnclosedInnerMultipart: a multipart inside another
// whose close-delimiter never comes, the outer one's boundary following
// its last part, is read up to that boundary, as mail clients read it:
// its text is shown, its other parts listed, and the note says the inner
// multipart was not closed, not that the message is cut short. A message
// that is cut short inside an inner multipart still says so.
func TestDecodeMessageUnclosedInnerMultipart(t *testing.T) {
	t.Parallel()
	unclosed := func(nl string) string {
		return strings.ReplaceAll("Subject: s\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=OUT\n\n"+
			"--OUT\nContent-Type: multipart/alternative; boundary=IN\n\n"+
			"--IN\nContent-Type: text/plain; charset=utf-8\n\ninner text\n"+
			"--IN\nContent-Type: text/html; charset=utf-8\n\n<p>inner html</p>\n"+
			"--OUT\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=a.pdf\n\n%PDF\n"+
			"--OUT--\n", "\n", nl)
	}
	note := `part 1: the multipart is not closed (its closing boundary "--IN--" is missing; RFC 2046 5.1.1 ends a multipart with it): its parts are read up to the boundary of the multipart it is in`
	for _, tc := range []struct {
		name, raw, text, html, attachments string
		notes                              []string
	}{
		{"CRLF", unclosed("\r\n"), "inner text", "<p>inner html</p>", `2 "a.pdf" application/pdf 4 attachment`, []string{note}},
		{"bare LF", unclosed("\n"), "inner text", "<p>inner html</p>", `2 "a.pdf" application/pdf 4 attachment`, []string{note}},
		{"the last outer part: only the outer close-delimiter follows",
			"Content-Type: multipart/mixed; boundary=OUT\r\n\r\n--OUT\r\nContent-Type: multipart/alternative; boundary=IN\r\n\r\n" +
				"--IN\r\nContent-Type: text/plain\r\n\r\ninner text\r\n--OUT--\r\n",
			"inner text", "", "", []string{note}},
		{"closed: no note",
			"Content-Type: multipart/mixed; boundary=OUT\r\n\r\n--OUT\r\nContent-Type: multipart/alternative; boundary=IN\r\n\r\n" +
				"--IN\r\nContent-Type: text/plain\r\n\r\ninner text\r\n--IN--  \r\n--OUT--\r\n",
			"inner text", "", "", nil},
		{"cut short inside the inner multipart: the outer boundary never comes",
			"Content-Type: multipart/mixed; boundary=OUT\r\n\r\n--OUT\r\nContent-Type: text/plain\r\n\r\nfirst\r\n" +
				"--OUT\r\nContent-Type: multipart/alternative; boundary=IN\r\n\r\n--IN\r\nContent-Type: text/html\r\n\r\n<p>cut",
			"first", "", "",
			[]string{`the multipart ends before its closing boundary "--OUT--" (the message is cut short?): part 2 and any after it are not read`}},
	} {
		d := DecodeMessage([]byte(tc.raw))
		if d.Text != tc.text || d.HTML != tc.html || attachmentsLine(d) != tc.attachments || strings.Join(d.Notes, "|") != strings.Join(tc.notes, "|") {
			t.Errorf("%s:\n got text %q html %q attachments %s notes %q\nwant text %q html %q attachments %s notes %q",
				tc.name, d.Text, d.HTML, attachmentsLine(d), d.Notes, tc.text, tc.html, tc.attachments, tc.notes)
		}
	}
	// The download of a part reads the same tree: part 1.1 is the text.
	if f, _ := findPart([]byte(unclosed("\r\n")), "1.1"); !f.found || string(f.body) != "inner text" || f.mt != "text/plain" {
		t.Errorf("findPart 1.1: found %v, %s %q; want text/plain %q", f.found, f.mt, f.body, "inner text")
	}
}
